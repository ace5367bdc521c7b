//! A small BFGS minimiser for the maximum-likelihood fits.
//!
//! The estimators minimise the negative mean log-likelihood over the
//! logarithms of their (positive) parameters, so the search space is all of
//! `R^N` and no bounds are needed. Objectives return their value and gradient;
//! models without an analytic gradient use [`central_gradient`].

/// The result of a minimisation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Optimum<const N: usize> {
    /// The point reached.
    pub(crate) x: [f64; N],
    /// The objective there.
    pub(crate) value: f64,
    /// The largest absolute gradient component there.
    pub(crate) gradient_norm: f64,
    /// BFGS iterations taken.
    pub(crate) iterations: usize,
    /// Objective evaluations made.
    pub(crate) evaluations: usize,
    /// Whether the gradient tolerance was met.
    pub(crate) converged: bool,
}

/// Settings of [`minimize`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// Stop when every gradient component is at most this.
    pub(crate) gradient_tolerance: f64,
    /// Most iterations before giving up.
    pub(crate) max_iterations: usize,
}

/// Largest step (in log-parameter units) a line search may start with: a
/// factor of e^3 per iteration keeps trial parameters in floating-point range.
const MAX_STEP: f64 = 3.0;

/// Minimises `objective` from `start` with BFGS and a backtracking Armijo
/// line search (Nocedal and Wright, Numerical Optimization, algorithms 6.1 and 3.1).
///
/// `objective(x, need_gradient)` returns the value and, when asked or when it
/// comes for free, the gradient; line-search trials ask only for the value,
/// which saves most of the work of finite-difference gradients. A non-finite
/// value means "outside the domain" and makes the line search step back.
pub(crate) fn minimize<const N: usize>(
    mut objective: impl FnMut(&[f64; N], bool) -> (f64, Option<[f64; N]>),
    start: [f64; N],
    settings: Settings,
) -> Optimum<N> {
    let mut x = start;
    let (mut f, g0) = objective(&x, true);
    let mut g = g0.unwrap_or([f64::NAN; N]);
    let mut evaluations = 1;
    // Inverse Hessian approximation, row-major.
    let mut h = identity::<N>();
    let mut iterations = 0;
    let mut converged = false;
    let mut first = true;
    while iterations < settings.max_iterations {
        if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
            break;
        }
        if norm_inf(&g) <= settings.gradient_tolerance {
            converged = true;
            break;
        }
        iterations += 1;
        let mut d = mat_vec(&h, &g).map(|v| -v);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Lost descent (rounding in H): restart from steepest descent.
            h = identity::<N>();
            d = g.map(|v| -v);
            slope = dot(&g, &d);
        }
        let len = norm_inf(&d);
        let mut step = if first || len > MAX_STEP {
            (MAX_STEP / len).min(1.0)
        } else {
            1.0
        };
        if first {
            // Scale the first step like a Newton step of unit curvature.
            step = step.min(1.0 / norm_inf(&g).max(1e-12)).max(1e-8);
        }
        let mut accepted = None;
        for _ in 0..40 {
            let trial = add_scaled(&x, &d, step);
            let (ft, gt) = objective(&trial, false);
            evaluations += 1;
            if ft.is_finite() && ft <= f + 1e-4 * step * slope {
                let gt = match gt {
                    Some(gt) => gt,
                    None => objective(&trial, true).1.unwrap_or([f64::NAN; N]),
                };
                accepted = Some((trial, ft, gt));
                break;
            }
            // Quadratic interpolation of the step, kept within [0.1, 0.5] of it.
            let next = if ft.is_finite() {
                let denom = 2.0 * (ft - f - slope * step);
                if denom > 0.0 {
                    -slope * step * step / denom
                } else {
                    0.5 * step
                }
            } else {
                0.25 * step
            };
            step = next.clamp(0.1 * step, 0.5 * step);
        }
        let Some((xn, fnew, gn)) = accepted else {
            // No decrease is possible at this precision: stationary within
            // rounding if the gradient is small.
            converged = norm_inf(&g) <= 1e3 * settings.gradient_tolerance;
            break;
        };
        let s: [f64; N] = std::array::from_fn(|i| xn[i] - x[i]);
        let y: [f64; N] = std::array::from_fn(|i| gn[i] - g[i]);
        let sy = dot(&s, &y);
        if first && sy > 0.0 {
            // Nocedal–Wright (6.20): scale the initial inverse Hessian.
            let yy = dot(&y, &y);
            if yy > 0.0 {
                h = identity::<N>().map(|row| row.map(|v| v * sy / yy));
            }
        }
        first = false;
        if sy > 1e-12 * norm2(&s) * norm2(&y) {
            bfgs_update(&mut h, &s, &y, sy);
        }
        let small_change = (f - fnew).abs() <= 1e-16 * f.abs().max(1.0);
        x = xn;
        f = fnew;
        g = gn;
        if small_change && norm_inf(&g) <= 1e3 * settings.gradient_tolerance {
            converged = true;
            break;
        }
    }
    if !converged && iterations < settings.max_iterations {
        converged = f.is_finite() && norm_inf(&g) <= settings.gradient_tolerance;
    }
    Optimum {
        x,
        value: f,
        gradient_norm: norm_inf(&g),
        iterations,
        evaluations,
        converged,
    }
}

