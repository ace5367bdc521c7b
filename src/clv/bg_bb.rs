//! The BG/BB model of discrete-time repeat transactions (Fader, Hardie & Shang 2010).

use super::error::ClvError;
use super::fit::{check_positive, fit_params, fit_positive, sum_rows, FitReport, Problem};
use super::optim::central_gradient;
use super::special::{ln_beta, ln_sum_smooth, log_add_exp};
use super::summary::Summaries;
use super::{
    churn_from_transactions, saturate, Fit, Periods, Probability, RfmSummary, TransactionModel,
};
use crate::error::Result;

/// `[α, β, γ, δ]`.
type Theta = [f64; 4];

/// A discrete summary: `x` purchases, the last at opportunity `t_x`, out of `n`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Discrete {
    x: f64,
    t_x: f64,
    n: f64,
}

/// Reads a summary as whole opportunities: times are floored and the
/// frequency capped at the recency (at most one purchase per opportunity).
fn discrete(s: &RfmSummary) -> Discrete {
    let n = s.age().floor();
    let t_x = s.recency().floor().min(n);
    let x = f64::from(s.frequency()).min(t_x);
    Discrete { x, t_x, n }
}

/// Returns one customer's log-likelihood, Fader, Hardie & Shang (2010) eq. (5):
/// `L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///    + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)`.
fn ll(theta: &Theta, d: Discrete) -> f64 {
    let [alpha, beta, gamma, delta] = *theta;
    let (b_ab, b_gd) = (ln_beta(alpha, beta), ln_beta(gamma, delta));
    // The sum over the opportunities after t_x at which the customer may have
    // dropped out: bounded work however many there are (see `ln_sum_smooth`).
    let dropped = ln_sum_smooth(0.0, d.n - d.t_x - 1.0, |i| {
        // `t_x + i` is at most `n − 1`; held there, so that rounding the sum
        // of two numbers near `f64::MAX` cannot overflow to infinity.
        let at = (d.t_x + i).min(d.n - 1.0);
        ln_beta(alpha + d.x, beta + (at - d.x)) + ln_beta(gamma + 1.0, delta + at)
    });
    log_add_exp(ln_alive(theta, d, b_ab, b_gd), dropped - b_ab - b_gd)
}

/// The log of the likelihood's first term: buying as observed and alive after `n`.
fn ln_alive(theta: &Theta, d: Discrete, b_ab: f64, b_gd: f64) -> f64 {
    let [alpha, beta, gamma, delta] = *theta;
    ln_beta(alpha + d.x, beta + (d.n - d.x)) - b_ab + ln_beta(gamma, delta + d.n) - b_gd
}

/// Returns `Σ_{i=1}^{k} B(γ, δ+m+i)/B(γ, δ)`: the expected number of the `k`
/// opportunities after `m` at which a customer alive at 0 is still alive.
///
/// The result can exceed the range of `f64` only when it is at least about
/// `k` times `1e-300`, so it saturates at `f64::MAX` rather than overflow.
fn alive_opportunities(gamma: f64, delta: f64, m: f64, k: f64) -> f64 {
    let b_gd = ln_beta(gamma, delta);
    let ln_sum = ln_sum_smooth(1.0, k, |i| ln_beta(gamma, delta + m + i));
    (ln_sum - b_gd).exp().min(f64::MAX)
}

