//! The MBG/NBD model (Batislam, Denizel & Filiztekin 2007); its likelihood
//! code is shared with the BG/NBD in `bg_nbd.rs`.

use super::bg_nbd::{
    check_nbd_theta, conditional_expected, customer_ll, expected, fit_family, probability_alive,
    probability_of_purchases, Family, Theta,
};
use super::fit::{fit_params, FitReport};
use super::summary::Summaries;
use super::{churn_from_transactions, Fit, Periods, Probability, RfmSummary, TransactionModel};
use crate::error::Result;

/// The MBG/NBD model (Batislam, Denizel & Filiztekin 2007, "Empirical
/// validation and comparison of models for customer base analysis",
/// International Journal of Research in Marketing 24(3), 201–209).
///
/// As the [`BgNbd`](super::BgNbd), except that a customer may also drop out
/// right after the first purchase (at time 0), so that customers without a
/// repeat purchase are not certain to be alive. `λ ~ Gamma(r, α)` and the
/// dropout probability `p ~ Beta(a, b)`; times are in the periods of the
/// summaries.
///
/// | parameter | meaning | valid range |
/// |---|---|---|
/// | `r` | shape of the purchase-rate distribution | > 0 |
/// | `alpha` (α) | scale of the purchase-rate distribution, in periods | > 0 |
/// | `a` | first shape of the dropout-probability distribution | > 0 |
/// | `b` | second shape of the dropout-probability distribution | > 0 |
///
/// On the CDNOW sample (weeks) the log-likelihood at the fit is −9582.13
/// (checked in the tests).
///
/// # Examples
///
/// ```
/// use custodia::clv::{MbgNbd, RfmSummary, TransactionModel};
///
/// let model = MbgNbd::from_parameters(0.5248, 6.183, 0.8914, 1.614)?;
/// let one_time = RfmSummary::new(0, 0.0, 38.86)?;
/// assert!(model.probability_alive(&one_time).value() < 1.0);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "MbgNbdParameters"))]
pub struct MbgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    report: Option<FitReport>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct MbgNbdParameters {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<MbgNbdParameters> for MbgNbd {
    type Error = crate::Error;
    fn try_from(p: MbgNbdParameters) -> Result<MbgNbd> {
        MbgNbd::from_parameters(p.r, p.alpha, p.a, p.b)
    }
}

fit_params!(
    /// Fitting settings of the [`MbgNbd`] model; [`Fit::fit`] returns the fitted model.
    MbgNbdParams
);

impl MbgNbd {
    /// Returns the default fitting settings.
    pub fn params() -> MbgNbdParams {
        MbgNbdParams::new()
    }

    /// Returns the model with the given (for example saved) parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is not finite and positive.
    pub fn from_parameters(r: f64, alpha: f64, a: f64, b: f64) -> Result<MbgNbd> {
        let [r, alpha, a, b] = check_nbd_theta(r, alpha, a, b)?;
        Ok(MbgNbd {
            r,
            alpha,
            a,
            b,
            report: None,
        })
    }

    /// Returns `r`.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Returns `α`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Returns `a`.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// Returns `b`.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// Returns the fit report, or `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    fn theta(&self) -> Theta {
        [self.r, self.alpha, self.a, self.b]
    }
}

impl Fit for MbgNbdParams {
    type Model = MbgNbd;

    fn fit(&self, data: &Summaries) -> Result<MbgNbd> {
        let ([r, alpha, a, b], report) = fit_family(Family::Mbg, "MBG/NBD", &self.settings, data)?;
        Ok(MbgNbd {
            r,
            alpha,
            a,
            b,
            report: Some(report),
        })
    }
}

impl TransactionModel for MbgNbd {
    fn name(&self) -> &'static str {
        "mbgnbd"
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("r", self.r),
            ("alpha", self.alpha),
            ("a", self.a),
            ("b", self.b),
        ]
    }

    fn customer_log_likelihood(&self, customer: &RfmSummary) -> f64 {
        customer_ll(Family::Mbg, &self.theta(), customer)
    }

    fn expected_purchases(&self, horizon: Periods) -> f64 {
        expected(Family::Mbg, &self.theta(), horizon)
    }

    fn conditional_expected_purchases(&self, customer: &RfmSummary, horizon: Periods) -> f64 {
        conditional_expected(Family::Mbg, &self.theta(), customer, horizon)
    }

    fn probability_of_purchases(&self, n: u32, horizon: Periods) -> Probability {
        probability_of_purchases(Family::Mbg, &self.theta(), n, horizon)
    }

    fn probability_alive(&self, customer: &RfmSummary) -> Probability {
        probability_alive(Family::Mbg, &self.theta(), customer)
    }
}

churn_from_transactions!(MbgNbd);
