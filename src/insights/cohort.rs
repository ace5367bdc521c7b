//! Acquisition cohorts, retention curves and churn per cohort.
//!
//! The input is activity rows, `(customer key, time)` pairs of any key type
//! (a purchase, a visit, a login: whatever "active" means to the caller), with
//! [`transaction_activity`] turning [`clv::Transaction`](crate::clv::Transaction)s
//! into such rows. Each customer is acquired at their first activity, or at a
//! time the caller gives ([`Acquisition`]); customers acquired in the same
//! period ([`Granularity`], UTC) form a cohort.
//!
//! For a cohort acquired in period `c`, the retention at offset `k` (`k` =
//! 0, 1, …) is the share of the cohort with at least one activity in period
//! `c + k`. It is only reported for periods that are **fully observed**: that
//! ended at or before the "as of" the caller gives. The period containing
//! "as of" is never counted, so a customer who simply has not come back *yet*
//! is not taken for lost. With acquisition at first activity, retention at
//! `k = 0` is 1 by construction.
//!
//! Churn of a cohort is the share of the cohort **not** active in its last
//! fully observed period (the last point of its retention curve), defined
//! only when that period comes after the acquisition period (`k >= 1`).
//!
//! # Time and counts
//!
//! Rows after "as of" are left out and counted, as are rows before their
//! customer's acquisition (possible only with given acquisition times) and
//! rows of customers without an acquisition time; see [`CohortReport`].
//! Nothing depends on the order of the rows.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::insights::cohort::{cohorts, Acquisition, CohortParams};
//!
//! let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 10, 0, 0).unwrap();
//! let activity = [
//!     ("ana", t(1, 5)), ("ana", t(2, 9)), ("ana", t(3, 1)),
//!     ("bob", t(1, 20)), ("bob", t(3, 15)),
//!     ("eve", t(2, 2)),
//! ];
//! let as_of = t(3, 20); // March is not over: it is not counted yet
//! let report = cohorts(&activity, Acquisition::FirstActivity, &CohortParams::default(), as_of)?;
//! let january = &report.cohorts()[0];
//! assert_eq!((january.period().to_string(), january.size()), ("2026-01".to_string(), 2));
//! // January: both active; February: ana only.
//! assert_eq!(january.retention_curve(), [1.0, 0.5]);
//! assert_eq!(january.churn(), Some(0.5));
//! // eve's cohort (February) has only its own month observed: no churn yet.
//! assert_eq!(report.cohorts()[1].churn(), None);
//! # Ok::<(), custodia::Error>(())
//! ```

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use chrono::{DateTime, Utc};

use super::error::Detail;
use super::period::{Granularity, Period};
use crate::clv::Transaction;
use crate::error::Result;

/// When each customer was acquired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Acquisition<'a, K> {
    /// At their first activity at or before "as of".
    FirstActivity,
    /// At the times given, `(customer key, time)`; a customer given more than
    /// once is acquired at the earliest time. Customers given here but with
    /// no activity belong to their cohort and are never retained; activity
    /// of customers not given here is counted in
    /// [`CohortReport::rows_without_acquisition`].
    Given(&'a [(K, DateTime<Utc>)]),
}

/// Parameters of [`cohorts`].
///
/// | parameter | default | meaning | valid |
/// |---|---|---|---|
/// | `granularity` | [`Granularity::Month`] | length of a period (UTC) | any |
/// | `horizon` | none | the largest offset `k` reported | any |
/// | `max_cells` | 1,000,000 | cap on the total length of all retention curves | ≥ 1 (values above 2³² − 1 act as 2³² − 1) |
///
/// The table has one cell per cohort and fully observed offset, so daily
/// periods over decades grow it quadratically; the cap turns that into an
/// error instead of an allocation the caller did not expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CohortParams {
    granularity: Granularity,
    horizon: Option<u32>,
    max_cells: usize,
}

impl Default for CohortParams {
    fn default() -> CohortParams {
        CohortParams {
            granularity: Granularity::Month,
            horizon: None,
            max_cells: 1_000_000,
        }
    }
}

impl CohortParams {
    /// Sets the length of a period.
    pub fn granularity(mut self, granularity: Granularity) -> CohortParams {
        self.granularity = granularity;
        self
    }

