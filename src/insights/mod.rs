//! Answers to the questions a business asks of its customers: survey
//! metrics, RFM scores and segments, cohorts and retention, alerts, key
//! phrases and topics of feedback.
//!
//! Every analysis here is a pure function of plain, documented inputs
//! (answers, summaries, first and last purchase dates, feedback texts), so
//! it can be run on the output of a pipeline (`custodia::Pipeline`), on rows
//! read from a warehouse, or on a test's hand-made values alike. None of them reads a
//! clock: the time an analysis is "as of" is always an argument.
//!
//! | module | answers |
//! |---|---|
//! | [`survey`] | NPS, CES and CSAT per group, source and period, with confidence intervals, trends and changes |
//! | [`cohort`] | acquisition cohorts, retention curves over fully observed periods, churn per cohort |
//! | [`alert`] | customers whose feedback turns negative (sentiment drop, NPS drop) and segments whose NPS or sentiment moves past a threshold, with their evidence |
//! | [`rfm`] | recency, frequency and monetary scores 1–5 on quintiles, named segments, readable in segment expressions |
//! | [`text`] | key phrases of feedback per group and period (YAKE, every [`Language`](crate::sentiment::Language)), phrases rising and falling between two periods |
//! | [`topic`] | topics of feedback per group and period: clusters of co-occurring terms, the texts in each, their share and examples |
//! | [`persona`] | personas: k-prototypes clustering of mixed customer data, k chosen by silhouette, each persona described by its distinguishing features |
//!
//! Time is cut into [`Period`]s of a [`Granularity`] (day, ISO 8601 week,
//! month, quarter), always in UTC.
//!
//! # Examples
//!
//! NPS per month for one segment, and the retention of the customers who
//! answered:
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::insights::cohort::{cohorts, Acquisition, CohortParams};
//! use custodia::insights::survey::{survey_metrics, Metric, SurveyParams, SurveyRow};
//! use custodia::insights::Granularity;
//! use custodia::model::Nps;
//!
//! let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
//! let answers = [("ana", t(1, 3), 10), ("bob", t(1, 9), 4), ("ana", t(2, 7), 9), ("cid", t(2, 8), 9)];
//! let rows: Vec<_> = answers
//!     .iter()
//!     .map(|&(_, at, score)| Ok(SurveyRow::new(at, "email", "vip").nps(Nps::new(score)?)))
//!     .collect::<custodia::Result<_>>()?;
//! let as_of = t(3, 1);
//! let params = SurveyParams::default().granularity(Granularity::Month);
//! let report = survey_metrics(&rows, &params, as_of)?;
//! let vip = &report.series()[0];
//! // January: 1 promoter and 1 detractor of 2 → 0; February: 2 promoters of 2 → 100.
//! let nps: Vec<f64> = vip.periods().iter().filter_map(|m| m.nps()).map(|e| e.value()).collect();
//! assert_eq!(nps, [0.0, 100.0]);
//! assert_eq!(vip.trend(Metric::Nps).map(|t| t.slope()), Some(100.0));
//!
//! let activity: Vec<_> = answers.iter().map(|&(who, at, _)| (who, at)).collect();
//! let report = cohorts(&activity, Acquisition::FirstActivity, &CohortParams::default(), as_of)?;
//! // ana and bob start in January; only ana comes back in February.
//! assert_eq!(report.cohorts()[0].retention_curve(), [1.0, 0.5]);
//! assert_eq!(report.cohorts()[0].churn(), Some(0.5));
//! # Ok::<(), custodia::Error>(())
//! ```

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

mod error;
mod period;
mod stats;

pub mod alert;
pub mod cohort;
pub mod persona;
pub mod rfm;
pub mod survey;
pub mod text;
pub mod topic;

pub use period::{Granularity, Period};
pub use stats::Interval;
