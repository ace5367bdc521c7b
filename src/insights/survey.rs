//! Survey metrics: NPS, CES and CSAT per group, source and period, with
//! confidence intervals, trends and period-to-period changes.
//!
//! The input is a slice of [`SurveyRow`]s, which a caller builds from
//! anything: a time, the scores of one answer (or a whole
//! [`SurveyAnswer`]), a source and a group key of the caller's choosing (a
//! segment name, an RFM group, a country, `()` for none). [`survey_metrics`]
//! cuts time into [`Granularity`] periods (UTC) and returns, for every series
//! chosen by [`Split`], one [`PeriodMetrics`] per period with answers.
//!
//! # The metrics and their intervals
//!
//! | metric | value | interval |
//! |---|---|---|
//! | NPS | `100 · (p₊ − p₋)` in −100..=100: promoters answer 9–10, detractors 0–6 | Wald, with the variance of the difference of two proportions of one multinomial sample: `var = (p₊ + p₋ − (p₊ − p₋)²) / n` (from `Cov(p̂ᵢ, p̂ⱼ) = −pᵢpⱼ/n`; Agresti, *Categorical Data Analysis*, 3rd ed., 2013, ch. 1), clamped to −100..=100 |
//! | CES | mean effort score, 1..=7 | Student-t with `n − 1` degrees of freedom and the sample variance |
//! | CSAT | `100 · satisfied / n`, satisfied meaning 4 or 5 of 1–5 | Wilson score interval (Wilson 1927; Newcombe, *Statistics in Medicine* 17, 1998, method 3) |
//!
//! Every estimate carries its `n`; with `n` of 0 there is no estimate and with
//! `n` of 1 there is an estimate but no standard error and no interval (both
//! are `None`): a single answer says nothing about its spread. No metric is
//! ever NaN. All counts and sums are integers, so the results do not depend
//! on the order of the rows.
//!
//! Changes between two periods ([`SurveySeries::change`]) treat the periods
//! as independent samples: NPS by the Wald interval of the difference
//! (variances add), CES by Welch's t interval (Welch–Satterthwaite degrees of
//! freedom), CSAT by Newcombe's hybrid score interval (Newcombe 1998, method
//! 10). A change is significant when its interval excludes zero.
//!
//! Trends ([`SurveySeries::trend`]) are the ordinary least-squares slope of a
//! metric's period values on the period index (periods without answers are
//! gaps, not zeros; every period weighs the same), in metric units per
//! period, with the classic t interval of the slope (residual variance,
//! `k − 2` degrees of freedom for `k` periods): two periods give a slope
//! without an interval, three or more give both.
//!
//! # Time
//!
//! The analysis is as of an instant given by the caller: rows after it are
//! left out and counted ([`SurveyReport::rows_after_as_of`]), and a period
//! that has not ended by then is marked incomplete
//! ([`PeriodMetrics::is_complete`]) but still reported and used in the
//! trend, since its answers are a sample like any other.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::insights::survey::{survey_metrics, Metric, SurveyParams, SurveyRow};
//! use custodia::insights::Granularity;
//! use custodia::model::Nps;
//!
//! let jan = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
//! let feb = Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0).unwrap();
//! let mut rows = Vec::new();
//! for (at, score) in [(jan, 10), (jan, 9), (jan, 3), (jan, 8), (feb, 10), (feb, 2), (feb, 1)] {
//!     rows.push(SurveyRow::new(at, "email", "gold").nps(Nps::new(score)?));
//! }
//! let params = SurveyParams::default().granularity(Granularity::Month);
//! let as_of = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let report = survey_metrics(&rows, &params, as_of)?;
//! let gold = &report.series()[0];
//! assert_eq!(gold.group(), Some(&"gold"));
//! // January: 2 promoters, 1 detractor of 4 → 100 · (2 − 1) / 4 = 25.
//! assert_eq!(gold.periods()[0].nps().map(|e| e.value()), Some(25.0));
//! // February: 1 promoter, 2 detractors of 3 → −33.3.
//! let change = gold.latest_change(Metric::Nps).expect("two periods with answers");
//! assert!((change.difference() - (-100.0 / 3.0 - 25.0)).abs() < 1e-9);
//! assert!(!change.is_significant()); // seven answers prove little
//! # Ok::<(), custodia::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use chrono::{DateTime, Utc};

use super::period::{Granularity, Period};
use super::stats::{wilson, Interval, Quantiles};
use crate::error::Result;
use crate::model::{Csat, EffortScore, Nps, SurveyAnswer};

/// One survey answer as the analysis sees it: when, from which source, in
/// which group, and its scores (any of NPS, effort, CSAT; none is allowed and
/// is counted in [`PeriodMetrics::rows`]).
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::survey::SurveyRow;
/// use custodia::model::{Csat, Nps, SurveyAnswer};
///
/// let answer = SurveyAnswer::builder("q1").nps(Nps::new(9)?).csat(Csat::new(4)?).build()?;
/// let at = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
/// let row = SurveyRow::from_answer(at, &answer, "app", 42_u64);
/// assert_eq!(row.group(), &42);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SurveyRow<S, G> {
    at: DateTime<Utc>,
    source: S,
    group: G,
    nps: Option<Nps>,
    effort: Option<EffortScore>,
    csat: Option<Csat>,
}

