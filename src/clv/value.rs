//! Customer lifetime value as a discounted cash flow of a transaction model's
//! expected purchases and a spend model's expected spend.

use super::uncertainty::{
    interval_from_variance, normal_quantile_two_sided, prediction_variance, Estimated, Interval,
};
use super::{ClvEstimator, DiscountRate, Periods, RfmSummary, SpendModel, TransactionModel};
use crate::error::Result;

/// Periods [`discounted`] sums one by one; later ones go in blocks.
const EXACT_PERIODS: f64 = 1000.0;

/// Returns `Σ_i purchases(i−1, min(i, h)) / (1 + d)^i` over periods
/// `i = 1..=ceil(h)`, where `purchases(from, to)` is the expected number of
/// purchases in `(from, to]`.
///
/// The first [`EXACT_PERIODS`] periods are summed one by one. The rest take
/// bounded work, whatever the horizon: without discounting (or a rate too
/// small to change a weight) they telescope into one call; otherwise they
/// go in blocks 2% longer than the last (the result is then within about 1e-5 relative of the period-by-period sum), each block's purchases spread
/// evenly over its periods and weighted by the exact geometric sum of its
/// discount factors, until the discounted value of all remaining purchases
/// is below 1e-16 of the total.
pub(crate) fn discounted(
    horizon: Periods,
    discount: DiscountRate,
    purchases: impl Fn(f64, f64) -> f64,
) -> f64 {
    let h = horizon.value();
    let factor = 1.0 / (1.0 + discount.value());
    let mut total = 0.0;
    let mut weight = 1.0;
    let mut i = 1.0;
    while i - 1.0 < h && i <= EXACT_PERIODS {
        weight *= factor;
        total += purchases(i - 1.0, i.min(h)) * weight;
        i += 1.0;
    }
    // `weight` is now factor^(start), the weight of the last exact period.
    let mut start = i - 1.0;
    if start >= h {
        return total;
    }
    if factor == 1.0 {
        return total + purchases(start, h);
    }
    let ln_factor = factor.ln();
    while start < h {
        let remaining = purchases(start, h);
        if remaining * weight * factor <= 1e-16 * total.abs() || remaining == 0.0 {
            break;
        }
        let end = (start * 1.02).ceil().min(h.ceil());
        let periods = end - start;
        // Σ_{j=1}^{periods} factor^j = factor (1 − factor^periods)/(1 − factor).
        let geometric = factor * (periods * ln_factor).exp_m1() / (factor - 1.0);
        total += purchases(start, end.min(h)) / periods * weight * geometric;
        weight *= (periods * ln_factor).exp();
        start = end;
    }
    total
}

/// Customer lifetime value from a [`TransactionModel`] and a [`SpendModel`]:
/// `CLV = Σ_{i=1}^{⌈h⌉} (E[Y(i)] − E[Y(i−1)]) · E[spend] / (1 + d)^i`, the
/// expected purchases of each coming period times the expected spend per
/// purchase, discounted per period (the discounted-cash-flow form of Fader,
/// Hardie & Lee 2005, JMR).
///
/// Periods are those of the transaction model; the value is in the currency
/// of the spend model.
///
/// # Examples
///
/// ```
/// use custodia::clv::{BgNbd, Clv, ClvEstimator, DiscountRate, GammaGamma, Periods, RfmSummary};
///
/// let clv = Clv::new(
///     BgNbd::from_parameters(0.2426, 4.4135, 0.7929, 2.4258)?,
///     GammaGamma::from_parameters(6.2488, 3.7446, 15.4477)?,
/// );
/// let c = RfmSummary::new(2, 30.43, 38.86)?.with_monetary(22.35)?;
/// let year = Periods::new(52.0)?;
/// let weekly = DiscountRate::new(0.002)?;
/// let v = clv.clv(&c, year, weekly);
/// assert!(v > 0.0 && v < clv.clv(&c, year, DiscountRate::new(0.0)?));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Clv<T, S> {
    transactions: T,
    spend: S,
}

impl<T: TransactionModel, S: SpendModel> Clv<T, S> {
    /// Returns the estimator combining `transactions` and `spend`.
    pub fn new(transactions: T, spend: S) -> Clv<T, S> {
        Clv {
            transactions,
            spend,
        }
    }

    /// Returns the transaction model.
    pub fn transactions(&self) -> &T {
        &self.transactions
    }

    /// Returns the spend model.
    pub fn spend(&self) -> &S {
        &self.spend
    }
}

impl<T, S> Clv<T, S>
where
    T: TransactionModel + Estimated,
    S: SpendModel + Estimated,
{
    /// Returns the customer's value with a delta-method confidence interval
    /// at `level` from the uncertainty of both models' parameters.
    ///
    /// The two models are fitted on separate likelihoods, so their parameter
    /// estimates are taken as independent: the variance is
    /// `g_Tᵀ C_T g_T + g_Sᵀ C_S g_S`, with `g` the gradients of the value with
    /// respect to each model's log-parameters and `C` their covariances
    /// ([`FitReport::log_covariance`](super::FitReport::log_covariance)). The
    /// interval is taken on the log scale for a positive value (see
    /// [`prediction_interval`](super::prediction_interval)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `level` is not in `(0, 1)`;
    /// [`ErrorKind::InsufficientData`](crate::error::ErrorKind::InsufficientData)
    /// when either model has no fit report or a singular Hessian.
    pub fn clv_interval(
        &self,
        customer: &RfmSummary,
        horizon: Periods,
        discount: DiscountRate,
        level: f64,
    ) -> Result<Interval> {
        normal_quantile_two_sided(level)?;
        let estimate = self.clv(customer, horizon, discount);
        let by_transactions = prediction_variance(&self.transactions, &|t: &T| {
            clv_of(t, &self.spend, customer, horizon, discount)
        })?;
        let by_spend = prediction_variance(&self.spend, &|s: &S| {
            clv_of(&self.transactions, s, customer, horizon, discount)
        })?;
        interval_from_variance(estimate, by_transactions + by_spend, level)
    }
}

/// Returns the discounted value of `customer` under the two models.
fn clv_of<T: TransactionModel, S: SpendModel>(
    transactions: &T,
    spend: &S,
    customer: &RfmSummary,
    horizon: Periods,
    discount: DiscountRate,
) -> f64 {
    let spend = spend.expected_average_spend(customer);
    let expected = |t: f64| {
        Periods::new(t).map_or(0.0, |t| {
            transactions.conditional_expected_purchases(customer, t)
        })
    };
    super::saturate_signed(
        discounted(horizon, discount, |from, to| expected(to) - expected(from)) * spend,
    )
}

impl<T: TransactionModel, S: SpendModel> ClvEstimator for Clv<T, S> {
    fn clv(&self, customer: &RfmSummary, horizon: Periods, discount: DiscountRate) -> f64 {
        clv_of(&self.transactions, &self.spend, customer, horizon, discount)
    }
}
