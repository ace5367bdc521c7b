//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

use super::bg_nbd::{log_table, IndexedRows};
use super::error::ClvError;
use super::fit::{
    check_positive, fit_params, fit_positive, repeat_weight, sum_rows, total_weight, FitReport,
    Problem,
};
use super::special::gauss_legendre_64;
use super::special::{digamma, ln_gamma, log_add_exp, log_sub_exp};
use super::summary::Summaries;
use super::{
    churn_from_transactions, saturate, Fit, Periods, Probability, RfmSummary, TransactionModel,
};
use crate::error::Result;

/// `[r, α, s, β]`.
type Theta = [f64; 4];

/// Returns `ln A0` of Fader & Hardie (2005), "A note on deriving the
/// Pareto/NBD model and related expressions", eq. (19)–(20):
/// `A0 = F(t_x)/(m+t_x)^(r+s+x) − F(T)/(m+T)^(r+s+x)` with `m = max(α, β)`,
/// `F(t) = 2F1(r+s+x, c; r+s+x+1; |α−β|/(m+t))`, `c = r+x` when `α < β`
/// and `c = s+1` otherwise. The argument of 2F1 is in `[0, 1)`.
///
/// `F` is evaluated through Euler's transformation,
/// `F = (1 − z)^(1−c) G` with `G = 2F1(1, d; r+s+x+1; z)` and `d = r+s+x+1−c`
/// (`s+1` or `r+x`), whose series has positive terms with ratio below `z`.
/// With `want_gradient` it also returns the gradient of `ln A0` over θ, from
/// the series differentiated term by term.
fn ln_a0_with_gradient(
    theta: &Theta,
    x: f64,
    recency: Point,
    age: Point,
    want_gradient: bool,
) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = *theta;
    let rsx = r + s + x;
    let big_c = rsx + 1.0;
    // ∂c/∂θ, ∂d/∂θ (∂C/∂θ = [1, 0, 1, 0]) and which parameter is the maximum.
    let (c, dc, dd, max_index) = if alpha < beta {
        (r + x, [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], 3)
    } else {
        (s + 1.0, [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0], 1)
    };
    let d = big_c - c;
    let diff = (alpha - beta).abs();
    let at = |point: Point| {
        let (t, ln_mt, inv_mt) = (point.t, point.ln_mt, point.inv_mt);
        let z = diff * inv_mt;
        let (ln_g, g) = euler_series(d, big_c, z, want_gradient);
        // 1 − z = (min + t)/(max + t), taken as that ratio: when min(α, β)
        // is tiny beside max, z rounds to 1 and ln(1 − z) would be −∞.
        let one_mz = (alpha.min(beta) + t) * inv_mt;
        let ln_1mz = (alpha.min(beta) + t).ln() - ln_mt;
        let value = (1.0 - c) * ln_1mz + ln_g - rsx * ln_mt;
        let mut grad = [0.0; 4];
        if want_gradient {
            // ∂z/∂θ: z = (max − min)/(max + t).
            let mut dz = [0.0; 4];
            let min_plus_t = alpha.min(beta) + t;
            dz[max_index] = min_plus_t * inv_mt * inv_mt;
            dz[4 - max_index] = -inv_mt;
            for i in 0..4 {
                let d_rsx = if i == 0 || i == 2 { 1.0 } else { 0.0 };
                let d_max = if i == max_index { 1.0 } else { 0.0 };
                let d_ln_g = dd[i] * g.with_d - d_rsx * g.with_c + g.with_z * dz[i];
                grad[i] = -dc[i] * ln_1mz - (1.0 - c) * dz[i] / one_mz + d_ln_g
                    - d_rsx * ln_mt
                    - rsx * d_max * inv_mt;
            }
        }
        (value, grad)
    };
    let (p, dp) = at(recency);
    let (q, dq) = at(age);
    let v = log_sub_exp(p, q);
    if v == f64::NEG_INFINITY || !want_gradient {
        return (v, [0.0; 4]);
    }
    let (wp, wq) = ((p - v).exp(), (q - v).exp());
    (v, std::array::from_fn(|i| wp * dp[i] - wq * dq[i]))
}

