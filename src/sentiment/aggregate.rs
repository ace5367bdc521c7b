//! One customer's sentiment over time.
//!
//! The caller gives `(time, score)` pairs (scores from any
//! [`SentimentScorer`](super::SentimentScorer), in −1..=1) and gets a
//! [`SentimentSummary`] whose numbers are ready to be used as fields in
//! segmentation (`sentiment_recent < -0.3 and sentiment_trend < 0`).

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::{Error, ErrorKind, Result};

use super::error::Detail;

/// Parameters of [`SentimentSummary::from_scores`].
///
/// | parameter | default | meaning | valid |
/// |---|---|---|---|
/// | `half_life` | 30 days | age at which a score's weight halves in the recency-weighted mean | > 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AggregateParams {
    half_life: TimeDelta,
}

impl Default for AggregateParams {
    fn default() -> AggregateParams {
        AggregateParams {
            half_life: TimeDelta::days(30),
        }
    }
}

impl AggregateParams {
    /// Sets the half-life of the recency weighting.
    #[must_use]
    pub fn half_life(mut self, half_life: TimeDelta) -> AggregateParams {
        self.half_life = half_life;
        self
    }
}

/// Summary of one customer's scored feedback at a point in time.
///
/// - `mean`: plain mean of the scores;
/// - `recency_weighted`: mean with weights `0.5^(age / half_life)`, where age
///   is measured back from `at` (scores after `at` count as age 0). Any
///   positive half-life works, from 1 ns to [`TimeDelta::MAX`]: one far below
///   the spacing of the scores gives the latest score (the mean of ties), a
///   very long one the plain mean;
/// - `trend_per_day`: least-squares slope of score against time, in score
///   units per day (`None` with fewer than two distinct times);
/// - `latest`: the score at the latest time (the mean of ties), with
///   `latest_at`.
///
/// The summary does not depend on the order of the observations.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::sentiment::{AggregateParams, SentimentSummary};
///
/// let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
/// let scores = [(day(1), 0.8), (day(10), 0.2), (day(20), -0.6)];
/// let s = SentimentSummary::from_scores(&scores, day(21), AggregateParams::default())?;
/// assert_eq!(s.count(), 3);
/// assert!((s.mean() - 0.1333).abs() < 1e-3);
/// assert!(s.recency_weighted() < s.mean());
/// assert!(s.trend_per_day().is_some_and(|t| t < 0.0));
/// assert_eq!(s.latest(), -0.6);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SentimentSummary {
    count: usize,
    mean: f64,
    recency_weighted: f64,
    trend_per_day: Option<f64>,
    latest: f64,
    latest_at: DateTime<Utc>,
    first_at: DateTime<Utc>,
}

