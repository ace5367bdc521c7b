//! The BG/NBD model (Fader, Hardie & Lee 2005), and the likelihood code it
//! shares with the MBG/NBD.

use super::error::ClvError;
use super::fit::{
    check_positive, fit_params, fit_positive, repeat_weight, sum_rows, total_weight, FitReport,
    Problem,
};
use super::special::{digamma, ln_beta, ln_gamma, ln_hyp2f1, ln_sum_smooth, log_add_exp};
use super::summary::{Row, Summaries};
use super::{
    churn_from_transactions, saturate, Fit, Periods, Probability, RfmSummary, TransactionModel,
};
use crate::error::Result;

/// The two members of the beta-geometric / NBD family.
///
/// In the BG/NBD a customer may drop out only right after a repeat purchase;
/// in the MBG/NBD also right after the first one (at time 0). The likelihoods
/// differ by one opportunity: `shift` is 0 for the BG/NBD and 1 for the
/// MBG/NBD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Bg,
    Mbg,
}

impl Family {
    fn shift(self) -> f64 {
        match self {
            Family::Bg => 0.0,
            Family::Mbg => 1.0,
        }
    }

    /// Whether a customer with `x` repeat purchases may have dropped out.
    fn may_drop(self, x: u32) -> bool {
        x > 0 || self == Family::Mbg
    }
}

/// The four parameters `[r, α, a, b]`.
pub(crate) type Theta = [f64; 4];

/// Returns one customer's log-likelihood.
///
/// BG/NBD, FHL (2005) eq. (6):
/// `L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
///    + δ(x>0) B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))`.
/// The MBG/NBD (Batislam et al. 2007) has `b+x+1` and `b+x` in place of `b+x` and
/// `b+x−1`, and the second term for every customer.
pub(crate) fn customer_ll(family: Family, theta: &Theta, s: &RfmSummary) -> f64 {
    let [r, alpha, a, b] = *theta;
    let x = f64::from(s.frequency());
    let k = family.shift();
    let common =
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) + ln_gamma(b + x + k)
            - ln_gamma(b)
            - ln_gamma(a + b + x + k);
    let a3 = -(r + x) * (alpha + s.age()).ln();
    let tail = if family.may_drop(s.frequency()) {
        let a4 = a.ln() - (b + (x - 1.0 + k)).ln() - (r + x) * (alpha + s.recency()).ln();
        log_add_exp(a3, a4)
    } else {
        a3
    };
    common + tail
}

/// Per-frequency totals of the weights, for the terms that depend only on `x`.
pub(crate) fn frequency_weights(rows: &[Row]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for row in rows {
        let x = f64::from(row.frequency);
        match out.last_mut() {
            Some(last) if last.0 == x => last.1 += row.weight,
            _ => out.push((x, row.weight)),
        }
    }
    out
}

/// Grouped rows with their distinct frequencies, ages and recencies numbered,
/// so that each likelihood evaluation takes the logarithms of `α + T`,
/// `α + t_x` and `b + x − 1` once per distinct value instead of once per row
/// (cohort data share few distinct ages and recencies).
#[derive(Clone, Debug)]
pub(crate) struct IndexedRows {
    pub(crate) rows: Vec<IndexedRow>,
    pub(crate) frequencies: Vec<f64>,
    pub(crate) ages: Vec<f64>,
    pub(crate) recencies: Vec<f64>,
}

/// A grouped row as indices into the tables of [`IndexedRows`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct IndexedRow {
    pub(crate) frequency: u32,
    pub(crate) age: u32,
    pub(crate) recency: u32,
    pub(crate) weight: f64,
}