fn ln_a0(theta: &Theta, x: f64, recency: f64, age: f64) -> f64 {
    let max = theta[1].max(theta[3]);
    ln_a0_with_gradient(
        theta,
        x,
        Point::new(recency, max),
        Point::new(age, max),
        false,
    )
    .0
}

/// A time `t` with `ln(m + t)` and `1/(m + t)` for `m = max(α, β)`, which the
/// fit takes from per-value tables.
#[derive(Clone, Copy, Debug)]
struct Point {
    t: f64,
    ln_mt: f64,
    inv_mt: f64,
}

impl Point {
    fn new(t: f64, max: f64) -> Point {
        Point {
            t,
            ln_mt: (max + t).ln(),
            inv_mt: 1.0 / (max + t),
        }
    }
}

/// Derivatives of `ln G` for [`euler_series`]: with respect to `d`, to `C`
/// (as it enters the term ratio; its sign is applied by the caller) and to `z`.
#[derive(Clone, Copy, Debug, Default)]
struct SeriesGradient {
    with_d: f64,
    with_c: f64,
    with_z: f64,
}

/// Returns `ln G` for `G = 2F1(1, d; C; z) = Σ_n (d)_n/(C)_n z^n` with
/// `0 < d < C` and `0 <= z < 1` (positive terms, ratio below `z`), and
/// optionally `∂ln G/∂d`, `∂ln G/∂C` and `∂ln G/∂z` from the term-wise
/// derivatives `∂g_n/∂d = g_n Σ_{k<n} 1/(d+k)` and `∂g_n/∂C = −g_n Σ_{k<n} 1/(C+k)`.
fn euler_series(d: f64, big_c: f64, z: f64, want_gradient: bool) -> (f64, SeriesGradient) {
    let (mut sum, mut term, mut n) = (1.0_f64, 1.0_f64, 0.0_f64);
    let (mut harmonic_d, mut harmonic_c) = (0.0, 0.0);
    let (mut sum_d, mut sum_c, mut sum_n) = (0.0, 0.0, 0.0);
    if z > 0.0 {
        for _ in 0..SERIES_TERMS {
            let inv_c = 1.0 / (big_c + n);
            if want_gradient {
                harmonic_d += 1.0 / (d + n);
                harmonic_c += inv_c;
            }
            term *= (d + n) * inv_c * z;
            n += 1.0;
            sum += term;
            if want_gradient {
                sum_d += term * harmonic_d;
                sum_c += term * harmonic_c;
                sum_n += n * term;
            }
            if term <= 1e-17 * sum {
                break;
            }
        }
    }
    let grad = if want_gradient {
        SeriesGradient {
            with_d: sum_d / sum,
            with_c: sum_c / sum,
            // Σ n g_n / z, or the first coefficient d/C at z = 0.
            with_z: if z > 0.0 { sum_n / z / sum } else { d / big_c },
        }
    } else {
        SeriesGradient::default()
    };
    (sum.ln(), grad)
}

/// Most terms of [`euler_series`]: enough for `z` up to about 0.998; beyond,
/// only reached far from any optimum, the sum is truncated.
const SERIES_TERMS: usize = 20_000;

/// Returns the log of the part of the likelihood that does not depend on
/// `x` alone: `ln[(α+T)^−(r+x) (β+T)^−s + s/(r+s+x) A0]` (ibid., eq. 22).
fn ln_mixture(theta: &Theta, x: f64, recency: f64, age: f64) -> f64 {
    let [r, alpha, s, beta] = *theta;
    let alive = -(r + x) * (alpha + age).ln() - s * (beta + age).ln();
    let dropped = s.ln() - (r + s + x).ln() + ln_a0(theta, x, recency, age);
    log_add_exp(alive, dropped)
}