#[allow(clippy::cast_precision_loss)] // counts and day offsets far below 2^52
impl SentimentSummary {
    /// Summarises `scores` as seen at time `at`.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InsufficientData`] when `scores` is empty;
    /// - [`ErrorKind::InvalidInput`] when a score is outside −1..=1 or NaN;
    /// - [`ErrorKind::InvalidParameter`] when the half-life is not positive.
    pub fn from_scores(
        scores: &[(DateTime<Utc>, f64)],
        at: DateTime<Utc>,
        params: AggregateParams,
    ) -> Result<SentimentSummary> {
        if params.half_life <= TimeDelta::zero() {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                Detail::ParamOutOfRange {
                    name: "half_life (seconds)",
                    value: params.half_life.num_seconds() as f64,
                    range: "(0, inf)",
                },
            ));
        }
        if scores.is_empty() {
            return Err(Error::new(
                ErrorKind::InsufficientData,
                Detail::NoObservations,
            ));
        }
        for (index, (_, score)) in scores.iter().enumerate() {
            if !(-1.0..=1.0).contains(score) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    Detail::ScoreOutOfRange {
                        index,
                        score: *score,
                    },
                ));
            }
        }
        // Sorting first makes every sum independent of the caller's order.
        let mut obs = scores.to_vec();
        obs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let n = obs.len() as f64;
        let first_at = obs[0].0;
        let latest_at = obs[obs.len() - 1].0;
        let mean = obs.iter().map(|o| o.1).sum::<f64>() / n;
        let ties: Vec<f64> = obs
            .iter()
            .filter(|o| o.0 == latest_at)
            .map(|o| o.1)
            .collect();
        let latest = ties.iter().sum::<f64>() / ties.len() as f64;
        let half_life = seconds(params.half_life);
        let days = |t: DateTime<Utc>| seconds(t - first_at) / 86_400.0;
        // Ages count from the newest score (scores after `at` count as at
        // `at`) rather than from `at`: the common factor 0.5^((at − newest) /
        // half_life) cancels in the ratio, and the newest score keeps weight
        // 1, so the sum of weights never underflows to 0 however short the
        // half-life or old the scores (a 1 ns half-life gives the newest
        // score, not the plain mean).
        let newest = latest_at.min(at);
        let (mut wsum, mut wscore) = (0.0, 0.0);
        for (t, score) in &obs {
            let age = seconds(newest - (*t).min(at));
            let w = (-age / half_life).exp2();
            wsum += w;
            wscore += w * score;
        }
        let recency_weighted = wscore / wsum;
        let mean_x = obs.iter().map(|o| days(o.0)).sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (t, score) in &obs {
            let dx = days(*t) - mean_x;
            sxy += dx * (score - mean);
            sxx += dx * dx;
        }
        let trend_per_day = (sxx > 0.0).then(|| sxy / sxx);
        Ok(SentimentSummary {
            count: obs.len(),
            mean: mean.clamp(-1.0, 1.0),
            recency_weighted: recency_weighted.clamp(-1.0, 1.0),
            trend_per_day,
            latest,
            latest_at,
            first_at,
        })
    }

    /// Returns the number of scores.
    pub fn count(&self) -> usize {
        self.count
    }
    /// Returns the mean score, in −1..=1.
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// Returns the recency-weighted mean score, in −1..=1.
    pub fn recency_weighted(&self) -> f64 {
        self.recency_weighted
    }
    /// Returns the least-squares trend in score units per day, or `None`
    /// when all scores share one time.
    pub fn trend_per_day(&self) -> Option<f64> {
        self.trend_per_day
    }
    /// Returns the score at the latest time (mean of ties).
    pub fn latest(&self) -> f64 {
        self.latest
    }
    /// Returns the time of the latest score.
    pub fn latest_at(&self) -> DateTime<Utc> {
        self.latest_at
    }
    /// Returns the time of the earliest score.
    pub fn first_at(&self) -> DateTime<Utc> {
        self.first_at
    }

    /// Returns the numeric fields under stable names, for use as profile
    /// fields in segmentation: `sentiment_count`, `sentiment_mean`,
    /// `sentiment_recent`, `sentiment_trend` (0 when undefined) and
    /// `sentiment_latest`.
    pub fn fields(&self) -> [(&'static str, f64); 5] {
        [
            ("sentiment_count", self.count as f64),
            ("sentiment_mean", self.mean),
            ("sentiment_recent", self.recency_weighted),
            ("sentiment_trend", self.trend_per_day.unwrap_or(0.0)),
            ("sentiment_latest", self.latest),
        ]
    }
}