impl<S, G> SurveyRow<S, G> {
    /// Starts a row answered at `at` through `source`, in `group`, with no
    /// scores yet.
    pub fn new(at: DateTime<Utc>, source: S, group: G) -> SurveyRow<S, G> {
        SurveyRow {
            at,
            source,
            group,
            nps: None,
            effort: None,
            csat: None,
        }
    }

    /// Returns a row with the scores of `answer` (its comment is not used).
    pub fn from_answer(
        at: DateTime<Utc>,
        answer: &SurveyAnswer,
        source: S,
        group: G,
    ) -> SurveyRow<S, G> {
        SurveyRow {
            at,
            source,
            group,
            nps: answer.nps(),
            effort: answer.effort(),
            csat: answer.csat(),
        }
    }

    /// Sets the NPS answer.
    pub fn nps(mut self, nps: Nps) -> SurveyRow<S, G> {
        self.nps = Some(nps);
        self
    }

    /// Sets the effort score answer.
    pub fn effort(mut self, effort: EffortScore) -> SurveyRow<S, G> {
        self.effort = Some(effort);
        self
    }

    /// Sets the satisfaction answer.
    pub fn csat(mut self, csat: Csat) -> SurveyRow<S, G> {
        self.csat = Some(csat);
        self
    }

    /// Returns when the answer was given.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// Returns the source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Returns the group key.
    pub fn group(&self) -> &G {
        &self.group
    }
}

/// Which keys split the rows into series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Split {
    /// One series per group, all sources together.
    #[default]
    Group,
    /// One series per source, all groups together.
    Source,
    /// One series per group and source.
    GroupAndSource,
    /// One series for all rows.
    Overall,
}

/// The metrics [`survey_metrics`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Metric {
    /// Net Promoter Score, −100..=100.
    Nps,
    /// Customer Effort Score, the mean on 1..=7.
    Ces,
    /// Customer satisfaction, the percentage answering 4 or 5 of 1–5.
    Csat,
}

const METRICS: [Metric; 3] = [Metric::Nps, Metric::Ces, Metric::Csat];

/// Parameters of [`survey_metrics`].
///
/// | parameter | default | meaning | valid |
/// |---|---|---|---|
/// | `granularity` | [`Granularity::Month`] | length of a period (UTC) | any |
/// | `level` | 0.95 | confidence level of every interval | strictly between 0 and 1 |
/// | `split` | [`Split::Group`] | which keys make a series | any |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SurveyParams {
    granularity: Granularity,
    level: f64,
    split: Split,
}

impl Default for SurveyParams {
    fn default() -> SurveyParams {
        SurveyParams {
            granularity: Granularity::Month,
            level: 0.95,
            split: Split::Group,
        }
    }
}

impl SurveyParams {
    /// Sets the length of a period.
    pub fn granularity(mut self, granularity: Granularity) -> SurveyParams {
        self.granularity = granularity;
        self
    }

    /// Sets the confidence level of every interval; checked by
    /// [`survey_metrics`].
    pub fn level(mut self, level: f64) -> SurveyParams {
        self.level = level;
        self
    }

    /// Sets which keys make a series.
    pub fn split(mut self, split: Split) -> SurveyParams {
        self.split = split;
        self
    }
}

/// A metric's value in one period, with its sample size and uncertainty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    value: f64,
    n: u64,
    standard_error: Option<f64>,
    interval: Option<Interval>,
}

impl Estimate {
    /// Returns the value, in the metric's units (NPS points, mean effort,
    /// CSAT percent).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Returns the number of answers behind the value.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Returns the standard error, `None` when `n` is 1. For CSAT it is the
    /// Wald one, `100 · sqrt(p (1 − p) / n)`, given for reference; the
    /// interval is Wilson's.
    pub fn standard_error(&self) -> Option<f64> {
        self.standard_error
    }

    /// Returns the confidence interval, `None` when `n` is 1. It always
    /// contains the value.
    pub fn interval(&self) -> Option<Interval> {
        self.interval
    }
}

/// Integer tallies of one cell; exact, so the order of rows cannot matter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    rows: u64,
    nps_n: u64,
    promoters: u64,
    detractors: u64,
    effort_n: u64,
    effort_sum: u64,
    effort_sum_sq: u64,
    csat_n: u64,
    satisfied: u64,
}

impl Tally {
    fn add<S, G>(&mut self, row: &SurveyRow<S, G>) {
        self.rows += 1;
        if let Some(nps) = row.nps {
            self.nps_n += 1;
            self.promoters += u64::from(nps.is_promoter());
            self.detractors += u64::from(nps.is_detractor());
        }
        if let Some(effort) = row.effort {
            let e = u64::from(effort.get());
            self.effort_n += 1;
            self.effort_sum += e;
            self.effort_sum_sq += e * e;
        }
        if let Some(csat) = row.csat {
            self.csat_n += 1;
            self.satisfied += u64::from(csat.get() >= 4);
        }
    }
}

/// The metrics of one series in one period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeriodMetrics {
    period: Period,
    complete: bool,
    rows: u64,
    promoters: u64,
    detractors: u64,
    satisfied: u64,
    nps: Option<Estimate>,
    ces: Option<Estimate>,
    csat: Option<Estimate>,
}

impl PeriodMetrics {
    /// Returns the period.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Returns `true` when the period had ended by the analysis's "as of".
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Returns the number of rows in the period, with or without scores.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Returns the number of NPS answers of 9 or 10.
    pub fn promoters(&self) -> u64 {
        self.promoters
    }

