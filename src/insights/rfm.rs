//! RFM analysis: recency, frequency and monetary scores from 1 to 5, and the
//! named segments (champions, at risk, lost, …) read from them.
//!
//! # Inputs
//!
//! Each customer is one [`RfmValues`]: days since the last purchase as of a
//! date (*recency*, fewer is better), the number of purchases (*frequency*)
//! and the money spent (*monetary*). Build them from plain values
//! ([`RfmValues::new`]), from purchases ([`values_from_transactions`]: days
//! since the last purchase, distinct purchase days, total spend), or from a
//! [`clv::RfmSummary`](crate::clv::RfmSummary) ([`RfmValues::from_summary`]).
//!
//! # Scores
//!
//! [`RfmScorer::fit`] learns quintile cut points from a population and
//! [`RfmScorer::score`] gives each customer an [`RfmScore`]; [`score`] does
//! both for one population. A caller can also give fixed cut points
//! ([`RfmScorer::from_thresholds`]), or fit on one population and score
//! another (the scorer is plain data, serialised under feature `serde`).
//!
//! Quintiles are computed on *mid-ranks*, so the scores are exact and
//! independent of the input order:
//!
//! - sort the `n` values from worst to best; a value with `below` values
//!   worse than it and `equal` values equal to it (itself included) has the
//!   mid-rank `below + (equal − 1) / 2`, counted from 0;
//! - its score is `1 + ⌊5 · (2·below + equal) / (2n)⌋`, that is the quintile of
//!   `(mid-rank + ½) / n`, computed in integers.
//!
//! With `n` distinct values, the worst fifth scores 1 and the best fifth 5
//! (`n = 10`: two customers per score). Equal values always get equal
//! scores: a tie takes the score of its middle, so a population where
//! everyone bought once scores 3 on frequency, neither best nor worst. Small
//! populations spread around the middle: `n = 1` scores 3; `n = 2` scores 2
//! and 4; `n = 3` scores 1, 3, 5; `n = 4` scores 1, 2, 4, 5. A customer
//! with one purchase is scored like any other (frequency 1 is the lowest
//! frequency there is, so it shares the score of every other one-purchase
//! customer).
//!
//! A fitted scorer keeps, for each dimension, the least good value of the
//! population that reached each score from 2 to 5; a value scores the
//! highest score whose cut point it reaches. On the population it was
//! fitted on, this gives exactly the mid-rank scores above; on another
//! population, a value between two fitted values gets the score of the
//! worse one. Scores never decrease when a value gets better.
//!
//! # Segments
//!
//! [`RfmScore::segment`] reads a named [`RfmSegment`] from the recency
//! score `R` and the combined score `FM = ⌊(F + M + 1) / 2⌋` (the mean of the
//! frequency and monetary scores, halves rounded up), on the common R × FM
//! grid of RFM analysis (for example the table of churned.io's RFM model:
//! champions R 4–5 FM 4–5, loyal R 2–5 FM 3–5, potential loyalists R 3–5
//! FM 1–3, new R 4–5 FM 0–1, need attention R 2–3 FM 2–3, at risk R 0–2
//! FM 2–5, hibernating R 1–2 FM 1–2, lost R 0–2 FM 0–2). Those published
//! ranges overlap; this table gives each of the 25 cells one segment, with
//! the cell boundaries of the widely used R × F segment map (champions
//! `5[45]`, loyal `[34][45]`, potential loyalists `[45][23]`, new `51`,
//! promising `41`, need attention `33`, about to sleep `3[12]`, at risk
//! `[12][34]`, can't lose them `[12]5`, hibernating `[12][12]`), with FM in
//! place of F and the hibernating corner split so that `R = 1` is lost:
//!
//! | R \ FM | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | **5** | new | potential loyalist | potential loyalist | champions | champions |
//! | **4** | promising | potential loyalist | potential loyalist | loyal | loyal |
//! | **3** | about to sleep | about to sleep | need attention | loyal | loyal |
//! | **2** | hibernating | hibernating | at risk | at risk | can't lose them |
//! | **1** | lost | lost | at risk | at risk | can't lose them |
//!
//! # Segment expressions
//!
//! [`RfmFields`] shows a profile together with its score, so segment
//! expressions can read `rfm.recency`, `rfm.frequency`, `rfm.monetary`,
//! `rfm.fm` (the scores 1–5), `rfm.score` (the cell code, `100·R + 10·F +
//! M`, from 111 to 555) and `rfm.segment` (the segment's snake_case name)
//! next to the profile's own fields; [`extend_schema`] adds them to the
//! profile's schema for compiling.
//!
//! # Examples
//!
//! ```
//! use custodia::insights::rfm::{self, RfmSegment, RfmValues};
//!
//! // Days since the last purchase, purchases, total spend.
//! let customers = [
//!     RfmValues::new(2.0, 12, 900.0)?,
//!     RfmValues::new(40.0, 3, 150.0)?,
//!     RfmValues::new(300.0, 1, 20.0)?,
//! ];
//! let scores = rfm::score(&customers)?;
//! assert_eq!(scores[0].to_string(), "555");
//! assert_eq!(scores[0].segment(), RfmSegment::Champions);
//! assert_eq!(scores[2].to_string(), "111");
//! assert_eq!(scores[2].segment(), RfmSegment::Lost);
//! # Ok::<(), custodia::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::clv::{RfmSummary, Transaction};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Cardinality, EventAccess, EventQuery, FieldAccess, FieldPath, FieldType, Schema, Value,
};

/// The most cut points a dimension has: one for each score from 2 to 5.
pub const MAX_THRESHOLDS: usize = 4;

/// One customer's recency, frequency and monetary value, the inputs of RFM
/// scoring.
///
/// | value | meaning | valid |
/// |---|---|---|
/// | [`recency`](RfmValues::recency) | days (or periods) from the last purchase to the date of the analysis; fewer is better | finite, ≥ 0 |
/// | [`frequency`](RfmValues::frequency) | number of purchases | ≥ 1 |
/// | [`monetary`](RfmValues::monetary) | money spent, in the currency of the data | finite (refunds may make it negative) |
///
/// A customer who never bought has no recency, so has no `RfmValues`.
///
/// # Examples
///
/// ```
/// use custodia::insights::rfm::RfmValues;
///
/// let v = RfmValues::new(14.0, 3, 120.5)?;
/// assert_eq!(v.frequency(), 3);
/// assert!(RfmValues::new(-1.0, 3, 120.5).is_err());
/// assert!(RfmValues::new(14.0, 0, 0.0).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawValues")
)]
pub struct RfmValues {
    recency: f64,
    frequency: u32,
    monetary: f64,
}