/// Returns `d` in seconds, nanoseconds included (a `TimeDelta` spans at most
/// about 3·10^8 years, so the value is finite and exact to well below a
/// microsecond for spans under a century).
#[allow(clippy::cast_precision_loss)] // see above: f64 keeps 15 significant digits
fn seconds(d: TimeDelta) -> f64 {
    d.num_seconds() as f64 + f64::from(d.subsec_nanos()) * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn errors_are_typed() {
        let p = AggregateParams::default();
        assert_eq!(
            SentimentSummary::from_scores(&[], t(0), p).map_err(|e| e.kind()),
            Err(ErrorKind::InsufficientData)
        );
        let err = SentimentSummary::from_scores(&[(t(0), 1.5)], t(0), p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "score 1.5 of observation 0 is out of range -1..=1"
        );
        assert!(SentimentSummary::from_scores(&[(t(0), f64::NAN)], t(0), p).is_err());
        let p = AggregateParams::default().half_life(TimeDelta::zero());
        assert_eq!(
            SentimentSummary::from_scores(&[(t(0), 0.0)], t(0), p).map_err(|e| e.kind()),
            Err(ErrorKind::InvalidParameter)
        );
    }

    #[test]
    fn one_half_life_halves_the_weight() -> Result<()> {
        let day = 86_400;
        let p = AggregateParams::default().half_life(TimeDelta::days(1));
        let s = SentimentSummary::from_scores(&[(t(0), 1.0), (t(day), -1.0)], t(day), p)?;
        // weights 0.5 and 1: (0.5 - 1) / 1.5
        assert!((s.recency_weighted() - (-1.0 / 3.0)).abs() < 1e-12);
        assert_eq!(s.trend_per_day(), Some(-2.0));
        assert_eq!(s.latest(), -1.0);
        let single = SentimentSummary::from_scores(&[(t(5), 0.5)], t(5), p)?;
        assert_eq!(single.trend_per_day(), None);
        Ok(())
    }

    /// Issue #13: with a 1 ns half-life every weight underflowed and the
    /// recency-weighted mean silently fell back to the plain mean.
    #[test]
    fn extreme_half_lives_weight_correctly() -> Result<()> {
        let obs = [(t(0), 1.0), (t(60), 0.6), (t(120), -0.5)];
        let tiny = AggregateParams::default().half_life(TimeDelta::nanoseconds(1));
        let s = SentimentSummary::from_scores(&obs, t(3_600), tiny)?;
        assert_eq!(s.recency_weighted(), -0.5);
        // Ties at the newest time share the weight.
        let ties = [(t(0), 1.0), (t(120), 0.2), (t(120), -0.4)];
        let s = SentimentSummary::from_scores(&ties, t(120), tiny)?;
        assert!((s.recency_weighted() - (-0.1)).abs() < 1e-12);
        // Scores after `at` count as at `at`: both weigh the same.
        let later = [(t(0), -1.0), (t(100), 1.0), (t(120), -0.5)];
        let s = SentimentSummary::from_scores(&later, t(60), tiny)?;
        assert!((s.recency_weighted() - 0.25).abs() < 1e-12);
        // A millisecond half-life over a minute: still the newest score.
        let ms = AggregateParams::default().half_life(TimeDelta::milliseconds(1));
        let s = SentimentSummary::from_scores(&obs, t(10_000_000), ms)?;
        assert_eq!(s.recency_weighted(), -0.5);
        // The longest half-life chrono represents: no decay, the plain mean.
        let huge = AggregateParams::default().half_life(TimeDelta::MAX);
        let s = SentimentSummary::from_scores(&obs, t(10_000_000), huge)?;
        assert!((s.recency_weighted() - s.mean()).abs() < 1e-12);
        // Scores a thousand years old with a one-day half-life: the spread
        // between them still decides the weights.
        let day = 86_400;
        let old = [(t(0), 1.0), (t(day), -1.0)];
        let p = AggregateParams::default().half_life(TimeDelta::days(1));
        let s = SentimentSummary::from_scores(&old, t(day * 365_000), p)?;
        assert!((s.recency_weighted() - (-1.0 / 3.0)).abs() < 1e-12);
        Ok(())
    }

    /// Sub-millisecond spacing is not rounded away from the trend.
    #[test]
    fn trend_sees_sub_millisecond_spacing() -> Result<()> {
        let t0 = t(0);
        let obs = [(t0, 1.0), (t0 + TimeDelta::microseconds(10), -1.0)];
        let s = SentimentSummary::from_scores(&obs, t0, AggregateParams::default())?;
        assert!(s.trend_per_day().is_some_and(|v| v < 0.0));
        Ok(())
    }

    proptest! {
        #[test]
        fn order_does_not_matter_and_values_stay_in_range(
            obs in proptest::collection::vec((0i64..10_000_000, -1.0f64..=1.0), 1..30),
            rot in 0usize..30,
        ) {
            let obs: Vec<(DateTime<Utc>, f64)> = obs.into_iter().map(|(s, v)| (t(s), v)).collect();
            let mut other = obs.clone();
            other.reverse();
            let k = rot % other.len();
            other.rotate_left(k);
            let p = AggregateParams::default();
            let a = SentimentSummary::from_scores(&obs, t(10_000_000), p)?;
            let b = SentimentSummary::from_scores(&other, t(10_000_000), p)?;
            prop_assert_eq!(a, b);
            for v in [a.mean(), a.recency_weighted(), a.latest()] {
                prop_assert!((-1.0..=1.0).contains(&v));
            }
        }

        /// Any half-life from 1 ns to chrono's maximum gives a weighted mean
        /// between the smallest and largest score.
        #[test]
        fn any_half_life_gives_a_mean_within_the_scores(
            obs in proptest::collection::vec((0i64..10_000_000, -1.0f64..=1.0), 1..30),
            nanos in 1i64..=i64::MAX,
            at in 0i64..20_000_000,
        ) {
            let obs: Vec<(DateTime<Utc>, f64)> = obs.into_iter().map(|(s, v)| (t(s), v)).collect();
            let p = AggregateParams::default().half_life(TimeDelta::nanoseconds(nanos));
            let s = SentimentSummary::from_scores(&obs, t(at), p)?;
            let lo = obs.iter().map(|o| o.1).fold(f64::INFINITY, f64::min);
            let hi = obs.iter().map(|o| o.1).fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(s.recency_weighted() >= lo - 1e-12 && s.recency_weighted() <= hi + 1e-12);
        }
    }
}
