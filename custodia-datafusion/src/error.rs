//! The crate's error type.

use datafusion::error::DataFusionError;

/// What can go wrong when custodia's work is put into a DataFusion plan.
///
/// Every variant names the offending value; errors raised while a plan runs
/// reach DataFusion as [`DataFusionError::Execution`] with the same message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JSON argument (a trained model, fitted parameters, a source record)
    /// could not be read as the type the function needs.
    #[error("{function}: the {what} argument is not valid JSON for it: {detail}")]
    Json {
        /// The function that read it.
        function: &'static str,
        /// What the argument should hold.
        what: &'static str,
        /// What the JSON reader said.
        detail: String,
    },
    /// An argument has a type or value the function cannot use.
    #[error("{function}: {detail}")]
    Argument {
        /// The function that refused it.
        function: &'static str,
        /// Why.
        detail: String,
    },
    /// A segment expression uses something that has no DataFusion
    /// counterpart (event aggregates, `in_segment`, money literals).
    #[error("segment cannot be compiled to a DataFusion expression: {0}")]
    Unsupported(String),
    /// custodia refused an input or a parameter.
    #[error(transparent)]
    Custodia(#[from] custodia::Error),
    /// DataFusion failed while planning or running.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

impl From<Error> for DataFusionError {
    fn from(e: Error) -> DataFusionError {
        match e {
            Error::DataFusion(e) => e,
            other => DataFusionError::Execution(other.to_string()),
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