/// The BG/BB model of repeat transactions at discrete opportunities (Fader,
/// Hardie & Shang 2010, "Customer-base analysis in a discrete-time
/// noncontractual setting", Marketing Science 29(6), 1086–1108).
///
/// At each opportunity (a yearly fund drive, a weekly event) an active
/// customer buys with probability `p`, then drops out before the next one
/// with probability `θ`. Across customers `p ~ Beta(α, β)` and `θ ~ Beta(γ, δ)`.
///
/// Summaries count opportunities after the first purchase: `frequency` is
/// the number of opportunities with a purchase, `recency` the last such
/// opportunity (0 when none) and `age` the number of opportunities observed.
/// Fitting requires whole numbers with `frequency <= recency <= age`;
/// predictions floor times to whole opportunities.
///
/// | parameter | meaning | valid range |
/// |---|---|---|
/// | `alpha` (α) | first shape of the purchase-probability distribution | > 0 |
/// | `beta` (β) | second shape of the purchase-probability distribution | > 0 |
/// | `gamma` (γ) | first shape of the dropout-probability distribution | > 0 |
/// | `delta` (δ) | second shape of the dropout-probability distribution | > 0 |
///
/// On the donations data the fit is `α = 1.2035, β = 0.7497, γ = 0.6567,
/// δ = 2.7834`, log-likelihood −33225.58 (checked in the tests).
///
/// # Examples
///
/// ```
/// use custodia::clv::{BgBb, Periods, RfmSummary, TransactionModel};
///
/// let model = BgBb::from_parameters(1.2035, 0.7497, 0.6567, 2.7834)?;
/// let every_year = RfmSummary::new(6, 6.0, 6.0)?;
/// let lapsed = RfmSummary::new(2, 2.0, 6.0)?;
/// assert!(model.probability_alive(&every_year).value() > model.probability_alive(&lapsed).value());
/// assert!(model.conditional_expected_purchases(&every_year, Periods::new(5.0)?) > 2.0);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BgBbParameters"))]
pub struct BgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    report: Option<FitReport>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct BgBbParameters {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<BgBbParameters> for BgBb {
    type Error = crate::Error;
    fn try_from(p: BgBbParameters) -> Result<BgBb> {
        BgBb::from_parameters(p.alpha, p.beta, p.gamma, p.delta)
    }
}

fit_params!(
    /// Fitting settings of the [`BgBb`] model; [`Fit::fit`] returns the fitted model.
    BgBbParams
);

impl BgBb {
    /// Returns the default fitting settings.
    pub fn params() -> BgBbParams {
        BgBbParams::new()
    }

