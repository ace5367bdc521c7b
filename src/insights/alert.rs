//! Alerts: customers whose feedback turns negative and segments whose NPS
//! or sentiment moves, as data a program can act on.
//!
//! Every alert says who ([`Alert::subject`]), why ([`Alert::reason`], a
//! [`Reason`] carrying the evidence: the values and times that triggered
//! it) and since when ([`Alert::since`]). The functions are pure: they read
//! plain rows and an "as of" instant, never a clock, and rows after "as of"
//! are left out. Their results do not depend on the order of the rows:
//! rows are put in the order `(key, time, value)` first, so rows at the same
//! instant count in the order of their values.
//!
//! | function | input | alerts when |
//! |---|---|---|
//! | [`sentiment_alerts`] | `(customer, at, score)`, scores in −1..=1 | the mean of the last `recent` scores is at or below `negative_level` and at least `sentiment_drop` below the mean of the earlier scores ([`Reason::SentimentDrop`]); or, without such a drop, each of the last `recent` scores is at or below `negative_level` ([`Reason::NegativeSentiment`]) |
//! | [`nps_alerts`] | `(customer, at, Nps)` | the latest answer is a detractor (0–6) and the one before was a promoter or passive (7–10) ([`Reason::NpsDrop`]) |
//! | [`segment_nps_alerts`] | a [`SurveyReport`] | a series' [`latest_change`](SurveySeries::latest_change) of NPS is at least `nps_change` points either way (and significant, unless told otherwise) ([`Reason::SegmentNps`]) |
//! | [`segment_sentiment_alerts`] | `(segment, at, score)` | the mean score of a segment moves at least `sentiment_change` either way between the last two periods with two or more scores (and significantly, by Welch's t interval, unless told otherwise) ([`Reason::SegmentSentiment`]) |
//!
//! The thresholds are in [`AlertParams`], checked by each function.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::insights::alert::{sentiment_alerts, AlertParams, Reason};
//!
//! let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
//! let rows = [
//!     ("ana", t(1, 5), 0.8),
//!     ("ana", t(2, 5), 0.6),
//!     ("ana", t(3, 5), -0.4),
//!     ("ana", t(3, 20), -0.6),
//!     ("bob", t(3, 1), 0.5),
//! ];
//! let alerts = sentiment_alerts(&rows, &AlertParams::default(), t(4, 1))?;
//! assert_eq!(alerts.len(), 1);
//! let ana = &alerts[0];
//! assert_eq!(*ana.subject(), "ana");
//! assert_eq!(ana.since(), t(3, 5)); // the first score of the recent window
//! let Reason::SentimentDrop { earlier, recent, .. } = ana.reason() else {
//!     panic!("a drop from +0.7 to -0.5");
//! };
//! assert!((earlier.mean() - 0.7).abs() < 1e-12);
//! assert!((recent.mean() + 0.5).abs() < 1e-12);
//! # Ok::<(), custodia::Error>(())
//! ```

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Utc};

use super::error::Detail;
use super::period::{Granularity, Period};
use super::stats::{check_level, Interval, Quantiles};
use super::survey::{Change, Estimate, Metric, SurveyReport};
use crate::error::Result;
use crate::model::Nps;

#[cfg(doc)]
use super::survey::SurveySeries;

/// Whether a segment's move must be statistically significant to raise an
/// alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Significance {
    /// Only moves whose confidence interval excludes zero raise alerts.
    #[default]
    Required,
    /// Moves past the threshold raise alerts whatever their interval; the
    /// evidence still says whether they were significant.
    NotRequired,
}

/// Thresholds of the alert functions.
///
/// | parameter | default | meaning | valid |
/// |---|---|---|---|
/// | `recent` | 2 | how many of a customer's latest scores form the recent window | ≥ 1 |
/// | `sentiment_drop` | 0.5 | how far the recent mean must fall below the earlier mean | in `(0, 2]` |
/// | `negative_level` | −0.05 | the level the recent mean (drop) or every recent score (negative sentiment) must be at or below; −0.05 is the usual cut between negative and neutral compound scores | in `[−1, 1]` |
/// | `nps_change` | 20 | NPS points a segment must move | in `(0, 200]` |
/// | `sentiment_change` | 0.25 | how far a segment's mean score must move | in `(0, 2]` |
/// | `significance` | [`Significance::Required`] | whether a segment's move must be significant | any |
/// | `granularity` | [`Granularity::Month`] | periods of [`segment_sentiment_alerts`] | any |
/// | `level` | 0.95 | confidence level of [`segment_sentiment_alerts`]' intervals | strictly between 0 and 1 |
///
/// [`segment_nps_alerts`] uses the periods and the confidence level of the
/// report it is given.
///
/// # Examples
///
/// ```
/// use custodia::insights::alert::{AlertParams, Significance};
///
/// let params = AlertParams::default()
///     .recent(3)
///     .nps_change(30.0)
///     .significance(Significance::NotRequired);
/// assert_ne!(params, AlertParams::default());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertParams {
    recent: usize,
    sentiment_drop: f64,
    negative_level: f64,
    nps_change: f64,
    sentiment_change: f64,
    significance: Significance,
    granularity: Granularity,
    level: f64,
}

impl Default for AlertParams {
    fn default() -> AlertParams {
        AlertParams {
            recent: 2,
            sentiment_drop: 0.5,
            negative_level: -0.05,
            nps_change: 20.0,
            sentiment_change: 0.25,
            significance: Significance::Required,
            granularity: Granularity::Month,
            level: 0.95,
        }
    }
}

impl AlertParams {
    /// Sets how many of a customer's latest scores form the recent window.
    pub fn recent(mut self, recent: usize) -> AlertParams {
        self.recent = recent;
        self
    }