/// The unchecked JSON shape of [`RfmValues`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawValues {
    recency: f64,
    frequency: u32,
    monetary: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<RawValues> for RfmValues {
    type Error = Error;
    fn try_from(raw: RawValues) -> Result<RfmValues> {
        RfmValues::new(raw.recency, raw.frequency, raw.monetary)
    }
}

impl RfmValues {
    /// Returns the values of a customer whose last purchase was `recency`
    /// days (or periods) ago, with `frequency` purchases worth `monetary`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `recency` is negative or not finite,
    /// `frequency` is 0, or `monetary` is not finite.
    pub fn new(recency: f64, frequency: u32, monetary: f64) -> Result<RfmValues> {
        if !recency.is_finite() || recency < 0.0 {
            return Err(invalid_input(format_args!(
                "recency {recency} is not a finite, non-negative number of days"
            )));
        }
        if frequency == 0 {
            return Err(invalid_input(
                "frequency 0: a customer without a purchase has no RFM values",
            ));
        }
        if !monetary.is_finite() {
            return Err(invalid_input(format_args!(
                "monetary value {monetary} is not finite"
            )));
        }
        // Adding 0.0 turns -0.0 into 0.0, so equal values sort together.
        Ok(RfmValues {
            recency: recency + 0.0,
            frequency,
            monetary: monetary + 0.0,
        })
    }

    /// Returns the values read from a buy-till-you-die summary: recency is
    /// `age − recency` of the summary (periods from the last purchase to the
    /// end of observation; days when it was summarised by day), frequency
    /// is the repeat purchases plus the first (saturating at `u32::MAX`),
    /// and monetary is the summary's mean repeat spend.
    ///
    /// That mean is 0 for a customer with one purchase, who has no repeat;
    /// use [`values_from_transactions`] to score total spend instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::clv::RfmSummary;
    /// use custodia::insights::rfm::RfmValues;
    ///
    /// // 2 repeat purchases, the last on day 30 of 38 observed.
    /// let s = RfmSummary::new(2, 30.0, 38.0)?.with_monetary(22.5)?;
    /// let v = RfmValues::from_summary(&s);
    /// assert_eq!((v.recency(), v.frequency(), v.monetary()), (8.0, 3, 22.5));
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn from_summary(summary: &RfmSummary) -> RfmValues {
        // A summary's times are finite and recency ≤ age, so the difference
        // is finite and non-negative; its monetary value is finite.
        RfmValues {
            recency: (summary.age() - summary.recency()).max(0.0) + 0.0,
            frequency: summary.frequency().saturating_add(1),
            monetary: summary.monetary() + 0.0,
        }
    }

    /// Returns the days (or periods) since the last purchase.
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// Returns the number of purchases.
    pub fn frequency(&self) -> u32 {
        self.frequency
    }

    /// Returns the money spent, in the currency of the data.
    pub fn monetary(&self) -> f64 {
        self.monetary
    }
}

/// Returns each customer's [`RfmValues`] as of `as_of`, from their
/// purchases, sorted by customer key.
///
/// Only transactions on or before `as_of` count (the analysis is as of that
/// day; later ones are not part of it). Recency is the whole days from the
/// last purchase day to `as_of`; frequency counts distinct purchase days
/// (as [`clv::summarize`](crate::clv::summarize) does by day); monetary is
/// the sum of all amounts, refunds included. A customer with transactions
/// only after `as_of` is not in the result.
///
/// Sorts the transactions once: `O(n log n)`.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when one customer's amounts add up beyond the
/// range of `f64`.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use custodia::clv::Transaction;
/// use custodia::insights::rfm::values_from_transactions;
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("valid date");
/// let log = [
///     Transaction::new("ann", d(1, 10), 30.0)?,
///     Transaction::new("ann", d(1, 10), 5.0)?, // same day: one purchase
///     Transaction::new("ann", d(2, 20), 20.0)?,
///     Transaction::new("bob", d(3, 5), 9.0)?, // after the date: left out
/// ];
/// let values = values_from_transactions(&log, d(3, 1))?;
/// assert_eq!(values.len(), 1);
/// let (customer, ann) = &values[0];
/// assert_eq!(customer, "ann");
/// // 20 Feb → 1 Mar is 9 days; two purchase days; 30 + 5 + 20 spent.
/// assert_eq!((ann.recency(), ann.frequency(), ann.monetary()), (9.0, 2, 55.0));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn values_from_transactions(
    transactions: &[Transaction],
    as_of: NaiveDate,
) -> Result<Vec<(String, RfmValues)>> {
    let mut rows: Vec<(&str, NaiveDate, f64)> = transactions
        .iter()
        .filter(|t| t.at() <= as_of)
        .map(|t| (t.customer(), t.at(), t.amount()))
        .collect();
    // Amounts are part of the order so the sums are the same whatever order
    // the transactions came in.
    rows.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)).then(a.2.total_cmp(&b.2)));
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let customer = rows[i].0;
        let mut days = 0u32;
        let mut total = 0.0;
        let mut last = rows[i].1;
        let mut j = i;
        while j < rows.len() && rows[j].0 == customer {
            if j == i || rows[j].1 != rows[j - 1].1 {
                days = days.saturating_add(1);
            }
            total += rows[j].2;
            last = rows[j].1;
            j += 1;
        }
        if !total.is_finite() {
            return Err(invalid_input(format_args!(
                "the amounts of customer {customer:?} add up beyond the range of f64"
            )));
        }
        let recency = (as_of - last).num_days() as f64;
        out.push((customer.to_owned(), RfmValues::new(recency, days, total)?));
        i = j;
    }
    Ok(out)
}

/// Returns the quintile scores of every customer of `values`, in the same
/// order: [`RfmScorer::fit`] on `values`, then [`RfmScorer::score`] on each.
///
/// The score of a customer depends on the population only, never on where
/// in `values` it stands (see the [module docs](self) for the rule).
///
/// # Errors
///
/// [`ErrorKind::InsufficientData`] when `values` is empty.
///
/// # Examples
///
/// ```
/// use custodia::insights::rfm::{score, RfmValues};
///
/// let values: Vec<RfmValues> = (1..=10)
///     .map(|i| RfmValues::new(f64::from(i), 1, f64::from(i) * 10.0))
///     .collect::<Result<_, _>>()?;
/// let scores = score(&values)?;
/// // Ten distinct spends, two per quintile.
/// let monetary: Vec<u8> = scores.iter().map(|s| s.monetary()).collect();
/// assert_eq!(monetary, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
/// // Everyone bought once: a tie of the whole population scores 3.
/// assert!(scores.iter().all(|s| s.frequency() == 3));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn score(values: &[RfmValues]) -> Result<Vec<RfmScore>> {
    let scorer = RfmScorer::fit(values)?;
    Ok(values.iter().map(|v| scorer.score(v)).collect())
}

