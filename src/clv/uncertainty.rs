//! Parameter uncertainty: the numerical Hessian at the optimum, its inverse
//! (the asymptotic covariance of the log-parameters), confidence intervals,
//! and delta-method intervals of predictions.

use super::error::ClvError;
use super::fit::FitReport;
use crate::error::Result;

/// An estimate with a confidence interval around it.
///
/// # Examples
///
/// ```
/// use custodia::clv::{BgNbd, Fit, RfmSummary, Summaries};
///
/// let mut data = Summaries::new();
/// for (x, t_x, t, n) in [(0, 0.0, 38.0, 600), (1, 10.0, 38.0, 150), (2, 30.0, 38.0, 100),
///                        (5, 35.0, 38.0, 50), (3, 8.0, 30.0, 50), (1, 2.0, 32.0, 80)] {
///     data.push_weighted(RfmSummary::new(x, t_x, t)?, n)?;
/// }
/// let model = BgNbd::params().fit(&data)?;
/// let report = model.report().expect("a fitted model has a report");
/// let r = report.confidence_intervals(0.95)?[0];
/// assert!(r.lower() < r.estimate() && r.estimate() < r.upper());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Interval {
    estimate: f64,
    standard_error: f64,
    lower: f64,
    upper: f64,
    level: f64,
}

impl Interval {
    /// Returns the point estimate.
    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// Returns the (asymptotic) standard error of the estimate.
    pub fn standard_error(&self) -> f64 {
        self.standard_error
    }

    /// Returns the lower bound.
    pub fn lower(&self) -> f64 {
        self.lower
    }

    /// Returns the upper bound.
    pub fn upper(&self) -> f64 {
        self.upper
    }

    /// Returns the confidence level, in `(0, 1)`.
    pub fn level(&self) -> f64 {
        self.level
    }

    /// Returns the interval of a positive estimate whose logarithm has
    /// standard error `log_se`: `estimate · exp(±z · log_se)`. Its standard
    /// error is `estimate · log_se` (the delta method).
    pub(crate) fn from_log(estimate: f64, log_se: f64, level: f64) -> Result<Interval> {
        let z = normal_quantile_two_sided(level)?;
        Ok(Interval {
            estimate,
            standard_error: estimate * log_se,
            lower: estimate * (-z * log_se).exp(),
            upper: estimate * (z * log_se).exp(),
            level,
        })
    }

    /// Returns the interval `estimate ± z · se`.
    fn plain(estimate: f64, se: f64, level: f64) -> Result<Interval> {
        let z = normal_quantile_two_sided(level)?;
        Ok(Interval {
            estimate,
            standard_error: se,
            lower: estimate - z * se,
            upper: estimate + z * se,
            level,
        })
    }
}

/// A fitted model whose parameters carry their uncertainty, so that its
/// predictions can have delta-method intervals
/// ([`prediction_interval`], [`Clv::clv_interval`](super::Clv::clv_interval)).
///
/// Implemented by every fitted model of this module; sealed.
pub trait Estimated: Sized + sealed::Sealed {
    /// Returns the fit report, `None` for a model built from parameters.
    fn fit_report(&self) -> Option<&FitReport>;

    /// Returns the same kind of model with `values` as its parameters, in
    /// the order of its documentation, and no fit report.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when there are not as many values as parameters, or one is invalid.
    fn with_parameter_values(&self, values: &[f64]) -> Result<Self>;
}

pub(crate) mod sealed {
    /// Keeps [`Estimated`](super::Estimated) implemented by this module only.
    pub trait Sealed {}
}

/// Implements [`Estimated`] for a model with `from_parameters` and `report`.
macro_rules! estimated {
    ($t:ty, [$($p:ident),+]) => {
        impl sealed::Sealed for $t {}

        impl Estimated for $t {
            fn fit_report(&self) -> Option<&FitReport> {
                self.report()
            }

            fn with_parameter_values(&self, values: &[f64]) -> Result<Self> {
                match values {
                    [$($p),+] => <$t>::from_parameters($(*$p),+),
                    _ => Err(ClvError::Parameter {
                        name: "number of parameter values",
                        value: values.len() as f64,
                        rule: "one value per parameter of the model",
                    }
                    .into()),
                }
            }
        }
    };
}

