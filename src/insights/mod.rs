//! Answers to the questions a business asks of its customers: survey
//! metrics, RFM scores and segments, cohorts and retention.
//!
//! Every analysis here is a pure function of plain, documented inputs
//! (answers, summaries, first and last purchase dates), so it can be run on
//! the output of a pipeline (`custodia::Pipeline`), on rows read from
//! a warehouse, or on a test's hand-made values alike. None of them reads a
//! clock: the time an analysis is "as of" is always an argument.

pub mod cohort;
mod error;
mod period;
mod stats;
pub mod survey;

pub use period::{Granularity, Period};
pub use stats::Interval;
