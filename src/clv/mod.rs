//! Customer lifetime value and churn estimators: the buy-till-you-die family.
//!
//! From each customer's purchase history, reduced to an [`RfmSummary`]
//! (frequency, recency, age and mean spend), these models estimate which
//! customers are still active, how much each will buy, and what each is worth.
//!
//! | model | type | paper | time |
//! |---|---|---|---|
//! | BG/NBD | [`BgNbd`] | Fader, Hardie & Lee (2005), Marketing Science 24(2) | continuous |
//! | MBG/NBD | [`MbgNbd`] | Batislam, Denizel & Filiztekin (2007), IJRM 24(3) | continuous |
//! | Pareto/NBD | [`ParetoNbd`] | Schmittlein, Morrison & Colombo (1987); Fader & Hardie (2005) note | continuous |
//! | BG/BB | [`BgBb`] | Fader, Hardie & Shang (2010), Marketing Science 29(6) | discrete opportunities |
//! | Gamma-Gamma | [`GammaGamma`] | Fader, Hardie & Lee (2005), JMR 42(4); Fader & Hardie (2013) note | spend per purchase |
//! | sBG (contractual) | [`Sbg`] | Fader & Hardie (2007), J. Interactive Marketing 21(1) | contract periods |
//! | historical | [`HistoricalSpend`], [`HistoricalClv`] | — | — |
//!
//! The pieces:
//! - **Summaries**: [`summarize`] and [`calibration_holdout`] turn plain
//!   [`Transaction`] rows into per-customer summaries in a chosen [`Period`];
//!   [`Transaction::purchases`] takes them from the model's transaction
//!   events; [`Summaries`] holds (weighted) summaries for fitting, and
//!   [`SummaryCsv`] streams them from a summary CSV file.
//! - **Fitting** is separate from the fitted models: `BgNbd::params().fit(&data)?`
//!   (the [`Fit`] trait) returns a [`BgNbd`]; saved parameters load with
//!   `BgNbd::from_parameters(..)?` or serde.
//! - **Predicting** goes through object-safe traits: [`TransactionModel`]
//!   (expected purchases, P(alive), probability of purchasing again),
//!   [`SpendModel`], [`ChurnEstimator`] and [`ClvEstimator`] (with [`Clv`]).
//! - **Checking** a fit: [`holdout_calibration`] sets the purchases a model
//!   expected in a holdout window against those made, by calibration
//!   frequency; [`roc_auc`] measures how well a churn score ranks.
//!
//! # Example
//!
//! ```
//! use custodia::clv::{BgNbd, Fit, Periods, RfmSummary, Summaries, TransactionModel};
//!
//! // (frequency, recency, age) in weeks, a few customers many times over.
//! let mut data = Summaries::new();
//! for (x, t_x, t, n) in [(0, 0.0, 38.0, 60), (1, 10.0, 38.0, 15), (2, 30.0, 38.0, 10),
//!                        (5, 35.0, 38.0, 5), (3, 8.0, 30.0, 5), (1, 2.0, 32.0, 8)] {
//!     data.push_weighted(RfmSummary::new(x, t_x, t)?, n)?;
//! }
//! let model = BgNbd::params().fit(&data)?;
//! let loyal = RfmSummary::new(5, 35.0, 38.0)?;
//! let lapsed = RfmSummary::new(3, 8.0, 38.0)?;
//! assert!(model.probability_alive(&loyal).value() > model.probability_alive(&lapsed).value());
//! let next_quarter = Periods::new(13.0)?;
//! assert!(model.conditional_expected_purchases(&loyal, next_quarter) > 0.5);
//! # Ok::<(), custodia::Error>(())
//! ```
//!
//! # Fitting and numerical soundness
//!
//! Every model is fitted by maximum likelihood over the logarithms of its
//! parameters with BFGS (analytic gradients for BG/NBD, MBG/NBD, Pareto/NBD
//! and Gamma-Gamma; central differences for the BG/BB, whose data are a few
//! patterns). Before fitting, customers with identical `(frequency, recency,
//! age)` (Gamma-Gamma: `(frequency, monetary)`) are grouped into one weighted
//! row; this is exact, because the log-likelihood is a sum of per-customer
//! terms and equal summaries give equal terms. Likelihoods are
//! computed in log space, the Gauss hypergeometric function of the Pareto/NBD
//! in a transformed series that stays positive and short, and sums run in
//! fixed chunks (in parallel under the `rayon` feature) so the result does not
//! depend on the thread count. A fit that does not meet its tolerance is an
//! [`ErrorKind::NotConverged`](crate::error::ErrorKind::NotConverged) error
//! that says what to use instead; a successful one keeps a [`FitReport`].
//!
//! # Uncertainty and warnings
//!
//! Each [`FitReport`] holds the covariance of the log-parameters (the
//! inverse of the observed information, a numerical Hessian at the
//! optimum), the parameters' standard errors and confidence intervals, and
//! [`FitWarning`]s when the data are too few or a parameter is not
//! identified, each with advice (often: the [`HistoricalSpend`] and
//! [`HistoricalClv`] estimators, which need no fit). Predictions get
//! delta-method intervals through [`prediction_interval`] and
//! [`Clv::clv_interval`], for every model implementing [`Estimated`].
//!
//! # Churn scores
//!
//! [`TransactionModel::probability_alive`] is exactly 1 under the BG/NBD for
//! every customer without a repeat purchase (in that model a customer can
//! only drop out right after a purchase), so as a ranking of who will buy
//! again it puts all one-time buyers on top and does worse than chance on
//! CDNOW. The probability of at least one purchase in the next `t` periods,
//! [`TransactionModel::probability_of_purchase_within`] (whose complement is
//! [`ChurnEstimator::churn_probability`]), also weighs how often the customer
//! buys and ranks well.

