//! The details of insights errors, turned into [`crate::Error`] at the edge.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::error::{Error, ErrorKind};

/// Why an insights call failed; its `Display` is the error message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Detail {
    /// An instant whose period cannot be represented.
    OutOfCalendar { at: DateTime<Utc> },
    /// A setting outside its valid range.
    Setting {
        name: &'static str,
        value: f64,
        rule: &'static str,
    },
    /// An analysis whose output would exceed its documented cap.
    TooManyCells { cells: u128, max: usize },
    /// More distinct customers than 32-bit ids can number.
    TooManyCustomers,
    /// A sentiment score outside −1..=1, or not a number.
    Score { at: DateTime<Utc>, score: f64 },
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::OutOfCalendar { at } => write!(
                f,
                "time {at} is too close to the end of the calendar for its period to be represented"
            ),
            Detail::Setting { name, value, rule } => write!(f, "{name} {value} must be {rule}"),
            Detail::TooManyCells { cells, max } => write!(
                f,
                "the cohort table would have {cells} cells, more than the limit of {max}; \
                 use a coarser granularity, a horizon or a higher limit"
            ),
            Detail::TooManyCustomers => write!(
                f,
                "more than {} distinct customers in one cohort analysis",
                u32::MAX
            ),
            Detail::Score { at, score } => {
                write!(f, "sentiment score {score} at {at} is outside -1..=1")
            }
        }
    }
}

impl From<Detail> for Error {
    #[cold]
    fn from(d: Detail) -> Error {
        let kind = match d {
            Detail::Setting { .. } => ErrorKind::InvalidParameter,
            Detail::Score { .. } => ErrorKind::InvalidInput,
            Detail::OutOfCalendar { .. }
            | Detail::TooManyCells { .. }
            | Detail::TooManyCustomers => ErrorKind::LimitExceeded,
        };
        Error::new(kind, d)
    }
}