fn customer_ll(theta: &Theta, s: &RfmSummary) -> f64 {
    let [r, alpha, shape, beta] = *theta;
    let x = f64::from(s.frequency());
    ln_gamma(r + x) - ln_gamma(r)
        + r * alpha.ln()
        + shape * beta.ln()
        + ln_mixture(theta, x, s.recency(), s.age())
}

/// `(1 − (1 + t/scale)^−c) / c`, continuous at `c = 0` (where it is `ln(1 + t/scale)`).
fn dampened(c: f64, t: f64, scale: f64) -> f64 {
    let ratio = t / scale;
    // ln(1 + t/scale) even when t/scale overflows (then t dwarfs scale).
    let l = if ratio.is_finite() {
        ratio.ln_1p()
    } else {
        t.ln() - scale.ln()
    };
    if (c * l).abs() < 1e-10 {
        l * (1.0 - 0.5 * c * l)
    } else {
        -(-c * l).exp_m1() / c
    }
}

/// The Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo
/// 1987, "Counting your customers: who are they and what will they do next?",
/// Management Science 33(1); likelihood as in Fader & Hardie 2005, "A note on
/// deriving the Pareto/NBD model and related expressions").
///
/// While active, a customer buys as a Poisson process of rate `λ` and drops
/// out after an exponential lifetime of rate `μ`, at any time. Across
/// customers `λ ~ Gamma(r, α)` and `μ ~ Gamma(s, β)`. Times are in the periods
/// of the summaries.
///
/// | parameter | meaning | valid range |
/// |---|---|---|
/// | `r` | shape of the purchase-rate distribution | > 0 |
/// | `alpha` (α) | scale of the purchase-rate distribution, in periods | > 0 |
/// | `s` | shape of the dropout-rate distribution | > 0 |
/// | `beta` (β) | scale of the dropout-rate distribution, in periods | > 0 |
///
/// On the CDNOW sample (weeks) the fit is `r = 0.5533, α = 10.578, s = 0.6062,
/// β = 11.667`, log-likelihood −9594.97 (checked in the tests). The
/// likelihood needs the Gauss hypergeometric function; it is computed in
/// log space from a transformed series whose terms are positive, so no
/// cancellation or overflow occurs for large frequencies.
///
/// # Examples
///
/// ```
/// use custodia::clv::{ParetoNbd, Periods, RfmSummary, TransactionModel};
///
/// let model = ParetoNbd::from_parameters(0.5533, 10.578, 0.6062, 11.667)?;
/// let c = RfmSummary::new(2, 30.43, 38.86)?;
/// let p = model.probability_alive(&c).value();
/// assert!(p > 0.5 && p < 1.0);
/// assert!(model.expected_purchases(Periods::new(39.0)?) > 0.0);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "ParetoNbdParameters"))]
pub struct ParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    report: Option<FitReport>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct ParetoNbdParameters {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<ParetoNbdParameters> for ParetoNbd {
    type Error = crate::Error;
    fn try_from(p: ParetoNbdParameters) -> Result<ParetoNbd> {
        ParetoNbd::from_parameters(p.r, p.alpha, p.s, p.beta)
    }
}

fit_params!(
    /// Fitting settings of the [`ParetoNbd`] model; [`Fit::fit`] returns the fitted model.
    ParetoNbdParams
);

impl ParetoNbd {
    /// Returns the default fitting settings.
    pub fn params() -> ParetoNbdParams {
        ParetoNbdParams::new()
    }