mod bg_bb;
mod bg_nbd;
mod error;
mod evaluate;
mod fit;
mod from_model;
mod gamma_gamma;
mod historical;
mod mbg_nbd;
mod optim;
mod pareto_nbd;
mod sbg;
mod special;
mod summary;
mod summary_csv;
mod uncertainty;
mod value;

use std::fmt;

pub use bg_bb::{BgBb, BgBbParams};
pub use bg_nbd::{BgNbd, BgNbdParams};
pub use evaluate::{holdout_calibration, roc_auc, CalibrationBin, MAX_CALIBRATION_FREQUENCY};
pub use fit::{FitReport, FitWarning};
pub use gamma_gamma::{GammaGamma, GammaGammaParams};
pub use historical::{HistoricalClv, HistoricalSpend};
pub use mbg_nbd::{MbgNbd, MbgNbdParams};
pub use pareto_nbd::{ParetoNbd, ParetoNbdParams};
pub use sbg::{Sbg, SbgCohort, SbgParams};
pub use summary::{
    calibration_holdout, summarize, CalibrationHoldout, CustomerSummary, Period, RfmSummary,
    Summaries, Transaction,
};
pub use summary_csv::SummaryCsv;
pub use uncertainty::{prediction_interval, Estimated, Interval};
pub use value::Clv;

use crate::error::Result;
use error::ClvError;

/// A probability: a number in `0..=1`.
///
/// # Examples
///
/// ```
/// use custodia::clv::Probability;
/// assert_eq!(Probability::new(0.25)?.value(), 0.25);
/// assert!(Probability::new(1.5).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "f64", into = "f64"))]
pub struct Probability(f64);

impl TryFrom<f64> for Probability {
    type Error = crate::Error;

    fn try_from(value: f64) -> Result<Probability> {
        Probability::new(value)
    }
}

impl From<Probability> for f64 {
    fn from(value: Probability) -> f64 {
        value.0
    }
}

impl Probability {
    /// Returns `p` as a probability.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `p` is not in `0..=1` (NaN included).
    pub fn new(p: f64) -> Result<Probability> {
        if (0.0..=1.0).contains(&p) {
            Ok(Probability(p))
        } else {
            Err(ClvError::Parameter {
                name: "probability",
                value: p,
                rule: "in 0..=1",
            }
            .into())
        }
    }

    /// Returns `p` clamped into `0..=1` (NaN becomes 0), for model outputs
    /// that rounding may push a hair outside.
    pub(crate) fn clamped(p: f64) -> Probability {
        if p.is_nan() {
            Probability(0.0)
        } else {
            Probability(p.clamp(0.0, 1.0))
        }
    }

    /// Returns the value in `0..=1`.
    pub fn value(self) -> f64 {
        self.0
    }

    /// Returns `1 − p`.
    #[must_use]
    pub fn complement(self) -> Probability {
        Probability(1.0 - self.0)
    }
}

/// A non-negative, finite length of time in the periods of the data (days,
/// weeks, months or opportunities).
///
/// # Examples
///
/// ```
/// use custodia::clv::Periods;
/// assert_eq!(Periods::new(39.0)?.value(), 39.0);
/// assert!(Periods::new(-1.0).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "f64", into = "f64"))]
pub struct Periods(f64);