    /// Returns the number of NPS answers of 0 to 6.
    pub fn detractors(&self) -> u64 {
        self.detractors
    }

    /// Returns the number of CSAT answers of 4 or 5.
    pub fn satisfied(&self) -> u64 {
        self.satisfied
    }

    /// Returns the NPS, `None` without NPS answers.
    pub fn nps(&self) -> Option<Estimate> {
        self.nps
    }

    /// Returns the CES (mean effort), `None` without effort answers.
    pub fn ces(&self) -> Option<Estimate> {
        self.ces
    }

    /// Returns the CSAT percentage, `None` without CSAT answers.
    pub fn csat(&self) -> Option<Estimate> {
        self.csat
    }

    /// Returns the estimate of `metric`.
    pub fn get(&self, metric: Metric) -> Option<Estimate> {
        match metric {
            Metric::Nps => self.nps,
            Metric::Ces => self.ces,
            Metric::Csat => self.csat,
        }
    }
}

/// The least-squares slope of a metric across periods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trend {
    slope: f64,
    periods: usize,
    interval: Option<Interval>,
}

impl Trend {
    /// Returns the slope, in metric units per period.
    pub fn slope(&self) -> f64 {
        self.slope
    }

    /// Returns the number of periods with answers behind the slope (2 or
    /// more).
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// Returns the slope's confidence interval, `None` with only two
    /// periods.
    pub fn interval(&self) -> Option<Interval> {
        self.interval
    }

    /// Returns `true` when the interval exists and excludes zero.
    pub fn is_significant(&self) -> bool {
        self.interval.is_some_and(|i| i.excludes_zero())
    }
}

/// The change of a metric from one period to another.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    metric: Metric,
    from: Period,
    to: Period,
    difference: f64,
    interval: Interval,
}

impl Change {
    /// Returns the metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Returns the earlier period.
    pub fn from(&self) -> Period {
        self.from
    }

    /// Returns the later period.
    pub fn to(&self) -> Period {
        self.to
    }

    /// Returns the later value minus the earlier one.
    pub fn difference(&self) -> f64 {
        self.difference
    }

    /// Returns the confidence interval of the difference; it contains the
    /// difference.
    pub fn interval(&self) -> Interval {
        self.interval
    }

    /// Returns `true` when the interval excludes zero.
    pub fn is_significant(&self) -> bool {
        self.interval.excludes_zero()
    }
}

/// The metrics of one series (a group, a source, both or all rows) period
/// by period.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveySeries<S, G> {
    group: Option<G>,
    source: Option<S>,
    level: f64,
    periods: Vec<PeriodMetrics>,
    trends: [Option<Trend>; 3],
}

impl<S, G> SurveySeries<S, G> {
    /// Returns the group, `None` when the split does not use groups.
    pub fn group(&self) -> Option<&G> {
        self.group.as_ref()
    }

    /// Returns the source, `None` when the split does not use sources.
    pub fn source(&self) -> Option<&S> {
        self.source.as_ref()
    }

    /// Returns the periods with rows, in time order.
    pub fn periods(&self) -> &[PeriodMetrics] {
        &self.periods
    }

    /// Returns the least-squares trend of `metric`, `None` when fewer than two
    /// periods have answers for it.
    pub fn trend(&self, metric: Metric) -> Option<Trend> {
        self.trends[metric_slot(metric)]
    }

    /// Returns the change of `metric` from period `from` to period `to`, at
    /// the report's confidence level; `None` when either period has fewer
    /// than two answers for the metric.
    pub fn change(&self, metric: Metric, from: Period, to: Period) -> Option<Change> {
        let find = |p: Period| {
            self.periods
                .binary_search_by(|m| m.period.cmp(&p))
                .ok()
                .and_then(|i| self.periods[i].get(metric))
        };
        let (a, b) = (find(from)?, find(to)?);
        let mut q = Quantiles::new(self.level).ok()?;
        change(metric, from, to, a, b, &mut q)
    }

    /// Returns the change of `metric` between the last two periods with at
    /// least two answers for it.
    pub fn latest_change(&self, metric: Metric) -> Option<Change> {
        let mut with = self
            .periods
            .iter()
            .rev()
            .filter(|m| m.get(metric).is_some_and(|e| e.n >= 2));
        let to = with.next()?.period;
        let from = with.next()?.period;
        self.change(metric, from, to)
    }
}

/// The result of [`survey_metrics`].
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyReport<S, G> {
    granularity: Granularity,
    level: f64,
    series: Vec<SurveySeries<S, G>>,
    rows_after_as_of: u64,
}

impl<S, G> SurveyReport<S, G> {
    /// Returns the series, ordered by group then source (absent keys first).
    pub fn series(&self) -> &[SurveySeries<S, G>] {
        &self.series
    }

    /// Returns the number of rows left out because they came after "as of".
    pub fn rows_after_as_of(&self) -> u64 {
        self.rows_after_as_of
    }

    /// Returns the granularity of the periods.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// Returns the confidence level of every interval.
    pub fn level(&self) -> f64 {
        self.level
    }
}

/// A series: its group and source, each absent when the split ignores it.
type SeriesKey<'r, S, G> = (Option<&'r G>, Option<&'r S>);

/// A cell: a series and a period index.
type CellKey<'r, S, G> = (Option<&'r G>, Option<&'r S>, i64);

