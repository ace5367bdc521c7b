//! The shared maximum-likelihood machinery: settings, the fit report, the
//! log-parameter optimisation with restarts, and deterministic parallel sums.

use std::fmt;

use super::error::ClvError;
use super::optim::{minimize, Settings};
use super::summary::Row;
use super::uncertainty::{cholesky_inverse, normal_quantile_two_sided, Interval};
use crate::error::Result;

/// What a fit did: how far the optimiser went, where it stopped, how sure
/// the estimates are, and what about them is doubtful.
///
/// Fitted models keep their report ([`BgNbd::report`](super::BgNbd::report)
/// and friends); models loaded from saved parameters have none.
///
/// Standard errors come from the observed information: the Hessian of the
/// total negative log-likelihood over the log-parameters at the optimum, by
/// central differences of the gradient, inverted by Cholesky factorisation
/// ([`log_covariance`](FitReport::log_covariance)). A parameter's standard
/// error is `θ · sd(ln θ)` (the delta method); confidence intervals are
/// taken on the log scale, `θ · exp(±z · sd(ln θ))`, so they stay positive.
/// With a penalizer the Hessian includes the penalty.
///
/// # Examples
///
/// ```
/// use custodia::clv::{BgNbd, Fit, FitWarning, RfmSummary, Summaries};
///
/// // Ten customers cannot identify a four-parameter model: the fit says so.
/// let mut data = Summaries::new();
/// for (x, t_x) in [(0, 0.0), (1, 5.0), (2, 20.0), (0, 0.0), (4, 30.0),
///                  (1, 2.0), (0, 0.0), (3, 35.0), (1, 30.0), (0, 0.0)] {
///     data.push(RfmSummary::new(x, t_x, 38.0)?);
/// }
/// let model = BgNbd::params().fit(&data)?;
/// let report = model.report().expect("a fitted model has a report");
/// assert!(report.warnings().iter().any(|w| matches!(w, FitWarning::FewCustomers { .. })));
/// for w in report.warnings() {
///     assert!(!w.advice().is_empty());
/// }
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FitReport {
    log_likelihood: f64,
    iterations: usize,
    evaluations: usize,
    gradient_norm: f64,
    customers: f64,
    rows: usize,
    estimates: Vec<f64>,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    log_covariance: Option<Vec<Vec<f64>>>,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    standard_errors: Option<Vec<f64>>,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    warnings: Vec<FitWarning>,
}

impl FitReport {
    /// Returns the total log-likelihood of the data at the fitted parameters.
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Returns the number of optimiser iterations.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Returns the number of likelihood evaluations (each with its gradient).
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// Returns the largest absolute gradient component of the mean negative
    /// log-likelihood (over log-parameters) at the optimum: the convergence measure.
    pub fn gradient_norm(&self) -> f64 {
        self.gradient_norm
    }

    /// Returns the number of customers fitted (the sum of weights).
    pub fn customers(&self) -> f64 {
        self.customers
    }

    /// Returns the number of distinct summaries the likelihood was summed over.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Returns the fitted parameters, in the order of the model's documentation.
    pub fn estimates(&self) -> &[f64] {
        &self.estimates
    }

    /// Returns the asymptotic covariance matrix of the log-parameters
    /// `ln θ` (rows in the order of [`estimates`](FitReport::estimates)),
    /// or `None` when the Hessian is singular (see [`FitWarning::SingularHessian`]).
    pub fn log_covariance(&self) -> Option<&[Vec<f64>]> {
        self.log_covariance.as_deref()
    }

    /// Returns the standard error of each parameter, in the order of
    /// [`estimates`](FitReport::estimates), or `None` when the Hessian is singular.
    pub fn standard_errors(&self) -> Option<&[f64]> {
        self.standard_errors.as_deref()
    }

