//! The shared maximum-likelihood machinery: settings, the fit report, the
//! log-parameter optimisation with restarts, and deterministic parallel sums.

use super::error::ClvError;
use super::optim::{minimize, Settings};
use super::summary::Row;
use crate::error::Result;

/// What a fit did: how far the optimiser went and where it stopped.
///
/// Fitted models keep their report ([`BgNbd::report`](super::BgNbd::report)
/// and friends); models loaded from saved parameters have none.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FitReport {
    log_likelihood: f64,
    iterations: usize,
    evaluations: usize,
    gradient_norm: f64,
    customers: f64,
    rows: usize,
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
/// each of `starts` in turn, stopping at the first converged start; the best
/// point found is returned.
pub(crate) fn fit_positive<const N: usize>(
    model: &'static str,
    settings: &FitSettings,
    starts: &[[f64; N]],
    customers: f64,
    rows: usize,
    mean_nll: impl Fn(&[f64; N], bool) -> (f64, Option<[f64; N]>),
) -> Result<([f64; N], FitReport)> {
    settings.validate()?;
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
    for start in starts {
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
    if !best.converged || !best.value.is_finite() {
        return Err(ClvError::NotConverged {
            model,
            iterations: best.iterations,
            gradient: best.gradient_norm,
        }
        .into());
    }
    let theta = best.x.map(f64::exp);
    let penalty: f64 = theta.iter().map(|t| t * t).sum::<f64>() * penalizer;
    Ok((
        theta,
        FitReport {
            log_likelihood: -(best.value - penalty) * customers,
            iterations: best.iterations,
            evaluations: total_evaluations,
            gradient_norm: best.gradient_norm,
            customers,
            rows,
        },
    ))
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
