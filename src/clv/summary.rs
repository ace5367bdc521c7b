//! Per-customer RFM summaries and their construction from transactions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{Datelike, NaiveDate};

use super::error::ClvError;
use crate::error::Result;

/// One customer's purchase history reduced to what the buy-till-you-die
/// models use.
///
/// Times are in *periods* (the unit the summary was built with: days, weeks,
/// months, or opportunities for discrete-time models), measured from the
/// customer's first purchase.
///
/// | field | symbol | meaning |
/// |---|---|---|
/// | [`frequency`](RfmSummary::frequency) | `x` | number of repeat purchases (purchases after the first) |
/// | [`recency`](RfmSummary::recency) | `t_x` | time of the last repeat purchase (0 when there is none) |
/// | [`age`](RfmSummary::age) | `T` | time from the first purchase to the end of observation |
/// | [`monetary`](RfmSummary::monetary) | `z̄` | mean value of the repeat purchases (0 when there is none) |
///
/// # Examples
///
/// ```
/// use custodia::clv::RfmSummary;
///
/// let s = RfmSummary::new(2, 30.43, 38.86)?.with_monetary(22.35)?;
/// assert_eq!(s.frequency(), 2);
/// assert!(RfmSummary::new(1, 40.0, 38.0).is_err()); // recency after age
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RfmSummary {
    frequency: u32,
    recency: f64,
    age: f64,
    monetary: f64,
}

impl RfmSummary {
    /// Returns the summary of a customer with `frequency` repeat purchases, the
    /// last at `recency`, observed for `age` periods; its monetary value is 0.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// `recency` or `age` is negative or not finite, or `recency > age`.
    pub fn new(frequency: u32, recency: f64, age: f64) -> Result<RfmSummary> {
        check_time("recency", recency)?;
        check_time("age", age)?;
        if recency > age {
            return Err(ClvError::RecencyAfterAge { recency, age }.into());
        }
        Ok(RfmSummary {
            frequency,
            recency,
            age,
            monetary: 0.0,
        })
    }

    /// Returns the summary with `monetary` as the mean value of the repeat purchases.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// `monetary` is negative or not finite.
    pub fn with_monetary(self, monetary: f64) -> Result<RfmSummary> {
        check_time("monetary value", monetary)?;
        Ok(RfmSummary { monetary, ..self })
    }

    /// Returns the number of repeat purchases `x`.
    pub fn frequency(&self) -> u32 {
        self.frequency
    }

    /// Returns the time of the last repeat purchase `t_x`, in periods since the first purchase.
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// Returns the customer's age `T`: periods from the first purchase to the end of observation.
    pub fn age(&self) -> f64 {
        self.age
    }

    /// Returns the mean value of the repeat purchases, in the currency of the data.
    pub fn monetary(&self) -> f64 {
        self.monetary
    }

    /// Returns the summary observed `extra` periods longer with no purchase in them.
    pub(crate) fn extended(&self, extra: f64) -> RfmSummary {
        RfmSummary {
            age: self.age + extra,
            ..*self
        }
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for RfmSummary {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            frequency: u32,
            recency: f64,
            age: f64,
            #[serde(default)]
            monetary: f64,
        }
        let raw = Raw::deserialize(d)?;
        RfmSummary::new(raw.frequency, raw.recency, raw.age)
            .and_then(|s| s.with_monetary(raw.monetary))
            .map_err(serde::de::Error::custom)
    }
}

fn check_time(field: &'static str, value: f64) -> Result<()> {
    if !value.is_finite() {
        return Err(ClvError::NonFinite { field, value }.into());
    }
    if value < 0.0 {
        return Err(ClvError::Negative { field, value }.into());
    }
    Ok(())
}

