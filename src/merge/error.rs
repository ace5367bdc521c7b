//! The private details behind the errors of the `merge` module.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// What went wrong in `merge`; turned into the crate's [`Error`] by `From`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum MergeError {
    /// A field path the record schema does not know.
    UnknownField {
        path: String,
        suggestion: Option<String>,
    },
    /// A survivorship rule set for a field whose values are a set.
    RuleOnSetField { path: String },
    /// A primary rule set for a field that holds one value.
    PrimaryOnSingleField { path: String },
    /// A phone country that is not an ISO 3166-1 alpha-2 code.
    InvalidCountry { country: String },
    /// One path given two rules in one policy.
    DuplicateRule { path: String },
    /// A cluster id the store does not hold.
    UnknownCluster { cluster: String },
    /// A record id the store does not hold.
    UnknownRecord { record: String },
    /// A record named in a split that is not a member of the cluster.
    NotAMember { record: String, cluster: String },
    /// A split that would leave one side empty.
    EmptySplit { cluster: String },
    /// One record id given twice with different content.
    ConflictingDuplicate { record: String },
    /// Deserialised data that breaks a rule of its type.
    #[cfg_attr(not(feature = "serde"), allow(dead_code))] // only reading JSON builds it
    InvalidData {
        what: &'static str,
        rule: &'static str,
    },
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::UnknownField { path, suggestion } => {
                write!(f, "field {path:?} is not a field of the record schema")?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean {s:?}?")?;
                }
                Ok(())
            }
            MergeError::RuleOnSetField { path } => write!(
                f,
                "field {path:?} holds many values, which are merged as a set; \
                 survivorship rules apply to single-valued fields only"
            ),
            MergeError::PrimaryOnSingleField { path } => write!(
                f,
                "field {path:?} holds one value; primary rules apply to multi-valued fields only"
            ),
            MergeError::InvalidCountry { country } => write!(
                f,
                "phone country {country:?} is not an ISO 3166-1 alpha-2 code"
            ),
            MergeError::DuplicateRule { path } => {
                write!(f, "field {path:?} is given two survivorship rules")
            }
            MergeError::UnknownCluster { cluster } => {
                write!(f, "cluster {cluster} is not in the store")
            }
            MergeError::UnknownRecord { record } => {
                write!(f, "record {record:?} is not in the store")
            }
            MergeError::NotAMember { record, cluster } => {
                write!(f, "record {record:?} is not a member of cluster {cluster}")
            }
            MergeError::EmptySplit { cluster } => write!(
                f,
                "split of cluster {cluster} leaves one side empty; name some but not all members"
            ),
            MergeError::ConflictingDuplicate { record } => write!(
                f,
                "record {record:?} is given twice with different content; record ids must be unique"
            ),
            MergeError::InvalidData { what, rule } => write!(f, "{what} {rule}"),
        }
    }
}

impl From<MergeError> for Error {
    #[cold]
    fn from(e: MergeError) -> Error {
        let kind = match e {
            MergeError::UnknownField { .. } => ErrorKind::UnknownField,
            MergeError::RuleOnSetField { .. }
            | MergeError::PrimaryOnSingleField { .. }
            | MergeError::InvalidCountry { .. }
            | MergeError::DuplicateRule { .. } => ErrorKind::InvalidParameter,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, e)
    }
}