impl TryFrom<f64> for Periods {
    type Error = crate::Error;

    fn try_from(value: f64) -> Result<Periods> {
        Periods::new(value)
    }
}

impl From<Periods> for f64 {
    fn from(value: Periods) -> f64 {
        value.0
    }
}

impl Periods {
    /// Returns `t` periods.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `t` is negative or not finite.
    pub fn new(t: f64) -> Result<Periods> {
        if t.is_finite() && t >= 0.0 {
            Ok(Periods(t))
        } else {
            Err(ClvError::Parameter {
                name: "periods",
                value: t,
                rule: "finite and at least 0",
            }
            .into())
        }
    }

    /// Returns the number of periods.
    pub fn value(self) -> f64 {
        self.0
    }
}

/// A discount rate per period for discounted cash flows: a cash flow in
/// period `i` counts `1 / (1 + rate)^i`.
///
/// # Examples
///
/// ```
/// use custodia::clv::DiscountRate;
/// // 10% a year as a monthly rate.
/// let monthly = DiscountRate::new(1.1f64.powf(1.0 / 12.0) - 1.0)?;
/// assert!(monthly.value() < 0.01);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "f64", into = "f64"))]
pub struct DiscountRate(f64);

impl TryFrom<f64> for DiscountRate {
    type Error = crate::Error;

    fn try_from(value: f64) -> Result<DiscountRate> {
        DiscountRate::new(value)
    }
}

impl From<DiscountRate> for f64 {
    fn from(value: DiscountRate) -> f64 {
        value.0
    }
}

impl DiscountRate {
    /// Returns the discount rate `rate` per period.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `rate` is negative or not finite.
    pub fn new(rate: f64) -> Result<DiscountRate> {
        if rate.is_finite() && rate >= 0.0 {
            Ok(DiscountRate(rate))
        } else {
            Err(ClvError::Parameter {
                name: "discount rate",
                value: rate,
                rule: "finite and at least 0",
            }
            .into())
        }
    }

    /// Returns the rate per period.
    pub fn value(self) -> f64 {
        self.0
    }
}

/// Returns an expected count or value as a finite, non-negative `f64`:
/// values beyond the range of `f64` saturate at `f64::MAX` (they only arise
/// from parameters and horizons far outside any data), and a NaN, which
/// would be a numerical failure, becomes 0.
pub(crate) fn saturate(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, f64::MAX)
    }
}

/// Returns a value that may be negative (a customer value when returns
/// make spend negative) as a finite `f64`, saturating at `±f64::MAX`; NaN
/// becomes 0.
pub(crate) fn saturate_signed(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(-f64::MAX, f64::MAX)
    }
}

/// Learns a model from summaries; implemented by the `*Params` builders.
pub trait Fit {
    /// The fitted model.
    type Model;

    /// Fits the model to `data` by maximum likelihood.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// for invalid settings,
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) for
    /// summaries the model cannot take,
    /// [`ErrorKind::InsufficientData`](crate::error::ErrorKind::InsufficientData)
    /// when the data cannot identify the parameters (for example no repeat
    /// purchase at all), and
    /// [`ErrorKind::NotConverged`](crate::error::ErrorKind::NotConverged) when
    /// the optimiser stops short of its tolerance.
    fn fit(&self, data: &Summaries) -> Result<Self::Model>;
}

/// A model of when customers buy and when they drop out.
///
/// Times are in the periods of the summaries the model was fitted on.
/// The trait is object-safe: store models as `Box<dyn TransactionModel>`.
pub trait TransactionModel: fmt::Debug + Send + Sync {
    /// Returns the model's short name, such as `"bgnbd"`.
    fn name(&self) -> &'static str;