/// A set of customer summaries, each with a weight (the number of customers
/// it stands for), the data the estimators fit.
///
/// Data sets such as the BG/BB donations table ship as weighted patterns;
/// [`push_weighted`](Summaries::push_weighted) takes them as they are.
///
/// # Examples
///
/// ```
/// use custodia::clv::{RfmSummary, Summaries};
///
/// let mut data = Summaries::new();
/// data.push(RfmSummary::new(0, 0.0, 38.86)?);
/// data.push_weighted(RfmSummary::new(1, 1.71, 38.86)?, 3)?;
/// assert_eq!(data.len(), 2);
/// assert_eq!(data.customers(), 4);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summaries {
    rows: Vec<(RfmSummary, u64)>,
    customers: u64,
}

impl Summaries {
    /// Returns an empty set.
    pub fn new() -> Summaries {
        Summaries::default()
    }

    /// Adds one customer.
    pub fn push(&mut self, summary: RfmSummary) {
        self.rows.push((summary, 1));
        self.customers += 1;
    }

    /// Adds `weight` customers who share `summary`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when `weight` is 0.
    pub fn push_weighted(&mut self, summary: RfmSummary, weight: u64) -> Result<()> {
        if weight == 0 {
            return Err(ClvError::ZeroWeight.into());
        }
        self.rows.push((summary, weight));
        self.customers = self.customers.saturating_add(weight);
        Ok(())
    }

    /// Returns the number of rows (summaries as pushed).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Returns `true` when there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Returns the number of customers: the sum of the weights.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Returns the rows with their weights, in the order they were pushed.
    pub fn iter(&self) -> impl Iterator<Item = (&RfmSummary, u64)> + '_ {
        self.rows.iter().map(|(s, w)| (s, *w))
    }

    /// Returns the distinct `(frequency, recency, age)` triples with their total
    /// weights, sorted, for the transaction models' likelihoods.
    ///
    /// Grouping is exact: the log-likelihood is a weighted sum over customers
    /// and customers with equal triples contribute equal terms.
    pub(crate) fn grouped_frequency_recency_age(&self) -> Vec<Row> {
        let mut map: HashMap<(u32, u64, u64), f64, BuildHasherDefault<FxHasher>> =
            HashMap::with_capacity_and_hasher(self.rows.len().min(1 << 16), Default::default());
        for (s, w) in &self.rows {
            *map.entry((s.frequency, s.recency.to_bits(), s.age.to_bits()))
                .or_insert(0.0) += *w as f64;
        }
        let mut rows: Vec<Row> = map
            .into_iter()
            .map(|((x, t_x, t), weight)| Row {
                frequency: x,
                recency: f64::from_bits(t_x),
                age: f64::from_bits(t),
                weight,
            })
            .collect();
        // Sorting makes the order (and so the floating-point sums) independent
        // of hashing and of the input order.
        rows.sort_unstable_by(|a, b| {
            (a.frequency, a.recency.to_bits(), a.age.to_bits()).cmp(&(
                b.frequency,
                b.recency.to_bits(),
                b.age.to_bits(),
            ))
        });
        rows
    }
}

impl Extend<RfmSummary> for Summaries {
    fn extend<I: IntoIterator<Item = RfmSummary>>(&mut self, iter: I) {
        for s in iter {
            self.push(s);
        }
    }
}

impl FromIterator<RfmSummary> for Summaries {
    fn from_iter<I: IntoIterator<Item = RfmSummary>>(iter: I) -> Summaries {
        let mut data = Summaries::new();
        data.extend(iter);
        data
    }
}

/// A distinct `(frequency, recency, age)` with the number of customers sharing it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) frequency: u32,
    pub(crate) recency: f64,
    pub(crate) age: f64,
    pub(crate) weight: f64,
}

/// The multiply-rotate hash of rustc (`FxHasher`): the grouping keys are
/// plain integers from the caller's own data, so a keyed hash buys nothing
/// and costs a third of the grouping time.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.hash = (self.hash.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// One purchase: who, when, and for how much.
///
/// This is the plain input row of [`summarize`]; any transaction type can be
/// turned into it.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use custodia::clv::Transaction;
///
/// let day = NaiveDate::from_ymd_opt(1997, 1, 1).expect("valid date");
/// let t = Transaction::new("c-1", day, 29.33)?;
/// assert_eq!(t.customer(), "c-1");
/// assert!(Transaction::new("c-1", day, f64::NAN).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawTransaction"))]
pub struct Transaction {
    customer: String,
    at: NaiveDate,
    amount: f64,
}