    /// Returns a confidence interval for each parameter at `level` (for
    /// example 0.95), taken on the log scale: `θ · exp(±z · sd(ln θ))`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `level` is not strictly between 0 and 1;
    /// [`ErrorKind::InsufficientData`](crate::error::ErrorKind::InsufficientData)
    /// when the Hessian is singular, so there is no covariance.
    pub fn confidence_intervals(&self, level: f64) -> Result<Vec<Interval>> {
        normal_quantile_two_sided(level)?;
        let cov = self.log_covariance().ok_or(ClvError::Insufficient {
            model: "confidence intervals",
            reason: "the Hessian at the optimum is singular (see the fit warnings)",
        })?;
        self.estimates
            .iter()
            .enumerate()
            .map(|(i, theta)| Interval::from_log(*theta, cov[i][i].max(0.0).sqrt(), level))
            .collect()
    }

    /// Returns what makes the estimates doubtful, each with advice on what
    /// to do instead; empty for a fit on ample, informative data.
    pub fn warnings(&self) -> &[FitWarning] {
        &self.warnings
    }
}

/// Fewer customers than this draw a [`FitWarning::FewCustomers`].
pub(crate) const FEW_CUSTOMERS: f64 = 100.0;
/// Fewer repeat buyers than this draw a [`FitWarning::FewRepeaters`].
pub(crate) const FEW_REPEATERS: f64 = 30.0;
/// Parameters beyond `[1/EXTREME, EXTREME]` draw a [`FitWarning::ParameterAtExtreme`].
const EXTREME: f64 = 1e5;
/// A standard error of `ln θ` above this draws a [`FitWarning::WeaklyIdentified`]:
/// the 95% interval then spans more than a factor of `e^(2 · 1.96)` ≈ 50.
const WEAK_LOG_SE: f64 = 1.0;

/// Something a fit found that makes its estimates doubtful, with what to use
/// instead ([`advice`](FitWarning::advice)).
///
/// The JSON form (feature `serde`) is an object with a `kind` in snake case
/// and the variant's fields, for example
/// `{"kind":"few_customers","customers":10.0,"recommended":100.0}`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FitWarning {
    /// Fewer customers than the model needs to be identified reliably.
    FewCustomers {
        /// Customers fitted (the sum of weights).
        customers: f64,
        /// The fewest customers without this warning.
        recommended: f64,
    },
    /// Few customers made a repeat purchase, which is what identifies purchase
    /// rates and dropout.
    FewRepeaters {
        /// Customers with at least one repeat purchase.
        repeaters: f64,
        /// The fewest repeat buyers without this warning.
        recommended: f64,
    },
    /// A parameter ran off toward 0 or infinity: the likelihood is flat
    /// there and the value means little.
    ParameterAtExtreme {
        /// The parameter's name.
        parameter: String,
        /// Its fitted value.
        value: f64,
    },
    /// The data barely determine a parameter: its log has a standard error above 1.
    WeaklyIdentified {
        /// The parameter's name.
        parameter: String,
        /// The standard error of its logarithm.
        log_standard_error: f64,
    },
    /// The likelihood is flat in some direction at the optimum, so there are
    /// no standard errors: the data do not identify the parameters.
    SingularHessian,
}

impl FitWarning {
    /// Returns what to do about it, such as the simpler estimator to use instead.
    pub fn advice(&self) -> &'static str {
        match self {
            FitWarning::FewCustomers { .. } => {
                "fit on more customers (pool cohorts or a longer window), or use the historical estimators HistoricalSpend and HistoricalClv, which need no fit"
            }
            FitWarning::FewRepeaters { .. } => {
                "purchase rates and dropout rest on few repeat buyers: observe longer, pool cohorts, add a penalizer (for example 0.01), or use HistoricalClv"
            }
            FitWarning::ParameterAtExtreme { .. } => {
                "the likelihood is flat along this parameter: add a penalizer (for example 0.01), fit more data, or use a simpler estimator such as HistoricalClv"
            }
            FitWarning::WeaklyIdentified { .. } => {
                "treat predictions as rough (see prediction_interval), fit more data or add a penalizer, or use HistoricalClv"
            }
            FitWarning::SingularHessian => {
                "the parameters are not identified by these data: add a penalizer (for example 0.01), fit more data, or use HistoricalSpend and HistoricalClv"
            }
        }
    }
}