    /// Returns the model with the given (for example saved) parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is not finite and positive.
    pub fn from_parameters(r: f64, alpha: f64, s: f64, beta: f64) -> Result<ParetoNbd> {
        Ok(ParetoNbd {
            r: check_positive("r", r)?,
            alpha: check_positive("alpha", alpha)?,
            s: check_positive("s", s)?,
            beta: check_positive("beta", beta)?,
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

    /// Returns `s`.
    pub fn s(&self) -> f64 {
        self.s
    }

    /// Returns `β`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Returns the fit report, or `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    fn theta(&self) -> Theta {
        [self.r, self.alpha, self.s, self.beta]
    }
}

/// Weighted mean negative log-likelihood over grouped rows and, with
/// `want_gradient`, its analytic gradient over θ (zeros otherwise).
fn mean_nll(
    theta: &Theta,
    rows: &IndexedRows,
    by_frequency: &[(f64, f64)],
    total: f64,
    want_gradient: bool,
) -> (f64, Theta) {
    let [r, alpha, s, beta] = *theta;
    let (lg_r, dg_r, ln_alpha, ln_beta) = (ln_gamma(r), digamma(r), alpha.ln(), beta.ln());
    let mut ll = 0.0;
    let mut g = [0.0; 4];
    for &(x, n) in by_frequency {
        ll += n * (ln_gamma(r + x) - lg_r + r * ln_alpha + s * ln_beta);
        if want_gradient {
            g[0] += n * (digamma(r + x) - dg_r + ln_alpha);
            g[1] += n * r / alpha;
            g[2] += n * ln_beta;
            g[3] += n * s / beta;
        }
    }
    let max = alpha.max(beta);
    let age_alpha = log_table(&rows.ages, alpha);
    let age_beta = log_table(&rows.ages, beta);
    let age_max = log_table(&rows.ages, max);
    let recency_max = log_table(&rows.recencies, max);
    let ln_s = s.ln();
    let per_row = sum_rows(&rows.rows, |row| {
        let x = rows.frequencies[row.frequency as usize];
        let w = row.weight;
        let (age, recency) = (row.age as usize, row.recency as usize);
        let (l_at, inv_at) = age_alpha[age];
        let (l_bt, inv_bt) = age_beta[age];
        let point = |t: f64, (ln_mt, inv_mt): (f64, f64)| Point { t, ln_mt, inv_mt };
        let (ln_a0, d_a0) = ln_a0_with_gradient(
            theta,
            x,
            point(rows.recencies[recency], recency_max[recency]),
            point(rows.ages[age], age_max[age]),
            want_gradient,
        );
        let alive = -(r + x) * l_at - s * l_bt;
        let rsx = r + s + x;
        let dropped = ln_s - rsx.ln() + ln_a0;
        let v = log_add_exp(alive, dropped);
        if !want_gradient {
            return [w * v, 0.0, 0.0, 0.0, 0.0];
        }
        let d_alive = [-l_at, -(r + x) * inv_at, -l_bt, -s * inv_bt];
        let d_dropped = [
            -1.0 / rsx + d_a0[0],
            d_a0[1],
            1.0 / s - 1.0 / rsx + d_a0[2],
            d_a0[3],
        ];
        let (pa, pd) = ((alive - v).exp(), (dropped - v).exp());
        [
            w * v,
            w * (pa * d_alive[0] + pd * d_dropped[0]),
            w * (pa * d_alive[1] + pd * d_dropped[1]),
            w * (pa * d_alive[2] + pd * d_dropped[2]),
            w * (pa * d_alive[3] + pd * d_dropped[3]),
        ]
    });
    ll += per_row[0];
    for i in 0..4 {
        g[i] += per_row[i + 1];
    }
    (-ll / total, g.map(|v| -v / total))
}

impl Fit for ParetoNbdParams {
    type Model = ParetoNbd;

    fn fit(&self, data: &Summaries) -> Result<ParetoNbd> {
        let rows = data.grouped_frequency_recency_age();
        let total = total_weight(&rows);
        if total <= 0.0 || rows.iter().all(|r| r.frequency == 0) {
            return Err(ClvError::Insufficient {
                model: "Pareto/NBD",
                reason: "no customer made a repeat purchase",
            }
            .into());
        }
        let by_frequency = super::bg_nbd::frequency_weights(&rows);
        let indexed = IndexedRows::new(&rows);
        let value_and_gradient = |theta: &Theta, need: bool| {
            let (f, g) = mean_nll(theta, &indexed, &by_frequency, total, need);
            (f, need.then_some(g))
        };
        let starts = [[0.0; 4], [-0.5, 2.0, -0.5, 2.0], [0.5, 1.0, 0.5, 1.0]];
        let settings = self.settings;
        let problem = Problem {
            model: "Pareto/NBD",
            names: ["r", "alpha", "s", "beta"],
            customers: total,
            repeaters: Some(repeat_weight(&rows)),
            rows: rows.len(),
            starts: &starts,
        };
        let ([r, alpha, s, beta], report) = fit_positive(&problem, &settings, value_and_gradient)?;
        Ok(ParetoNbd {
            r,
            alpha,
            s,
            beta,
            report: Some(report),
        })
    }
}

impl TransactionModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "pareto"
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("r", self.r),
            ("alpha", self.alpha),
            ("s", self.s),
            ("beta", self.beta),
        ]
    }