/// The unchecked JSON shape of a [`Transaction`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawTransaction {
    customer: String,
    at: NaiveDate,
    amount: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<RawTransaction> for Transaction {
    type Error = crate::Error;

    fn try_from(raw: RawTransaction) -> Result<Transaction> {
        Transaction::new(raw.customer, raw.at, raw.amount)
    }
}

impl Transaction {
    /// Returns a purchase by `customer` on `at` worth `amount` (in the currency of the data).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// `amount` is not finite. Negative amounts (returns) are allowed.
    pub fn new(customer: impl Into<String>, at: NaiveDate, amount: f64) -> Result<Transaction> {
        if !amount.is_finite() {
            return Err(ClvError::NonFinite {
                field: "amount",
                value: amount,
            }
            .into());
        }
        Ok(Transaction {
            customer: customer.into(),
            at,
            amount,
        })
    }

    /// Returns the customer key.
    pub fn customer(&self) -> &str {
        &self.customer
    }

    /// Returns the purchase date.
    pub fn at(&self) -> NaiveDate {
        self.at
    }

    /// Returns the amount.
    pub fn amount(&self) -> f64 {
        self.amount
    }
}

/// The time unit of a summary: purchases in the same period merge into one,
/// and recency and age count whole periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Period {
    /// Calendar days.
    #[default]
    Day,
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

impl Period {
    /// Returns the index of the period holding `date` (consecutive periods have consecutive indices).
    fn index(self, date: NaiveDate) -> i64 {
        match self {
            Period::Day => i64::from(date.num_days_from_ce()),
            // Day 1 of the common era (0001-01-01) was a Monday.
            Period::Week => (i64::from(date.num_days_from_ce()) - 1).div_euclid(7),
            Period::Month => i64::from(date.year()) * 12 + i64::from(date.month0()),
        }
    }
}

/// A customer key with its summary.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CustomerSummary {
    customer: String,
    summary: RfmSummary,
}

impl CustomerSummary {
    /// Returns the customer key.
    pub fn customer(&self) -> &str {
        &self.customer
    }

    /// Returns the summary.
    pub fn summary(&self) -> &RfmSummary {
        &self.summary
    }
}

/// A customer's calibration summary and what they did in the holdout window.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CalibrationHoldout {
    customer: String,
    calibration: RfmSummary,
    holdout_frequency: u32,
    holdout_monetary: f64,
    holdout_duration: f64,
}

impl CalibrationHoldout {
    /// Returns the customer key.
    pub fn customer(&self) -> &str {
        &self.customer
    }

    /// Returns the summary of the calibration window.
    pub fn calibration(&self) -> &RfmSummary {
        &self.calibration
    }

    /// Returns the number of purchases (merged per period) in the holdout window.
    pub fn holdout_frequency(&self) -> u32 {
        self.holdout_frequency
    }

    /// Returns the mean value of the holdout purchases (0 when there is none).
    pub fn holdout_monetary(&self) -> f64 {
        self.holdout_monetary
    }

    /// Returns the length of the holdout window, in periods.
    pub fn holdout_duration(&self) -> f64 {
        self.holdout_duration
    }
}

/// One customer's key with their merged purchases.
type Merged<'t> = (&'t str, Vec<(i64, f64)>);