fn metric_slot(metric: Metric) -> usize {
    match metric {
        Metric::Nps => 0,
        Metric::Ces => 1,
        Metric::Csat => 2,
    }
}

/// Computes NPS, CES and CSAT per series and period, with intervals and
/// trends, from the rows at or before `as_of`.
///
/// See the [module documentation](self) for the formulas. Runs in
/// `O(n + c log c)` for `n` rows and `c` non-empty cells, with one hash
/// lookup per row; the keys are borrowed, and cloned once per series.
///
/// # Errors
///
/// - [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
///   when the confidence level is not strictly between 0 and 1.
/// - [`ErrorKind::LimitExceeded`](crate::error::ErrorKind::LimitExceeded)
///   when the period of `as_of` or of a row cannot be represented (years
///   beyond ±262,000).
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::survey::{survey_metrics, Split, SurveyParams, SurveyRow};
/// use custodia::model::EffortScore;
///
/// let at = Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap();
/// let rows: Vec<_> = [(2, "app"), (4, "app"), (6, "web")]
///     .into_iter()
///     .map(|(e, source)| Ok(SurveyRow::new(at, source, ()).effort(EffortScore::new(e)?)))
///     .collect::<custodia::Result<_>>()?;
/// let params = SurveyParams::default().split(Split::Source);
/// let report = survey_metrics(&rows, &params, at)?;
/// let app = &report.series()[0];
/// assert_eq!(app.source(), Some(&"app"));
/// assert_eq!(app.periods()[0].ces().map(|e| e.value()), Some(3.0));
/// assert!(!app.periods()[0].is_complete());
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn survey_metrics<S, G>(
    rows: &[SurveyRow<S, G>],
    params: &SurveyParams,
    as_of: DateTime<Utc>,
) -> Result<SurveyReport<S, G>>
where
    S: Clone + Ord + Hash,
    G: Clone + Ord + Hash,
{
    let mut q = Quantiles::new(params.level)?;
    let g = params.granularity;
    g.period_of(as_of)?;
    let (use_group, use_source) = match params.split {
        Split::Group => (true, false),
        Split::Source => (false, true),
        Split::GroupAndSource => (true, true),
        Split::Overall => (false, false),
    };
    // Cells are keyed by period index; each cell's period is checked once.
    let mut cells: HashMap<CellKey<'_, S, G>, (Tally, DateTime<Utc>)> = HashMap::new();
    let mut rows_after_as_of = 0;
    for row in rows {
        if row.at > as_of {
            rows_after_as_of += 1;
            continue;
        }
        let key = (
            use_group.then_some(&row.group),
            use_source.then_some(&row.source),
            g.index_of(row.at),
        );
        let cell = cells.entry(key).or_insert((Tally::default(), row.at));
        cell.0.add(row);
        // The earliest instant names the cell in an error, whatever the order.
        cell.1 = cell.1.min(row.at);
    }
    let mut by_series: BTreeMap<SeriesKey<'_, S, G>, Vec<(Period, Tally)>> = BTreeMap::new();
    for ((group, source, _), (tally, at)) in cells {
        by_series
            .entry((group, source))
            .or_default()
            .push((g.period_of(at)?, tally));
    }
    let series = by_series
        .into_iter()
        .map(|((group, source), mut cells)| {
            cells.sort_unstable_by_key(|&(p, _)| p);
            let periods: Vec<PeriodMetrics> = cells
                .iter()
                .map(|&(period, t)| period_metrics(period, t, as_of, &mut q))
                .collect();
            let trends = METRICS.map(|m| trend(&periods, m, &mut q));
            SurveySeries {
                group: group.cloned(),
                source: source.cloned(),
                level: q.level(),
                periods,
                trends,
            }
        })
        .collect();
    Ok(SurveyReport {
        granularity: g,
        level: q.level(),
        series,
        rows_after_as_of,
    })
}

fn period_metrics(
    period: Period,
    t: Tally,
    as_of: DateTime<Utc>,
    q: &mut Quantiles,
) -> PeriodMetrics {
    PeriodMetrics {
        period,
        complete: period.is_complete_at(as_of),
        rows: t.rows,
        promoters: t.promoters,
        detractors: t.detractors,
        satisfied: t.satisfied,
        nps: nps_estimate(t.promoters, t.detractors, t.nps_n, q.z(), q.level()),
        ces: ces_estimate(t.effort_sum, t.effort_sum_sq, t.effort_n, q),
        csat: csat_estimate(t.satisfied, t.csat_n, q.z(), q.level()),
    }
}

fn nps_estimate(promoters: u64, detractors: u64, n: u64, z: f64, level: f64) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let (pp, pd) = (promoters as f64 / nf, detractors as f64 / nf);
    let value = 100.0 * (pp - pd);
    let (standard_error, interval) = if n >= 2 {
        // Var(p̂₊ − p̂₋) = (p₊(1 − p₊) + p₋(1 − p₋) + 2 p₊ p₋) / n
        //             = (p₊ + p₋ − (p₊ − p₋)²) / n.
        let var = ((pp + pd - (pp - pd).powi(2)) / nf).max(0.0);
        let se = 100.0 * var.sqrt();
        let lower = (value - z * se).clamp(-100.0, value);
        let upper = (value + z * se).clamp(value, 100.0);
        (Some(se), Some(Interval::new(lower, upper, level)))
    } else {
        (None, None)
    };
    Some(Estimate {
        value,
        n,
        standard_error,
        interval,
    })
}