/// Cut points for the three RFM dimensions, fitted on a population as
/// quintiles or given by the caller; scores customers without failing.
///
/// For each dimension the scorer keeps up to [`MAX_THRESHOLDS`] cut points:
/// the `i`-th (from 0) is the least good value that scores `i + 2`. A value
/// scores 1 plus the number of cut points it reaches; fewer than four cut
/// points leave the top scores unreached. Frequency and monetary cut points
/// are minimums (non-decreasing); recency cut points are the most days
/// since the last purchase that still reach the score (non-increasing).
///
/// # Serialisation
///
/// Under feature `serde`, the JSON shape is
/// `{"recency": [days…], "frequency": [purchases…], "monetary": [amounts…]}`,
/// checked on the way in as [`from_thresholds`](RfmScorer::from_thresholds)
/// checks.
///
/// # Examples
///
/// ```
/// use custodia::insights::rfm::{RfmScorer, RfmValues};
///
/// // Fixed cut points: within 90, 60, 30, 7 days; 2, 3, 5, 10 purchases;
/// // 50, 100, 500, 1000 spent.
/// let scorer = RfmScorer::from_thresholds(
///     &[90.0, 60.0, 30.0, 7.0],
///     &[2.0, 3.0, 5.0, 10.0],
///     &[50.0, 100.0, 500.0, 1000.0],
/// )?;
/// let s = scorer.score(&RfmValues::new(45.0, 1, 500.0)?);
/// assert_eq!((s.recency(), s.frequency(), s.monetary()), (3, 1, 4));
///
/// // Fit on one population, score another.
/// let last_year = [RfmValues::new(10.0, 4, 80.0)?, RfmValues::new(200.0, 1, 15.0)?];
/// let fitted = RfmScorer::fit(&last_year)?;
/// let s = fitted.score(&RfmValues::new(5.0, 9, 300.0)?);
/// assert_eq!(s.to_string(), "444"); // the best of two scores 4
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawScorer")
)]
pub struct RfmScorer {
    recency: Vec<f64>,
    frequency: Vec<f64>,
    monetary: Vec<f64>,
}

/// The unchecked JSON shape of an [`RfmScorer`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawScorer {
    recency: Vec<f64>,
    frequency: Vec<f64>,
    monetary: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawScorer> for RfmScorer {
    type Error = Error;
    fn try_from(raw: RawScorer) -> Result<RfmScorer> {
        RfmScorer::from_thresholds(&raw.recency, &raw.frequency, &raw.monetary)
    }
}

impl RfmScorer {
    /// Returns the quintile cut points of `values` (see the
    /// [module docs](self) for the rule and its tie handling).
    ///
    /// Sorts each dimension once: `O(n log n)`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsufficientData`] when `values` is empty.
    pub fn fit(values: &[RfmValues]) -> Result<RfmScorer> {
        if values.is_empty() {
            return Err(Error::new(
                ErrorKind::InsufficientData,
                "no customers to fit RFM quintiles on",
            ));
        }
        // Recency is fitted on its negation, so that larger is better in
        // every dimension; 0.0 - x keeps 0 as +0.
        let mut keys: Vec<f64> = values.iter().map(|v| 0.0 - v.recency).collect();
        let recency = quintile_cuts(&mut keys).iter().map(|k| 0.0 - k).collect();
        keys.clear();
        keys.extend(values.iter().map(|v| f64::from(v.frequency)));
        let frequency = quintile_cuts(&mut keys);
        keys.clear();
        keys.extend(values.iter().map(|v| v.monetary));
        let monetary = quintile_cuts(&mut keys);
        Ok(RfmScorer {
            recency,
            frequency,
            monetary,
        })
    }

    /// Returns a scorer with the caller's cut points: `recency[i]` is the
    /// most days since the last purchase that score `i + 2`,
    /// `frequency[i]` and `monetary[i]` the least purchases and spend that
    /// score `i + 2`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] when a dimension has more than
    /// [`MAX_THRESHOLDS`] cut points or one that is not finite, when a
    /// recency cut point is negative, or when recency cut points increase
    /// or frequency or monetary ones decrease.
    pub fn from_thresholds(
        recency: &[f64],
        frequency: &[f64],
        monetary: &[f64],
    ) -> Result<RfmScorer> {
        check_cuts("recency", recency, Better::Lower)?;
        check_cuts("frequency", frequency, Better::Higher)?;
        check_cuts("monetary", monetary, Better::Higher)?;
        if let Some(&d) = recency.iter().find(|&&d| d < 0.0) {
            return Err(invalid_parameter(format_args!(
                "recency threshold {d} is negative"
            )));
        }
        let norm = |c: &[f64]| c.iter().map(|x| x + 0.0).collect();
        Ok(RfmScorer {
            recency: norm(recency),
            frequency: norm(frequency),
            monetary: norm(monetary),
        })
    }

    /// Returns the recency cut points, in days since the last purchase
    /// (non-increasing; the `i`-th is the most that scores `i + 2`).
    pub fn recency_thresholds(&self) -> &[f64] {
        &self.recency
    }

    /// Returns the frequency cut points (non-decreasing; the `i`-th is the
    /// fewest purchases that score `i + 2`).
    pub fn frequency_thresholds(&self) -> &[f64] {
        &self.frequency
    }

    /// Returns the monetary cut points (non-decreasing; the `i`-th is the
    /// least spend that scores `i + 2`).
    pub fn monetary_thresholds(&self) -> &[f64] {
        &self.monetary
    }

    /// Returns the scores of one customer.
    pub fn score(&self, values: &RfmValues) -> RfmScore {
        let reached = |cuts: &[f64], ok: &dyn Fn(f64) -> bool| -> u8 {
            // At most MAX_THRESHOLDS (4) cut points, so this fits in u8.
            1 + cuts.iter().take_while(|&&c| ok(c)).count() as u8
        };
        let frequency = f64::from(values.frequency);
        RfmScore {
            recency: reached(&self.recency, &|c| values.recency <= c),
            frequency: reached(&self.frequency, &|c| frequency >= c),
            monetary: reached(&self.monetary, &|c| values.monetary >= c),
        }
    }
}

/// Which way a dimension improves.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
}