/// Per customer: merged purchases as `(period index, total amount)`, sorted.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
/// the amounts of one customer's period add up beyond the range of `f64`.
fn merged_purchases(
    transactions: &[Transaction],
    period: Period,
    end: i64,
) -> Result<Vec<Merged<'_>>> {
    let mut by_customer: HashMap<&str, Vec<(i64, f64)>> = HashMap::new();
    for t in transactions {
        let at = period.index(t.at);
        if at <= end {
            by_customer
                .entry(&t.customer)
                .or_default()
                .push((at, t.amount));
        }
    }
    let mut out: Vec<Merged<'_>> = by_customer
        .into_iter()
        .map(|(c, mut v)| {
            v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let mut merged: Vec<(i64, f64)> = Vec::with_capacity(v.len());
            for (at, amount) in v {
                match merged.last_mut() {
                    Some(last) if last.0 == at => {
                        last.1 += amount;
                        if !last.1.is_finite() {
                            return Err(ClvError::Overflow {
                                field: "amount of one period's purchases",
                                customer: c.to_owned(),
                            }
                            .into());
                        }
                    }
                    _ => merged.push((at, amount)),
                }
            }
            Ok((c, merged))
        })
        .collect::<Result<_>>()?;
    out.sort_by(|a, b| a.0.cmp(b.0));
    Ok(out)
}

/// Returns the mean of `amounts` (0 for none) without overflow: a sum beyond
/// the range of `f64` falls back to summing each amount divided by the count
/// and scaled by 2^-10 (exact), so no partial sum can overflow even when
/// rounding adds up, then scaling back; the mean is held within the amounts'
/// range, where it lies.
fn mean_amount(amounts: impl Iterator<Item = f64> + Clone) -> f64 {
    let (sum, n) = amounts
        .clone()
        .fold((0.0, 0usize), |(s, n), a| (s + a, n + 1));
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    if sum.is_finite() {
        return sum / n;
    }
    const SCALE: f64 = 1024.0;
    let (lo, hi) = amounts
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), a| {
            (l.min(a), h.max(a))
        });
    let scaled: f64 = amounts.map(|a| a / SCALE / n).sum();
    (scaled * SCALE).clamp(lo, hi)
}

fn summary_of(purchases: &[(i64, f64)], end: i64) -> Result<RfmSummary> {
    let first = purchases.first().map_or(end, |p| p.0);
    let last = purchases.last().map_or(end, |p| p.0);
    let repeats = &purchases[1.min(purchases.len())..];
    let frequency = u32::try_from(repeats.len()).unwrap_or(u32::MAX);
    let monetary = mean_amount(repeats.iter().map(|p| p.1));
    let s = RfmSummary::new(frequency, (last - first) as f64, (end - first) as f64)?;
    // Negative amounts (returns) can make a mean negative; the spend models
    // then reject that customer, but the summary itself stays usable.
    Ok(RfmSummary { monetary, ..s })
}

/// Summarises transactions per customer, in units of `period`, observed up to
/// and including `observation_end`.
///
/// Purchases in the same period merge into one (amounts add up); frequency
/// counts the merged purchases after the first; recency and age are whole
/// periods from the first purchase. Transactions after `observation_end` are
/// left out. The result is sorted by customer key.
///
/// Monetary means are computed without overflow, so amounts up to the
/// largest `f64` give finite summaries.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
/// the amounts one customer spent in a single period add up beyond the range
/// of `f64` (the merged purchase cannot be represented).
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use custodia::clv::{summarize, Period, Transaction};
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("valid date");
/// let log = [
///     Transaction::new("ann", d(1, 1), 10.0)?,
///     Transaction::new("ann", d(1, 1), 5.0)?, // same day: merged
///     Transaction::new("ann", d(1, 15), 20.0)?,
///     Transaction::new("bob", d(1, 8), 7.0)?,
/// ];
/// let out = summarize(&log, Period::Week, d(1, 31))?;
/// assert_eq!(out[0].customer(), "ann");
/// assert_eq!(out[0].summary().frequency(), 1);
/// assert_eq!(out[0].summary().recency(), 2.0);
/// assert_eq!(out[0].summary().age(), 4.0);
/// assert_eq!(out[0].summary().monetary(), 20.0);
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn summarize(
    transactions: &[Transaction],
    period: Period,
    observation_end: NaiveDate,
) -> Result<Vec<CustomerSummary>> {
    let end = period.index(observation_end);
    merged_purchases(transactions, period, end)?
        .into_iter()
        .map(|(customer, purchases)| {
            Ok(CustomerSummary {
                customer: customer.to_owned(),
                summary: summary_of(&purchases, end)?,
            })
        })
        .collect()
}