    /// Sets how far the recent mean must fall below the earlier mean.
    pub fn sentiment_drop(mut self, drop: f64) -> AlertParams {
        self.sentiment_drop = drop;
        self
    }

    /// Sets the level recent scores must be at or below.
    pub fn negative_level(mut self, level: f64) -> AlertParams {
        self.negative_level = level;
        self
    }

    /// Sets how many NPS points a segment must move.
    pub fn nps_change(mut self, points: f64) -> AlertParams {
        self.nps_change = points;
        self
    }

    /// Sets how far a segment's mean score must move.
    pub fn sentiment_change(mut self, change: f64) -> AlertParams {
        self.sentiment_change = change;
        self
    }

    /// Sets whether a segment's move must be significant.
    pub fn significance(mut self, significance: Significance) -> AlertParams {
        self.significance = significance;
        self
    }

    /// Sets the periods of [`segment_sentiment_alerts`].
    pub fn granularity(mut self, granularity: Granularity) -> AlertParams {
        self.granularity = granularity;
        self
    }

    /// Sets the confidence level of [`segment_sentiment_alerts`]' intervals.
    pub fn level(mut self, level: f64) -> AlertParams {
        self.level = level;
        self
    }

    /// Checks every threshold against its valid range.
    fn validate(&self) -> Result<()> {
        let setting = |name, value: f64, rule| Detail::Setting { name, value, rule };
        if self.recent == 0 {
            return Err(setting("recent", 0.0, "at least 1").into());
        }
        let checks = [
            (
                "sentiment_drop",
                self.sentiment_drop,
                self.sentiment_drop > 0.0 && self.sentiment_drop <= 2.0,
                "in (0, 2]",
            ),
            (
                "negative_level",
                self.negative_level,
                (-1.0..=1.0).contains(&self.negative_level),
                "in [-1, 1]",
            ),
            (
                "nps_change",
                self.nps_change,
                self.nps_change > 0.0 && self.nps_change <= 200.0,
                "in (0, 200]",
            ),
            (
                "sentiment_change",
                self.sentiment_change,
                self.sentiment_change > 0.0 && self.sentiment_change <= 2.0,
                "in (0, 2]",
            ),
        ];
        for (name, value, ok, rule) in checks {
            if !ok {
                return Err(setting(name, value, rule).into());
            }
        }
        check_level(self.level)?;
        Ok(())
    }
}

/// Scores in time order with their mean: the evidence of a sentiment alert.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreWindow {
    scores: Vec<(DateTime<Utc>, f64)>,
    mean: f64,
}

impl ScoreWindow {
    fn new(scores: Vec<(DateTime<Utc>, f64)>) -> ScoreWindow {
        let mean = mean(scores.iter().map(|s| s.1), scores.len());
        ScoreWindow { scores, mean }
    }

    /// Returns the scores with their times, oldest first.
    pub fn scores(&self) -> &[(DateTime<Utc>, f64)] {
        &self.scores
    }

    /// Returns the mean score.
    pub fn mean(&self) -> f64 {
        self.mean
    }
}

/// A segment's scores in one period: the evidence of a segment sentiment
/// alert.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeriodMean {
    period: Period,
    n: u64,
    mean: f64,
    variance: f64,
}

impl PeriodMean {
    /// Returns the period.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Returns how many scores the period has.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Returns the mean score.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Returns the sample variance of the scores (`n − 1` in the
    /// denominator).
    pub fn variance(&self) -> f64 {
        self.variance
    }
}

/// Why an alert was raised, with the evidence that triggered it.
///
/// New reasons may be added, and each reason may gain fields.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// A customer's recent scores fell below their earlier ones and are
    /// negative.
    #[non_exhaustive]
    SentimentDrop {
        /// The scores before the recent window.
        earlier: ScoreWindow,
        /// The last `recent` scores.
        recent: ScoreWindow,
    },
    /// Each of a customer's last `recent` scores is at or below
    /// `negative_level` (with no earlier scores, or no drop from them).
    #[non_exhaustive]
    NegativeSentiment {
        /// The last `recent` scores.
        recent: ScoreWindow,
    },
    /// A customer's latest NPS answer is a detractor's, after a promoter's
    /// or passive's.
    #[non_exhaustive]
    NpsDrop {
        /// The answer before the latest, with its time.
        before: (DateTime<Utc>, Nps),
        /// The latest answer, with its time.
        after: (DateTime<Utc>, Nps),
    },
    /// A segment's NPS moved past the threshold between two periods.
    #[non_exhaustive]
    SegmentNps {
        /// The change, with its interval and significance.
        change: Change,
        /// NPS in the earlier period.
        before: Estimate,
        /// NPS in the later period.
        after: Estimate,
    },
    /// A segment's mean sentiment moved past the threshold between two
    /// periods.
    #[non_exhaustive]
    SegmentSentiment {
        /// The earlier period's scores.
        before: PeriodMean,
        /// The later period's scores.
        after: PeriodMean,
        /// The later mean minus the earlier one.
        difference: f64,
        /// Welch's t interval of the difference at the parameters' level;
        /// it contains the difference.
        interval: Interval,
    },
}

