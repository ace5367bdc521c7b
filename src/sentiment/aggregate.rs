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
///   is measured back from `at` (scores after `at` count as age 0);
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
        let half_life_days = params.half_life.num_milliseconds() as f64 / 86_400_000.0;
        let days = |t: DateTime<Utc>| (t - first_at).num_milliseconds() as f64 / 86_400_000.0;
        let (mut wsum, mut wscore) = (0.0, 0.0);
        for (t, score) in &obs {
            let age = ((at - *t).num_milliseconds() as f64 / 86_400_000.0).max(0.0);
            let w = 0.5f64.powf(age / half_life_days);
            wsum += w;
            wscore += w * score;
        }
        // Weights underflow to 0 only for scores thousands of half-lives old;
        // then every score is equally stale and the plain mean is the answer.
        let recency_weighted = if wsum > 0.0 { wscore / wsum } else { mean };
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
    }
}