fn ces_estimate(sum: u64, sum_sq: u64, n: u64, q: &mut Quantiles) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let value = sum as f64 / nf;
    let (standard_error, interval) = if n >= 2 {
        // s² = (n Σx² − (Σx)²) / (n (n − 1)), numerator exact in integers.
        let num = u128::from(n) * u128::from(sum_sq) - u128::from(sum) * u128::from(sum);
        let var = num as f64 / (nf * (nf - 1.0));
        let se = (var / nf).sqrt();
        let t = q.t(nf - 1.0);
        // Rounding must not move the bounds past the mean or the scale.
        let lower = (value - t * se).min(value);
        let upper = (value + t * se).max(value);
        (Some(se), Some(Interval::new(lower, upper, q.level())))
    } else {
        (None, None)
    };
    Some(Estimate {
        value,
        n,
        standard_error,
        interval,
    })
}

fn csat_estimate(satisfied: u64, n: u64, z: f64, level: f64) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let p = satisfied as f64 / nf;
    let (standard_error, interval) = if n >= 2 {
        let (lo, hi) = wilson(satisfied, n, z);
        let se = 100.0 * (p * (1.0 - p) / nf).sqrt();
        (Some(se), Some(Interval::new(100.0 * lo, 100.0 * hi, level)))
    } else {
        (None, None)
    };
    Some(Estimate {
        value: 100.0 * p,
        n,
        standard_error,
        interval,
    })
}

/// Returns the change from `a` (in `from`) to `b` (in `to`), `None` when
/// either has fewer than two answers.
fn change(
    metric: Metric,
    from: Period,
    to: Period,
    a: Estimate,
    b: Estimate,
    q: &mut Quantiles,
) -> Option<Change> {
    let (ia, ib) = (a.interval?, b.interval?);
    let (sa, sb) = (a.standard_error?, b.standard_error?);
    let d = b.value - a.value;
    let (lower, upper) = match metric {
        Metric::Nps => {
            let half = q.z() * sa.hypot(sb);
            (d - half, d + half)
        }
        Metric::Csat => {
            // Newcombe (1998), method 10, from the two Wilson intervals.
            let lower = d - (b.value - ib.lower()).hypot(ia.upper() - a.value);
            let upper = d + (ib.upper() - b.value).hypot(a.value - ia.lower());
            (lower, upper)
        }
        Metric::Ces => {
            // Welch's interval, Welch-Satterthwaite degrees of freedom.
            let (va, vb) = (sa * sa, sb * sb);
            let var = va + vb;
            if var > 0.0 {
                let (na, nb) = (a.n as f64 - 1.0, b.n as f64 - 1.0);
                let df = var * var / (va * va / na + vb * vb / nb);
                let half = q.t(df) * var.sqrt();
                (d - half, d + half)
            } else {
                (d, d)
            }
        }
    };
    Some(Change {
        metric,
        from,
        to,
        difference: d,
        interval: Interval::new(lower.min(d), upper.max(d), q.level()),
    })
}