    /// Returns the parameters by name, in the order of the model's documentation.
    fn parameters(&self) -> Vec<(&'static str, f64)>;

    /// Returns the log-likelihood of one customer's summary.
    fn customer_log_likelihood(&self, customer: &RfmSummary) -> f64;

    /// Returns the total log-likelihood of `data` (each row times its weight).
    fn log_likelihood(&self, data: &Summaries) -> f64 {
        data.iter()
            .map(|(s, w)| w as f64 * self.customer_log_likelihood(s))
            .sum()
    }

    /// Returns the expected number of purchases in `(0, t]` of a customer
    /// picked at random, counted from their first purchase (not counting it).
    ///
    /// Finite and non-negative for every valid input: a value beyond the
    /// range of `f64` (possible only with extreme parameters and horizons)
    /// saturates at `f64::MAX`.
    fn expected_purchases(&self, horizon: Periods) -> f64;

    /// Returns the expected number of purchases in the next `horizon`
    /// periods of a customer with summary `customer`.
    ///
    /// Finite and non-negative, saturating at `f64::MAX` like
    /// [`expected_purchases`](TransactionModel::expected_purchases).
    fn conditional_expected_purchases(&self, customer: &RfmSummary, horizon: Periods) -> f64;

    /// Returns the probability that a customer picked at random makes exactly
    /// `n` purchases in `(0, t]` after their first.
    fn probability_of_purchases(&self, n: u32, horizon: Periods) -> Probability;

    /// Returns the probability that the customer is still active at the end of
    /// observation.
    fn probability_alive(&self, customer: &RfmSummary) -> Probability;

    /// Returns the probability that the customer buys at least once in the
    /// next `horizon` periods: the churn score to rank customers by.
    ///
    /// Exact for every model: the probability of no purchase in the next `t`
    /// is the likelihood of the same history observed `t` longer, divided by
    /// the likelihood of the history.
    fn probability_of_purchase_within(
        &self,
        customer: &RfmSummary,
        horizon: Periods,
    ) -> Probability {
        let now = self.customer_log_likelihood(customer);
        let later = self.customer_log_likelihood(&customer.extended(horizon.value()));
        Probability::clamped(-(later - now).exp_m1())
    }
}

/// A boxed model is a model, so that `Clv<Box<dyn TransactionModel>, _>`
/// works with a model chosen at run time.
impl<T: TransactionModel + ?Sized> TransactionModel for Box<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        (**self).parameters()
    }

    fn customer_log_likelihood(&self, customer: &RfmSummary) -> f64 {
        (**self).customer_log_likelihood(customer)
    }

    fn log_likelihood(&self, data: &Summaries) -> f64 {
        (**self).log_likelihood(data)
    }

    fn expected_purchases(&self, horizon: Periods) -> f64 {
        (**self).expected_purchases(horizon)
    }

    fn conditional_expected_purchases(&self, customer: &RfmSummary, horizon: Periods) -> f64 {
        (**self).conditional_expected_purchases(customer, horizon)
    }

    fn probability_of_purchases(&self, n: u32, horizon: Periods) -> Probability {
        (**self).probability_of_purchases(n, horizon)
    }

    fn probability_alive(&self, customer: &RfmSummary) -> Probability {
        (**self).probability_alive(customer)
    }

    fn probability_of_purchase_within(
        &self,
        customer: &RfmSummary,
        horizon: Periods,
    ) -> Probability {
        (**self).probability_of_purchase_within(customer, horizon)
    }
}

/// A model of how much customers spend per purchase.
pub trait SpendModel: fmt::Debug + Send + Sync {
    /// Returns the expected spend of the customer's future purchases, in the
    /// currency of the data.
    fn expected_average_spend(&self, customer: &RfmSummary) -> f64;
}

/// An estimator of the probability that a customer makes no further purchase.
pub trait ChurnEstimator: fmt::Debug + Send + Sync {
    /// Returns the probability that the customer makes no purchase in the next
    /// `horizon` periods.
    fn churn_probability(&self, customer: &RfmSummary, horizon: Periods) -> Probability;
}

/// An estimator of customer lifetime value.
pub trait ClvEstimator: fmt::Debug + Send + Sync {
    /// Returns the customer's value over the next `horizon` periods,
    /// discounted at `discount` per period, in the currency of the data.
    ///
    /// The built-in estimators return a finite value for every valid input,
    /// saturating at `±f64::MAX`, and take bounded work for any horizon.
    fn clv(&self, customer: &RfmSummary, horizon: Periods, discount: DiscountRate) -> f64;
}

/// Implements [`ChurnEstimator`] for a [`TransactionModel`] as the complement
/// of its probability of purchasing within the horizon.
macro_rules! churn_from_transactions {
    ($t:ty) => {
        impl $crate::clv::ChurnEstimator for $t {
            fn churn_probability(
                &self,
                customer: &$crate::clv::RfmSummary,
                horizon: $crate::clv::Periods,
            ) -> $crate::clv::Probability {
                $crate::clv::TransactionModel::probability_of_purchase_within(
                    self, customer, horizon,
                )
                .complement()
            }
        }
    };
}
pub(crate) use churn_from_transactions;