impl IndexedRows {
    pub(crate) fn new(rows: &[Row]) -> IndexedRows {
        fn distinct(mut v: Vec<f64>) -> Vec<f64> {
            v.sort_by(f64::total_cmp);
            v.dedup_by(|a, b| a.to_bits() == b.to_bits());
            v
        }
        fn index(table: &[f64], v: f64) -> u32 {
            let i = table.partition_point(|t| t.total_cmp(&v).is_lt());
            u32::try_from(i).unwrap_or(u32::MAX)
        }
        let frequencies = distinct(rows.iter().map(|r| f64::from(r.frequency)).collect());
        let ages = distinct(rows.iter().map(|r| r.age).collect());
        let recencies = distinct(rows.iter().map(|r| r.recency).collect());
        let rows = rows
            .iter()
            .map(|r| IndexedRow {
                frequency: index(&frequencies, f64::from(r.frequency)),
                age: index(&ages, r.age),
                recency: index(&recencies, r.recency),
                weight: r.weight,
            })
            .collect();
        IndexedRows {
            rows,
            frequencies,
            ages,
            recencies,
        }
    }
}

/// `(ln(shift + v), 1/(shift + v))` for each value of a table.
pub(crate) fn log_table(values: &[f64], shift: f64) -> Vec<(f64, f64)> {
    values
        .iter()
        .map(|v| ((shift + v).ln(), 1.0 / (shift + v)))
        .collect()
}

/// Returns the weighted mean negative log-likelihood and its gradient over θ.
pub(crate) fn mean_nll(
    family: Family,
    theta: &Theta,
    rows: &IndexedRows,
    by_frequency: &[(f64, f64)],
    total: f64,
) -> (f64, Theta) {
    let [r, alpha, a, b] = *theta;
    let k = family.shift();
    let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
    let (dg_r, dg_b, dg_ab) = (digamma(r), digamma(b), digamma(a + b));
    let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
    // Terms depending on x alone.
    let mut ll = 0.0;
    let mut g = [0.0; 4];
    for &(x, n) in by_frequency {
        let dg_abx = digamma(a + b + x + k);
        ll += n
            * (ln_gamma(r + x) - lg_r + r * ln_alpha + lg_ab + ln_gamma(b + x + k)
                - lg_b
                - ln_gamma(a + b + x + k));
        g[0] += n * (digamma(r + x) - dg_r + ln_alpha);
        g[1] += n * r / alpha;
        g[2] += n * (dg_ab - dg_abx);
        g[3] += n * (dg_ab + digamma(b + x + k) - dg_b - dg_abx);
    }
    // The mixture of "alive at T" and "dropped out at t_x", per row.
    let ages = log_table(&rows.ages, alpha);
    let recencies = log_table(&rows.recencies, alpha);
    // b + (x − 1 + k), grouped so that a tiny b is not lost to rounding.
    let bxs: Vec<(f64, f64)> = rows
        .frequencies
        .iter()
        .map(|x| {
            let v = b + (x - 1.0 + k);
            (v.ln(), 1.0 / v)
        })
        .collect();
    let per_row = sum_rows(&rows.rows, |row| {
        let x = rows.frequencies[row.frequency as usize];
        let w = row.weight;
        let (l_t, inv_t) = ages[row.age as usize];
        let a3 = -(r + x) * l_t;
        if !family.may_drop(x as u32) {
            return [w * a3, -w * l_t, -w * (r + x) * inv_t, 0.0, 0.0];
        }
        let (l_tx, inv_tx) = recencies[row.recency as usize];
        let (l_bx, inv_bx) = bxs[row.frequency as usize];
        let a4 = ln_a - l_bx - (r + x) * l_tx;
        // log-sum-exp with the shares of both terms from one exponential.
        let (hi, lo) = if a3 >= a4 { (a3, a4) } else { (a4, a3) };
        let e = (lo - hi).exp();
        let v = hi + e.ln_1p();
        let p_hi = 1.0 / (1.0 + e);
        let (p3, p4) = if a3 >= a4 {
            (p_hi, 1.0 - p_hi)
        } else {
            (1.0 - p_hi, p_hi)
        };
        [
            w * v,
            -w * (p3 * l_t + p4 * l_tx),
            -w * (r + x) * (p3 * inv_t + p4 * inv_tx),
            w * p4 / a,
            -w * p4 * inv_bx,
        ]
    });
    ll += per_row[0];
    for i in 0..4 {
        g[i] += per_row[i + 1];
    }
    (-ll / total, g.map(|v| -v / total))
}