    fn customer_log_likelihood(&self, customer: &RfmSummary) -> f64 {
        customer_ll(&self.theta(), customer)
    }

    /// `E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)]` (Fader & Hardie 2005 note, eq. 17).
    fn expected_purchases(&self, horizon: Periods) -> f64 {
        let t = horizon.value();
        // r/α · β · dampened, ordered so that r/α overflows only if the result does.
        saturate(self.r / self.alpha * (self.beta * dampened(self.s - 1.0, t, self.beta)))
    }

    /// `E[Y(t) | x, t_x, T] = (r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)`
    /// (ibid., eq. 24).
    fn conditional_expected_purchases(&self, customer: &RfmSummary, horizon: Periods) -> f64 {
        let x = f64::from(customer.frequency());
        let big_t = customer.age();
        let v = (self.r + x) / (self.alpha + big_t)
            * (self.beta + big_t)
            * dampened(self.s - 1.0, horizon.value(), self.beta + big_t)
            * self.probability_alive(customer).value();
        saturate(v)
    }

    /// `P(X(t) = n)` as the integral over the time `u` of the last purchase of
    /// the likelihood of `(n, u, t)` times `u^(n−1)/(n−1)!` (the volume of the
    /// earlier purchase times), by 64-point Gauss–Legendre quadrature; for
    /// `n = 0` it is the likelihood of `(0, 0, t)`.
    fn probability_of_purchases(&self, n: u32, horizon: Periods) -> Probability {
        let t = horizon.value();
        let theta = self.theta();
        let (Ok(zero), true) = (RfmSummary::new(0, 0.0, t), t >= 0.0) else {
            return Probability::clamped(0.0);
        };
        if n == 0 {
            return Probability::clamped(customer_ll(&theta, &zero).exp());
        }
        if t == 0.0 {
            return Probability::clamped(0.0);
        }
        let nf = f64::from(n);
        let ln_fact = ln_gamma(nf);
        let p = gauss_legendre_64(0.0, t, |u| {
            let ll =
                RfmSummary::new(n, u, t).map_or(f64::NEG_INFINITY, |s| customer_ll(&theta, &s));
            (ll + (nf - 1.0) * u.ln() - ln_fact).exp()
        });
        Probability::clamped(p)
    }

    /// `P(alive) = 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A0)` (ibid., eq. 18).
    fn probability_alive(&self, customer: &RfmSummary) -> Probability {
        let theta = self.theta();
        let x = f64::from(customer.frequency());
        let big_t = customer.age();
        let l = self.s.ln() - (self.r + self.s + x).ln()
            + (self.r + x) * (self.alpha + big_t).ln()
            + self.s * (self.beta + big_t).ln()
            + ln_a0(&theta, x, customer.recency(), big_t);
        Probability::clamped(if l > 0.0 {
            (-l).exp() / (1.0 + (-l).exp())
        } else {
            1.0 / (1.0 + l.exp())
        })
    }
}

churn_from_transactions!(ParetoNbd);