impl Reason {
    /// Returns `true` when the evidence is a change whose interval excludes
    /// zero; customer alerts, which compare one customer's own answers,
    /// return `false`.
    pub fn is_significant(&self) -> bool {
        match self {
            Reason::SegmentNps { change, .. } => change.is_significant(),
            Reason::SegmentSentiment { interval, .. } => interval.excludes_zero(),
            _ => false,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::SentimentDrop { earlier, recent } => write!(
                f,
                "sentiment fell from a mean of {:+.3} over {} earlier scores to {:+.3} over the last {}",
                earlier.mean,
                earlier.scores.len(),
                recent.mean,
                recent.scores.len()
            ),
            Reason::NegativeSentiment { recent } => write!(
                f,
                "each of the last {} scores is negative (mean {:+.3})",
                recent.scores.len(),
                recent.mean
            ),
            Reason::NpsDrop { before, after } => write!(
                f,
                "NPS answer fell from {} on {} to {} on {}",
                before.1.get(),
                before.0.format("%Y-%m-%d"),
                after.1.get(),
                after.0.format("%Y-%m-%d")
            ),
            Reason::SegmentNps { change, .. } => write!(
                f,
                "NPS moved {:+.1} points from {} to {} ({:.0}% interval {:+.1} to {:+.1})",
                change.difference(),
                change.from(),
                change.to(),
                100.0 * change.interval().level(),
                change.interval().lower(),
                change.interval().upper()
            ),
            Reason::SegmentSentiment {
                before,
                after,
                difference,
                interval,
            } => write!(
                f,
                "mean sentiment moved {difference:+.3} from {} to {} ({:.0}% interval {:+.3} to {:+.3})",
                before.period,
                after.period,
                100.0 * interval.level(),
                interval.lower(),
                interval.upper()
            ),
        }
    }
}

/// The subject of a [`segment_nps_alerts`] alert: a survey series'
/// `(group, source)`, each `None` when the report's split does not use it.
pub type SeriesKey<S, G> = (Option<G>, Option<S>);

/// An alert: who, why and since when.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert<K> {
    subject: K,
    since: DateTime<Utc>,
    reason: Reason,
}

impl<K> Alert<K> {
    /// Returns whom the alert is about: a customer's key, or a segment's.
    pub fn subject(&self) -> &K {
        &self.subject
    }

    /// Returns when the situation began: the first score of the recent
    /// window, the time of the detractor's answer, or the start of the
    /// later period of a segment's move.
    pub fn since(&self) -> DateTime<Utc> {
        self.since
    }

    /// Returns why the alert was raised, with its evidence.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    /// Returns the subject, consuming the alert.
    pub fn into_subject(self) -> K {
        self.subject
    }
}

/// Returns the mean of `n` values (0 for none), summed in the given order.
fn mean(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    values.sum::<f64>() / n as f64
}

/// Checks that every score is in −1..=1, naming the earliest offending row
/// (by time, then value) so that the error does not depend on row order.
fn check_scores<'r, K: 'r>(rows: impl Iterator<Item = &'r (K, DateTime<Utc>, f64)>) -> Result<()> {
    let bad = rows
        .filter(|r| !(-1.0..=1.0).contains(&r.2))
        .map(|r| (r.1, r.2))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    match bad {
        Some((at, score)) => Err(Detail::Score { at, score }.into()),
        None => Ok(()),
    }
}

/// Returns the rows at or before `as_of`, in `(key, time, value)` order.
fn sorted_rows<K: Ord, V>(
    rows: &[(K, DateTime<Utc>, V)],
    as_of: DateTime<Utc>,
    value: impl Fn(&V, &V) -> Ordering,
) -> Vec<&(K, DateTime<Utc>, V)> {
    let mut kept: Vec<_> = rows.iter().filter(|r| r.1 <= as_of).collect();
    kept.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then_with(|| value(&a.2, &b.2))
    });
    kept
}