impl fmt::Display for FitWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitWarning::FewCustomers {
                customers,
                recommended,
            } => write!(f, "only {customers} customers (at least {recommended} recommended)")?,
            FitWarning::FewRepeaters {
                repeaters,
                recommended,
            } => write!(
                f,
                "only {repeaters} customers made a repeat purchase (at least {recommended} recommended)"
            )?,
            FitWarning::ParameterAtExtreme { parameter, value } => {
                write!(f, "parameter {parameter} = {value:e} ran off toward 0 or infinity")?
            }
            FitWarning::WeaklyIdentified {
                parameter,
                log_standard_error,
            } => write!(
                f,
                "parameter {parameter} is weakly identified (standard error of its log {log_standard_error:.3})"
            )?,
            FitWarning::SingularHessian => {
                f.write_str("the Hessian at the optimum is singular; no standard errors")?
            }
        }
        write!(f, "; {}", self.advice())
    }
}

/// What the data look like to the warnings: customers, repeat buyers, and
/// the names of the parameters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Problem<'a, const N: usize> {
    pub(crate) model: &'static str,
    pub(crate) names: [&'static str; N],
    pub(crate) customers: f64,
    /// `None` for models fitted on repeat buyers only (Gamma-Gamma).
    pub(crate) repeaters: Option<f64>,
    pub(crate) rows: usize,
    pub(crate) starts: &'a [[f64; N]],
}

/// Optimiser settings shared by the `*Params` builders.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FitSettings {
    pub(crate) penalizer: f64,
    pub(crate) tolerance: f64,
    pub(crate) max_iterations: usize,
}

impl Default for FitSettings {
    fn default() -> FitSettings {
        FitSettings {
            penalizer: 0.0,
            tolerance: 1e-9,
            max_iterations: 300,
        }
    }
}

impl FitSettings {
    pub(crate) fn validate(&self) -> Result<()> {
        if !(self.penalizer.is_finite() && self.penalizer >= 0.0) {
            return Err(ClvError::Setting {
                name: "penalizer",
                value: self.penalizer,
                rule: "finite and at least 0",
            }
            .into());
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(ClvError::Setting {
                name: "tolerance",
                value: self.tolerance,
                rule: "finite and greater than 0",
            }
            .into());
        }
        if self.max_iterations == 0 {
            return Err(ClvError::Setting {
                name: "max_iterations",
                value: 0.0,
                rule: "at least 1",
            }
            .into());
        }
        Ok(())
    }
}