#[cfg(test)]
mod tests {
    use super::*;

    /// The likelihood integrated directly: `L = Γ(r+x)α^r β^s/Γ(r) [ (α+T)^−(r+x) (β+T)^−s
    /// + s ∫_{t_x}^T (α+τ)^−(r+x) (β+τ)^−(s+1) dτ ]`.
    fn ll_by_quadrature(theta: &Theta, x: f64, tx: f64, t: f64) -> f64 {
        let [r, alpha, s, beta] = *theta;
        let integral = gauss_legendre_64(tx, t, |tau| {
            (-(r + x) * (alpha + tau).ln() - (s + 1.0) * (beta + tau).ln()).exp()
        });
        let bracket = (-(r + x) * (alpha + t).ln() - s * (beta + t).ln()).exp() + s * integral;
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln() + bracket.ln()
    }

    #[test]
    fn hypergeometric_likelihood_matches_the_integral() {
        for theta in [
            [0.55, 10.6, 0.61, 11.7],
            [0.3, 2.0, 1.5, 40.0],
            [2.0, 30.0, 0.2, 1.0],
        ] {
            for (x, tx, t) in [
                (0u32, 0.0, 38.0),
                (3, 20.0, 38.0),
                (12, 36.0, 38.0),
                (1, 0.5, 5.0),
            ] {
                let s = RfmSummary::new(x, tx, t).unwrap();
                let a = customer_ll(&theta, &s);
                let b = ll_by_quadrature(&theta, f64::from(x), tx, t);
                assert!((a - b).abs() < 1e-9, "{theta:?} {x} {tx} {t}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn analytic_gradient_matches_differences() {
        let mut data = Summaries::new();
        for (x, tx, t) in [
            (0, 0.0, 30.0),
            (2, 10.0, 30.0),
            (5, 28.0, 35.0),
            (1, 3.5, 20.0),
            (9, 19.9, 20.0),
        ] {
            data.push(RfmSummary::new(x, tx, t).unwrap());
        }
        let grouped = data.grouped_frequency_recency_age();
        let byf = crate::clv::bg_nbd::frequency_weights(&grouped);
        let rows = IndexedRows::new(&grouped);
        for theta in [
            [0.7, 3.0, 1.3, 2.2],
            [0.55, 10.6, 0.61, 11.7],
            [2.0, 1.0, 0.3, 9.0],
            [1.0, 5.0, 1.0, 5.0],
        ] {
            let (f, g) = mean_nll(&theta, &rows, &byf, 5.0, true);
            assert!((f - mean_nll(&theta, &rows, &byf, 5.0, false).0).abs() < 1e-12);
            let direct: f64 = data.iter().map(|(s, _)| customer_ll(&theta, s)).sum();
            assert!(
                (direct + 5.0 * f).abs() < 1e-10,
                "grouped sum equals per-customer sum"
            );
            for i in 0..4 {
                let h = 1e-6 * theta[i];
                let mut up = theta;
                up[i] += h;
                let mut down = theta;
                down[i] -= h;
                let num = (mean_nll(&up, &rows, &byf, 5.0, false).0
                    - mean_nll(&down, &rows, &byf, 5.0, false).0)
                    / (2.0 * h);
                assert!(
                    (num - g[i]).abs() < 1e-7 * (1.0 + num.abs()),
                    "{theta:?} {i}: {num} vs {}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn purchase_probabilities_sum_to_one() {
        let m = ParetoNbd::from_parameters(0.5533, 10.578, 0.6062, 11.667).unwrap();
        let t = Periods::new(10.0).unwrap();
        let ps: Vec<f64> = (0..60)
            .map(|n| m.probability_of_purchases(n, t).value())
            .collect();
        let total: f64 = ps.iter().sum();
        let mean: f64 = ps.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
        assert!((total - 1.0).abs() < 1e-6, "total {total}");
        assert!((mean - m.expected_purchases(t)).abs() < 1e-4, "mean {mean}");
    }
}