/// Fits a family member to `data`.
pub(crate) fn fit_family(
    family: Family,
    name: &'static str,
    settings: &super::fit::FitSettings,
    data: &Summaries,
) -> Result<(Theta, FitReport)> {
    let rows = data.grouped_frequency_recency_age();
    let total = total_weight(&rows);
    if total <= 0.0 {
        return Err(ClvError::Insufficient {
            model: name,
            reason: "no customers",
        }
        .into());
    }
    if rows.iter().all(|r| r.frequency == 0) {
        return Err(ClvError::Insufficient {
            model: name,
            reason: "no customer made a repeat purchase",
        }
        .into());
    }
    let by_frequency = frequency_weights(&rows);
    let indexed = IndexedRows::new(&rows);
    let starts = [[0.0; 4], [-1.0, 1.0, -1.0, 1.0], [0.5, 2.0, 0.5, 0.5]];
    let problem = Problem {
        model: name,
        names: ["r", "alpha", "a", "b"],
        customers: total,
        repeaters: Some(repeat_weight(&rows)),
        rows: rows.len(),
        starts: &starts,
    };
    fit_positive(&problem, settings, |theta, _| {
        let (f, g) = mean_nll(family, theta, &indexed, &by_frequency, total);
        (f, Some(g))
    })
}

/// Within this distance of `a = 1` the conditional expectation is summed by
/// [`removable_series`] instead of through `1/(a − 1)` times a difference
/// that vanishes at `a = 1`.
const NEAR_ONE: f64 = 1e-3;

/// Returns `(a + b + x − 1 + k)/(a − 1) · [1 − q^(r+x) 2F1(r+x, b+x+k; a+b+x−1+k; z)]`,
/// the conditional expectation's numerator (FHL 2005 eq. 10; Batislam et al.
/// 2007 for `k = 1`), with `q = (α+T)/(α+T+t)` and `z = t/(α+T+t)`.
///
/// The expression has a removable singularity at `a = 1` (there the 2F1 is
/// `q^−(r+x)` and the bracket vanishes); within [`NEAR_ONE`] of it the
/// bracket divided by `a − 1` is summed directly, see [`removable_series`].
fn expectation_numerator(family: Family, theta: &Theta, x: f64, age: f64, t: f64) -> f64 {
    let [r, alpha, a, b] = *theta;
    if t == 0.0 {
        return 0.0;
    }
    let k = family.shift();
    let c = a + b + (x - 1.0 + k);
    // ln q = −ln(1 + t/(α+T)), accurate for short horizons; z = 1 − q. Past
    // Z_MAX the series are truncated anyway (see `ln_hyp2f1`), and z must stay
    // below 1, so longer horizons are evaluated at Z_MAX: the result then
    // stops growing, an underestimate.
    let ln_q = (-(t / (alpha + age)).ln_1p()).max((-Z_MAX).ln_1p());
    let z = -ln_q.exp_m1();
    if (a - 1.0).abs() <= NEAR_ONE {
        return c * removable_series(r + x, b + x + k, a - 1.0, z, ln_q);
    }
    let f = ln_hyp2f1(r + x, b + x + k, c, z);
    let log_term = f.log + (r + x) * ln_q;
    let bracket = if f.sign > 0.0 {
        -log_term.exp_m1()
    } else {
        1.0 + log_term.exp()
    };
    // For the unconditional MBG/NBD mean the leading factor is b/(a−1), which
    // equals (a+b+x−1+k)/(a−1) less the "dropped at time 0" share; see
    // `expected_purchases`.
    c / (a - 1.0) * bracket
}

/// Largest `z = t/(α+T+t)` the conditional expectations evaluate, reached at
/// horizons about 1e12 times `α + T`.
const Z_MAX: f64 = 1.0 - 1e-12;