/// Maximises a log-likelihood over positive parameters.
///
/// `mean_nll(θ, need_gradient)` returns the weighted mean negative
/// log-likelihood and, when asked (or when it comes for free), its gradient
/// with respect to θ (not log θ). The search runs over log θ from
/// each of the problem's starts in turn, stopping at the first converged
/// start; the best point found is returned, with its standard errors and
/// warnings in the report.
pub(crate) fn fit_positive<const N: usize>(
    problem: &Problem<'_, N>,
    settings: &FitSettings,
    mean_nll: impl Fn(&[f64; N], bool) -> (f64, Option<[f64; N]>),
) -> Result<([f64; N], FitReport)> {
    settings.validate()?;
    let model = problem.model;
    let customers = problem.customers;
    let penalizer = settings.penalizer;
    let objective = |log_theta: &[f64; N], need_gradient: bool| {
        let theta = log_theta.map(f64::exp);
        if theta.iter().any(|t| !t.is_finite() || *t <= 0.0) {
            return (f64::INFINITY, None);
        }
        let (f, g) = mean_nll(&theta, need_gradient);
        let penalty: f64 = theta.iter().map(|t| t * t).sum::<f64>() * penalizer;
        let grad =
            g.map(|g| std::array::from_fn(|i| theta[i] * (g[i] + 2.0 * penalizer * theta[i])));
        (f + penalty, grad)
    };
    let opt_settings = Settings {
        gradient_tolerance: settings.tolerance,
        max_iterations: settings.max_iterations,
    };
    let mut best: Option<super::optim::Optimum<N>> = None;
    let mut total_evaluations = 0;
    for start in problem.starts {
        let opt = minimize(objective, *start, opt_settings);
        total_evaluations += opt.evaluations;
        let better = best.is_none_or(|b| {
            (opt.converged && !b.converged) || (opt.converged == b.converged && opt.value < b.value)
        });
        if better {
            best = Some(opt);
        }
        if opt.converged {
            break;
        }
    }
    let Some(best) = best else {
        return Err(ClvError::Insufficient {
            model,
            reason: "no starting point",
        }
        .into());
    };
    let mut warnings = data_warnings(problem);
    if !best.converged || !best.value.is_finite() {
        return Err(ClvError::NotConverged {
            model,
            iterations: best.iterations,
            gradient: best.gradient_norm,
            customers,
            repeaters: problem.repeaters.unwrap_or(customers),
            advice: warnings.first().map_or(
                "try a penalizer (for example 0.01) or more iterations, or use HistoricalSpend and HistoricalClv",
                FitWarning::advice,
            ),
        }
        .into());
    }
    let theta = best.x.map(f64::exp);
    let penalty: f64 = theta.iter().map(|t| t * t).sum::<f64>() * penalizer;
    for (name, value) in problem.names.iter().zip(theta) {
        if !(1.0 / EXTREME..=EXTREME).contains(&value) {
            warnings.push(FitWarning::ParameterAtExtreme {
                parameter: (*name).to_owned(),
                value,
            });
        }
    }
    let log_covariance = log_hessian(&objective, &best.x)
        .map(|h| h.map(|row| row.map(|v| v * customers).to_vec()).to_vec())
        .and_then(|h| cholesky_inverse(&h));
    let standard_errors = match &log_covariance {
        Some(cov) => {
            for (i, name) in problem.names.iter().enumerate() {
                let log_se = cov[i][i].max(0.0).sqrt();
                if log_se > WEAK_LOG_SE {
                    warnings.push(FitWarning::WeaklyIdentified {
                        parameter: (*name).to_owned(),
                        log_standard_error: log_se,
                    });
                }
            }
            Some(
                (0..N)
                    .map(|i| theta[i] * cov[i][i].max(0.0).sqrt())
                    .collect(),
            )
        }
        None => {
            warnings.push(FitWarning::SingularHessian);
            None
        }
    };
    Ok((
        theta,
        FitReport {
            log_likelihood: -(best.value - penalty) * customers,
            iterations: best.iterations,
            evaluations: total_evaluations,
            gradient_norm: best.gradient_norm,
            customers,
            rows: problem.rows,
            estimates: theta.to_vec(),
            log_covariance,
            standard_errors,
            warnings,
        },
    ))
}

/// Returns the warnings that follow from the size of the data alone.
fn data_warnings<const N: usize>(problem: &Problem<'_, N>) -> Vec<FitWarning> {
    let mut warnings = Vec::new();
    if problem.customers < FEW_CUSTOMERS {
        warnings.push(FitWarning::FewCustomers {
            customers: problem.customers,
            recommended: FEW_CUSTOMERS,
        });
    }
    if let Some(repeaters) = problem.repeaters {
        if repeaters < FEW_REPEATERS {
            warnings.push(FitWarning::FewRepeaters {
                repeaters,
                recommended: FEW_REPEATERS,
            });
        }
    }
    warnings
}