    /// Reports offsets `k` up to `horizon` only (0 keeps only the acquisition
    /// period).
    pub fn horizon(mut self, horizon: u32) -> CohortParams {
        self.horizon = Some(horizon);
        self
    }

    /// Sets the cap on the number of cells; checked by [`cohorts`].
    pub fn max_cells(mut self, max_cells: usize) -> CohortParams {
        self.max_cells = max_cells;
        self
    }
}

/// One acquisition cohort and its retention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cohort {
    period: Period,
    size: u64,
    active: Vec<u64>,
}

impl Cohort {
    /// Returns the acquisition period.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Returns the number of customers acquired in the period (at least 1).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns the number of fully observed offsets `k` reported (the length
    /// of the retention curve).
    pub fn observed_periods(&self) -> usize {
        self.active.len()
    }

    /// Returns the number of the cohort's customers active in period
    /// `k` after acquisition, `None` when that period is not fully observed
    /// (or beyond the horizon).
    pub fn active(&self, k: usize) -> Option<u64> {
        self.active.get(k).copied()
    }

    /// Returns the share of the cohort active in period `k` after
    /// acquisition, in `0..=1`; `None` as for [`Cohort::active`].
    pub fn retention(&self, k: usize) -> Option<f64> {
        self.active(k).map(|a| a as f64 / self.size as f64)
    }

    /// Returns the retention at every fully observed offset, from `k = 0`.
    pub fn retention_curve(&self) -> Vec<f64> {
        (0..self.active.len())
            .filter_map(|k| self.retention(k))
            .collect()
    }

    /// Returns the share of the cohort not active in its last fully observed
    /// period, `None` unless that period comes after the acquisition period.
    pub fn churn(&self) -> Option<f64> {
        let last = self.active.len().checked_sub(1).filter(|&k| k >= 1)?;
        self.retention(last).map(|r| 1.0 - r)
    }
}

/// The result of [`cohorts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortReport {
    granularity: Granularity,
    cohorts: Vec<Cohort>,
    rows_after_as_of: u64,
    rows_before_acquisition: u64,
    rows_without_acquisition: u64,
    rows_in_open_period: u64,
    acquired_after_as_of: u64,
}

impl CohortReport {
    /// Returns the cohorts in time order; only periods with acquisitions
    /// appear.
    pub fn cohorts(&self) -> &[Cohort] {
        &self.cohorts
    }

    /// Returns the granularity of the periods.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// Returns the number of activity rows after "as of", left out.
    pub fn rows_after_as_of(&self) -> u64 {
        self.rows_after_as_of
    }

    /// Returns the number of activity rows before their customer's given
    /// acquisition time, left out.
    pub fn rows_before_acquisition(&self) -> u64 {
        self.rows_before_acquisition
    }

    /// Returns the number of activity rows (at or before "as of") of
    /// customers without a given acquisition time at or before "as of", left
    /// out.
    pub fn rows_without_acquisition(&self) -> u64 {
        self.rows_without_acquisition
    }

    /// Returns the number of activity rows in periods not yet fully observed
    /// (the period containing "as of") or beyond the horizon: they set
    /// acquisition times but count toward no retention.
    pub fn rows_in_open_period(&self) -> u64 {
        self.rows_in_open_period
    }

    /// Returns the number of customers whose given acquisition time is after
    /// "as of"; they are in no cohort.
    pub fn acquired_after_as_of(&self) -> u64 {
        self.acquired_after_as_of
    }
}

/// Returns activity rows `(customer, midnight UTC of the purchase date)`
/// from transactions, for [`cohorts`].
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use custodia::clv::Transaction;
/// use custodia::insights::cohort::transaction_activity;
///
/// let day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date");
/// let transactions = [Transaction::new("c1", day, 12.5)?];
/// let rows = transaction_activity(&transactions);
/// assert_eq!(rows[0].0, "c1");
/// assert_eq!(rows[0].1.to_rfc3339(), "2026-01-05T00:00:00+00:00");
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn transaction_activity(transactions: &[Transaction]) -> Vec<(&str, DateTime<Utc>)> {
    transactions
        .iter()
        .map(|t| {
            (
                t.customer(),
                t.at().and_time(chrono::NaiveTime::MIN).and_utc(),
            )
        })
        .collect()
}