/// Most terms [`removable_series`] sums before it switches to Euler's form.
const REMOVABLE_TERMS: usize = 200_000;

/// Returns `[1 − q^A 2F1(A, B; B + ε; z)] / ε` with `q = 1 − z`, for small `|ε|`
/// (including `ε = 0`, where it is the limit).
///
/// Since `q^A 2F1(A, B; B; z) = 1`, the bracket is
/// `q^A Σ_n (A)_n z^n / n! · (1 − (B)_n/(B+ε)_n)`, and with
/// `P_n = (B+ε)_n/(B)_n` and `D_n = (P_n − 1)/ε` (so `D_{n+1} = D_n + P_n/(B+n)`)
/// the quotient is `Σ_n w_n D_n / P_n`, where `w_n = q^A (A)_n z^n / n!` is
/// the negative binomial probability of `n`. Every term is positive (no
/// cancellation) and `ε` never divides anything, so the value is continuous
/// through `ε = 0`. At `ε = 0`, `D_n` is `Σ_{j<n} 1/(B+j)`.
///
/// The sum needs about `A z/(1 − z)` terms (the negative binomial's mean);
/// when that exceeds [`REMOVABLE_TERMS`], or `q^A` underflows, it uses the
/// Euler transform instead: `2F1(A, B; B+ε; z) = q^(ε−A) 2F1(B+ε−A, ε; B+ε; z)`
/// (Abramowitz and Stegun 15.3.3), whose series is `1 + ε S` with `S` free of
/// the `1/ε`, so the quotient is `−expm1(ε ln q)/ε − q^ε S`.
fn removable_series(big_a: f64, big_b: f64, eps: f64, z: f64, ln_q: f64) -> f64 {
    let ln_w0 = big_a * ln_q;
    if ln_w0 > -600.0 {
        let mut w = ln_w0.exp();
        let (mut p, mut d) = (1.0_f64, 0.0_f64);
        let mut sum = 0.0_f64;
        for n in 0..REMOVABLE_TERMS {
            let nf = n as f64;
            d += p / (big_b + nf);
            p *= 1.0 + eps / (big_b + nf);
            let ratio = (big_a + nf) * z / (nf + 1.0);
            w *= ratio;
            let term = w * d / p;
            sum += term;
            // Past the mode (ratio < 1) the weights fall geometrically and
            // D_n/P_n grows like ln n, so a negligible term ends the sum.
            if ratio < 1.0 && (term <= 1e-17 * sum || term == 0.0) {
                return sum;
            }
        }
    }
    removable_euler(big_a, big_b, eps, z, ln_q)
}

/// The Euler-transform evaluation of [`removable_series`], for long sums:
/// `S = Σ_{n≥1} (C−A)_n (1+ε)_{n−1} / ((C)_n n!) z^n` with `C = B + ε`.
fn removable_euler(big_a: f64, big_b: f64, eps: f64, z: f64, ln_q: f64) -> f64 {
    let c = big_b + eps;
    let ca = c - big_a;
    let mut term = 1.0_f64;
    let mut s = 0.0_f64;
    for n in 0..REMOVABLE_TERMS {
        let nf = n as f64;
        // term_{n+1} = term_n (C−A+n)(1+ε+n−1)/((C+n)(n+1)) z, with term_1's
        // second factor 1 (the ε of (ε)_1 is taken out).
        let second = if n == 0 { 1.0 } else { eps + nf };
        let ratio = (ca + nf) * second / ((c + nf) * (nf + 1.0)) * z;
        term *= ratio;
        s += term;
        if term == 0.0 || !term.is_finite() || (ratio.abs() < 1.0 && term.abs() <= 1e-17 * s.abs())
        {
            break;
        }
    }
    let first = if eps == 0.0 {
        -ln_q
    } else {
        -(eps * ln_q).exp_m1() / eps
    };
    first - (eps * ln_q).exp() * s
}

