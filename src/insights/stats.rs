//! The small statistics the analyses need: normal and Student-t quantiles,
//! the Wilson score interval, and a confidence interval type.

use std::collections::HashMap;

use super::error::Detail;
use crate::error::Result;

/// A confidence interval `[lower, upper]` at a confidence level.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::survey::{survey_metrics, SurveyParams, SurveyRow};
/// use custodia::model::Csat;
///
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// let rows = [
///     SurveyRow::new(at, "web", "all").csat(Csat::new(5)?),
///     SurveyRow::new(at, "web", "all").csat(Csat::new(2)?),
/// ];
/// let as_of = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
/// let report = survey_metrics(&rows, &SurveyParams::default(), as_of)?;
/// let csat = report.series()[0].periods()[0].csat().expect("two answers");
/// let interval = csat.interval().expect("n = 2");
/// assert!(interval.contains(csat.value()));
/// assert_eq!(interval.level(), 0.95);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    lower: f64,
    upper: f64,
    level: f64,
}

impl Interval {
    /// Returns the interval `[lower, upper]` at `level`; callers keep
    /// `lower <= upper`.
    pub(crate) fn new(lower: f64, upper: f64, level: f64) -> Interval {
        Interval {
            lower,
            upper,
            level,
        }
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

    /// Returns `true` when `x` lies in `[lower, upper]`.
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }

    /// Returns `true` when the interval excludes zero: the difference or
    /// slope it bounds is significant at its level.
    pub fn excludes_zero(&self) -> bool {
        !self.contains(0.0)
    }
}

/// Checks a confidence level.
pub(crate) fn check_level(level: f64) -> Result<f64> {
    if level > 0.0 && level < 1.0 {
        Ok(level)
    } else {
        Err(Detail::Setting {
            name: "confidence level",
            value: level,
            rule: "strictly between 0 and 1",
        }
        .into())
    }
}

/// Returns the standard normal quantile of `p` in `(0, 1)`: Acklam's rational
/// approximation, relative error below 1.15e-9 (far below the error of any
/// interval built on it).
pub(crate) fn normal_quantile(p: f64) -> f64 {
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

/// Returns `ln Γ(x)` for `x >= 0.5` (Lanczos, g = 7, nine terms; relative
/// error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Returns the regularised incomplete beta function `I_x(a, b)` by its
/// continued fraction (modified Lentz; Numerical Recipes 3rd ed., §6.4).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The fraction converges fast for x < (a + 1) / (a + b + 2); use the
    // symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        for coefficient in [aa, -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))] {
            d = 1.0 + coefficient * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + coefficient / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Returns `P(T > t)` for Student's t with `df` degrees of freedom, `t >= 0`.
fn t_upper_tail(t: f64, df: f64) -> f64 {
    0.5 * inc_beta(0.5 * df, 0.5, df / (df + t * t))
}

/// Two-sided quantiles at one confidence level, memoised by degrees of
/// freedom: an analysis with many cells asks for few distinct `df`.
#[derive(Debug)]
pub(crate) struct Quantiles {
    level: f64,
    z: f64,
    t: HashMap<u64, f64>,
}

impl Quantiles {
    /// Prepares the quantiles of `level`, checked to be in `(0, 1)`.
    pub(crate) fn new(level: f64) -> Result<Quantiles> {
        let level = check_level(level)?;
        Ok(Quantiles {
            level,
            z: normal_quantile(0.5 + 0.5 * level),
            t: HashMap::new(),
        })
    }

    /// Returns the confidence level.
    pub(crate) fn level(&self) -> f64 {
        self.level
    }

    /// Returns `z` with `P(|Z| <= z) = level`.
    pub(crate) fn z(&self) -> f64 {
        self.z
    }

    /// Returns `t` with `P(|T| <= t) = level` for `df > 0` degrees of
    /// freedom (not necessarily whole, for Welch's test).
    pub(crate) fn t(&mut self, df: f64) -> f64 {
        let (level, z) = (self.level, self.z);
        *self
            .t
            .entry(df.to_bits())
            .or_insert_with(|| t_quantile(level, z, df))
    }
}

fn t_quantile(level: f64, z: f64, df: f64) -> f64 {
    // Callers pass df >= 1 (or Welch's df, above 1); NaN marks misuse.
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if df >= 200.0 {
        // Cornish-Fisher expansion in 1/df (Abramowitz & Stegun 26.7.5);
        // its next term is below 1e-11 from df = 200.
        let z2 = z * z;
        let g1 = (z2 + 1.0) * z / 4.0;
        let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
        let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
        let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
        return z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3) + g4 / df.powi(4);
    }
    let alpha = 0.5 * (1.0 - level);
    // The t quantile exceeds the normal one; double until it is bracketed.
    let (mut lo, mut hi) = (0.0, z.max(1.0));
    for _ in 0..2_000 {
        if t_upper_tail(hi, df) <= alpha {
            break;
        }
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_upper_tail(mid, df) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Returns the Wilson score interval of `successes` out of `n` (n >= 1) as
/// proportions in `[0, 1]` (Wilson 1927; Newcombe 1998, method 3).
pub(crate) fn wilson(successes: u64, n: u64, z: f64) -> (f64, f64) {
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // Rounding can push a bound a hair past the estimate when p is 0 or 1.
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    use super::*;

    #[test]
    fn student_t_quantiles_match_the_tables() {
        // Two-sided 95% critical values from any t table.
        let mut q = Quantiles::new(0.95).unwrap();
        assert_relative_eq!(q.t(1.0), 12.706_204_736, max_relative = 1e-8);
        assert_relative_eq!(q.t(2.0), 4.302_652_730, max_relative = 1e-8);
        assert_relative_eq!(q.t(10.0), 2.228_138_852, max_relative = 1e-8);
        assert_relative_eq!(q.t(30.0), 2.042_272_456, max_relative = 1e-8);
        assert_relative_eq!(q.t(199.0), 1.971_956_544, max_relative = 1e-8);
        assert_relative_eq!(q.t(200.0), 1.971_896_224, max_relative = 1e-8);
        assert_relative_eq!(q.t(1000.0), 1.962_339_081, max_relative = 1e-8);
        assert_relative_eq!(q.z(), 1.959_963_985, max_relative = 1e-8);
        let mut q99 = Quantiles::new(0.99).unwrap();
        assert_relative_eq!(q99.t(5.0), 4.032_142_984, max_relative = 1e-8);
    }

    #[test]
    fn wilson_matches_a_hand_computation() {
        // 8 of 10, z = 1.96: p = 0.8, z² = 3.8416, denom = 1.38416,
        // centre = (0.8 + 0.19208) / 1.38416 = 0.716738,
        // half = 1.96 / 1.38416 · sqrt(0.016 + 0.009604) = 0.226576.
        let (lo, hi) = wilson(8, 10, 1.96);
        assert_relative_eq!(lo, 0.716_738 - 0.226_576, epsilon = 1e-5);
        assert_relative_eq!(hi, 0.716_738 + 0.226_576, epsilon = 1e-5);
        let (lo, hi) = wilson(0, 5, 1.96);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 1.0);
    }

    #[test]
    fn levels_outside_the_open_unit_interval_are_refused() {
        for level in [0.0, 1.0, -0.5, f64::NAN, 2.0] {
            assert_eq!(
                Quantiles::new(level).unwrap_err().kind(),
                crate::error::ErrorKind::InvalidParameter
            );
        }
    }
}