estimated!(super::BgNbd, [r, alpha, a, b]);
estimated!(super::MbgNbd, [r, alpha, a, b]);
estimated!(super::ParetoNbd, [r, alpha, s, beta]);
estimated!(super::BgBb, [alpha, beta, gamma, delta]);
estimated!(super::GammaGamma, [p, q, gamma]);
estimated!(super::Sbg, [alpha, beta]);

/// Returns the gradient of `predict` with respect to the model's
/// log-parameters, by central differences.
fn log_gradient<M: Estimated>(
    model: &M,
    report: &FitReport,
    predict: &impl Fn(&M) -> f64,
) -> Result<Vec<f64>> {
    // A step of 1e-5 in log θ: truncation error ~1e-10, rounding ~1e-11 relative.
    const H: f64 = 1e-5;
    let theta = report.estimates();
    let mut g = Vec::with_capacity(theta.len());
    for i in 0..theta.len() {
        let mut up = theta.to_vec();
        up[i] *= H.exp();
        let mut down = theta.to_vec();
        down[i] *= (-H).exp();
        let hi = predict(&model.with_parameter_values(&up)?);
        let lo = predict(&model.with_parameter_values(&down)?);
        g.push((hi - lo) / (2.0 * H));
    }
    Ok(g)
}

/// Returns `gᵀ C g` for the model's log-parameter covariance `C`.
pub(crate) fn prediction_variance<M: Estimated>(
    model: &M,
    predict: &impl Fn(&M) -> f64,
) -> Result<f64> {
    let report = model.fit_report().ok_or(ClvError::Insufficient {
        model: "a model built from parameters",
        reason: "no fit report, so no parameter uncertainty",
    })?;
    let cov = report.log_covariance().ok_or(ClvError::Insufficient {
        model: "the parameter covariance",
        reason: "the Hessian at the optimum is singular (see the fit warnings)",
    })?;
    let g = log_gradient(model, report, predict)?;
    let mut v = 0.0;
    for (i, row) in cov.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            v += g[i] * c * g[j];
        }
    }
    Ok(v.max(0.0))
}

/// Returns a delta-method interval of a prediction of a fitted model.
///
/// `predict` maps the model to the quantity (for example a customer's
/// expected purchases). Its gradient with respect to the log-parameters `g`
/// comes from central differences, its variance is `gᵀ C g` with `C` the
/// report's [`log_covariance`](FitReport::log_covariance), and the interval
/// is `estimate · exp(±z · se / estimate)` for a positive estimate (bounds
/// stay positive, as the quantity) or `estimate ± z · se` otherwise, `z`
/// the normal quantile of `level`.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
/// when `level` is not in `(0, 1)`;
/// [`ErrorKind::InsufficientData`](crate::error::ErrorKind::InsufficientData)
/// when the model has no fit report or its Hessian was singular.
///
/// # Examples
///
/// ```
/// use custodia::clv::{prediction_interval, BgNbd, Fit, Periods, RfmSummary, Summaries, TransactionModel};
///
/// let mut data = Summaries::new();
/// for (x, t_x, t, n) in [(0, 0.0, 38.0, 600), (1, 10.0, 38.0, 150), (2, 30.0, 38.0, 100),
///                        (5, 35.0, 38.0, 50), (3, 8.0, 30.0, 50), (1, 2.0, 32.0, 80)] {
///     data.push_weighted(RfmSummary::new(x, t_x, t)?, n)?;
/// }
/// let model = BgNbd::params().fit(&data)?;
/// let loyal = RfmSummary::new(5, 35.0, 38.0)?;
/// let quarter = Periods::new(13.0)?;
/// let i = prediction_interval(&model, 0.9, |m| m.conditional_expected_purchases(&loyal, quarter))?;
/// assert!(i.lower() < i.estimate() && i.estimate() < i.upper());
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn prediction_interval<M: Estimated>(
    model: &M,
    level: f64,
    predict: impl Fn(&M) -> f64,
) -> Result<Interval> {
    normal_quantile_two_sided(level)?;
    let estimate = predict(model);
    let variance = prediction_variance(model, &predict)?;
    interval_from_variance(estimate, variance, level)
}