fn check_cuts(name: &str, cuts: &[f64], better: Better) -> Result<()> {
    if cuts.len() > MAX_THRESHOLDS {
        return Err(invalid_parameter(format_args!(
            "{name} has {} thresholds; at most {MAX_THRESHOLDS} (for scores 2 to 5)",
            cuts.len()
        )));
    }
    if let Some(x) = cuts.iter().find(|x| !x.is_finite()) {
        return Err(invalid_parameter(format_args!(
            "{name} threshold {x} is not finite"
        )));
    }
    for pair in cuts.windows(2) {
        let ordered = match better {
            Better::Higher => pair[0] <= pair[1],
            Better::Lower => pair[0] >= pair[1],
        };
        if !ordered {
            let order = match better {
                Better::Higher => "must not decrease",
                Better::Lower => "must not increase",
            };
            return Err(invalid_parameter(format_args!(
                "{name} thresholds {} then {} are out of order; they {order}",
                pair[0], pair[1]
            )));
        }
    }
    Ok(())
}

/// Returns the mid-rank quintile score of a group of `equal` values with
/// `below` worse values, in a population of `n`: `1 + ⌊5(2·below +
/// equal) / 2n⌋`, in integers (exact for any population that fits in
/// memory).
fn mid_rank_score(below: usize, equal: usize, n: usize) -> u8 {
    let (below, equal, n) = (below as u128, equal as u128, n as u128);
    // below + equal ≤ n, so 2·below + equal < 2n and the quotient is < 5.
    1 + (5 * (2 * below + equal) / (2 * n)) as u8
}

/// Sorts `keys` (finite, larger is better) and returns the least key that
/// reaches each score from 2 up to the highest reached.
fn quintile_cuts(keys: &mut [f64]) -> Vec<f64> {
    keys.sort_unstable_by(f64::total_cmp);
    let n = keys.len();
    let mut cuts = Vec::with_capacity(MAX_THRESHOLDS);
    let mut i = 0;
    while i < n {
        let key = keys[i];
        let equal = keys[i..].partition_point(|&k| k == key);
        let score = usize::from(mid_rank_score(i, equal, n));
        while cuts.len() + 1 < score {
            cuts.push(key);
        }
        i += equal;
    }
    cuts
}

/// A customer's recency, frequency and monetary scores, each from 1 (worst)
/// to 5 (best).
///
/// `Display` writes the RFM cell, such as `435`. Under feature `serde` the
/// JSON shape is `{"recency": 4, "frequency": 3, "monetary": 5}`.
///
/// # Examples
///
/// ```
/// use custodia::insights::rfm::{RfmScore, RfmSegment};
///
/// let s = RfmScore::new(2, 4, 5)?;
/// assert_eq!(s.fm(), 5); // (4 + 5) / 2, rounded up
/// assert_eq!(s.cell(), 245);
/// assert_eq!(s.segment(), RfmSegment::CantLoseThem);
/// assert!(RfmScore::new(0, 4, 5).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawScore")
)]
pub struct RfmScore {
    recency: u8,
    frequency: u8,
    monetary: u8,
}

/// The unchecked JSON shape of an [`RfmScore`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawScore {
    recency: u8,
    frequency: u8,
    monetary: u8,
}

#[cfg(feature = "serde")]
impl TryFrom<RawScore> for RfmScore {
    type Error = Error;
    fn try_from(raw: RawScore) -> Result<RfmScore> {
        RfmScore::new(raw.recency, raw.frequency, raw.monetary)
    }
}

impl RfmScore {
    /// Returns the score with these recency, frequency and monetary scores.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when a score is outside 1..=5.
    pub fn new(recency: u8, frequency: u8, monetary: u8) -> Result<RfmScore> {
        for (name, s) in [
            ("recency", recency),
            ("frequency", frequency),
            ("monetary", monetary),
        ] {
            if !(1..=5).contains(&s) {
                return Err(invalid_input(format_args!(
                    "{name} score {s} is outside 1..=5"
                )));
            }
        }
        Ok(RfmScore {
            recency,
            frequency,
            monetary,
        })
    }

    /// Returns the recency score, 5 for the most recent buyers.
    pub fn recency(&self) -> u8 {
        self.recency
    }

    /// Returns the frequency score, 5 for the most frequent buyers.
    pub fn frequency(&self) -> u8 {
        self.frequency
    }

    /// Returns the monetary score, 5 for the biggest spenders.
    pub fn monetary(&self) -> u8 {
        self.monetary
    }

    /// Returns the combined frequency-monetary score: the mean of the two,
    /// halves rounded up, `⌊(F + M + 1) / 2⌋`, from 1 to 5.
    pub fn fm(&self) -> u8 {
        (self.frequency + self.monetary).div_ceil(2)
    }

    /// Returns the RFM cell code `100·R + 10·F + M`, from 111 to 555.
    pub fn cell(&self) -> u16 {
        100 * u16::from(self.recency) + 10 * u16::from(self.frequency) + u16::from(self.monetary)
    }

    /// Returns the named segment of the score on the R × FM grid (see the
    /// [module docs](self) for the table).
    pub fn segment(&self) -> RfmSegment {
        // Scores are in 1..=5 (checked on construction), and so is FM.
        GRID[usize::from(5 - self.recency)][usize::from(self.fm() - 1)]
    }
}

/// The R × FM grid of the module docs: rows R = 5 down to 1, columns FM = 1
/// to 5.
const GRID: [[RfmSegment; 5]; 5] = {
    use RfmSegment::*;
    [
        [
            New,
            PotentialLoyalist,
            PotentialLoyalist,
            Champions,
            Champions,
        ],
        [
            Promising,
            PotentialLoyalist,
            PotentialLoyalist,
            Loyal,
            Loyal,
        ],
        [AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal],
        [Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem],
        [Lost, Lost, AtRisk, AtRisk, CantLoseThem],
    ]
};

impl fmt::Display for RfmScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.recency, self.frequency, self.monetary)
    }
}

