//! The private details behind the errors of the `clv` module.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// What went wrong in `clv`; turned into the crate's [`Error`] by `From`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ClvError {
    /// A summary or transaction field is NaN or infinite.
    NonFinite { field: &'static str, value: f64 },
    /// A summary or transaction field is negative.
    Negative { field: &'static str, value: f64 },
    /// Recency exceeds the customer's age.
    RecencyAfterAge { recency: f64, age: f64 },
    /// A discrete (BG/BB) summary whose times are not whole periods.
    NotWholePeriods { field: &'static str, value: f64 },
    /// A discrete (BG/BB) summary with more purchases than opportunities.
    FrequencyAboveRecency { frequency: u32, recency: f64 },
    /// A model parameter outside its valid range.
    Parameter {
        name: &'static str,
        value: f64,
        rule: &'static str,
    },
    /// A setting outside its valid range.
    Setting {
        name: &'static str,
        value: f64,
        rule: &'static str,
    },
    /// A weight of zero.
    ZeroWeight,
    /// The data cannot identify the model.
    Insufficient {
        model: &'static str,
        reason: &'static str,
    },
    /// The optimiser stopped before its tolerance was met.
    NotConverged {
        model: &'static str,
        iterations: usize,
        gradient: f64,
        customers: f64,
        repeaters: f64,
        advice: &'static str,
    },
    /// The observation window ends before the calibration window.
    WindowOrder,
    /// A field of a summary CSV that cannot be read; `column` is empty when
    /// the problem is the whole line.
    Csv {
        line: u64,
        column: String,
        reason: String,
    },
    /// A contract cohort's counts that the sBG model cannot take.
    Cohort { reason: String },
    /// A customer's total exceeds the range of `f64`.
    Overflow {
        field: &'static str,
        customer: String,
    },
}

impl fmt::Display for ClvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClvError::NonFinite { field, value } => write!(f, "{field} {value} is not finite"),
            ClvError::Negative { field, value } => write!(f, "{field} {value} is negative"),
            ClvError::RecencyAfterAge { recency, age } => {
                write!(f, "recency {recency} exceeds customer age {age}")
            }
            ClvError::NotWholePeriods { field, value } => write!(
                f,
                "{field} {value} is not a whole number of periods, as discrete-time models require"
            ),
            ClvError::FrequencyAboveRecency { frequency, recency } => write!(
                f,
                "frequency {frequency} exceeds recency {recency}; at most one purchase fits each period"
            ),
            ClvError::Parameter { name, value, rule } => {
                write!(f, "parameter {name} = {value} is invalid: it must be {rule}")
            }
            ClvError::Setting { name, value, rule } => {
                write!(f, "setting {name} = {value} is invalid: it must be {rule}")
            }
            ClvError::ZeroWeight => f.write_str("weight 0 is invalid: weights count customers and must be at least 1"),
            ClvError::Insufficient { model, reason } => write!(f, "cannot fit {model}: {reason}"),
            ClvError::NotConverged {
                model,
                iterations,
                gradient,
                customers,
                repeaters,
                advice,
            } => write!(
                f,
                "fitting {model} did not converge after {iterations} iterations (gradient {gradient:e}) on {customers} customers, {repeaters} with repeat purchases; {advice}"
            ),
            ClvError::Overflow { field, customer } => write!(
                f,
                "{field} of customer {customer:?} exceeds the largest finite number"
            ),
            ClvError::Csv {
                line,
                column,
                reason,
            } => {
                if column.is_empty() {
                    write!(f, "line {line}: {reason}")
                } else {
                    write!(f, "line {line}, column {column}: {reason}")
                }
            }
            ClvError::Cohort { reason } => write!(f, "invalid cohort: {reason}"),
            ClvError::WindowOrder => {
                f.write_str("observation end is before calibration end; the holdout must follow the calibration")
            }
        }
    }
}

impl From<ClvError> for Error {
    #[cold]
    fn from(err: ClvError) -> Error {
        let kind = match &err {
            ClvError::Parameter { .. } | ClvError::Setting { .. } | ClvError::WindowOrder => {
                ErrorKind::InvalidParameter
            }
            ClvError::Insufficient { .. } => ErrorKind::InsufficientData,
            ClvError::NotConverged { .. } => ErrorKind::NotConverged,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, err)
    }
}
