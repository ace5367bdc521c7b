//! The private details behind the errors of the `consent` module.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::error::{Error, ErrorKind};

/// What went wrong in `consent`; turned into the crate's [`Error`] by `From`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ConsentError {
    /// A word that names no variant of a closed vocabulary.
    UnknownWord {
        what: &'static str,
        word: String,
        expected: &'static str,
    },
    /// An expiry at or before the event's own time.
    ExpiryNotAfter {
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    /// An expiry on an event that is not a grant.
    ExpiryOnNonGrant { status: &'static str },
    /// Explicit consent or special categories on an event that is not a grant.
    ExplicitOnNonGrant { status: &'static str },
    /// Special categories listed on a grant that is not explicit.
    CategoriesWithoutExplicit,
    /// One purpose configured with two different lawful bases.
    ConflictingBasis {
        purpose: String,
        first: &'static str,
        second: &'static str,
    },
}

impl fmt::Display for ConsentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsentError::UnknownWord {
                what,
                word,
                expected,
            } => write!(f, "{what} {word:?} is not one of {expected}"),
            ConsentError::ExpiryNotAfter { at, expires_at } => write!(
                f,
                "consent expiry {} is not after the event time {}",
                expires_at.to_rfc3339(),
                at.to_rfc3339()
            ),
            ConsentError::ExpiryOnNonGrant { status } => write!(
                f,
                "consent event with status {status:?} has an expiry; only a grant can expire"
            ),
            ConsentError::ExplicitOnNonGrant { status } => write!(
                f,
                "consent event with status {status:?} is marked explicit or lists special \
                 categories; only a grant can be explicit consent"
            ),
            ConsentError::CategoriesWithoutExplicit => f.write_str(
                "consent event lists special categories but is not explicit; \
                 special-category data needs explicit consent",
            ),
            ConsentError::ConflictingBasis {
                purpose,
                first,
                second,
            } => write!(
                f,
                "purpose {purpose:?} is configured with two lawful bases, {first:?} and {second:?}"
            ),
        }
    }
}

impl From<ConsentError> for Error {
    fn from(e: ConsentError) -> Error {
        let kind = match e {
            ConsentError::ConflictingBasis { .. } => ErrorKind::InvalidParameter,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, e)
    }
}