/// Returns `ln` of the odds of having dropped out against being alive.
fn ln_drop_odds(family: Family, theta: &Theta, s: &RfmSummary) -> Option<f64> {
    let [r, alpha, a, b] = *theta;
    if !family.may_drop(s.frequency()) {
        return None;
    }
    let x = f64::from(s.frequency());
    Some(
        a.ln() - (b + (x - 1.0 + family.shift())).ln()
            + (r + x) * ((alpha + s.age()) / (alpha + s.recency())).ln(),
    )
}

pub(crate) fn probability_alive(family: Family, theta: &Theta, s: &RfmSummary) -> Probability {
    match ln_drop_odds(family, theta, s) {
        None => Probability::clamped(1.0),
        // 1 / (1 + e^l) without overflow.
        Some(l) => Probability::clamped(if l > 0.0 {
            (-l).exp() / (1.0 + (-l).exp())
        } else {
            1.0 / (1.0 + l.exp())
        }),
    }
}

pub(crate) fn conditional_expected(
    family: Family,
    theta: &Theta,
    s: &RfmSummary,
    horizon: Periods,
) -> f64 {
    let x = f64::from(s.frequency());
    let numerator = expectation_numerator(family, theta, x, s.age(), horizon.value());
    saturate(numerator * probability_alive(family, theta, s).value())
}

pub(crate) fn expected(family: Family, theta: &Theta, horizon: Periods) -> f64 {
    let [_, _, a, b] = *theta;
    let numerator = expectation_numerator(family, theta, 0.0, 0.0, horizon.value());
    let value = match family {
        Family::Bg => numerator,
        // Batislam et al. (2007): E[X(t)] = b/(a−1) · [1 − …]; the bracket is the
        // one above with x = 0 and leading factor (a+b)/(a−1), so scale by b/(a+b).
        Family::Mbg => numerator * b / (a + b),
    };
    saturate(value)
}

/// Returns `P(X(t) = n)` for a random customer: FHL (2005) eq. (8) and its
/// MBG/NBD counterpart (one more survival factor in each term).
pub(crate) fn probability_of_purchases(
    family: Family,
    theta: &Theta,
    n: u32,
    horizon: Periods,
) -> Probability {
    let [r, alpha, a, b] = *theta;
    let t = horizon.value();
    let k = family.shift();
    let nf = f64::from(n);
    // ln NB_t(j) = ln Γ(r+j) − ln Γ(r) − ln j! + r ln(α/(α+t)) + j ln(t/(α+t)).
    let ln_p0 = r * (alpha / (alpha + t)).ln();
    let ln_q = if t > 0.0 {
        (t / (alpha + t)).ln()
    } else {
        f64::NEG_INFINITY
    };
    let ln_nb = |j: f64| {
        if j == 0.0 {
            ln_p0
        } else {
            ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + ln_p0 + j * ln_q
        }
    };
    let ln_b_ab = ln_beta(a, b);
    let alive = (ln_beta(a, b + nf + k) - ln_b_ab + ln_nb(nf)).exp();
    let dropped = if family.may_drop(n) {
        let at_least = if n <= 1000 {
            // P(N(t) ≥ n) = 1 − Σ_{j<n} NB_t(j).
            let mut below = 0.0;
            for j in 0..n {
                below += ln_nb(f64::from(j)).exp();
            }
            (1.0 - below).max(0.0)
        } else {
            // The upper tail Σ_{j≥n} NB_t(j) itself, in bounded work however
            // large n is; ln NB through ln B(r, j+1), which stays finite.
            ln_sum_smooth(nf, f64::MAX, |j| {
                -ln_beta(r, j + 1.0) - (r + j).ln() + ln_p0 + j * ln_q
            })
            .exp()
            .min(1.0)
        };
        (ln_beta(a + 1.0, b + nf - 1.0 + k) - ln_b_ab).exp() * at_least
    } else {
        0.0
    };
    Probability::clamped(alive + dropped)
}