    /// Returns the model with the given (for example saved) parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is not finite and positive.
    pub fn from_parameters(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<BgBb> {
        Ok(BgBb {
            alpha: check_positive("alpha", alpha)?,
            beta: check_positive("beta", beta)?,
            gamma: check_positive("gamma", gamma)?,
            delta: check_positive("delta", delta)?,
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

    /// Returns `γ`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Returns `δ`.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Returns the fit report, or `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    fn theta(&self) -> Theta {
        [self.alpha, self.beta, self.gamma, self.delta]
    }
}

/// Checks that a summary is a valid discrete one.
fn check_discrete(s: &RfmSummary) -> Result<()> {
    for (field, v) in [("recency", s.recency()), ("age", s.age())] {
        if v.fract() != 0.0 {
            return Err(ClvError::NotWholePeriods { field, value: v }.into());
        }
    }
    if f64::from(s.frequency()) > s.recency() {
        return Err(ClvError::FrequencyAboveRecency {
            frequency: s.frequency(),
            recency: s.recency(),
        }
        .into());
    }
    if s.frequency() > 0 && s.recency() == 0.0 {
        return Err(ClvError::FrequencyAboveRecency {
            frequency: s.frequency(),
            recency: 0.0,
        }
        .into());
    }
    Ok(())
}

impl Fit for BgBbParams {
    type Model = BgBb;

    fn fit(&self, data: &Summaries) -> Result<BgBb> {
        for (s, _) in data.iter() {
            check_discrete(s)?;
        }
        let rows: Vec<(Discrete, f64)> = data
            .grouped_frequency_recency_age()
            .iter()
            .map(|r| {
                (
                    Discrete {
                        x: f64::from(r.frequency),
                        t_x: r.recency,
                        n: r.age,
                    },
                    r.weight,
                )
            })
            .collect();
        let total: f64 = rows.iter().map(|r| r.1).sum();
        if total <= 0.0 || rows.iter().all(|r| r.0.x == 0.0) || rows.iter().all(|r| r.0.n == 0.0) {
            return Err(ClvError::Insufficient {
                model: "BG/BB",
                reason: "no customer made a repeat purchase",
            }
            .into());
        }
        let value = |theta: &Theta| {
            let [v] = sum_rows(&rows, |(d, w)| [w * ll(theta, *d)]);
            -v / total
        };
        let value_and_gradient = |theta: &Theta, need: bool| central_gradient(value, theta, need);
        let starts = [[0.0; 4], [0.5, -0.5, -0.5, 1.0], [-0.5, 0.5, 0.5, 0.5]];
        let mut settings = self.settings;
        settings.tolerance = settings.tolerance.max(1e-8);
        let repeaters: f64 = rows.iter().filter(|r| r.0.x > 0.0).map(|r| r.1).sum();
        let problem = Problem {
            model: "BG/BB",
            names: ["alpha", "beta", "gamma", "delta"],
            customers: total,
            repeaters: Some(repeaters),
            rows: rows.len(),
            starts: &starts,
        };
        let ([alpha, beta, gamma, delta], report) =
            fit_positive(&problem, &settings, value_and_gradient)?;
        Ok(BgBb {
            alpha,
            beta,
            gamma,
            delta,
            report: Some(report),
        })
    }
}

impl TransactionModel for BgBb {
    fn name(&self) -> &'static str {
        "bgbb"
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("alpha", self.alpha),
            ("beta", self.beta),
            ("gamma", self.gamma),
            ("delta", self.delta),
        ]
    }

    fn customer_log_likelihood(&self, customer: &RfmSummary) -> f64 {
        ll(&self.theta(), discrete(customer))
    }

    /// `E[X(n)] = α/(α+β) Σ_{i=1}^{n} B(γ, δ+i)/B(γ, δ)` (Fader, Hardie & Shang
    /// 2010, eq. 9, as a finite sum, which has no singularity at `γ = 1`).
    fn expected_purchases(&self, horizon: Periods) -> f64 {
        let k = horizon.value().floor();
        let p = self.alpha / (self.alpha + self.beta);
        saturate(p * alive_opportunities(self.gamma, self.delta, 0.0, k))
    }

    /// `E[X(n, n+n*) | x, t_x, n] = B(α+x+1, β+n−x)/B(α,β) Σ_{i=1}^{n*} B(γ, δ+n+i)/B(γ,δ) / L`
    /// (ibid., eq. 13, as a finite sum).
    fn conditional_expected_purchases(&self, customer: &RfmSummary, horizon: Periods) -> f64 {
        let theta = self.theta();
        let d = discrete(customer);
        let k = horizon.value().floor();
        let ln_l = ll(&theta, d);
        let ln_p = ln_beta(self.alpha + d.x + 1.0, self.beta + (d.n - d.x))
            - ln_beta(self.alpha, self.beta);
        let v = (ln_p - ln_l).exp() * alive_opportunities(self.gamma, self.delta, d.n, k);
        saturate(v)
    }

    /// `P(X(n) = x)`, ibid. eq. (7).
    fn probability_of_purchases(&self, x: u32, horizon: Periods) -> Probability {
        let [alpha, beta, gamma, delta] = self.theta();
        let n = horizon.value().floor();
        let xf = f64::from(x);
        if xf > n {
            return Probability::clamped(0.0);
        }
        let (b_ab, b_gd) = (ln_beta(alpha, beta), ln_beta(gamma, delta));
        // ln C(n, k) = −ln(n + 1) − ln B(k + 1, n − k + 1), finite for any n.
        let ln_choose = |n: f64, k: f64| -(n + 1.0).ln() - ln_beta(k + 1.0, n - k + 1.0);
        let alive = ln_choose(n, xf) + ln_beta(alpha + xf, beta + (n - xf)) - b_ab
            + ln_beta(gamma, delta + n)
            - b_gd;
        let dropped = ln_sum_smooth(xf, n - 1.0, |i| {
            ln_choose(i, xf)
                + ln_beta(alpha + xf, beta + (i - xf))
                + ln_beta(gamma + 1.0, delta + i)
        }) - b_ab
            - b_gd;
        Probability::clamped(log_add_exp(alive, dropped).exp())
    }

    /// `P(alive at n | x, t_x, n) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ) / L`:
    /// the first term of the likelihood over the whole (ibid., eq. 11 with the
    /// survival factor of the opportunity after `n` left out).
    fn probability_alive(&self, customer: &RfmSummary) -> Probability {
        let theta = self.theta();
        let d = discrete(customer);
        let (b_ab, b_gd) = (
            ln_beta(self.alpha, self.beta),
            ln_beta(self.gamma, self.delta),
        );
        Probability::clamped((ln_alive(&theta, d, b_ab, b_gd) - ll(&theta, d)).exp())
    }
}

churn_from_transactions!(BgBb);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_probabilities_sum_to_one_and_match_the_mean() {
        let m = BgBb::from_parameters(1.2035, 0.7497, 0.6567, 2.7834).unwrap();
        let n = Periods::new(6.0).unwrap();
        let ps: Vec<f64> = (0..=6)
            .map(|x| m.probability_of_purchases(x, n).value())
            .collect();
        let total: f64 = ps.iter().sum();
        let mean: f64 = ps.iter().enumerate().map(|(x, p)| x as f64 * p).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!((mean - m.expected_purchases(n)).abs() < 1e-12, "{mean}");
    }
}
