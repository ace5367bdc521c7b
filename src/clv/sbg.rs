//! The shifted-beta-geometric (sBG) model of contractual retention.

use super::error::ClvError;
use super::fit::{check_positive, fit_params, fit_positive, FitReport, Problem};
use super::optim::central_gradient;
use super::special::{ln_beta, ln_sum_smooth};
use super::{saturate, DiscountRate, Probability};
use crate::error::Result;

/// A contract cohort: how many of the customers who signed up in the same
/// period are still active at the start of each period since.
///
/// `alive[0]` is the cohort's size and `alive[t]` the number still active
/// after `t` renewal opportunities; counts never rise.
///
/// # Examples
///
/// ```
/// use custodia::clv::SbgCohort;
///
/// let regular = SbgCohort::new(vec![1000, 631, 468, 382, 326, 289, 262, 241])?;
/// assert_eq!(regular.periods(), 7);
/// assert!(SbgCohort::new(vec![100, 120]).is_err()); // customers came back
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "Vec<u64>", into = "Vec<u64>"))]
pub struct SbgCohort {
    alive: Vec<u64>,
}

impl TryFrom<Vec<u64>> for SbgCohort {
    type Error = crate::Error;

    fn try_from(alive: Vec<u64>) -> Result<SbgCohort> {
        SbgCohort::new(alive)
    }
}

impl From<SbgCohort> for Vec<u64> {
    fn from(cohort: SbgCohort) -> Vec<u64> {
        cohort.alive
    }
}

impl SbgCohort {
    /// Returns the cohort with `alive[t]` customers active at period `t`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when there are fewer than two counts, the first is 0, or a count
    /// exceeds the one before it.
    pub fn new(alive: Vec<u64>) -> Result<SbgCohort> {
        if alive.len() < 2 || alive[0] == 0 {
            return Err(ClvError::Cohort {
                reason: "a cohort needs its size (greater than 0) and at least one later count"
                    .to_owned(),
            }
            .into());
        }
        if let Some(t) = alive.windows(2).position(|w| w[1] > w[0]) {
            return Err(ClvError::Cohort {
                reason: format!(
                    "{} customers are active at period {} but only {} at period {t}; counts cannot rise",
                    alive[t + 1],
                    t + 1,
                    alive[t]
                ),
            }
            .into());
        }
        Ok(SbgCohort { alive })
    }

    /// Returns the counts of active customers, from period 0.
    pub fn alive(&self) -> &[u64] {
        &self.alive
    }

    /// Returns the number of periods observed after sign-up.
    pub fn periods(&self) -> usize {
        self.alive.len() - 1
    }
}