/// Returns the least-squares slope of `metric` on the period index.
fn trend(periods: &[PeriodMetrics], metric: Metric, q: &mut Quantiles) -> Option<Trend> {
    let first = periods.first()?.period.index();
    // Offsets from the first period keep the sums small and exact-ish.
    let points: Vec<(f64, f64)> = periods
        .iter()
        .filter_map(|m| Some(((m.period.index() - first) as f64, m.get(metric)?.value)))
        .collect();
    let k = points.len();
    if k < 2 {
        return None;
    }
    let kf = k as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / kf;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / kf;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    // Periods are distinct, so sxx > 0 for k >= 2.
    let slope = sxy / sxx;
    let interval = (k >= 3).then(|| {
        let rss: f64 = points
            .iter()
            .map(|p| (p.1 - mean_y - slope * (p.0 - mean_x)).powi(2))
            .sum();
        let se = (rss / (kf - 2.0) / sxx).sqrt();
        let half = q.t(kf - 2.0) * se;
        Interval::new(
            (slope - half).min(slope),
            (slope + half).max(slope),
            q.level(),
        )
    });
    Some(Trend {
        slope,
        periods: k,
        interval,
    })
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0).unwrap()
    }

    fn nps_row(t: DateTime<Utc>, score: i64) -> SurveyRow<&'static str, &'static str> {
        SurveyRow::new(t, "web", "all").nps(Nps::new(score).unwrap())
    }

    fn csat_row(t: DateTime<Utc>, score: i64) -> SurveyRow<&'static str, &'static str> {
        SurveyRow::new(t, "web", "all").csat(Csat::new(score).unwrap())
    }

    fn one_series<S: Clone, G: Clone>(r: &SurveyReport<S, G>) -> SurveySeries<S, G> {
        assert_eq!(r.series().len(), 1);
        r.series()[0].clone()
    }

    const Z95: f64 = 1.959_963_984_540_054;
    const END: (u32, u32) = (12, 31);

    #[test]
    fn nps_and_its_multinomial_interval_match_a_hand_computation() {
        // 5 promoters (10, 10, 9, 9, 9), 3 passives (7, 8, 8), 2 detractors (0, 6):
        // p₊ = 0.5, p₋ = 0.2, NPS = 100 · 0.3 = 30;
        // var = (0.5 + 0.2 − 0.3²) / 10 = 0.061, se = 100 · √0.061 = 24.6982;
        // interval = 30 ± 1.959964 · 24.6982 = [−18.4075, 78.4075].
        let rows: Vec<_> = [10, 10, 9, 9, 9, 7, 8, 8, 0, 6]
            .into_iter()
            .map(|s| nps_row(at(3, 2), s))
            .collect();
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let m = one_series(&r).periods()[0];
        assert_eq!((m.promoters(), m.detractors(), m.rows()), (5, 2, 10));
        let e = m.nps().unwrap();
        assert_relative_eq!(e.value(), 30.0, epsilon = 1e-12);
        assert_relative_eq!(
            e.standard_error().unwrap(),
            100.0 * 0.061_f64.sqrt(),
            epsilon = 1e-12
        );
        let i = e.interval().unwrap();
        assert_relative_eq!(
            i.lower(),
            30.0 - Z95 * 24.698_178_070_456_94,
            epsilon = 1e-6
        );
        assert_relative_eq!(i.upper(), 78.407_539_501_852_57, epsilon = 1e-6);
        assert_eq!(i.level(), 0.95);
        assert!(m.is_complete());
    }

    #[test]
    fn ces_uses_the_student_t_interval() {
        // Efforts 2, 4, 4, 6: mean 4, s² = (4 + 0 + 0 + 4) / 3 = 8/3,
        // se = √(8/3 / 4) = 0.816497; t(0.975, 3 df) = 3.182446;
        // interval = 4 ± 2.598457 = [1.401543, 6.598457].
        let rows: Vec<_> = [2, 4, 4, 6]
            .into_iter()
            .map(|e| SurveyRow::new(at(3, 2), 'a', 1).effort(EffortScore::new(e).unwrap()))
            .collect();
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let e = r.series()[0].periods()[0].ces().unwrap();
        assert_eq!((e.value(), e.n()), (4.0, 4));
        assert_relative_eq!(
            e.standard_error().unwrap(),
            (2.0_f64 / 3.0).sqrt(),
            epsilon = 1e-12
        );
        let i = e.interval().unwrap();
        assert_relative_eq!(
            i.lower(),
            4.0 - 3.182_446_305_284_263 * 0.816_496_580_927_726,
            epsilon = 1e-8
        );
        assert_relative_eq!(i.upper(), 6.598_457, epsilon = 1e-6);
    }

    #[test]
    fn csat_uses_the_wilson_interval() {
        // 5, 4, 4, 5, 2: 4 of 5 satisfied, 80%. Wilson, z² = 3.841459:
        // denom = 1 + z²/5 = 1.768292, centre = (0.8 + z²/10) / denom = 0.669656,
        // half = z / denom · √(0.8 · 0.2 / 5 + z²/100) = 0.294121 → [37.5535%, 96.3776%].
        let rows: Vec<_> = [5, 4, 4, 5, 2]
            .into_iter()
            .map(|s| csat_row(at(3, 2), s))
            .collect();
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let e = r.series()[0].periods()[0].csat().unwrap();
        assert_relative_eq!(e.value(), 80.0, epsilon = 1e-12);
        let i = e.interval().unwrap();
        assert_relative_eq!(i.lower(), 37.553_462_976_252_53, epsilon = 1e-6);
        assert_relative_eq!(i.upper(), 96.377_589_136_756_98, epsilon = 1e-6);
        assert_eq!(r.series()[0].periods()[0].satisfied(), 4);
    }

    #[test]
    fn one_answer_has_a_value_but_no_interval_and_none_has_no_estimate() {
        let rows = [nps_row(at(3, 2), 9)];
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let m = r.series()[0].periods()[0];
        let e = m.nps().unwrap();
        assert_eq!((e.value(), e.n()), (100.0, 1));
        assert_eq!((e.standard_error(), e.interval()), (None, None));
        assert_eq!((m.ces(), m.csat()), (None, None));
        assert_eq!(r.series()[0].trend(Metric::Nps), None);
        let empty: [SurveyRow<u8, u8>; 0] = [];
        let r = survey_metrics(&empty, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        assert!(r.series().is_empty());
    }

    #[test]
    fn trend_is_the_least_squares_slope_with_a_t_interval_and_gaps() {
        // CSAT in January 2/4 = 50%, February 3/4 = 75%, April 4/4 = 100%
        // (no answers in March): x = 0, 1, 3; y = 50, 75, 100.
        // x̄ = 4/3, ȳ = 75, Sxx = 42/9, Sxy = 75, slope = 75 · 9 / 42 = 16.0714.
        // Residuals −3.5714, 5.3571, −1.7857; RSS = 44.6429; se = √(RSS / 1 / Sxx) = 3.09295;
        // t(0.975, 1 df) = 12.706205 → [−23.2282, 55.3711]: not significant.
        let mut rows = Vec::new();
        for (m, scores) in [(1, [5, 5, 1, 2]), (2, [5, 4, 4, 1]), (4, [4, 4, 5, 5])] {
            rows.extend(scores.into_iter().map(|s| csat_row(at(m, 15), s)));
        }
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let s = one_series(&r);
        assert_eq!(s.periods().len(), 3);
        let t = s.trend(Metric::Csat).unwrap();
        assert_relative_eq!(t.slope(), 675.0 / 42.0, epsilon = 1e-10);
        assert_eq!(t.periods(), 3);
        let i = t.interval().unwrap();
        assert_relative_eq!(i.lower(), -23.228_200_311_476_577, epsilon = 1e-6);
        assert_relative_eq!(i.upper(), 55.371_057_454_333_716, epsilon = 1e-6);
        assert!(!t.is_significant());
        assert_eq!(s.trend(Metric::Nps), None);
        // Two periods: a slope, no interval.
        let two: Vec<_> = rows.iter().filter(|r| r.at() < at(3, 1)).cloned().collect();
        let r = survey_metrics(&two, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let t = r.series()[0].trend(Metric::Csat).unwrap();
        assert_eq!((t.slope(), t.interval()), (25.0, None));
    }

    #[test]
    fn csat_change_uses_newcombes_hybrid_score_interval() {
        // January 2/4 (Wilson [15.0039%, 84.9961%]), April 4/4 (Wilson
        // [51.0109%, 100%]); d = 50;
        // L = 50 − √((100 − 51.0109)² + (84.9961 − 50)²) = −10.2051,
        // U = 50 + √((100 − 100)² + (50 − 15.0039)²) = 84.9961.
        let mut rows = Vec::new();
        rows.extend([5, 5, 1, 2].map(|s| csat_row(at(1, 15), s)));
        rows.extend([4, 4, 5, 5].map(|s| csat_row(at(4, 15), s)));
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let s = one_series(&r);
        let c = s.latest_change(Metric::Csat).unwrap();
        assert_eq!(c.from().to_string(), "2026-01");
        assert_eq!(c.to().to_string(), "2026-04");
        assert_relative_eq!(c.difference(), 50.0, epsilon = 1e-12);
        assert_relative_eq!(c.interval().lower(), -10.205_127_751_366_35, epsilon = 1e-6);
        assert_relative_eq!(c.interval().upper(), 84.996_101_084_785_05, epsilon = 1e-6);
        assert!(!c.is_significant());
        assert_eq!(c.metric(), Metric::Csat);
    }

    #[test]
    fn nps_change_adds_the_variances_and_can_be_significant() {
        // March: 20 answers of 10 and 20 of 0 → NPS 0, var = (0.5 + 0.5 − 0)/40,
        // se = 100 · √(1/40) = 15.8114. April: 36 of 10 and 4 of 0 → NPS 80,
        // var = (0.9 + 0.1 − 0.64)/40 = 0.009, se = 9.48683.
        // d = 80, se(d) = √(250 + 90) = 18.4391, half = 36.1399 → [43.8601, 116.1399].
        // (The normal quantile is good to about 1e-9, hence the tolerance.)
        let mut rows = Vec::new();
        rows.extend((0..20).map(|_| nps_row(at(3, 5), 10)));
        rows.extend((0..20).map(|_| nps_row(at(3, 6), 0)));
        rows.extend((0..36).map(|_| nps_row(at(4, 5), 10)));
        rows.extend((0..4).map(|_| nps_row(at(4, 6), 0)));
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let c = r.series()[0].latest_change(Metric::Nps).unwrap();
        assert_relative_eq!(c.difference(), 80.0, epsilon = 1e-9);
        assert_relative_eq!(
            c.interval().lower(),
            80.0 - Z95 * 340.0_f64.sqrt(),
            epsilon = 1e-6
        );
        assert!(c.is_significant());
    }

    #[test]
    fn ces_change_uses_welch() {
        // A: 2, 4, 4, 6 (mean 4, s² = 8/3, n = 4); B: 5, 6, 7 (mean 6, s² = 1, n = 3).
        // va = 2/3, vb = 1/3, var = 1; df = 1 / ((4/9)/3 + (1/9)/2) = 1 / (0.148148 + 0.055556)
        // = 4.909091; t(0.975, 4.909) ≈ 2.58 (between 2.776 at 4 and 2.571 at 5).
        let mut rows = Vec::new();
        rows.extend(
            [2, 4, 4, 6]
                .map(|e| SurveyRow::new(at(1, 3), 0, 0).effort(EffortScore::new(e).unwrap())),
        );
        rows.extend(
            [5, 6, 7].map(|e| SurveyRow::new(at(2, 3), 0, 0).effort(EffortScore::new(e).unwrap())),
        );
        let r = survey_metrics(&rows, &SurveyParams::default(), at(END.0, END.1)).unwrap();
        let c = r.series()[0].latest_change(Metric::Ces).unwrap();
        assert_relative_eq!(c.difference(), 2.0, epsilon = 1e-12);
        let half = c.interval().upper() - 2.0;
        assert!(half > 2.571 && half < 2.776, "{half}");
        assert_relative_eq!(2.0 - c.interval().lower(), half, epsilon = 1e-12);
    }

    #[test]
    fn splits_make_the_series_and_late_rows_are_counted() {
        let rows = vec![
            SurveyRow::new(at(1, 1), "app", "gold").nps(Nps::new(10).unwrap()),
            SurveyRow::new(at(1, 2), "web", "gold").nps(Nps::new(0).unwrap()),
            SurveyRow::new(at(1, 3), "web", "silver").nps(Nps::new(9).unwrap()),
            SurveyRow::new(at(6, 3), "web", "silver").nps(Nps::new(9).unwrap()),
        ];
        let as_of = at(2, 1);
        let count = |split| {
            let r = survey_metrics(&rows, &SurveyParams::default().split(split), as_of).unwrap();
            assert_eq!(r.rows_after_as_of(), 1);
            r.series()
                .iter()
                .map(|s| {
                    (
                        s.group().copied(),
                        s.source().copied(),
                        s.periods()[0].rows(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            count(Split::Group),
            [(Some("gold"), None, 2), (Some("silver"), None, 1)]
        );
        assert_eq!(
            count(Split::Source),
            [(None, Some("app"), 1), (None, Some("web"), 2)]
        );
        assert_eq!(
            count(Split::GroupAndSource),
            [
                (Some("gold"), Some("app"), 1),
                (Some("gold"), Some("web"), 1),
                (Some("silver"), Some("web"), 1)
            ]
        );
        assert_eq!(count(Split::Overall), [(None, None, 3)]);
    }

    #[test]
    fn iso_weeks_split_at_mondays_across_the_year_end() {
        // 2026-12-31 (Thursday) and 2027-01-03 (Sunday) are both in 2026-W53;
        // 2027-01-04 (Monday) opens 2027-W01.
        let t = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 8, 0, 0).unwrap();
        let rows = [
            nps_row(t(2026, 12, 31), 9),
            nps_row(t(2027, 1, 3), 9),
            nps_row(t(2027, 1, 4), 9),
        ];
        let params = SurveyParams::default().granularity(Granularity::IsoWeek);
        let r = survey_metrics(&rows, &params, t(2027, 2, 1)).unwrap();
        let shown: Vec<_> = r.series()[0]
            .periods()
            .iter()
            .map(|m| (m.period().to_string(), m.rows()))
            .collect();
        assert_eq!(
            shown,
            [("2026-W53".to_string(), 2), ("2027-W01".to_string(), 1)]
        );
    }

    #[test]
    fn a_bad_level_is_an_invalid_parameter() {
        let rows = [nps_row(at(1, 1), 9)];
        for level in [0.0, 1.0, f64::NAN] {
            let err =
                survey_metrics(&rows, &SurveyParams::default().level(level), at(2, 1)).unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::InvalidParameter);
        }
    }

    fn arb_rows() -> impl Strategy<Value = Vec<SurveyRow<u8, u8>>> {
        let row = (
            -3_000_000_000i64..3_000_000_000i64,
            proptest::option::of(0i64..=10),
            proptest::option::of(1i64..=7),
            proptest::option::of(1i64..=5),
            0u8..3,
            0u8..3,
        )
            .prop_map(|(secs, nps, effort, csat, source, group)| {
                let mut r =
                    SurveyRow::new(DateTime::from_timestamp(secs, 0).unwrap(), source, group);
                if let Some(s) = nps {
                    r = r.nps(Nps::new(s).unwrap());
                }
                if let Some(s) = effort {
                    r = r.effort(EffortScore::new(s).unwrap());
                }
                if let Some(s) = csat {
                    r = r.csat(Csat::new(s).unwrap());
                }
                r
            });
        proptest::collection::vec(row, 0..200)
    }

    fn check_estimate(e: Option<Estimate>, lo: f64, hi: f64) -> Result<(), TestCaseError> {
        if let Some(e) = e {
            prop_assert!(e.n() >= 1);
            prop_assert!(e.value().is_finite() && (lo..=hi).contains(&e.value()));
            prop_assert_eq!(e.interval().is_some(), e.n() >= 2);
            prop_assert_eq!(e.standard_error().is_some(), e.n() >= 2);
            if let Some(i) = e.interval() {
                prop_assert!(i.contains(e.value()), "{:?}", e);
                prop_assert!(i.lower().is_finite() && i.upper().is_finite());
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn metrics_stay_in_range_and_ignore_row_order(
            rows in arb_rows(),
            as_of in -3_000_000_000i64..3_000_000_000i64,
            g in 0usize..4,
            split in 0usize..4,
            rotate in 0usize..200,
        ) {
            let as_of = DateTime::from_timestamp(as_of, 0).unwrap();
            let g = [Granularity::Day, Granularity::IsoWeek, Granularity::Month, Granularity::Quarter][g];
            let split = [Split::Group, Split::Source, Split::GroupAndSource, Split::Overall][split];
            let params = SurveyParams::default().granularity(g).split(split);
            let report = survey_metrics(&rows, &params, as_of).unwrap();
            let mut total = report.rows_after_as_of();
            for s in report.series() {
                for m in s.periods() {
                    total += m.rows();
                    prop_assert!(m.period().start() <= as_of);
                    check_estimate(m.nps(), -100.0, 100.0)?;
                    check_estimate(m.ces(), 1.0, 7.0)?;
                    check_estimate(m.csat(), 0.0, 100.0)?;
                }
                for metric in METRICS {
                    if let Some(t) = s.trend(metric) {
                        prop_assert!(t.slope().is_finite());
                        if let Some(i) = t.interval() {
                            prop_assert!(i.contains(t.slope()));
                        }
                    }
                    if let Some(c) = s.latest_change(metric) {
                        prop_assert!(c.interval().contains(c.difference()));
                    }
                }
            }
            prop_assert_eq!(total, rows.len() as u64);
            let mut shuffled = rows.clone();
            shuffled.reverse();
            if !shuffled.is_empty() {
                let k = rotate % shuffled.len();
                shuffled.rotate_left(k);
            }
            prop_assert_eq!(survey_metrics(&shuffled, &params, as_of).unwrap(), report);
        }
    }
}