/// Calls `each` with every run of rows sharing a key.
fn runs<'r, T, K: PartialEq>(
    rows: &[&'r T],
    key: impl Fn(&T) -> &K,
    mut each: impl FnMut(&[&'r T]),
) {
    let mut i = 0;
    while i < rows.len() {
        let k = key(rows[i]);
        let j = i + rows[i..].iter().take_while(|r| key(r) == k).count();
        each(&rows[i..j]);
        i = j;
    }
}

/// Returns an alert for every customer whose feedback turned negative, as
/// of `as_of`, sorted by customer.
///
/// `rows` are `(customer, time, score)` with scores in −1..=1 (a
/// sentiment compound score, for example); rows after `as_of` are left out.
/// Per customer, in time order, the last `recent` scores form the recent
/// window and the others the earlier one:
///
/// - [`Reason::SentimentDrop`] when the recent mean is at or below
///   `negative_level` and at least `sentiment_drop` below the earlier mean;
/// - otherwise [`Reason::NegativeSentiment`] when each recent score is at or
///   below `negative_level`.
///
/// A customer with fewer than `recent` scores raises nothing. The alert is
/// [`since`](Alert::since) the first score of the recent window. Runs in
/// `O(n log n)` for `n` rows (one sort).
///
/// # Errors
///
/// - [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
///   for a threshold outside its range ([`AlertParams`]).
/// - [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) for
///   a score outside −1..=1 or not a number, naming the earliest one.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::alert::{sentiment_alerts, AlertParams, Reason};
///
/// let t = |d| Utc.with_ymd_and_hms(2026, 3, d, 9, 0, 0).unwrap();
/// // Always negative: no drop, but each of the last two is negative.
/// let rows = [(7, t(1), -0.3), (7, t(2), -0.2), (7, t(3), -0.4)];
/// let alerts = sentiment_alerts(&rows, &AlertParams::default(), t(31))?;
/// assert!(matches!(alerts[0].reason(), Reason::NegativeSentiment { .. }));
/// assert_eq!(alerts[0].since(), t(2));
/// assert!(sentiment_alerts(&[(7, t(1), 1.5)], &AlertParams::default(), t(31)).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn sentiment_alerts<K>(
    rows: &[(K, DateTime<Utc>, f64)],
    params: &AlertParams,
    as_of: DateTime<Utc>,
) -> Result<Vec<Alert<K>>>
where
    K: Ord + Clone,
{
    params.validate()?;
    check_scores(rows.iter())?;
    let sorted = sorted_rows(rows, as_of, |a: &f64, b| a.total_cmp(b));
    let mut out = Vec::new();
    runs(
        &sorted,
        |r| &r.0,
        |run| {
            if run.len() < params.recent {
                return;
            }
            let split = run.len() - params.recent;
            let (earlier, recent) = run.split_at(split);
            let window =
                |rows: &[&(K, DateTime<Utc>, f64)]| rows.iter().map(|r| (r.1, r.2)).collect();
            let recent_mean = mean(recent.iter().map(|r| r.2), recent.len());
            let earlier_mean = mean(earlier.iter().map(|r| r.2), earlier.len());
            let reason = if !earlier.is_empty()
                && recent_mean <= params.negative_level
                && earlier_mean - recent_mean >= params.sentiment_drop
            {
                Reason::SentimentDrop {
                    earlier: ScoreWindow::new(window(earlier)),
                    recent: ScoreWindow::new(window(recent)),
                }
            } else if recent.iter().all(|r| r.2 <= params.negative_level) {
                Reason::NegativeSentiment {
                    recent: ScoreWindow::new(window(recent)),
                }
            } else {
                return;
            };
            out.push(Alert {
                subject: run[0].0.clone(),
                since: recent[0].1,
                reason,
            });
        },
    );
    Ok(out)
}

/// Returns an alert for every customer whose latest NPS answer as of
/// `as_of` is a detractor's (0–6) after a promoter's or passive's (7–10),
/// sorted by customer.
///
/// `rows` are `(customer, time, answer)`; rows after `as_of` are left out,
/// and answers at the same instant count in the order of their scores. The
/// alert ([`Reason::NpsDrop`]) is [`since`](Alert::since) the detractor's
/// answer. Runs in `O(n log n)` for `n` rows (one sort).
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
/// for a threshold outside its range ([`AlertParams`]).
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::alert::{nps_alerts, AlertParams, Reason};
/// use custodia::model::Nps;
///
/// let t = |m| Utc.with_ymd_and_hms(2026, m, 1, 9, 0, 0).unwrap();
/// let rows = [
///     ("ana", t(1), Nps::new(9)?),
///     ("ana", t(2), Nps::new(4)?), // promoter → detractor
///     ("bob", t(1), Nps::new(3)?),
///     ("bob", t(2), Nps::new(2)?), // a detractor all along
/// ];
/// let alerts = nps_alerts(&rows, &AlertParams::default(), t(3))?;
/// assert_eq!(alerts.len(), 1);
/// assert_eq!((*alerts[0].subject(), alerts[0].since()), ("ana", t(2)));
/// assert!(matches!(alerts[0].reason(), Reason::NpsDrop { .. }));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn nps_alerts<K>(
    rows: &[(K, DateTime<Utc>, Nps)],
    params: &AlertParams,
    as_of: DateTime<Utc>,
) -> Result<Vec<Alert<K>>>
where
    K: Ord + Clone,
{
    params.validate()?;
    let sorted = sorted_rows(rows, as_of, |a: &Nps, b| a.get().cmp(&b.get()));
    let mut out = Vec::new();
    runs(
        &sorted,
        |r| &r.0,
        |run| {
            if let [.., before, after] = run {
                if after.2.is_detractor() && !before.2.is_detractor() {
                    out.push(Alert {
                        subject: after.0.clone(),
                        since: after.1,
                        reason: Reason::NpsDrop {
                            before: (before.1, before.2),
                            after: (after.1, after.2),
                        },
                    });
                }
            }
        },
    );
    Ok(out)
}

/// Returns an alert for every series of `report` whose NPS moved at least
/// `nps_change` points, either way, between its last two periods with two
/// or more NPS answers ([`SurveySeries::latest_change`]), in the report's
/// series order.
///
/// The subject is the series' [`SeriesKey`], `(group, source)`, each `None`
/// when the report's split does not use it. With [`Significance::Required`] only
/// changes whose interval excludes zero count. The alert
/// ([`Reason::SegmentNps`]) is [`since`](Alert::since) the start of the
/// later period. Runs in `O(s)` for `s` series.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
/// for a threshold outside its range ([`AlertParams`]).
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::alert::{segment_nps_alerts, AlertParams};
/// use custodia::insights::survey::{survey_metrics, SurveyParams, SurveyRow};
/// use custodia::model::Nps;
///
/// let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
/// let mut rows = Vec::new();
/// for d in 1..=20 {
///     rows.push(SurveyRow::new(t(1, d), "email", "vip").nps(Nps::new(10)?));
///     rows.push(SurveyRow::new(t(2, d), "email", "vip").nps(Nps::new(if d % 2 == 0 { 2 } else { 9 })?));
/// }
/// let report = survey_metrics(&rows, &SurveyParams::default(), t(3, 1))?;
/// // January 100, February 0: down 100 points, and significant.
/// let alerts = segment_nps_alerts(&report, &AlertParams::default())?;
/// assert_eq!(alerts[0].subject(), &(Some("vip"), None));
/// assert!(alerts[0].reason().is_significant());
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn segment_nps_alerts<S, G>(
    report: &SurveyReport<S, G>,
    params: &AlertParams,
) -> Result<Vec<Alert<SeriesKey<S, G>>>>
where
    S: Clone,
    G: Clone,
{
    params.validate()?;
    let mut out = Vec::new();
    for series in report.series() {
        let Some(change) = series.latest_change(Metric::Nps) else {
            continue;
        };
        if change.difference().abs() < params.nps_change
            || (params.significance == Significance::Required && !change.is_significant())
        {
            continue;
        }
        let estimate = |p: Period| {
            series
                .periods()
                .iter()
                .find(|m| m.period() == p)
                .and_then(|m| m.nps())
        };
        // `latest_change` compares two periods that both have an estimate.
        let (Some(before), Some(after)) = (estimate(change.from()), estimate(change.to())) else {
            continue;
        };
        out.push(Alert {
            subject: (series.group().cloned(), series.source().cloned()),
            since: change.to().start(),
            reason: Reason::SegmentNps {
                change,
                before,
                after,
            },
        });
    }
    Ok(out)
}