/// Splits transactions into a calibration window (up to and including
/// `calibration_end`) and a holdout window (after it, up to and including
/// `observation_end`), for customers whose first purchase falls in the
/// calibration window.
///
/// The calibration summary is that of [`summarize`]; the holdout counts the
/// merged purchases after `calibration_end`.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
/// when `observation_end` is before `calibration_end`;
/// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) as for
/// [`summarize`].
pub fn calibration_holdout(
    transactions: &[Transaction],
    period: Period,
    calibration_end: NaiveDate,
    observation_end: NaiveDate,
) -> Result<Vec<CalibrationHoldout>> {
    if observation_end < calibration_end {
        return Err(ClvError::WindowOrder.into());
    }
    let cal_end = period.index(calibration_end);
    let obs_end = period.index(observation_end);
    let mut out = Vec::new();
    for (customer, purchases) in merged_purchases(transactions, period, obs_end)? {
        let split = purchases.partition_point(|p| p.0 <= cal_end);
        if split == 0 {
            continue;
        }
        let (cal, hold) = purchases.split_at(split);
        let holdout_frequency = u32::try_from(hold.len()).unwrap_or(u32::MAX);
        let holdout_monetary = mean_amount(hold.iter().map(|p| p.1));
        out.push(CalibrationHoldout {
            customer: customer.to_owned(),
            calibration: summary_of(cal, cal_end)?,
            holdout_frequency,
            holdout_monetary,
            holdout_duration: (obs_end - cal_end) as f64,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2024-01-01 was a Monday, 2023-12-31 a Sunday.
        assert_eq!(
            Period::Week.index(d(2024, 1, 1)),
            Period::Week.index(d(2024, 1, 7))
        );
        assert_eq!(
            Period::Week.index(d(2023, 12, 31)) + 1,
            Period::Week.index(d(2024, 1, 1))
        );
        assert_eq!(
            Period::Month.index(d(2024, 1, 31)) + 1,
            Period::Month.index(d(2024, 2, 1))
        );
    }

    #[test]
    fn grouping_adds_weights_and_sorts() {
        let mut data = Summaries::new();
        data.push(RfmSummary::new(1, 2.0, 5.0).unwrap());
        data.push(RfmSummary::new(0, 0.0, 5.0).unwrap());
        data.push_weighted(RfmSummary::new(1, 2.0, 5.0).unwrap(), 4)
            .unwrap();
        let rows = data.grouped_frequency_recency_age();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].frequency, rows[0].weight), (0, 1.0));
        assert_eq!((rows[1].frequency, rows[1].weight), (1, 5.0));
    }

    #[test]
    fn holdout_split_counts_later_purchases() {
        let log = [
            Transaction::new("a", d(2024, 1, 1), 1.0).unwrap(),
            Transaction::new("a", d(2024, 1, 3), 2.0).unwrap(),
            Transaction::new("a", d(2024, 2, 3), 4.0).unwrap(),
            Transaction::new("a", d(2024, 2, 4), 6.0).unwrap(),
            Transaction::new("b", d(2024, 2, 1), 1.0).unwrap(),
        ];
        let out = calibration_holdout(&log, Period::Day, d(2024, 1, 31), d(2024, 3, 1)).unwrap();
        assert_eq!(out.len(), 1, "b first bought in the holdout");
        assert_eq!(out[0].calibration().frequency(), 1);
        assert_eq!(out[0].calibration().age(), 30.0);
        assert_eq!(out[0].holdout_frequency(), 2);
        assert_eq!(out[0].holdout_monetary(), 5.0);
        assert_eq!(out[0].holdout_duration(), 30.0);
        assert!(calibration_holdout(&log, Period::Day, d(2024, 3, 1), d(2024, 1, 1)).is_err());
    }
}
