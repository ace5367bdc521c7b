//! The private detail enum behind identity resolution's errors.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// What went wrong inside `identity`; turned into the crate's [`Error`].
#[derive(Debug)]
pub(crate) enum Detail {
    /// A nickname table line is not `nickname,canonical`.
    NicknameLine { line: usize, text: String },
    /// A parameter is out of its valid range.
    Parameter {
        name: &'static str,
        value: String,
        rule: &'static str,
    },
    /// Two records share one id.
    DuplicateId { id: String },
    /// A pair refers to a record index that does not exist.
    PairOutOfRange { index: usize, len: usize },
    /// Labelled training data holds no pair of one kind.
    NoLabelledPairs { kind: &'static str },
    /// A similarity outside 0..=1.
    Similarity { value: f64 },
    /// Bytes that are not a normalised record's binary form.
    RecordBytes { reason: &'static str },
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::NicknameLine { line, text } => write!(
                f,
                "nickname line {line} {text:?} is not two non-empty fields `nickname,canonical`"
            ),
            Detail::Parameter { name, value, rule } => write!(f, "{name} {value} {rule}"),
            Detail::DuplicateId { id } => {
                write!(
                    f,
                    "record id {id:?} occurs more than once; ids must be unique"
                )
            }
            Detail::PairOutOfRange { index, len } => write!(
                f,
                "pair index {index} is out of range for {len} normalized records"
            ),
            Detail::NoLabelledPairs { kind } => {
                write!(
                    f,
                    "labelled pairs hold no {kind} pair; both kinds are needed"
                )
            }
            Detail::Similarity { value } => {
                write!(f, "similarity {value} is out of range 0..=1")
            }
            Detail::RecordBytes { reason } => {
                write!(f, "bytes are not a normalized record: {reason}")
            }
        }
    }
}

impl From<Detail> for Error {
    #[cold]
    fn from(detail: Detail) -> Error {
        let kind = match &detail {
            Detail::NicknameLine { .. }
            | Detail::DuplicateId { .. }
            | Detail::PairOutOfRange { .. }
            | Detail::Similarity { .. }
            | Detail::RecordBytes { .. } => ErrorKind::InvalidInput,
            Detail::Parameter { .. } => ErrorKind::InvalidParameter,
            Detail::NoLabelledPairs { .. } => ErrorKind::InsufficientData,
        };
        Error::new(kind, detail)
    }
}

/// Checks a parameter, returning [`ErrorKind::InvalidParameter`] when `ok` is false.
pub(crate) fn check_param(
    ok: bool,
    name: &'static str,
    value: impl fmt::Display,
    rule: &'static str,
) -> crate::error::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Detail::Parameter {
            name,
            value: value.to_string(),
            rule,
        }
        .into())
    }
}