/// Returns an alert for every segment whose mean sentiment moved at least
/// `sentiment_change`, either way, between its last two periods with two or
/// more scores as of `as_of`, sorted by segment.
///
/// `rows` are `(segment, time, score)` with scores in −1..=1; rows after
/// `as_of` are left out. Periods are of the parameters' granularity (UTC).
/// The interval of the difference is Welch's t interval (Welch–
/// Satterthwaite degrees of freedom) at the parameters' level; with
/// [`Significance::Required`] only differences whose interval excludes zero
/// count; when both periods' scores are all alike the interval has no
/// width, so any move is significant. The alert ([`Reason::SegmentSentiment`]) is
/// [`since`](Alert::since) the start of the later period. Runs in
/// `O(n log n)` for `n` rows (one sort).
///
/// # Errors
///
/// - [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
///   for a threshold outside its range ([`AlertParams`]).
/// - [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) for
///   a score outside −1..=1 or not a number, naming the earliest one.
/// - [`ErrorKind::LimitExceeded`](crate::error::ErrorKind::LimitExceeded)
///   when the period of a row cannot be represented.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::alert::{segment_sentiment_alerts, AlertParams, Reason};
///
/// let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
/// let rows = [
///     ("gold", t(1, 3), 0.6), ("gold", t(1, 9), 0.8),
///     ("gold", t(2, 3), -0.1), ("gold", t(2, 9), 0.1),
/// ];
/// let alerts = segment_sentiment_alerts(&rows, &AlertParams::default(), t(3, 1))?;
/// let Reason::SegmentSentiment { difference, .. } = alerts[0].reason() else {
///     panic!("a segment alert");
/// };
/// assert!((difference + 0.7).abs() < 1e-12); // 0.7 → 0.0
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn segment_sentiment_alerts<G>(
    rows: &[(G, DateTime<Utc>, f64)],
    params: &AlertParams,
    as_of: DateTime<Utc>,
) -> Result<Vec<Alert<G>>>
where
    G: Ord + Clone,
{
    params.validate()?;
    check_scores(rows.iter())?;
    let mut q = Quantiles::new(params.level)?;
    let g = params.granularity;
    let sorted = sorted_rows(rows, as_of, |a: &f64, b| a.total_cmp(b));
    let mut periods: Vec<Period> = Vec::with_capacity(sorted.len());
    for r in &sorted {
        periods.push(g.period_of(r.1)?);
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let group = &sorted[i].0;
        let end = i + sorted[i..].iter().take_while(|r| &r.0 == group).count();
        // The last two periods with two or more scores, latest first.
        let mut cells: Vec<PeriodMean> = Vec::with_capacity(2);
        let mut j = end;
        while j > i && cells.len() < 2 {
            let p = periods[j - 1];
            let start = j - periods[i..j].iter().rev().take_while(|&&q| q == p).count();
            let n = j - start;
            if n >= 2 {
                let scores = || sorted[start..j].iter().map(|r| r.2);
                let m = mean(scores(), n);
                let ss: f64 = scores().map(|x| (x - m) * (x - m)).sum();
                cells.push(PeriodMean {
                    period: p,
                    n: n as u64,
                    mean: m,
                    variance: ss / (n as f64 - 1.0),
                });
            }
            j = start;
        }
        if let [after, before] = cells[..] {
            let d = after.mean - before.mean;
            let (va, vb) = (
                before.variance / before.n as f64,
                after.variance / after.n as f64,
            );
            let var = va + vb;
            let half = if var > 0.0 {
                let df = var * var
                    / (va * va / (before.n as f64 - 1.0) + vb * vb / (after.n as f64 - 1.0));
                q.t(df) * var.sqrt()
            } else {
                0.0
            };
            let interval = Interval::new((d - half).min(d), (d + half).max(d), q.level());
            let significant = interval.excludes_zero();
            if d.abs() >= params.sentiment_change
                && (significant || params.significance == Significance::NotRequired)
            {
                out.push(Alert {
                    subject: group.clone(),
                    since: after.period.start(),
                    reason: Reason::SegmentSentiment {
                        before,
                        after,
                        difference: d,
                        interval,
                    },
                });
            }
        }
        i = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::insights::survey::{survey_metrics, SurveyParams, SurveyRow};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap()
    }

    fn nps(score: i64) -> Nps {
        Nps::new(score).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_drop_to_negative_compares_the_recent_mean_with_the_earlier_one() {
        let rows = [
            (1, at(1, 1), 0.9),
            (1, at(1, 2), 0.5),
            (1, at(1, 3), 0.1),
            (1, at(2, 1), -0.2),
            (1, at(2, 2), -0.6),
        ];
        let alerts = sentiment_alerts(&rows, &AlertParams::default(), at(3, 1)).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!((*alerts[0].subject(), alerts[0].since()), (1, at(2, 1)));
        let Reason::SentimentDrop { earlier, recent } = alerts[0].reason() else {
            panic!("{:?}", alerts[0]);
        };
        // Earlier (0.9 + 0.5 + 0.1) / 3 = 0.5; recent (−0.2 − 0.6) / 2 = −0.4.
        assert!(close(earlier.mean(), 0.5) && close(recent.mean(), -0.4));
        assert_eq!(earlier.scores().len(), 3);
        assert_eq!(recent.scores(), [(at(2, 1), -0.2), (at(2, 2), -0.6)]);
        assert!(!alerts[0].reason().is_significant());
    }

    #[test]
    fn the_drop_threshold_is_inclusive() {
        // Earlier 0.5, recent −0.25: a drop of exactly 0.75.
        let rows = [(1, at(1, 1), 0.5), (1, at(1, 2), -0.25)];
        let params = AlertParams::default().recent(1);
        let hit = sentiment_alerts(&rows, &params.sentiment_drop(0.75), at(2, 1)).unwrap();
        assert!(matches!(hit[0].reason(), Reason::SentimentDrop { .. }));
        // A higher threshold: no drop, but the last score is negative.
        let streak = sentiment_alerts(&rows, &params.sentiment_drop(0.76), at(2, 1)).unwrap();
        assert!(matches!(
            streak[0].reason(),
            Reason::NegativeSentiment { .. }
        ));
        // And above the negative level nothing is raised.
        let calm = params.sentiment_drop(0.76).negative_level(-0.3);
        assert!(sentiment_alerts(&rows, &calm, at(2, 1)).unwrap().is_empty());
    }

    #[test]
    fn a_drop_that_stays_positive_raises_nothing() {
        let rows = [(1, at(1, 1), 0.9), (1, at(1, 2), 0.1), (1, at(1, 3), 0.1)];
        let alerts = sentiment_alerts(&rows, &AlertParams::default(), at(2, 1)).unwrap();
        assert!(alerts.is_empty());
    }

    #[test]
    fn a_negative_streak_needs_every_recent_score_negative() {
        let mixed = [(1, at(1, 1), -0.9), (1, at(1, 2), 0.2)];
        let params = AlertParams::default();
        assert!(sentiment_alerts(&mixed, &params, at(2, 1))
            .unwrap()
            .is_empty());
        let both = [(1, at(1, 1), -0.9), (1, at(1, 2), -0.05)];
        let alerts = sentiment_alerts(&both, &params, at(2, 1)).unwrap();
        let Reason::NegativeSentiment { recent } = alerts[0].reason() else {
            panic!("{:?}", alerts[0]);
        };
        assert!(close(recent.mean(), -0.475));
        assert_eq!(alerts[0].since(), at(1, 1));
        // Too few scores for the window.
        assert!(sentiment_alerts(&both[..1], &params, at(2, 1))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn rows_after_as_of_are_left_out() {
        let rows = [(1, at(1, 1), 0.8), (1, at(2, 1), -0.8), (1, at(3, 1), -0.8)];
        let params = AlertParams::default().recent(1);
        assert_eq!(sentiment_alerts(&rows, &params, at(1, 20)).unwrap(), []);
        let feb = sentiment_alerts(&rows, &params, at(2, 1)).unwrap();
        assert_eq!(feb[0].since(), at(2, 1));
        let Reason::SentimentDrop { earlier, .. } = feb[0].reason() else {
            panic!("{:?}", feb[0]);
        };
        assert_eq!(earlier.scores(), [(at(1, 1), 0.8)]);
    }

    #[test]
    fn scores_outside_the_range_are_invalid_input_naming_the_earliest() {
        for bad in [1.0 + 1e-12, -1.5, f64::NAN, f64::INFINITY] {
            let rows = [(1, at(2, 1), 0.0), (2, at(1, 5), bad), (3, at(3, 1), 2.0)];
            let err = sentiment_alerts(&rows, &AlertParams::default(), at(4, 1)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("2026-01-05"), "{err}");
            let err =
                segment_sentiment_alerts(&rows, &AlertParams::default(), at(4, 1)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
        // The ends are valid.
        let rows = [(1, at(1, 1), -1.0), (1, at(1, 2), 1.0)];
        assert!(sentiment_alerts(&rows, &AlertParams::default(), at(2, 1)).is_ok());
    }

    #[test]
    fn bad_thresholds_are_invalid_parameters() {
        let d = AlertParams::default();
        let bad = [
            d.recent(0),
            d.sentiment_drop(0.0),
            d.sentiment_drop(2.5),
            d.sentiment_drop(f64::NAN),
            d.negative_level(-1.1),
            d.negative_level(f64::NAN),
            d.nps_change(0.0),
            d.nps_change(201.0),
            d.sentiment_change(-0.1),
            d.sentiment_change(f64::INFINITY),
            d.level(1.0),
            d.level(0.0),
        ];
        let rows: [(u8, DateTime<Utc>, f64); 0] = [];
        let answers: [(u8, DateTime<Utc>, Nps); 0] = [];
        let report = survey_metrics::<u8, u8>(&[], &SurveyParams::default(), at(1, 1)).unwrap();
        for p in bad {
            for err in [
                sentiment_alerts(&rows, &p, at(1, 1)).unwrap_err(),
                nps_alerts(&answers, &p, at(1, 1)).unwrap_err(),
                segment_nps_alerts(&report, &p).unwrap_err(),
                segment_sentiment_alerts(&rows, &p, at(1, 1)).unwrap_err(),
            ] {
                assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{p:?}: {err}");
            }
        }
        assert!(
            sentiment_alerts(&rows, &d.sentiment_drop(2.0).negative_level(1.0), at(1, 1)).is_ok()
        );
    }

    #[test]
    fn an_nps_drop_is_the_latest_answer_turning_detractor() {
        let rows = [
            ("ana", at(1, 1), nps(7)), // passive
            ("ana", at(2, 1), nps(6)), // detractor
            ("bob", at(1, 1), nps(10)),
            ("bob", at(2, 1), nps(0)),
            ("bob", at(3, 1), nps(9)), // recovered
            ("cid", at(1, 1), nps(5)),
            ("cid", at(2, 1), nps(6)), // a detractor all along
            ("dan", at(2, 1), nps(2)), // one answer
        ];
        let alerts = nps_alerts(&rows, &AlertParams::default(), at(4, 1)).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!((*alerts[0].subject(), alerts[0].since()), ("ana", at(2, 1)));
        assert_eq!(
            alerts[0].reason(),
            &Reason::NpsDrop {
                before: (at(1, 1), nps(7)),
                after: (at(2, 1), nps(6)),
            }
        );
        // As of February, bob's drop is the latest answer.
        let feb = nps_alerts(&rows, &AlertParams::default(), at(2, 1)).unwrap();
        let who: Vec<&str> = feb.iter().map(|a| *a.subject()).collect();
        assert_eq!(who, ["ana", "bob"]);
        assert_eq!(
            feb[1].reason().to_string(),
            "NPS answer fell from 10 on 2026-01-01 to 0 on 2026-02-01"
        );
    }

    #[test]
    fn segment_sentiment_uses_welch_on_the_last_two_periods_with_two_scores() {
        let rows = [
            ("gold", at(1, 3), 0.6),
            ("gold", at(1, 9), 0.8),
            ("gold", at(2, 3), 0.9), // one score: skipped
            ("gold", at(3, 3), -0.1),
            ("gold", at(3, 9), 0.1),
            ("tin", at(1, 3), 0.1),
            ("tin", at(3, 3), -0.9), // one period with two scores at most
            ("tin", at(3, 4), -0.9),
        ];
        let alerts = segment_sentiment_alerts(&rows, &AlertParams::default(), at(4, 1)).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            (*alerts[0].subject(), alerts[0].since()),
            ("gold", Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap())
        );
        let Reason::SegmentSentiment {
            before,
            after,
            difference,
            interval,
        } = alerts[0].reason()
        else {
            panic!("{:?}", alerts[0]);
        };
        // Means 0.7 and 0.0, variances 0.02 each; var of the difference
        // 0.01 + 0.01, df = 0.02² / (0.01² + 0.01²) = 2, t(0.975, 2) =
        // 4.302653, half width 4.302653 · √0.02 = 0.608490.
        assert_eq!((before.n(), after.n()), (2, 2));
        assert!(close(before.mean(), 0.7) && close(after.mean(), 0.0));
        assert!(close(before.variance(), 0.02) && close(after.variance(), 0.02));
        assert!(close(*difference, -0.7));
        assert!((interval.lower() - (-0.7 - 0.608_490)).abs() < 1e-5);
        assert!((interval.upper() - (-0.7 + 0.608_490)).abs() < 1e-5);
        assert!(alerts[0].reason().is_significant());
        // At the 99% level t(0.995, 2) = 9.924843: half width 1.403585,
        // not significant, so only raised when significance is not required.
        let strict = AlertParams::default().level(0.99);
        assert!(segment_sentiment_alerts(&rows, &strict, at(4, 1))
            .unwrap()
            .is_empty());
        let loose = strict.significance(Significance::NotRequired);
        let alerts = segment_sentiment_alerts(&rows, &loose, at(4, 1)).unwrap();
        let Reason::SegmentSentiment { interval, .. } = alerts[0].reason() else {
            panic!("{:?}", alerts[0]);
        };
        assert!(
            (interval.upper() - (-0.7 + 1.403_585)).abs() < 1e-5,
            "{interval:?}"
        );
        assert!(!alerts[0].reason().is_significant());
        // Below the threshold nothing is raised.
        let high = loose.sentiment_change(0.71);
        assert!(segment_sentiment_alerts(&rows, &high, at(4, 1))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn segment_nps_reads_the_latest_change_of_each_series() {
        let mut rows = Vec::new();
        for d in 1..=20 {
            rows.push(SurveyRow::new(at(1, d), "email", "vip").nps(nps(10)));
            let feb = if d % 2 == 0 { 2 } else { 9 };
            rows.push(SurveyRow::new(at(2, d), "email", "vip").nps(nps(feb)));
            // A steady group: one promoter and one passive each month.
            let steady = if d <= 2 { 10 } else { 8 };
            if d <= 4 {
                rows.push(SurveyRow::new(at(1, d), "app", "std").nps(nps(steady)));
                rows.push(SurveyRow::new(at(2, d), "app", "std").nps(nps(steady)));
            }
        }
        let report = survey_metrics(&rows, &SurveyParams::default(), at(3, 1)).unwrap();
        let alerts = segment_nps_alerts(&report, &AlertParams::default()).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].subject(), &(Some("vip"), None));
        assert_eq!(
            alerts[0].since(),
            Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()
        );
        let Reason::SegmentNps {
            change,
            before,
            after,
        } = alerts[0].reason()
        else {
            panic!("{:?}", alerts[0]);
        };
        // 100 → 0 with n = 20 each: se 0 and √((0.5 + 0.5 − 0) / 20) · 100 =
        // 22.36; half width 1.959964 · 22.36 = 43.83.
        assert_eq!((before.value(), after.value()), (100.0, 0.0));
        assert!(close(change.difference(), -100.0));
        assert!((change.interval().upper() - (-100.0 + 43.826)).abs() < 1e-2);
        assert!(alerts[0].reason().is_significant());
        // A threshold above the move raises nothing.
        let high = AlertParams::default().nps_change(100.5);
        assert!(segment_nps_alerts(&report, &high).unwrap().is_empty());
    }

    #[test]
    fn an_insignificant_segment_move_needs_significance_not_required() {
        // January 1 promoter of 2 → 50; February 1 promoter and 1 detractor
        // → 0. Standard errors √((0.5 − 0.25) / 2) and √(1 / 2), so the
        // half width is 1.96 · 100 · √0.625 = 155 > 50.
        let rows = [
            SurveyRow::new(at(1, 1), "email", 1).nps(nps(10)),
            SurveyRow::new(at(1, 2), "email", 1).nps(nps(8)),
            SurveyRow::new(at(2, 1), "email", 1).nps(nps(3)),
            SurveyRow::new(at(2, 2), "email", 1).nps(nps(9)),
        ];
        let report = survey_metrics(&rows, &SurveyParams::default(), at(3, 1)).unwrap();
        assert!(segment_nps_alerts(&report, &AlertParams::default())
            .unwrap()
            .is_empty());
        let loose = AlertParams::default().significance(Significance::NotRequired);
        let alerts = segment_nps_alerts(&report, &loose).unwrap();
        assert_eq!(alerts.len(), 1);
        assert!(!alerts[0].reason().is_significant());
        assert!(alerts[0]
            .reason()
            .to_string()
            .starts_with("NPS moved -50.0 points from 2026-01 to 2026-02"));
    }

    fn arb_scores() -> impl Strategy<Value = Vec<(u8, DateTime<Utc>, f64)>> {
        let score = prop_oneof![
            8 => -1.0f64..=1.0,
            1 => Just(-1.0),
            1 => Just(1.0),
            1 => any::<f64>(),
        ];
        let row = (0u8..4, -3_000_000_000i64..3_000_000_000i64, score)
            .prop_map(|(k, secs, s)| (k, DateTime::from_timestamp(secs, 0).unwrap(), s));
        proptest::collection::vec(row, 0..120)
    }

    fn arb_params() -> impl Strategy<Value = AlertParams> {
        (
            1usize..4,
            0.01f64..=2.0,
            -1.0f64..=1.0,
            0.01f64..=2.0,
            any::<bool>(),
            0usize..4,
        )
            .prop_map(|(recent, drop, level, change, strict, g)| {
                let g = [
                    Granularity::Day,
                    Granularity::IsoWeek,
                    Granularity::Month,
                    Granularity::Quarter,
                ][g];
                AlertParams::default()
                    .recent(recent)
                    .sentiment_drop(drop)
                    .negative_level(level)
                    .sentiment_change(change)
                    .granularity(g)
                    .significance(if strict {
                        Significance::Required
                    } else {
                        Significance::NotRequired
                    })
            })
    }

    fn shuffled<T: Clone>(rows: &[T], rotate: usize) -> Vec<T> {
        let mut out = rows.to_vec();
        out.reverse();
        if !out.is_empty() {
            let k = rotate % out.len();
            out.rotate_left(k);
        }
        out
    }

    proptest! {
        #[test]
        fn sentiment_alerts_never_panic_and_ignore_row_order(
            rows in arb_scores(),
            params in arb_params(),
            as_of in -3_000_000_000i64..3_000_000_000i64,
            rotate in 0usize..120,
        ) {
            let as_of = DateTime::from_timestamp(as_of, 0).unwrap();
            let other = shuffled(&rows, rotate);
            let a = sentiment_alerts(&rows, &params, as_of);
            let b = sentiment_alerts(&other, &params, as_of);
            prop_assert_eq!(a.is_ok(), b.is_ok());
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(&a, &b);
                    for alert in &a {
                        prop_assert!(alert.since() <= as_of);
                        match alert.reason() {
                            Reason::SentimentDrop { earlier, recent } => {
                                prop_assert_eq!(recent.scores().len(), params.recent);
                                prop_assert!(recent.mean() <= params.negative_level);
                                prop_assert!(earlier.mean() - recent.mean() >= params.sentiment_drop);
                            }
                            Reason::NegativeSentiment { recent } => {
                                prop_assert!(recent.scores().iter().all(|s| s.1 <= params.negative_level));
                            }
                            other => prop_assert!(false, "{:?}", other),
                        }
                    }
                }
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a.kind(), ErrorKind::InvalidInput);
                    prop_assert_eq!(a.to_string(), b.to_string());
                }
                _ => unreachable!(),
            }
            let a = segment_sentiment_alerts(&rows, &params, as_of);
            let b = segment_sentiment_alerts(&other, &params, as_of);
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(&a, &b);
                    for alert in &a {
                        let Reason::SegmentSentiment { difference, interval, .. } = alert.reason() else {
                            return Err(TestCaseError::fail("not a segment alert"));
                        };
                        prop_assert!(difference.abs() >= params.sentiment_change);
                        prop_assert!(interval.contains(*difference));
                        prop_assert!(interval.lower().is_finite() && interval.upper().is_finite());
                    }
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                _ => prop_assert!(false, "one order failed, the other did not"),
            }
        }

        #[test]
        fn nps_alerts_never_panic_and_ignore_row_order(
            rows in proptest::collection::vec(
                (0u8..4, -3_000_000_000i64..3_000_000_000i64, 0i64..=10),
                0..120,
            ),
            as_of in -3_000_000_000i64..3_000_000_000i64,
            rotate in 0usize..120,
        ) {
            let rows: Vec<_> = rows
                .into_iter()
                .map(|(k, secs, s)| (k, DateTime::from_timestamp(secs, 0).unwrap(), nps(s)))
                .collect();
            let as_of = DateTime::from_timestamp(as_of, 0).unwrap();
            let params = AlertParams::default();
            let a = nps_alerts(&rows, &params, as_of).unwrap();
            prop_assert_eq!(&a, &nps_alerts(&shuffled(&rows, rotate), &params, as_of).unwrap());
            for alert in &a {
                let Reason::NpsDrop { before, after } = alert.reason() else {
                    return Err(TestCaseError::fail("not an NPS drop"));
                };
                prop_assert!(after.1.is_detractor() && !before.1.is_detractor());
                prop_assert!(before.0 <= after.0 && after.0 <= as_of);
            }
        }
    }
}