pub(crate) fn check_nbd_theta(r: f64, alpha: f64, a: f64, b: f64) -> Result<Theta> {
    Ok([
        check_positive("r", r)?,
        check_positive("alpha", alpha)?,
        check_positive("a", a)?,
        check_positive("b", b)?,
    ])
}

/// The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your
/// customers the easy way", Marketing Science 24(2), 275–284).
///
/// While active, a customer buys as a Poisson process of rate `λ`; after each
/// repeat purchase they drop out with probability `p`. Across customers
/// `λ ~ Gamma(r, α)` and `p ~ Beta(a, b)`. Times are in the periods of the
/// summaries (weeks for CDNOW); purchases count repeat purchases.
///
/// | parameter | meaning | valid range |
/// |---|---|---|
/// | `r` | shape of the purchase-rate distribution | > 0 |
/// | `alpha` (α) | scale of the purchase-rate distribution, in periods (mean rate `r/α` per period) | > 0 |
/// | `a` | first shape of the dropout-probability distribution | > 0 |
/// | `b` | second shape of the dropout-probability distribution (mean `a/(a+b)`) | > 0 |
///
/// On the CDNOW sample (weeks) the fit is `r = 0.2426, α = 4.4135, a = 0.7929,
/// b = 2.4258`, log-likelihood −9582.43 (checked in the tests).
///
/// # Examples
///
/// ```
/// use custodia::clv::{BgNbd, Periods, RfmSummary, TransactionModel};
///
/// let model = BgNbd::from_parameters(0.2426, 4.4135, 0.7929, 2.4258)?;
/// let c = RfmSummary::new(2, 30.43, 38.86)?;
/// let p = model.probability_alive(&c).value();
/// assert!(p > 0.5 && p < 1.0);
/// let next = model.conditional_expected_purchases(&c, Periods::new(39.0)?);
/// assert!(next > 0.5 && next < 1.5);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BgNbdParameters"))]
pub struct BgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    report: Option<FitReport>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct BgNbdParameters {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<BgNbdParameters> for BgNbd {
    type Error = crate::Error;
    fn try_from(p: BgNbdParameters) -> Result<BgNbd> {
        BgNbd::from_parameters(p.r, p.alpha, p.a, p.b)
    }
}

fit_params!(
    /// Fitting settings of the [`BgNbd`] model; [`Fit::fit`] returns the fitted model.
    BgNbdParams
);

impl BgNbd {
    /// Returns the default fitting settings.
    pub fn params() -> BgNbdParams {
        BgNbdParams::new()
    }