/// Groups customers into acquisition cohorts and computes each cohort's
/// retention curve over the fully observed periods as of `as_of`.
///
/// See the [module documentation](self) for the definitions. Runs in
/// `O(n)` for `n` rows (one or two hash lookups per row, a counting sort of
/// the `(customer, offset)` pairs by customer, then a sort of each
/// customer's own few offsets) plus the size of the table, at most
/// `max_cells`.
///
/// # Errors
///
/// - [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
///   when `max_cells` is 0.
/// - [`ErrorKind::LimitExceeded`](crate::error::ErrorKind::LimitExceeded)
///   when the table would have more than `max_cells` cells, or the period of
///   `as_of` or of a row cannot be represented (years beyond ±262,000).
pub fn cohorts<K>(
    activity: &[(K, DateTime<Utc>)],
    acquisition: Acquisition<'_, K>,
    params: &CohortParams,
    as_of: DateTime<Utc>,
) -> Result<CohortReport>
where
    K: Eq + Hash,
{
    if params.max_cells == 0 {
        return Err(Detail::Setting {
            name: "max_cells",
            value: 0.0,
            rule: "at least 1",
        }
        .into());
    }
    let g = params.granularity;
    // The last fully observed period is the one before the period of `as_of`.
    let last_observed = g.period_of(as_of)?.index() - 1;
    let mut report = CohortReport {
        granularity: g,
        cohorts: Vec::new(),
        rows_after_as_of: 0,
        rows_before_acquisition: 0,
        rows_without_acquisition: 0,
        rows_in_open_period: 0,
        acquired_after_as_of: 0,
    };

    // Dense ids and acquisition times. With acquisition at first activity
    // the acquisition rows are the activity rows, so their ids are kept to
    // spare a second lookup.
    let mut ids: HashMap<&K, u32> = HashMap::new();
    let mut acquired: Vec<DateTime<Utc>> = Vec::new();
    let (acquisitions, given): (&[(K, DateTime<Utc>)], bool) = match acquisition {
        Acquisition::FirstActivity => (activity, false),
        Acquisition::Given(rows) => (rows, true),
    };
    let mut row_ids: Vec<u32> = Vec::with_capacity(if given { 0 } else { activity.len() });
    for (key, at) in acquisitions {
        if *at > as_of {
            if !given {
                report.rows_after_as_of += 1;
                row_ids.push(u32::MAX);
            }
            continue;
        }
        let id = match ids.entry(key) {
            Entry::Occupied(e) => {
                let id = *e.get();
                let slot = &mut acquired[id as usize];
                *slot = (*slot).min(*at);
                id
            }
            Entry::Vacant(e) => {
                // u32::MAX marks rows after "as of", so ids stay below it.
                let id = u32::try_from(acquired.len())
                    .ok()
                    .filter(|&id| id < u32::MAX)
                    .ok_or(Detail::TooManyCustomers)?;
                e.insert(id);
                acquired.push(*at);
                id
            }
        };
        if !given {
            row_ids.push(id);
        }
    }
    if given {
        // Customers given with a time after "as of" are in no cohort.
        let late: std::collections::HashSet<&K> = acquisitions
            .iter()
            .filter(|(key, at)| *at > as_of && !ids.contains_key(key))
            .map(|(key, _)| key)
            .collect();
        report.acquired_after_as_of = late.len() as u64;
    }

    // Cohorts: the acquisition period of every customer. Its period must be
    // representable; every later instant up to `as_of` then is too.
    let mut cohort_of: Vec<i64> = Vec::with_capacity(acquired.len());
    let mut sizes: BTreeMap<i64, u64> = BTreeMap::new();
    for at in &acquired {
        let c = g.index_of(*at);
        cohort_of.push(c);
        *sizes.entry(c).or_default() += 1;
    }
    let mut table: Vec<Cohort> = Vec::with_capacity(sizes.len());
    for (&c, &size) in &sizes {
        let period = Period::from_index(g, c).ok_or(Detail::OutOfCalendar {
            at: acquired[cohort_of.iter().position(|&x| x == c).unwrap_or(0)],
        })?;
        table.push(Cohort {
            period,
            size,
            active: Vec::new(),
        });
    }
    // Curve lengths, and the cap, before any allocation that depends on them.
    let horizon = params.horizon.map(i64::from);
    let length = |c: i64| -> i64 {
        let len = (last_observed - c + 1).max(0);
        horizon.map_or(len, |h| len.min(h + 1))
    };
    // Offsets are stored in 32 bits below, hence the second bound.
    let max = params.max_cells.min(u32::MAX as usize);
    let cells: u128 = sizes.keys().map(|&c| length(c) as u128).sum();
    if cells > max as u128 {
        return Err(Detail::TooManyCells { cells, max }.into());
    }
    for cohort in &mut table {
        cohort.active = vec![0; length(cohort.period.index()) as usize];
    }
    let cohort_indices: Vec<i64> = sizes.into_keys().collect();
    let position: Vec<u32> = cohort_of
        .iter()
        .map(|c| cohort_indices.binary_search(c).unwrap_or(0) as u32)
        .collect();

    // (customer, offset) pairs of observed activity.
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(activity.len());
    for (row, (key, at)) in activity.iter().enumerate() {
        if *at > as_of {
            if given {
                report.rows_after_as_of += 1;
            }
            continue;
        }
        let id = if given {
            match ids.get(key) {
                Some(&id) => id,
                None => {
                    report.rows_without_acquisition += 1;
                    continue;
                }
            }
        } else {
            row_ids[row]
        };
        if *at < acquired[id as usize] {
            report.rows_before_acquisition += 1;
            continue;
        }
        let c = cohort_of[id as usize];
        // `acquired <= at <= as_of`, so the period of `at` lies between two
        // representable periods, at or after the cohort's.
        let k = g.index_of(*at) - c;
        if k >= length(c) {
            report.rows_in_open_period += 1;
            continue;
        }
        // 0 <= k < length(c) <= max <= u32::MAX.
        pairs.push((id, k as u32));
    }
    // Group the pairs by customer (a counting sort on the dense ids), then
    // count each customer's distinct offsets once.
    let mut start = vec![0usize; acquired.len() + 1];
    for &(id, _) in &pairs {
        start[id as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut fill = start.clone();
    let mut offsets = vec![0u32; pairs.len()];
    for &(id, k) in &pairs {
        offsets[fill[id as usize]] = k;
        fill[id as usize] += 1;
    }
    drop(pairs);
    for id in 0..acquired.len() {
        let mine = &mut offsets[start[id]..start[id + 1]];
        mine.sort_unstable();
        let active = &mut table[position[id] as usize].active;
        let mut previous = None;
        for &k in mine.iter() {
            if previous != Some(k) {
                active[k as usize] += 1;
                previous = Some(k);
            }
        }
    }
    report.cohorts = table;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    use super::*;
    use crate::error::ErrorKind;

    fn t(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
    }

    fn curves(r: &CohortReport) -> Vec<(String, u64, Vec<u64>)> {
        r.cohorts()
            .iter()
            .map(|c| {
                (
                    c.period().to_string(),
                    c.size(),
                    (0..c.observed_periods())
                        .map(|k| c.active(k).unwrap())
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn monthly_cohorts_count_only_fully_observed_months() {
        // As of 2026-04-15, March is the last fully observed month.
        // January cohort: a (Jan, Feb, Apr), b (Jan 31 23:59:59, Mar 1 00:00), c (Jan):
        //   k0 = 3, k1 = 1 (a), k2 = 1 (b) → retention 1, 1/3, 1/3; churn = 1 − 1/3 = 2/3.
        //   a's April row is in the open month: not counted.
        // February cohort: d (Feb 1 00:00, Mar 3) → 1, 1; churn 0.
        // March cohort: e → k0 only, no churn. April cohort: f → no observed month.
        // g (May) is after "as of".
        let jan_end = Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap();
        let rows = vec![
            ("a", t(1, 5, 9)),
            ("a", t(2, 10, 9)),
            ("a", t(2, 20, 9)),
            ("a", t(4, 2, 9)),
            ("b", jan_end),
            ("b", t(3, 1, 0)),
            ("c", t(1, 15, 9)),
            ("d", t(2, 1, 0)),
            ("d", t(3, 3, 9)),
            ("e", t(3, 30, 9)),
            ("f", t(4, 10, 9)),
            ("g", t(5, 1, 9)),
        ];
        let r = cohorts(
            &rows,
            Acquisition::FirstActivity,
            &CohortParams::default(),
            t(4, 15, 0),
        )
        .unwrap();
        assert_eq!(
            curves(&r),
            [
                ("2026-01".to_string(), 3, vec![3, 1, 1]),
                ("2026-02".to_string(), 1, vec![1, 1]),
                ("2026-03".to_string(), 1, vec![1]),
                ("2026-04".to_string(), 1, vec![]),
            ]
        );
        let jan = &r.cohorts()[0];
        assert_eq!(jan.retention_curve(), [1.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(jan.churn(), Some(1.0 - 1.0 / 3.0));
        assert_eq!(r.cohorts()[1].churn(), Some(0.0));
        assert_eq!(
            (r.cohorts()[2].churn(), r.cohorts()[3].churn()),
            (None, None)
        );
        assert_eq!(r.cohorts()[3].retention(0), None);
        // a's April row and f's April row are in the open month.
        assert_eq!((r.rows_after_as_of(), r.rows_in_open_period()), (1, 2));
        assert_eq!(
            (r.rows_before_acquisition(), r.rows_without_acquisition()),
            (0, 0)
        );
    }

    #[test]
    fn given_acquisition_times_make_the_cohorts() {
        // x acquired Feb 1, y Feb 15, z Mar 10 (never active), w May 1 (after "as of").
        // Feb cohort {x, y}: February: x (Feb 3) → 1/2; March: x, y → 2/2; churn 0.
        // Mar cohort {z}: March: nobody → 0; no churn (only k = 0 observed).
        // x's Jan 20 row precedes its acquisition; w's and q's rows have no
        // acquisition at or before "as of".
        let acquired = [
            ("x", t(2, 1, 0)),
            ("y", t(2, 15, 0)),
            ("z", t(3, 10, 0)),
            ("w", t(5, 1, 0)),
            ("x", t(2, 2, 0)),
        ];
        let rows = [
            ("x", t(1, 20, 0)),
            ("x", t(2, 3, 0)),
            ("x", t(3, 5, 0)),
            ("y", t(3, 20, 0)),
            ("w", t(4, 1, 0)),
            ("q", t(3, 1, 0)),
        ];
        let r = cohorts(
            &rows,
            Acquisition::Given(&acquired),
            &CohortParams::default(),
            t(4, 15, 0),
        )
        .unwrap();
        assert_eq!(
            curves(&r),
            [
                ("2026-02".to_string(), 2, vec![1, 2]),
                ("2026-03".to_string(), 1, vec![0])
            ]
        );
        assert_eq!(r.cohorts()[0].retention_curve(), [0.5, 1.0]);
        assert_eq!(r.cohorts()[0].churn(), Some(0.0));
        assert_eq!(r.cohorts()[1].churn(), None);
        assert_eq!(r.rows_before_acquisition(), 1);
        assert_eq!(r.rows_without_acquisition(), 2);
        assert_eq!(r.acquired_after_as_of(), 1);
        assert_eq!(r.rows_after_as_of(), 0);
    }

    #[test]
    fn a_week_counts_only_once_it_has_ended() {
        // 2026-12-21 is the Monday of 2026-W52; 2026-12-28 opens 2026-W53.
        let at = |d, h, m, s| Utc.with_ymd_and_hms(2026, 12, d, h, m, s).unwrap();
        let rows = [("a", at(21, 9, 0, 0)), ("a", at(29, 9, 0, 0))];
        let params = CohortParams::default().granularity(Granularity::IsoWeek);
        let run =
            |as_of| curves(&cohorts(&rows, Acquisition::FirstActivity, &params, as_of).unwrap());
        assert_eq!(
            run(at(27, 23, 59, 59)),
            [("2026-W52".to_string(), 1, vec![])]
        );
        assert_eq!(run(at(28, 0, 0, 0)), [("2026-W52".to_string(), 1, vec![1])]);
        // Mid-week 53: a's Tuesday visit is not yet counted, so no churn either way.
        assert_eq!(
            run(at(30, 12, 0, 0)),
            [("2026-W52".to_string(), 1, vec![1])]
        );
        assert_eq!(
            run(Utc.with_ymd_and_hms(2027, 1, 4, 0, 0, 0).unwrap()),
            [("2026-W52".to_string(), 1, vec![1, 1])]
        );
    }

    #[test]
    fn the_horizon_and_the_cell_cap_bound_the_table() {
        let rows = [("a", t(1, 1, 0)), ("a", t(3, 1, 0))];
        let as_of = t(12, 1, 0);
        let r = cohorts(
            &rows,
            Acquisition::FirstActivity,
            &CohortParams::default().horizon(1),
            as_of,
        )
        .unwrap();
        // Horizon 1: k = 0, 1 only; the March row is beyond it.
        assert_eq!(curves(&r), [("2026-01".to_string(), 1, vec![1, 0])]);
        assert_eq!(r.rows_in_open_period(), 1);
        // January to November are observed: 11 cells.
        let params = CohortParams::default().max_cells(10);
        let err = cohorts(&rows, Acquisition::FirstActivity, &params, as_of).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert!(cohorts(
            &rows,
            Acquisition::FirstActivity,
            &params.max_cells(11),
            as_of
        )
        .is_ok());
        let err = cohorts(
            &rows,
            Acquisition::FirstActivity,
            &params.max_cells(0),
            as_of,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    }

    #[test]
    fn transactions_become_activity_at_midnight_utc() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let tx = [
            Transaction::new("c", day, 1.0).unwrap(),
            Transaction::new("c", day, 2.0).unwrap(),
        ];
        let rows = transaction_activity(&tx);
        assert_eq!(rows, [("c", t(2, 28, 0)), ("c", t(2, 28, 0))]);
        let r = cohorts(
            &rows,
            Acquisition::FirstActivity,
            &CohortParams::default(),
            t(4, 1, 0),
        )
        .unwrap();
        assert_eq!(curves(&r), [("2026-02".to_string(), 1, vec![1, 0])]);
        assert_eq!(r.cohorts()[0].churn(), Some(1.0));
    }

    fn arb_rows() -> impl Strategy<Value = Vec<(u8, DateTime<Utc>)>> {
        proptest::collection::vec(
            (0u8..20, -400_000_000i64..400_000_000i64)
                .prop_map(|(c, s)| (c, DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap())),
            0..150,
        )
    }

    proptest! {
        #[test]
        fn retention_is_a_share_of_fully_observed_periods_whatever_the_order(
            rows in arb_rows(),
            given in arb_rows(),
            use_given in any::<bool>(),
            as_of in -400_000_000i64..400_000_000i64,
            g in 0usize..4,
            rotate in 0usize..150,
        ) {
            let as_of = DateTime::from_timestamp(1_700_000_000 + as_of, 0).unwrap();
            let g = [Granularity::Day, Granularity::IsoWeek, Granularity::Month, Granularity::Quarter][g];
            let params = CohortParams::default().granularity(g).max_cells(200_000);
            let acq = if use_given { Acquisition::Given(&given) } else { Acquisition::FirstActivity };
            let r = match cohorts(&rows, acq, &params, as_of) {
                Ok(r) => r,
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::LimitExceeded);
                    return Ok(());
                }
            };
            let mut previous = None;
            for c in r.cohorts() {
                prop_assert!(c.size() >= 1);
                prop_assert!(previous < Some(c.period()));
                previous = Some(c.period());
                let n = c.observed_periods();
                for k in 0..n {
                    let share = c.retention(k).unwrap();
                    prop_assert!((0.0..=1.0).contains(&share));
                    prop_assert!(c.period().offset(k as i64).unwrap().end() <= as_of);
                }
                prop_assert!(c.period().offset(n as i64).unwrap().end() > as_of);
                if !use_given && n > 0 {
                    prop_assert_eq!(c.retention(0), Some(1.0));
                }
                if let Some(churn) = c.churn() {
                    prop_assert!((0.0..=1.0).contains(&churn));
                }
            }
            let mut shuffled = rows.clone();
            shuffled.reverse();
            if !shuffled.is_empty() {
                let k = rotate % shuffled.len();
                shuffled.rotate_left(k);
            }
            let mut given_shuffled = given.clone();
            given_shuffled.reverse();
            let acq = if use_given { Acquisition::Given(&given_shuffled) } else { Acquisition::FirstActivity };
            prop_assert_eq!(cohorts(&shuffled, acq, &params, as_of).unwrap(), r);
        }
    }
}
