//! Answers to the questions a business asks of its customers: survey
//! metrics, RFM scores and segments, cohorts and retention.
//!
//! Every analysis here is a pure function of plain, documented inputs
//! (answers, summaries, first and last purchase dates), so it can be run on
//! the output of a pipeline (`custodia::Pipeline`), on rows read from
//! a warehouse, or on a test's hand-made values alike. None of them reads a
//! clock: the time an analysis is "as of" is always an argument.
//!
//! # RFM
//!
//! [`rfm`] scores recency, frequency and monetary value from 1 to 5 on
//! quintiles and names the segment of each customer:
//!
//! ```
//! use custodia::insights::rfm::{self, RfmSegment, RfmValues};
//!
//! // Days since the last purchase, purchases, total spend.
//! let customers = [
//!     RfmValues::new(3.0, 9, 640.0)?,
//!     RfmValues::new(210.0, 7, 510.0)?,
//!     RfmValues::new(400.0, 1, 12.0)?,
//!     RfmValues::new(30.0, 2, 40.0)?,
//!     RfmValues::new(90.0, 3, 80.0)?,
//! ];
//! // Five distinct values per dimension: one customer per quintile.
//! let scores = rfm::score(&customers)?;
//! assert_eq!(scores[0].to_string(), "555");
//! assert_eq!(scores[0].segment(), RfmSegment::Champions);
//! assert_eq!(scores[1].to_string(), "244"); // bought much, long ago
//! assert_eq!(scores[1].segment(), RfmSegment::AtRisk);
//! assert_eq!(scores[2].segment(), RfmSegment::Lost);
//! assert_eq!(scores[3].segment(), RfmSegment::PotentialLoyalist);
//! assert_eq!(scores[4].segment(), RfmSegment::NeedAttention);
//! # Ok::<(), custodia::Error>(())
//! ```

pub mod rfm;