    /// Returns the model with the given (for example saved) parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is not finite and positive.
    pub fn from_parameters(r: f64, alpha: f64, a: f64, b: f64) -> Result<BgNbd> {
        let [r, alpha, a, b] = check_nbd_theta(r, alpha, a, b)?;
        Ok(BgNbd {
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

impl Fit for BgNbdParams {
    type Model = BgNbd;

    fn fit(&self, data: &Summaries) -> Result<BgNbd> {
        let ([r, alpha, a, b], report) = fit_family(Family::Bg, "BG/NBD", &self.settings, data)?;
        Ok(BgNbd {
            r,
            alpha,
            a,
            b,
            report: Some(report),
        })
    }
}

impl TransactionModel for BgNbd {
    fn name(&self) -> &'static str {
        "bgnbd"
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
        customer_ll(Family::Bg, &self.theta(), customer)
    }

    fn expected_purchases(&self, horizon: Periods) -> f64 {
        expected(Family::Bg, &self.theta(), horizon)
    }

    fn conditional_expected_purchases(&self, customer: &RfmSummary, horizon: Periods) -> f64 {
        conditional_expected(Family::Bg, &self.theta(), customer, horizon)
    }

    fn probability_of_purchases(&self, n: u32, horizon: Periods) -> Probability {
        probability_of_purchases(Family::Bg, &self.theta(), n, horizon)
    }

    fn probability_alive(&self, customer: &RfmSummary) -> Probability {
        probability_alive(Family::Bg, &self.theta(), customer)
    }
}

churn_from_transactions!(BgNbd);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytic_gradient_matches_differences() {
        let mut data = Summaries::new();
        for (x, tx, t) in [
            (0, 0.0, 30.0),
            (2, 10.0, 30.0),
            (5, 28.0, 35.0),
            (1, 3.5, 20.0),
        ] {
            data.push(RfmSummary::new(x, tx, t).unwrap());
        }
        let grouped = data.grouped_frequency_recency_age();
        let byf = frequency_weights(&grouped);
        let rows = IndexedRows::new(&grouped);
        for family in [Family::Bg, Family::Mbg] {
            let theta = [0.7, 3.0, 1.3, 2.2];
            let (_, g) = mean_nll(family, &theta, &rows, &byf, 4.0);
            for i in 0..4 {
                let h = 1e-6;
                let mut up = theta;
                up[i] += h;
                let mut down = theta;
                down[i] -= h;
                let num = (mean_nll(family, &up, &rows, &byf, 4.0).0
                    - mean_nll(family, &down, &rows, &byf, 4.0).0)
                    / (2.0 * h);
                assert!(
                    (num - g[i]).abs() < 1e-7,
                    "{family:?} {i}: {num} vs {}",
                    g[i]
                );
            }
            // The grouped sum equals the per-customer sum.
            let direct: f64 = data
                .iter()
                .map(|(s, _)| customer_ll(family, &theta, s))
                .sum();
            let (v, _) = mean_nll(family, &theta, &rows, &byf, 4.0);
            assert!((direct + 4.0 * v).abs() < 1e-10);
        }
    }

    #[test]
    fn removable_singularity_sums_agree() {
        for &(big_a, big_b, z) in &[(0.5, 3.0, 0.4_f64), (5.2, 7.4, 0.7), (1.0, 1.0, 0.9)] {
            let ln_q = (-z).ln_1p();
            for eps in [0.0, 1e-9, -1e-9, 1e-4, -1e-4, 1e-3] {
                let direct = removable_series(big_a, big_b, eps, z, ln_q);
                let euler = removable_euler(big_a, big_b, eps, z, ln_q);
                assert!(
                    (direct - euler).abs() <= 1e-12 * direct,
                    "{big_a} {big_b} {z} {eps}: {direct} vs {euler}"
                );
            }
        }
        // A = B = 1, ε = 0: Σ H_n z^n (1 − z) = −ln(1 − z).
        let v = removable_series(1.0, 1.0, 0.0, 0.3, (-0.3f64).ln_1p());
        assert!((v + (-0.3f64).ln_1p()).abs() < 1e-15);
    }

    #[test]
    fn many_purchases_take_bounded_work() {
        // n above 1000 sums the tail; it agrees with 1 − the head.
        let theta = [5.0, 0.5, 0.7929, 2.4258];
        let t = Periods::new(200.0).unwrap();
        for family in [Family::Bg, Family::Mbg] {
            let at = |n| probability_of_purchases(family, &theta, n, t).value();
            let (near, far) = (at(1000), at(1001));
            assert!((near - far).abs() <= 0.01 * near, "{family:?} {near} {far}");
            assert!(at(u32::MAX) >= 0.0);
        }
    }

    #[test]
    fn purchase_probabilities_sum_to_one_and_match_the_mean() {
        let theta = [0.2426, 4.4135, 0.7929, 2.4258];
        for family in [Family::Bg, Family::Mbg] {
            let t = Periods::new(20.0).unwrap();
            let ps: Vec<f64> = (0..400)
                .map(|n| probability_of_purchases(family, &theta, n, t).value())
                .collect();
            let total: f64 = ps.iter().sum();
            let mean: f64 = ps.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            assert!((total - 1.0).abs() < 1e-9, "{family:?} total {total}");
            let e = expected(family, &theta, t);
            assert!((mean - e).abs() < 1e-6, "{family:?} mean {mean} vs {e}");
        }
    }
}