/// A named group of customers on the R × FM grid (see the [module
/// docs](self) for the table).
///
/// `Display` and `FromStr` use the snake_case names (`at_risk`,
/// `cant_lose_them`), which are also the serde names and the values of the
/// `rfm.segment` field.
///
/// # Examples
///
/// ```
/// use custodia::insights::rfm::RfmSegment;
///
/// let s: RfmSegment = "at_risk".parse()?;
/// assert_eq!(s, RfmSegment::AtRisk);
/// assert_eq!(RfmSegment::CantLoseThem.to_string(), "cant_lose_them");
/// assert!("At Risk".parse::<RfmSegment>().is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum RfmSegment {
    /// Bought recently, often and for a lot: R 5, FM 4–5.
    Champions,
    /// Buy often and for a lot, fairly recently: R 3–4, FM 4–5.
    Loyal,
    /// Recent buyers of average frequency and spend: R 4–5, FM 2–3.
    PotentialLoyalist,
    /// Bought very recently, little so far: R 5, FM 1.
    New,
    /// Bought recently, little so far: R 4, FM 1.
    Promising,
    /// Average on every count: R 3, FM 3.
    NeedAttention,
    /// Average recency, little bought: R 3, FM 1–2.
    AboutToSleep,
    /// Bought often or much, but long ago: R 1–2, FM 3–4.
    AtRisk,
    /// Among the best buyers once, but long ago: R 1–2, FM 5.
    CantLoseThem,
    /// Long ago and little: R 2, FM 1–2.
    Hibernating,
    /// Longest ago and least: R 1, FM 1–2.
    Lost,
}

const SEGMENTS: [RfmSegment; 11] = [
    RfmSegment::Champions,
    RfmSegment::Loyal,
    RfmSegment::PotentialLoyalist,
    RfmSegment::New,
    RfmSegment::Promising,
    RfmSegment::NeedAttention,
    RfmSegment::AboutToSleep,
    RfmSegment::AtRisk,
    RfmSegment::CantLoseThem,
    RfmSegment::Hibernating,
    RfmSegment::Lost,
];

impl RfmSegment {
    /// Returns every segment, best first (the order of the declaration).
    pub fn all() -> &'static [RfmSegment] {
        &SEGMENTS
    }

    /// Returns the snake_case name, such as `at_risk`.
    pub fn as_str(self) -> &'static str {
        match self {
            RfmSegment::Champions => "champions",
            RfmSegment::Loyal => "loyal",
            RfmSegment::PotentialLoyalist => "potential_loyalist",
            RfmSegment::New => "new",
            RfmSegment::Promising => "promising",
            RfmSegment::NeedAttention => "need_attention",
            RfmSegment::AboutToSleep => "about_to_sleep",
            RfmSegment::AtRisk => "at_risk",
            RfmSegment::CantLoseThem => "cant_lose_them",
            RfmSegment::Hibernating => "hibernating",
            RfmSegment::Lost => "lost",
        }
    }
}

impl fmt::Display for RfmSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for RfmSegment {
    type Err = Error;

    /// Parses a snake_case segment name.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for any other text.
    fn from_str(s: &str) -> Result<RfmSegment> {
        SEGMENTS
            .iter()
            .copied()
            .find(|seg| seg.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = SEGMENTS.iter().map(|s| s.as_str()).collect();
                // Long input is cut in the message; it is an unknown name anyway.
                let shown: String = s.chars().take(64).collect();
                invalid_input(format_args!(
                    "unknown RFM segment {shown:?}; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// The fields [`RfmFields`] adds: path, type, meaning.
const FIELDS: &[(&str, FieldType, &str)] = &[
    ("rfm.recency", FieldType::Int, "RFM recency score, 1 to 5"),
    (
        "rfm.frequency",
        FieldType::Int,
        "RFM frequency score, 1 to 5",
    ),
    ("rfm.monetary", FieldType::Int, "RFM monetary score, 1 to 5"),
    (
        "rfm.fm",
        FieldType::Int,
        "RFM combined frequency-monetary score, 1 to 5",
    ),
    (
        "rfm.score",
        FieldType::Int,
        "RFM cell code 100·R + 10·F + M, 111 to 555",
    ),
    (
        "rfm.segment",
        FieldType::Text,
        "RFM segment name, such as at_risk",
    ),
];

/// Returns `base` with the fields of [`RfmFields`] added (`rfm.recency`,
/// `rfm.frequency`, `rfm.monetary`, `rfm.fm`, `rfm.score` as integers and
/// `rfm.segment` as text, each single-valued), to compile segments that read
/// them.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`] when `base` already declares one of them.
///
/// # Examples
///
/// ```
/// use custodia::insights::rfm::extend_schema;
/// use custodia::model::{FieldPath, SourceRecord};
///
/// let schema = extend_schema(SourceRecord::schema())?;
/// assert!(schema.field(&FieldPath::new("rfm.segment")?).is_some());
/// assert!(schema.field(&FieldPath::new("geographic.country")?).is_some());
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn extend_schema(base: &Schema) -> Result<Schema> {
    let mut b = base.to_builder();
    for &(path, ty, doc) in FIELDS {
        b = b.field(path, ty, Cardinality::One, doc)?;
    }
    Ok(b.build())
}

/// A profile (or any [`FieldAccess`]) together with its RFM score, read by
/// segment expressions as the fields `rfm.recency`, `rfm.frequency`,
/// `rfm.monetary`, `rfm.fm`, `rfm.score` and `rfm.segment` next to the
/// profile's own.
///
/// Those six paths always come from the score, hiding any field of the same
/// path in the profile; every other path and every event comes from the
/// profile. Compile against [`extend_schema`] of the profile's schema. A
/// customer without a score is evaluated on the profile alone, where the
/// `rfm.*` fields are missing.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::rfm::{extend_schema, RfmFields, RfmScore};
/// use custodia::model::SourceRecord;
/// use custodia::Segment;
///
/// let schema = extend_schema(SourceRecord::schema())?;
/// let segment = Segment::parse("rfm.segment = \"at_risk\" and rfm.monetary >= 4")?
///     .compile(&schema)?;
///
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// let record = SourceRecord::builder("crm-1", "crm", now)?.build()?;
/// let at_risk = RfmScore::new(2, 3, 4)?; // FM 4 at R 2
/// assert!(segment.matches_at(&RfmFields::new(&record, at_risk), now));
/// let champion = RfmScore::new(5, 5, 5)?;
/// assert!(!segment.matches_at(&RfmFields::new(&record, champion), now));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Debug)]
pub struct RfmFields<'a, A: ?Sized> {
    base: &'a A,
    score: RfmScore,
}

impl<'a, A: FieldAccess + ?Sized> RfmFields<'a, A> {
    /// Wraps `base` with its `score`.
    pub fn new(base: &'a A, score: RfmScore) -> RfmFields<'a, A> {
        RfmFields { base, score }
    }

    /// Returns the wrapped profile.
    pub fn base(&self) -> &'a A {
        self.base
    }

    /// Returns the score.
    pub fn score(&self) -> RfmScore {
        self.score
    }

    /// Returns the value of an `rfm.*` field, or `None` for any other path.
    fn own(&self, path: &FieldPath) -> Option<Value<'static>> {
        if path.first() != "rfm" {
            return None;
        }
        let s = &self.score;
        Some(match path.rest()? {
            "recency" => Value::Int(i64::from(s.recency)),
            "frequency" => Value::Int(i64::from(s.frequency)),
            "monetary" => Value::Int(i64::from(s.monetary)),
            "fm" => Value::Int(i64::from(s.fm())),
            "score" => Value::Int(i64::from(s.cell())),
            "segment" => Value::Text(s.segment().as_str()),
            _ => return None,
        })
    }
}

impl<A: FieldAccess + ?Sized> FieldAccess for RfmFields<'_, A> {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        match self.own(path) {
            Some(v) => visit(v),
            None => self.base.visit(path, visit),
        }
    }

    fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
        self.base.visit_events(visit);
    }

    fn visit_events_matching<'s>(
        &'s self,
        query: &EventQuery<'_>,
        visit: &mut dyn FnMut(&'s dyn EventAccess),
    ) {
        self.base.visit_events_matching(query, visit);
    }

    fn first<'s>(&'s self, path: &FieldPath) -> Option<Value<'s>> {
        match self.own(path) {
            Some(v) => Some(v),
            None => self.base.first(path),
        }
    }
}

#[cold]
fn invalid_input(message: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

#[cold]
fn invalid_parameter(message: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidParameter, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(recency: f64, frequency: u32, monetary: f64) -> RfmValues {
        RfmValues::new(recency, frequency, monetary).unwrap()
    }

    /// The mid-rank score of `x` among `all`, straight from the definition
    /// (O(n) per value), for checking the sorted implementation.
    fn direct(all: &[f64], x: f64) -> u8 {
        let below = all.iter().filter(|&&y| y < x).count();
        let equal = all.iter().filter(|&&y| y == x).count();
        mid_rank_score(below, equal, all.len())
    }

    fn rfm(s: RfmScore) -> (u8, u8, u8) {
        (s.recency(), s.frequency(), s.monetary())
    }

    #[test]
    fn ten_distinct_values_fill_each_quintile_twice() {
        // Position p (0-based) of 10 scores 1 + ⌊5(2p + 1) / 20⌋:
        // p = 0: 5/20 → 1, 1: 15/20 → 1, 2: 25/20 → 2, 3: 35/20 → 2,
        // 4: 45/20 → 3, 5: 55/20 → 3, 6: 65/20 → 4, 7: 75/20 → 4,
        // 8: 85/20 → 5, 9: 95/20 → 5.
        let values: Vec<_> = (0..10)
            .map(|p| v(f64::from(100 - 10 * p), 1, f64::from(10 * (p + 1))))
            .collect();
        let scores = score(&values).unwrap();
        let m: Vec<u8> = scores.iter().map(|s| s.monetary()).collect();
        assert_eq!(m, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Recency falls as spend rises here: fewer days score higher.
        let r: Vec<u8> = scores.iter().map(|s| s.recency()).collect();
        assert_eq!(r, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ties_take_the_score_of_their_middle() {
        // Frequencies 1×6, 2×2, 3, 7 (n = 10):
        // 1: below 0, equal 6: ⌊5(0 + 6) / 20⌋ = ⌊1.5⌋ = 1 → 2;
        // 2: below 6, equal 2: ⌊5(12 + 2) / 20⌋ = ⌊3.5⌋ = 3 → 4;
        // 3: below 8, equal 1: ⌊5 · 17 / 20⌋ = ⌊4.25⌋ = 4 → 5;
        // 7: below 9, equal 1: ⌊5 · 19 / 20⌋ = 4 → 5.
        let freq = [1, 1, 1, 1, 1, 1, 2, 2, 3, 7];
        let values: Vec<_> = freq.iter().map(|&f| v(1.0, f, 1.0)).collect();
        let scorer = RfmScorer::fit(&values).unwrap();
        // Cuts: score 2 from 1; scores 3 and 4 from 2; score 5 from 3.
        assert_eq!(scorer.frequency_thresholds(), [1.0, 2.0, 2.0, 3.0]);
        let f: Vec<u8> = values.iter().map(|x| scorer.score(x).frequency()).collect();
        assert_eq!(f, [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]);
        // One equal value throughout: everyone 3.
        assert_eq!(scorer.recency_thresholds(), [1.0, 1.0]);
        assert!(values.iter().all(|x| rfm(scorer.score(x)).0 == 3));
    }

    #[test]
    fn recency_counts_fewer_days_as_better() {
        // Days 0, 5, 5, 30, 90 (n = 5), worst first: 90, 30, 5, 5, 0.
        // 90: ⌊5 · 1 / 10⌋ = 0 → 1; 30: ⌊5 · 3 / 10⌋ = 1 → 2;
        // 5 (below 2, equal 2): ⌊5 · 6 / 10⌋ = 3 → 4; 0: ⌊5 · 9 / 10⌋ = 4 → 5.
        let values: Vec<_> = [0.0, 5.0, 5.0, 30.0, 90.0]
            .iter()
            .map(|&d| v(d, 1, 1.0))
            .collect();
        let scorer = RfmScorer::fit(&values).unwrap();
        assert_eq!(scorer.recency_thresholds(), [30.0, 5.0, 5.0, 0.0]);
        let r: Vec<u8> = values.iter().map(|x| scorer.score(x).recency()).collect();
        assert_eq!(r, [5, 4, 4, 2, 1]);
        // A value between fitted ones takes the worse one's score.
        assert_eq!(scorer.score(&v(20.0, 1, 1.0)).recency(), 2);
        assert_eq!(scorer.score(&v(1000.0, 1, 1.0)).recency(), 1);
        // The zero cut point is +0 (no -0 from the negation).
        assert!(scorer.recency_thresholds()[3].is_sign_positive());
    }

    #[test]
    fn small_populations_spread_around_the_middle() {
        // n = 1: ⌊5 · 1 / 2⌋ = 2 → 3.
        // n = 2: ⌊5 / 4⌋ = 1 → 2, ⌊15 / 4⌋ = 3 → 4.
        // n = 3: ⌊5 / 6⌋ = 0 → 1, ⌊15 / 6⌋ = 2 → 3, ⌊25 / 6⌋ = 4 → 5.
        // n = 4: ⌊5 / 8⌋ = 0 → 1, ⌊15 / 8⌋ = 1 → 2, ⌊25 / 8⌋ = 3 → 4,
        //        ⌊35 / 8⌋ = 4 → 5.
        let expect: [&[u8]; 4] = [&[3], &[2, 4], &[1, 3, 5], &[1, 2, 4, 5]];
        for (i, want) in expect.iter().enumerate() {
            let values: Vec<_> = (0..=i).map(|k| v(1.0, 1, k as f64)).collect();
            let got: Vec<u8> = score(&values)
                .unwrap()
                .iter()
                .map(|s| s.monetary())
                .collect();
            assert_eq!(&got, want, "n = {}", i + 1);
        }
    }

    #[test]
    fn empty_population_is_insufficient() {
        let err = RfmScorer::fit(&[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InsufficientData);
        assert_eq!(score(&[]).unwrap_err().kind(), ErrorKind::InsufficientData);
    }

    #[test]
    fn values_are_checked() {
        for (r, f, m) in [
            (-1.0, 1, 0.0),
            (f64::NAN, 1, 0.0),
            (f64::INFINITY, 1, 0.0),
            (0.0, 0, 0.0),
            (0.0, 1, f64::NAN),
            (0.0, 1, f64::NEG_INFINITY),
        ] {
            let err = RfmValues::new(r, f, m).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{r} {f} {m}");
        }
        // Refunds may leave a negative spend.
        assert_eq!(v(0.0, 1, -5.0).monetary(), -5.0);
        // -0 is stored as +0.
        assert!(v(-0.0, 1, -0.0).recency().is_sign_positive());
        assert!(v(-0.0, 1, -0.0).monetary().is_sign_positive());
    }

    #[test]
    fn thresholds_are_checked() {
        let ok = RfmScorer::from_thresholds(&[90.0, 30.0], &[2.0], &[]).unwrap();
        // Two recency cuts: scores 1..=3 only; no monetary cut: all 1.
        assert_eq!(rfm(ok.score(&v(10.0, 5, 1e9))), (3, 2, 1));
        assert_eq!(rfm(ok.score(&v(90.0, 1, 0.0))), (2, 1, 1));
        assert_eq!(rfm(ok.score(&v(90.5, 1, 0.0))), (1, 1, 1));
        let bad: [(&[f64], &[f64], &[f64]); 5] = [
            (&[30.0, 90.0], &[], &[]),
            (&[], &[3.0, 2.0], &[]),
            (&[], &[], &[1.0, 2.0, 3.0, 4.0, 5.0]),
            (&[], &[], &[f64::NAN]),
            (&[-1.0], &[], &[]),
        ];
        for (r, f, m) in bad {
            let err = RfmScorer::from_thresholds(r, f, m).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{r:?} {f:?} {m:?}");
        }
        let err = RfmScorer::from_thresholds(&[30.0, 90.0], &[], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "recency thresholds 30 then 90 are out of order; they must not increase"
        );
    }

    #[test]
    fn segment_grid_follows_the_table() {
        // Rows R = 5 down to 1, columns FM = 1 to 5, as in the module docs.
        use RfmSegment::*;
        let table = [
            [
                New,
                PotentialLoyalist,
                PotentialLoyalist,
                Champions,
                Champions,
            ],
            [
                Promising,
                PotentialLoyalist,
                PotentialLoyalist,
                Loyal,
                Loyal,
            ],
            [AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal],
            [Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem],
            [Lost, Lost, AtRisk, AtRisk, CantLoseThem],
        ];
        for (row, segments) in table.iter().enumerate() {
            let r = 5 - row as u8;
            for (col, &want) in segments.iter().enumerate() {
                let fm = col as u8 + 1;
                // F = M = fm gives FM = fm.
                let s = RfmScore::new(r, fm, fm).unwrap();
                assert_eq!(s.fm(), fm);
                assert_eq!(s.segment(), want, "R {r} FM {fm}");
            }
        }
        // Every segment appears in the grid.
        for seg in RfmSegment::all() {
            assert!(table.iter().flatten().any(|s| s == seg), "{seg}");
        }
        // FM rounds halves up: F 1, M 2 → 2.
        assert_eq!(RfmScore::new(5, 1, 2).unwrap().fm(), 2);
        assert_eq!(RfmScore::new(5, 4, 5).unwrap().fm(), 5);
    }

    #[test]
    fn segment_names_round_trip() {
        for &seg in RfmSegment::all() {
            assert_eq!(seg.to_string().parse::<RfmSegment>().unwrap(), seg);
        }
        let err = "champion".parse::<RfmSegment>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err
            .to_string()
            .starts_with("unknown RFM segment \"champion\""));
        let long = "x".repeat(100_000);
        assert!(long.parse::<RfmSegment>().unwrap_err().to_string().len() < 400);
    }

    #[test]
    fn transactions_give_days_purchases_and_spend() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let log = [
            Transaction::new("b", d(2, 1), 10.0).unwrap(),
            Transaction::new("a", d(1, 1), 7.5).unwrap(),
            Transaction::new("a", d(1, 1), 2.5).unwrap(),
            Transaction::new("a", d(1, 31), -4.0).unwrap(),
            Transaction::new("c", d(4, 1), 1.0).unwrap(),
        ];
        let out = values_from_transactions(&log, d(3, 1)).unwrap();
        let keys: Vec<&str> = out.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        // a: last purchase 31 Jan, 29 days to 1 Mar; 2 days; 7.5 + 2.5 − 4.
        assert_eq!(out[0].1, v(29.0, 2, 6.0));
        // b: 1 Feb → 1 Mar is 28 days; one purchase of 10.
        assert_eq!(out[1].1, v(28.0, 1, 10.0));
        let huge = [
            Transaction::new("a", d(1, 1), f64::MAX).unwrap(),
            Transaction::new("a", d(1, 2), f64::MAX).unwrap(),
        ];
        let err = values_from_transactions(&huge, d(3, 1)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn summaries_and_transactions_agree_on_recency_and_frequency() {
        use crate::clv::{summarize, Period};
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let log = [
            Transaction::new("a", d(1, 1), 7.5).unwrap(),
            Transaction::new("a", d(1, 1), 2.5).unwrap(),
            Transaction::new("a", d(1, 20), 4.0).unwrap(),
            Transaction::new("b", d(2, 10), 3.0).unwrap(),
        ];
        let from_log = values_from_transactions(&log, d(3, 1)).unwrap();
        let from_summary = summarize(&log, Period::Day, d(3, 1)).unwrap();
        for ((c, a), s) in from_log.iter().zip(&from_summary) {
            assert_eq!(c, s.customer());
            let b = RfmValues::from_summary(s.summary());
            assert_eq!((a.recency(), a.frequency()), (b.recency(), b.frequency()));
        }
    }

    #[test]
    fn fields_read_the_score_and_fall_through() {
        struct Plain;
        impl FieldAccess for Plain {
            fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
                match path.as_str() {
                    "plan" => visit(Value::Text("pro")),
                    "rfm.recency" => visit(Value::Int(99)),
                    "rfm.other" => visit(Value::Int(7)),
                    _ => {}
                }
            }
        }
        let s = RfmScore::new(2, 3, 4).unwrap();
        let w = RfmFields::new(&Plain, s);
        let p = |x: &str| FieldPath::new(x).unwrap();
        assert_eq!(w.first(&p("rfm.recency")), Some(Value::Int(2)));
        assert_eq!(w.first(&p("rfm.fm")), Some(Value::Int(4)));
        assert_eq!(w.first(&p("rfm.score")), Some(Value::Int(234)));
        assert_eq!(w.first(&p("rfm.segment")), Some(Value::Text("at_risk")));
        assert_eq!(w.first(&p("rfm.other")), Some(Value::Int(7)));
        assert_eq!(w.first(&p("plan")), Some(Value::Text("pro")));
        assert_eq!(w.first(&p("rfm")), None);
        let mut seen = Vec::new();
        w.visit(&p("rfm.monetary"), &mut |v| seen.push(v));
        assert_eq!(seen, [Value::Int(4)]);
        // Every declared field is read.
        for (path, ty, _) in FIELDS {
            assert_eq!(
                w.first(&p(path)).map(|v| v.field_type()),
                Some(*ty),
                "{path}"
            );
        }
    }

    #[test]
    fn schema_extension_refuses_a_second_rfm() {
        let once = extend_schema(&Schema::default()).unwrap();
        assert_eq!(once.fields().len(), FIELDS.len());
        let err = extend_schema(&once).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    }

    fn values() -> impl Strategy<Value = RfmValues> {
        // Small ranges make ties common; wide ones reach the extremes.
        let recency = prop_oneof![(0..20u32).prop_map(f64::from), 0.0..1e12];
        let frequency = prop_oneof![1..6u32, any::<u32>().prop_map(|f| f.max(1))];
        let monetary = prop_oneof![
            (-3..20i32).prop_map(f64::from),
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
        ];
        (recency, frequency, monetary).prop_map(|(r, f, m)| v(r, f, m))
    }

    proptest! {
        #[test]
        fn scores_are_the_mid_rank_quintiles(pop in prop::collection::vec(values(), 1..60)) {
            let scores = score(&pop).unwrap();
            let r: Vec<f64> = pop.iter().map(|x| 0.0 - x.recency()).collect();
            let f: Vec<f64> = pop.iter().map(|x| f64::from(x.frequency())).collect();
            let m: Vec<f64> = pop.iter().map(|x| x.monetary()).collect();
            for (i, s) in scores.iter().enumerate() {
                prop_assert!((1..=5).contains(&s.recency()));
                prop_assert!((1..=5).contains(&s.frequency()));
                prop_assert!((1..=5).contains(&s.monetary()));
                prop_assert_eq!(s.recency(), direct(&r, r[i]));
                prop_assert_eq!(s.frequency(), direct(&f, f[i]));
                prop_assert_eq!(s.monetary(), direct(&m, m[i]));
            }
        }

        #[test]
        fn scores_do_not_depend_on_order(
            pop in prop::collection::vec(values(), 1..60),
            seed in any::<u64>(),
        ) {
            let mut shuffled: Vec<(usize, RfmValues)> = pop.iter().copied().enumerate().collect();
            // A seeded shuffle: sort by a hash of the index.
            shuffled.sort_by_key(|(i, _)| (*i as u64 ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let values: Vec<RfmValues> = shuffled.iter().map(|(_, x)| *x).collect();
            let a = score(&pop).unwrap();
            let b = score(&values).unwrap();
            for (k, (i, _)) in shuffled.iter().enumerate() {
                prop_assert_eq!(a[*i], b[k]);
            }
            prop_assert_eq!(RfmScorer::fit(&pop).unwrap(), RfmScorer::fit(&values).unwrap());
        }

        #[test]
        fn better_values_never_score_lower(
            pop in prop::collection::vec(values(), 1..40),
            probe in values(),
            dr in 0.0..1e6f64,
            df in 0..1000u32,
            dm in 0.0..1e6f64,
        ) {
            let scorer = RfmScorer::fit(&pop).unwrap();
            let better = v(
                (probe.recency() - dr).max(0.0),
                probe.frequency().saturating_add(df),
                (probe.monetary() + dm).min(f64::MAX),
            );
            let (a, b) = (scorer.score(&probe), scorer.score(&better));
            prop_assert!(b.recency() >= a.recency());
            prop_assert!(b.frequency() >= a.frequency());
            prop_assert!(b.monetary() >= a.monetary());
            // Within the population too.
            let s = score(&pop).unwrap();
            for (x, sx) in pop.iter().zip(&s) {
                for (y, sy) in pop.iter().zip(&s) {
                    if x.monetary() > y.monetary() {
                        prop_assert!(sx.monetary() >= sy.monetary());
                    }
                    if x.recency() < y.recency() {
                        prop_assert!(sx.recency() >= sy.recency());
                    }
                    if x.frequency() > y.frequency() {
                        prop_assert!(sx.frequency() >= sy.frequency());
                    }
                }
            }
        }

        #[test]
        fn thresholds_never_panic(
            r in prop::collection::vec(any::<f64>(), 0..6),
            f in prop::collection::vec(any::<f64>(), 0..6),
            m in prop::collection::vec(any::<f64>(), 0..6),
            probe in values(),
        ) {
            if let Ok(scorer) = RfmScorer::from_thresholds(&r, &f, &m) {
                let s = scorer.score(&probe);
                prop_assert!((1..=5).contains(&s.recency()));
                prop_assert!((1..=5).contains(&s.frequency()));
                prop_assert!((1..=5).contains(&s.monetary()));
            }
        }

        #[test]
        fn fitted_thresholds_round_trip(pop in prop::collection::vec(values(), 1..40)) {
            let fitted = RfmScorer::fit(&pop).unwrap();
            let again = RfmScorer::from_thresholds(
                fitted.recency_thresholds(),
                fitted.frequency_thresholds(),
                fitted.monetary_thresholds(),
            ).unwrap();
            prop_assert_eq!(fitted, again);
        }

        #[test]
        fn every_score_has_one_segment(r in 1..=5u8, f in 1..=5u8, m in 1..=5u8) {
            let s = RfmScore::new(r, f, m).unwrap();
            let seg = s.segment();
            prop_assert!(RfmSegment::all().contains(&seg));
            prop_assert_eq!(s.to_string(), format!("{r}{f}{m}"));
            prop_assert_eq!(u16::from(r) * 100 + u16::from(f) * 10 + u16::from(m), s.cell());
        }
    }
}