/// Returns the value at `x` (all components positive) and its
/// central-difference gradient, for objectives without an analytic gradient
/// (2N + 1 evaluations). Steps are relative, `6e-6 · x_i`: a step of 6e-6 in
/// the log-parameter the optimiser works in.
pub(crate) fn central_gradient<const N: usize>(
    mut value: impl FnMut(&[f64; N]) -> f64,
    x: &[f64; N],
    need_gradient: bool,
) -> (f64, Option<[f64; N]>) {
    let f = value(x);
    let mut g = [0.0; N];
    if !f.is_finite() || !need_gradient {
        return (f, None);
    }
    // Step near the cube root of machine epsilon balances truncation and rounding.
    const H: f64 = 3e-5;
    for i in 0..N {
        let h = H * x[i];
        let mut up = *x;
        up[i] += h;
        let mut down = *x;
        down[i] -= h;
        g[i] = (value(&up) - value(&down)) / (2.0 * h);
    }
    (f, Some(g))
}

fn identity<const N: usize>() -> [[f64; N]; N] {
    std::array::from_fn(|i| std::array::from_fn(|j| if i == j { 1.0 } else { 0.0 }))
}

fn mat_vec<const N: usize>(m: &[[f64; N]; N], v: &[f64; N]) -> [f64; N] {
    std::array::from_fn(|i| dot(&m[i], v))
}

fn dot<const N: usize>(a: &[f64; N], b: &[f64; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm2<const N: usize>(a: &[f64; N]) -> f64 {
    dot(a, a).sqrt()
}

fn norm_inf<const N: usize>(a: &[f64; N]) -> f64 {
    a.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
}

fn add_scaled<const N: usize>(x: &[f64; N], d: &[f64; N], t: f64) -> [f64; N] {
    std::array::from_fn(|i| x[i] + t * d[i])
}

/// `H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ` with `ρ = 1 / (yᵀ s)`.
fn bfgs_update<const N: usize>(h: &mut [[f64; N]; N], s: &[f64; N], y: &[f64; N], sy: f64) {
    let rho = 1.0 / sy;
    let hy = mat_vec(h, y);
    let yhy = dot(y, &hy);
    for i in 0..N {
        for j in 0..N {
            h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimizes_rosenbrock() {
        let settings = Settings {
            gradient_tolerance: 1e-10,
            max_iterations: 500,
        };
        let opt = minimize(
            |x: &[f64; 2], _| {
                let (a, b) = (x[0], x[1]);
                let f = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
                let g = [
                    -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                    200.0 * (b - a * a),
                ];
                (f, Some(g))
            },
            [-1.2, 1.0],
            settings,
        );
        assert!(opt.converged, "{opt:?}");
        assert!(
            (opt.x[0] - 1.0).abs() < 1e-6 && (opt.x[1] - 1.0).abs() < 1e-6,
            "{opt:?}"
        );
    }

    #[test]
    fn central_gradient_is_accurate() {
        let (f, g) = central_gradient(|x: &[f64; 2]| x[0].exp() * x[1].sin(), &[0.3, 1.1], true);
        let g = g.unwrap();
        assert!((f - 0.3f64.exp() * 1.1f64.sin()).abs() < 1e-15);
        assert!((g[0] - 0.3f64.exp() * 1.1f64.sin()).abs() < 1e-9);
        assert!((g[1] - 0.3f64.exp() * 1.1f64.cos()).abs() < 1e-9);
    }
}
