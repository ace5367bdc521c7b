//! The Gamma-Gamma model of spend per purchase.

use std::collections::HashMap;

use super::error::ClvError;
use super::fit::{check_positive, fit_params, fit_positive, sum_rows, FitReport, Problem};
use super::special::{digamma, ln_gamma};
use super::summary::Summaries;
use super::{Fit, RfmSummary, SpendModel};
use crate::error::Result;

/// A distinct `(x, z̄)` of a repeat buyer, with data-only logs precomputed.
#[derive(Clone, Copy, Debug)]
struct SpendRow {
    x: f64,
    ln_m: f64,
    xm: f64,
    weight: f64,
}

/// The Gamma-Gamma model of the mean spend per purchase (Fader, Hardie & Lee
/// 2005, "RFM and CLV: using iso-value curves for customer base analysis",
/// Journal of Marketing Research 42(4); Fader & Hardie 2013, "The Gamma-Gamma
/// model of monetary value").
///
/// Each purchase of a customer is worth `Gamma(p, ν)`; across customers
/// `ν ~ Gamma(q, γ)`. Spend is assumed independent of the purchase process.
/// The model is fitted on the repeat buyers (frequency > 0) from their
/// frequency `x` and mean repeat spend `z̄`, both in [`RfmSummary`]; amounts are
/// in the currency of the data.
///
/// | parameter | meaning | valid range |
/// |---|---|---|
/// | `p` | shape of the spend per purchase | > 0 |
/// | `q` | shape of the distribution of `ν` across customers (mean spend is finite for `q > 1`) | > 0 |
/// | `gamma` (γ) | scale of the distribution of `ν`, in currency units | > 0 |
///
/// On the CDNOW repeat buyers the fit is `p = 6.2488, q = 3.7446, γ = 15.4477`
/// (checked in the tests).
///
/// # Examples
///
/// ```
/// use custodia::clv::{GammaGamma, RfmSummary, SpendModel};
///
/// let model = GammaGamma::from_parameters(6.2488, 3.7446, 15.4477)?;
/// let c = RfmSummary::new(2, 30.43, 38.86)?.with_monetary(22.35)?;
/// let spend = model.expected_average_spend(&c);
/// assert!(spend > 22.35 && spend < model.expected_average_spend(&RfmSummary::new(0, 0.0, 38.86)?));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "GammaGammaParameters"))]
pub struct GammaGamma {
    p: f64,
    q: f64,
    gamma: f64,
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    report: Option<FitReport>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct GammaGammaParameters {
    p: f64,
    q: f64,
    gamma: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<GammaGammaParameters> for GammaGamma {
    type Error = crate::Error;
    fn try_from(v: GammaGammaParameters) -> Result<GammaGamma> {
        GammaGamma::from_parameters(v.p, v.q, v.gamma)
    }
}

fit_params!(
    /// Fitting settings of the [`GammaGamma`] model; [`Fit::fit`] returns the
    /// fitted model. Customers without a repeat purchase are skipped.
    GammaGammaParams
);

impl GammaGamma {
    /// Returns the default fitting settings.
    pub fn params() -> GammaGammaParams {
        GammaGammaParams::new()
    }

    /// Returns the model with the given (for example saved) parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is not finite and positive.
    pub fn from_parameters(p: f64, q: f64, gamma: f64) -> Result<GammaGamma> {
        Ok(GammaGamma {
            p: check_positive("p", p)?,
            q: check_positive("q", q)?,
            gamma: check_positive("gamma", gamma)?,
            report: None,
        })
    }

    /// Returns `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Returns `q`.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Returns `γ`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Returns the fit report, or `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    /// Returns the parameters by name.
    pub fn parameters(&self) -> Vec<(&'static str, f64)> {
        vec![("p", self.p), ("q", self.q), ("gamma", self.gamma)]
    }

    /// Returns the log-likelihood of the repeat buyers in `data` (customers
    /// with frequency 0 contribute nothing).
    ///
    /// The density is that of the mean spend `z̄` given `x` (Fader & Hardie
    /// 2013, eq. 5), `ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ +
    /// px ln x − (px+q) ln(x z̄ + γ)`. A repeat buyer with `z̄ = 0` has
    /// likelihood 0 (log −∞).
    pub fn log_likelihood(&self, data: &Summaries) -> f64 {
        data.iter()
            .filter(|(s, _)| s.frequency() > 0)
            .map(|(s, w)| {
                let x = f64::from(s.frequency());
                let m = s.monetary();
                let px = self.p * x;
                w as f64
                    * (ln_gamma(px + self.q) - ln_gamma(px) - ln_gamma(self.q)
                        + self.q * self.gamma.ln()
                        + (px - 1.0) * m.ln()
                        + px * x.ln()
                        - (px + self.q) * (x * m + self.gamma).ln())
            })
            .sum()
    }
}

impl Fit for GammaGammaParams {
    type Model = GammaGamma;

    fn fit(&self, data: &Summaries) -> Result<GammaGamma> {
        let mut grouped: HashMap<(u32, u64), f64> = HashMap::new();
        for (s, w) in data.iter().filter(|(s, _)| s.frequency() > 0) {
            if s.monetary() <= 0.0 {
                return Err(ClvError::Parameter {
                    name: "monetary value of a repeat buyer",
                    value: s.monetary(),
                    rule: "greater than 0 for the Gamma-Gamma model",
                }
                .into());
            }
            *grouped
                .entry((s.frequency(), s.monetary().to_bits()))
                .or_insert(0.0) += w as f64;
        }
        let mut keys: Vec<((u32, u64), f64)> = grouped.into_iter().collect();
        keys.sort_unstable_by_key(|k| k.0);
        let rows: Vec<SpendRow> = keys
            .iter()
            .map(|&((x, m), weight)| {
                let (x, m) = (f64::from(x), f64::from_bits(m));
                SpendRow {
                    x,
                    ln_m: m.ln(),
                    xm: x * m,
                    weight,
                }
            })
            .collect();
        let mut by_x: Vec<(f64, f64)> = Vec::new();
        for row in &rows {
            match by_x.last_mut() {
                Some(last) if last.0 == row.x => last.1 += row.weight,
                _ => by_x.push((row.x, row.weight)),
            }
        }
        let total: f64 = rows.iter().map(|r| r.weight).sum();
        if by_x.len() < 2 && rows.len() < 3 {
            return Err(ClvError::Insufficient {
                model: "Gamma-Gamma",
                reason: "fewer than three distinct repeat buyers",
            }
            .into());
        }
        // Data-only sums: Σ w ln z̄ and Σ w x ln z̄.
        let (sum_ln_m, sum_x_ln_m) = rows.iter().fold((0.0, 0.0), |(a, b), r| {
            (a + r.weight * r.ln_m, b + r.weight * r.x * r.ln_m)
        });
        let mean_nll = |theta: &[f64; 3], _: bool| {
            let [p, q, gamma] = *theta;
            let ln_gamma_scale = gamma.ln();
            let (lg_q, dg_q) = (ln_gamma(q), digamma(q));
            let mut ll = p * sum_x_ln_m - sum_ln_m;
            let mut g = [sum_x_ln_m, 0.0, 0.0];
            for &(x, n) in &by_x {
                let px = p * x;
                let dg_pxq = digamma(px + q);
                ll +=
                    n * (ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_gamma_scale + px * x.ln());
                g[0] += n * x * (dg_pxq - digamma(px) + x.ln());
                g[1] += n * (dg_pxq - dg_q + ln_gamma_scale);
                g[2] += n * q / gamma;
            }
            let per_row = sum_rows(&rows, |r| {
                let d = r.xm + gamma;
                let l = d.ln();
                let pxq = p * r.x + q;
                [
                    -r.weight * pxq * l,
                    -r.weight * r.x * l,
                    -r.weight * l,
                    -r.weight * pxq / d,
                ]
            });
            ll += per_row[0];
            for i in 0..3 {
                g[i] += per_row[i + 1];
            }
            (-ll / total, Some(g.map(|v| -v / total)))
        };
        let starts = [[0.0; 3], [1.0, 1.0, 2.0], [-1.0, 0.5, 1.0]];
        let problem = Problem {
            model: "Gamma-Gamma",
            names: ["p", "q", "gamma"],
            customers: total,
            repeaters: None,
            rows: rows.len(),
            starts: &starts,
        };
        let ([p, q, gamma], report) = fit_positive(&problem, &self.settings, mean_nll)?;
        Ok(GammaGamma {
            p,
            q,
            gamma,
            report: Some(report),
        })
    }
}

impl SpendModel for GammaGamma {
    /// Returns `E[Z | x, z̄] = (p (γ + x z̄)) / (p x + q − 1)` (Fader & Hardie
    /// 2013, eq. 7): a weighted mean of the population mean `pγ/(q − 1)` and the
    /// customer's own mean. Infinite when `p x + q <= 1` (the mean does not exist).
    fn expected_average_spend(&self, customer: &RfmSummary) -> f64 {
        let x = f64::from(customer.frequency());
        let denom = self.p * x + self.q - 1.0;
        if denom <= 0.0 {
            return f64::INFINITY;
        }
        // p γ/denom + (p x/denom) z̄: the weighted mean, without forming x z̄
        // (which overflows for large spend); beyond `f64` it saturates.
        super::saturate(self.p * self.gamma / denom + self.p * x / denom * customer.monetary())
    }
}