/// Returns the Hessian of `objective` over the log-parameters at `x`, by
/// central differences of its gradient (symmetrised), or `None` when a
/// gradient there is not finite.
// Index loops read as the finite-difference formula here.
#[allow(clippy::needless_range_loop)]
fn log_hessian<const N: usize>(
    objective: &impl Fn(&[f64; N], bool) -> (f64, Option<[f64; N]>),
    x: &[f64; N],
) -> Option<[[f64; N]; N]> {
    // A step of 1e-4 in ln θ: truncation error ~1e-8 relative, and the
    // gradients' rounding (or, for central-difference gradients, their
    // error near 1e-11) divided by 2e-4 stays below 1e-7.
    const H: f64 = 1e-4;
    let mut h = [[0.0; N]; N];
    for i in 0..N {
        let mut up = *x;
        up[i] += H;
        let mut down = *x;
        down[i] -= H;
        let gu = objective(&up, true).1?;
        let gd = objective(&down, true).1?;
        for j in 0..N {
            h[i][j] = (gu[j] - gd[j]) / (2.0 * H);
        }
    }
    for i in 0..N {
        for j in 0..i {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    h.iter().flatten().all(|v| v.is_finite()).then_some(h)
}

/// Rows per parallel task: large enough to amortise scheduling, small enough
/// to balance two to sixteen cores.
const CHUNK: usize = 4096;

/// Sums `f` over `rows` in fixed chunks, in parallel under the `rayon`
/// feature; the chunk sums are added in order, so the result is the same
/// with or without parallelism.
pub(crate) fn sum_rows<T: Sync, const K: usize>(
    rows: &[T],
    f: impl Fn(&T) -> [f64; K] + Sync + Send,
) -> [f64; K] {
    let chunk_sum = |chunk: &[T]| {
        let mut acc = [0.0; K];
        for row in chunk {
            let v = f(row);
            for k in 0..K {
                acc[k] += v[k];
            }
        }
        acc
    };
    #[cfg(feature = "rayon")]
    let partial: Vec<[f64; K]> = {
        use rayon::prelude::*;
        if rows.len() > CHUNK {
            rows.par_chunks(CHUNK).map(chunk_sum).collect()
        } else {
            rows.chunks(CHUNK).map(chunk_sum).collect()
        }
    };
    #[cfg(not(feature = "rayon"))]
    let partial: Vec<[f64; K]> = rows.chunks(CHUNK).map(chunk_sum).collect();
    let mut total = [0.0; K];
    for p in partial {
        for k in 0..K {
            total[k] += p[k];
        }
    }
    total
}

/// Returns the total weight of the rows with a repeat purchase.
pub(crate) fn repeat_weight(rows: &[Row]) -> f64 {
    rows.iter()
        .filter(|r| r.frequency > 0)
        .map(|r| r.weight)
        .sum()
}

/// Returns the total weight of `rows`.
pub(crate) fn total_weight(rows: &[Row]) -> f64 {
    rows.iter().map(|r| r.weight).sum()
}

/// Returns an error naming a parameter that is not finite and positive.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ClvError::Parameter {
            name,
            value,
            rule: "finite and greater than 0",
        }
        .into())
    }
}

/// Declares a `*Params` builder: optimiser settings with by-value setters,
/// validated once in `fit`.
macro_rules! fit_params {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// | setting | default | meaning | valid range |
        /// |---|---|---|---|
        /// | `penalizer` | 0 | L2 penalty `penalizer × Σ θ²` added to the mean negative log-likelihood | finite, ≥ 0 |
        /// | `tolerance` | 1e-9 | stop when every gradient component of the mean negative log-likelihood (over log-parameters) is at most this | finite, > 0 |
        /// | `max_iterations` | 300 | optimiser iterations per start before giving up | ≥ 1 |
        #[derive(Clone, Copy, Debug, PartialEq, Default)]
        pub struct $name {
            settings: $crate::clv::fit::FitSettings,
        }

        impl $name {
            /// Returns the default settings.
            pub fn new() -> $name {
                $name::default()
            }

            /// Sets the L2 penalizer (default 0: plain maximum likelihood).
            #[must_use]
            pub fn penalizer(mut self, penalizer: f64) -> $name {
                self.settings.penalizer = penalizer;
                self
            }

            /// Sets the gradient tolerance (default 1e-9).
            #[must_use]
            pub fn tolerance(mut self, tolerance: f64) -> $name {
                self.settings.tolerance = tolerance;
                self
            }

            /// Sets the most optimiser iterations per start (default 300).
            #[must_use]
            pub fn max_iterations(mut self, max_iterations: usize) -> $name {
                self.settings.max_iterations = max_iterations;
                self
            }
        }
    };
}
pub(crate) use fit_params;
