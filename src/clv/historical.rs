//! Simple historical estimators: observed spend and observed purchase rate.

use super::error::ClvError;
use super::summary::Summaries;
use super::{ClvEstimator, DiscountRate, Periods, RfmSummary, SpendModel};
use crate::error::Result;

/// Expected spend from history alone: a repeat buyer's own mean repeat
/// spend, or the mean over all repeat buyers for a customer without one.
///
/// # Examples
///
/// ```
/// use custodia::clv::{HistoricalSpend, RfmSummary, SpendModel, Summaries};
///
/// let data: Summaries = [
///     RfmSummary::new(2, 5.0, 9.0)?.with_monetary(10.0)?,
///     RfmSummary::new(1, 3.0, 9.0)?.with_monetary(40.0)?,
///     RfmSummary::new(0, 0.0, 9.0)?,
/// ].into_iter().collect();
/// let spend = HistoricalSpend::from_summaries(&data)?;
/// assert_eq!(spend.population_mean(), 20.0); // (2 × 10 + 1 × 40) / 3 purchases
/// assert_eq!(spend.expected_average_spend(&RfmSummary::new(0, 0.0, 9.0)?), 20.0);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HistoricalSpend {
    population_mean: f64,
}

impl HistoricalSpend {
    /// Returns the estimator whose fallback is the mean spend per repeat
    /// purchase over `data` (each customer's mean weighted by their frequency).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsufficientData`](crate::error::ErrorKind::InsufficientData)
    /// when no customer in `data` made a repeat purchase.
    pub fn from_summaries(data: &Summaries) -> Result<HistoricalSpend> {
        let (mut value, mut purchases) = (0.0, 0.0);
        for (s, w) in data.iter() {
            let n = f64::from(s.frequency()) * w as f64;
            value += n * s.monetary();
            purchases += n;
        }
        if purchases == 0.0 {
            return Err(ClvError::Insufficient {
                model: "historical spend",
                reason: "no customer made a repeat purchase",
            }
            .into());
        }
        Ok(HistoricalSpend {
            population_mean: value / purchases,
        })
    }

    /// Returns the mean spend per repeat purchase over the data.
    pub fn population_mean(&self) -> f64 {
        self.population_mean
    }
}

impl SpendModel for HistoricalSpend {
    fn expected_average_spend(&self, customer: &RfmSummary) -> f64 {
        if customer.frequency() > 0 {
            customer.monetary()
        } else {
            self.population_mean
        }
    }
}

/// Historical CLV: the customer's observed repeat-purchase rate
/// (`frequency / age` per period) times their historical spend, as a
/// discounted cash flow over the horizon. No dropout is modelled, so it
/// overstates the value of customers who have lapsed; it is the baseline the
/// model-based [`Clv`](super::Clv) improves on.
///
/// # Examples
///
/// ```
/// use custodia::clv::{ClvEstimator, DiscountRate, HistoricalClv, HistoricalSpend, Periods, RfmSummary};
///
/// let clv = HistoricalClv::new(HistoricalSpend::from_summaries(
///     &[RfmSummary::new(4, 8.0, 10.0)?.with_monetary(25.0)?].into_iter().collect(),
/// )?);
/// let c = RfmSummary::new(4, 8.0, 10.0)?.with_monetary(25.0)?;
/// // 0.4 purchases a period × 25 × 10 periods, undiscounted.
/// let v = clv.clv(&c, Periods::new(10.0)?, DiscountRate::new(0.0)?);
/// assert!((v - 100.0).abs() < 1e-9);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HistoricalClv {
    spend: HistoricalSpend,
}

impl HistoricalClv {
    /// Returns the estimator that values purchases with `spend`.
    pub fn new(spend: HistoricalSpend) -> HistoricalClv {
        HistoricalClv { spend }
    }
}

impl ClvEstimator for HistoricalClv {
    fn clv(&self, customer: &RfmSummary, horizon: Periods, discount: DiscountRate) -> f64 {
        if customer.age() <= 0.0 {
            return 0.0;
        }
        let rate = f64::from(customer.frequency()) / customer.age();
        let spend = self.spend.expected_average_spend(customer);
        super::saturate_signed(
            super::value::discounted(horizon, discount, |from, to| rate * (to - from)) * spend,
        )
    }
}