/// Returns the interval of `estimate` with delta-method variance `variance`.
pub(crate) fn interval_from_variance(estimate: f64, variance: f64, level: f64) -> Result<Interval> {
    let se = variance.sqrt();
    if estimate > 0.0 && estimate.is_finite() {
        Interval::from_log(estimate, se / estimate, level)
    } else {
        Interval::plain(estimate, se, level)
    }
}

/// Returns `z` with `P(|Z| <= z) = level` for a standard normal `Z`.
pub(crate) fn normal_quantile_two_sided(level: f64) -> Result<f64> {
    if !(level > 0.0 && level < 1.0) {
        return Err(ClvError::Setting {
            name: "confidence level",
            value: level,
            rule: "strictly between 0 and 1",
        }
        .into());
    }
    Ok(normal_quantile(0.5 + 0.5 * level))
}

/// Returns the standard normal quantile of `p` in `(0, 1)`: Acklam's rational
/// approximation, relative error below 1.15e-9 (far below the error of any
/// asymptotic interval).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Returns the inverse of the symmetric matrix `h` by Cholesky
/// factorisation, or `None` when `h` is not positive definite (within
/// rounding): then the optimum is not a strict maximum of the likelihood.
// Index loops read as the textbook algorithm here.
#[allow(clippy::needless_range_loop)]
pub(crate) fn cholesky_inverse(h: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = h.len();
    let mut l = vec![vec![0.0; n]; n];
    let scale = (0..n).map(|i| h[i][i].abs()).fold(0.0, f64::max);
    for i in 0..n {
        for j in 0..=i {
            let mut s = h[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                // A pivot this small relative to the diagonal is singular in
                // double precision.
                if !s.is_finite() || s <= 1e-13 * scale {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    // Invert L (lower triangular), then H⁻¹ = L⁻ᵀ L⁻¹.
    let mut inv_l = vec![vec![0.0; n]; n];
    for i in 0..n {
        inv_l[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let mut s = 0.0;
            for k in j..i {
                s -= l[i][k] * inv_l[k][j];
            }
            inv_l[i][j] = s / l[i][i];
        }
    }
    let mut out = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            out[i][j] = (i.max(j)..n).map(|k| inv_l[k][i] * inv_l[k][j]).sum();
        }
    }
    out.iter().flatten().all(|v| v.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_tables() {
        assert!((normal_quantile_two_sided(0.95).unwrap() - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile_two_sided(0.90).unwrap() - 1.644_853_626_951_472_7).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813_5).abs() < 1e-8);
        for bad in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(normal_quantile_two_sided(bad).is_err());
        }
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // checks H · H⁻¹ = I entry by entry
    fn cholesky_inverts_and_refuses_singular_matrices() {
        let h = vec![
            vec![4.0, 2.0, 0.6],
            vec![2.0, 5.0, 1.0],
            vec![0.6, 1.0, 3.0],
        ];
        let inv = cholesky_inverse(&h).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| h[i][k] * inv[k][j]).sum();
                assert!(
                    (v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-14,
                    "{i} {j} {v}"
                );
            }
        }
        assert!(cholesky_inverse(&[vec![1.0, 1.0], vec![1.0, 1.0]]).is_none());
        assert!(cholesky_inverse(&[vec![1.0, 0.0], vec![0.0, -1.0]]).is_none());
    }
}