/// The shifted-beta-geometric model of contractual retention (Fader &
/// Hardie 2007, "How to project customer retention", Journal of Interactive
/// Marketing 21(1), 76–90).
///
/// At the end of each period an active customer cancels with probability
/// `θ`, constant for the customer; across customers `θ ~ Beta(α, β)`. So
/// retention rates rise over time as the customers prone to cancel leave.
/// Time counts contract periods (for example years) from sign-up:
///
/// - `P(T = t) = B(α + 1, β + t − 1) / B(α, β)`: the probability of
///   cancelling at the end of period `t` ([`churn_probability_at`](Sbg::churn_probability_at));
/// - `S(t) = B(α, β + t) / B(α, β)`: still active after `t` periods
///   ([`survival`](Sbg::survival));
/// - `r(t) = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1)`: the retention
///   rate of period `t` ([`retention_rate`](Sbg::retention_rate)).
///
/// | parameter | meaning | valid range |
/// |---|---|---|
/// | `alpha` (α) | first shape of the churn-probability distribution | > 0 |
/// | `beta` (β) | second shape (mean churn probability `α / (α + β)`) | > 0 |
///
/// Fitted on the paper's two segments (1000 customers each, seven years),
/// `α = 0.704, β = 1.182` (regular, log-likelihood −1680.27) and
/// `α = 0.668, β = 3.806` (high end, −1611.16), as the tests check.
///
/// # Examples
///
/// ```
/// use custodia::clv::{DiscountRate, Sbg, SbgCohort};
///
/// let regular = SbgCohort::new(vec![1000, 631, 468, 382, 326, 289, 262, 241])?;
/// let model = Sbg::params().fit(&[regular])?;
/// assert!((model.alpha() - 0.704).abs() < 0.001 && (model.beta() - 1.182).abs() < 0.001);
/// // Retention rises with tenure; projected survival at year 12.
/// assert!(model.retention_rate(2).value() < model.retention_rate(10).value());
/// assert!(model.survival(12).value() < model.survival(7).value());
/// // Discounted expected residual lifetime of a customer after 3 renewals, at 10%.
/// let derl = model.discounted_expected_residual_lifetime(DiscountRate::new(0.1)?, 3);
/// assert!(derl > 1.0);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "SbgParameters"))]
pub struct Sbg {
    alpha: f64,
    beta: f64,
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    report: Option<FitReport>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct SbgParameters {
    alpha: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<SbgParameters> for Sbg {
    type Error = crate::Error;
    fn try_from(p: SbgParameters) -> Result<Sbg> {
        Sbg::from_parameters(p.alpha, p.beta)
    }
}

fit_params!(
    /// Fitting settings of the [`Sbg`] model; [`SbgParams::fit`] returns the fitted model.
    SbgParams
);

impl SbgParams {
    /// Fits the sBG model to one or more cohorts by maximum likelihood.
    ///
    /// The log-likelihood of a cohort is
    /// `Σ_{t=1}^{n} (alive[t−1] − alive[t]) ln P(T = t) + alive[n] ln S(n)`
    /// (Fader & Hardie 2007, eq. 5); cohorts add.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// for invalid settings;
    /// [`ErrorKind::InsufficientData`](crate::error::ErrorKind::InsufficientData)
    /// when there is no cohort, or no customer cancelled or every customer
    /// cancelled (then `θ` is 0 or 1 and the model is not identified);
    /// [`ErrorKind::NotConverged`](crate::error::ErrorKind::NotConverged)
    /// when the optimiser stops short of its tolerance.
    pub fn fit(&self, cohorts: &[SbgCohort]) -> Result<Sbg> {
        let customers: f64 = cohorts.iter().map(|c| c.alive[0] as f64).sum();
        let churned: f64 = cohorts
            .iter()
            .map(|c| (c.alive[0] - c.alive[c.alive.len() - 1]) as f64)
            .sum();
        let survivors = customers - churned;
        if cohorts.is_empty() {
            return Err(ClvError::Insufficient {
                model: "sBG",
                reason: "no cohort",
            }
            .into());
        }
        if churned == 0.0 {
            return Err(ClvError::Insufficient {
                model: "sBG",
                reason: "no customer cancelled",
            }
            .into());
        }
        // Everyone cancelling after one period says θ = 1 for all.
        if survivors == 0.0 && cohorts.iter().all(|c| c.alive[1] == 0) {
            return Err(ClvError::Insufficient {
                model: "sBG",
                reason: "every customer cancelled in the first period",
            }
            .into());
        }
        let value = |theta: &[f64; 2]| {
            let [alpha, beta] = *theta;
            -cohorts
                .iter()
                .map(|c| cohort_log_likelihood(alpha, beta, c))
                .sum::<f64>()
                / customers
        };
        let starts = [[0.0; 2], [-1.0, 1.0], [1.0, 2.0]];
        let problem = Problem {
            model: "sBG",
            names: ["alpha", "beta"],
            customers,
            repeaters: None,
            rows: cohorts.iter().map(SbgCohort::periods).sum(),
            starts: &starts,
        };
        let mut settings = self.settings;
        // Central-difference gradients are good to about 1e-10.
        settings.tolerance = settings.tolerance.max(1e-8);
        let ([alpha, beta], report) = fit_positive(&problem, &settings, |theta, need| {
            central_gradient(value, theta, need)
        })?;
        Ok(Sbg {
            alpha,
            beta,
            report: Some(report),
        })
    }
}

/// Returns a cohort's log-likelihood (Fader & Hardie 2007, eq. 5), with
/// `ln P(T = t)` and `ln S(t)` from the beta function, so long cohorts stay exact.
fn cohort_log_likelihood(alpha: f64, beta: f64, cohort: &SbgCohort) -> f64 {
    let base = ln_beta(alpha, beta);
    let mut ll = 0.0;
    for (t, w) in cohort.alive.windows(2).enumerate() {
        let lost = (w[0] - w[1]) as f64;
        if lost > 0.0 {
            ll += lost * (ln_beta(alpha + 1.0, beta + t as f64) - base);
        }
    }
    let n = cohort.periods() as f64;
    let last = cohort.alive[cohort.alive.len() - 1] as f64;
    if last > 0.0 {
        ll += last * (ln_beta(alpha, beta + n) - base);
    }
    ll
}

impl Sbg {
    /// Returns the default fitting settings.
    pub fn params() -> SbgParams {
        SbgParams::new()
    }

    /// Returns the model with the given (for example saved) parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is not finite and positive.
    pub fn from_parameters(alpha: f64, beta: f64) -> Result<Sbg> {
        Ok(Sbg {
            alpha: check_positive("alpha", alpha)?,
            beta: check_positive("beta", beta)?,
            report: None,
        })
    }

    /// Returns `α`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Returns `β`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Returns the fit report, or `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    /// Returns the parameters by name.
    pub fn parameters(&self) -> Vec<(&'static str, f64)> {
        vec![("alpha", self.alpha), ("beta", self.beta)]
    }

    /// Returns the log-likelihood of a cohort.
    pub fn log_likelihood(&self, cohort: &SbgCohort) -> f64 {
        cohort_log_likelihood(self.alpha, self.beta, cohort)
    }

    /// Returns `S(t)`, the probability that a new customer is still active
    /// after `t` periods (`S(0) = 1`). Constant work for any `t`.
    pub fn survival(&self, t: u64) -> Probability {
        let ln_s = ln_beta(self.alpha, self.beta + t as f64) - ln_beta(self.alpha, self.beta);
        Probability::clamped(ln_s.exp())
    }

    /// Returns `P(T = t)`, the probability that a new customer cancels at
    /// the end of period `t` (0 for `t = 0`). Constant work for any `t`.
    pub fn churn_probability_at(&self, t: u64) -> Probability {
        if t == 0 {
            return Probability::clamped(0.0);
        }
        let ln_p =
            ln_beta(self.alpha + 1.0, self.beta + (t - 1) as f64) - ln_beta(self.alpha, self.beta);
        Probability::clamped(ln_p.exp())
    }

    /// Returns the retention rate of period `t ≥ 1`, `S(t)/S(t − 1) =
    /// (β + t − 1)/(α + β + t − 1)`: the share of customers active at the
    /// start of period `t` who renew at its end (1 for `t = 0`).
    pub fn retention_rate(&self, t: u64) -> Probability {
        if t == 0 {
            return Probability::clamped(1.0);
        }
        let b = self.beta + (t - 1) as f64;
        Probability::clamped(b / (self.alpha + b))
    }

    /// Returns `S(0), S(1), …, S(periods)`: the survival curve, `periods + 1`
    /// values, by the recursion `S(t) = S(t − 1) r(t)`.
    pub fn survival_curve(&self, periods: u32) -> Vec<Probability> {
        let mut s = 1.0;
        let mut curve = Vec::with_capacity(periods as usize + 1);
        curve.push(Probability::clamped(1.0));
        for t in 1..=u64::from(periods) {
            s *= self.retention_rate(t).value();
            curve.push(Probability::clamped(s));
        }
        curve
    }

    /// Returns the mean lifetime of a new customer in periods,
    /// `E[T] = (α + β − 1)/(α − 1)`, or `None` when `α ≤ 1` (the mean is
    /// infinite: enough customers almost never cancel).
    pub fn mean_lifetime(&self) -> Option<f64> {
        (self.alpha > 1.0).then(|| saturate((self.alpha + self.beta - 1.0) / (self.alpha - 1.0)))
    }

    /// Returns the discounted expected residual lifetime, in periods, of a
    /// customer who has made `renewals` renewals (so is at the end of period
    /// `renewals`, about to renew for period `renewals + 1`).
    ///
    /// Fader & Hardie (2010), "Customer-base valuation in a contractual
    /// setting: the perils of ignoring heterogeneity", Marketing Science
    /// 29(1), eq. 6: with `n = renewals + 1` and `d` the discount rate,
    /// `DERL = Σ_{t=n}^∞ S(t)/S(n − 1) / (1 + d)^(t−n)
    ///       = (β + n − 1)/(α + β + n − 1) · ₂F₁(1, β + n; α + β + n; 1/(1 + d))`.
    /// The first renewal counts undiscounted; multiply by the payment per
    /// period for the customer's residual value.
    ///
    /// Bounded work for any inputs: the sum's first hundred terms are added
    /// one by one and the rest by the Euler–Maclaurin formula. With `d = 0`
    /// it is the expected residual lifetime, infinite when `α ≤ 1`; values
    /// beyond the range of `f64` saturate at `f64::MAX`.
    pub fn discounted_expected_residual_lifetime(
        &self,
        discount: DiscountRate,
        renewals: u64,
    ) -> f64 {
        let (alpha, b) = (self.alpha, self.beta + renewals as f64);
        let ln_delta = -discount.value().ln_1p();
        let base = ln_beta(alpha, b);
        // Term k ≥ 1: S(n − 1 + k)/S(n − 1) δ^(k − 1) = B(α, b + k)/B(α, b) δ^(k − 1).
        let ln_total = ln_sum_smooth(1.0, f64::MAX, |k| {
            ln_beta(alpha, b + k) - base + (k - 1.0) * ln_delta
        });
        saturate(ln_total.exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohort_likelihood_follows_the_recursion() {
        // P(T = 1) = α/(α + β); P(T = t) = (β + t − 2)/(α + β + t − 1) P(T = t − 1).
        let (alpha, beta) = (0.7_f64, 1.2_f64);
        let cohort = SbgCohort::new(vec![100, 60, 45, 40]).unwrap();
        let mut p = alpha / (alpha + beta);
        let mut s = 1.0 - p;
        let mut ll = 40.0 * p.ln();
        for (t, lost) in [(2.0, 15.0), (3.0, 5.0)] {
            p *= (beta + t - 2.0) / (alpha + beta + t - 1.0);
            s -= p;
            ll += lost * p.ln();
        }
        ll += 40.0 * s.ln();
        assert!((cohort_log_likelihood(alpha, beta, &cohort) - ll).abs() < 1e-12);
    }
}
