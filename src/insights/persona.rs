//! Personas: groups of customers found by clustering their behaviour,
//! value, sentiment and demographics, each described by what sets it apart.
//!
//! # Inputs
//!
//! A [`PersonaData`] is a plain table built column by column: one key per
//! customer, then numeric columns ([`PersonaData::numeric`]: RFM values,
//! CLV, mean sentiment, age, …) and categorical ones
//! ([`PersonaData::categorical`]: country, gender, RFM segment, …), each
//! with one value per key, in key order.
//!
//! - **Missing values** (`None`) are imputed: a numeric one with the mean of
//!   the column's values, a categorical one with the column's most frequent
//!   value (ties: the smallest in byte order). Every imputation is counted
//!   and reported ([`PersonaReport::imputed`]); a column without any value
//!   is an error. Descriptions use observed values only.
//! - **Non-finite numbers** (NaN, ±∞) are an [`ErrorKind::InvalidInput`]
//!   error naming the column and the row.
//! - Numeric columns are **standardised** (mean 0, standard deviation 1 on
//!   the observed values), so that a column's unit does not set its weight.
//!   A constant column becomes all zeros and weighs nothing.
//!
//! # Clustering
//!
//! With categorical columns, custodia uses **k-prototypes** (Huang 1997,
//! 1998): the dissimilarity of a row `x` and a prototype `c` is
//! `Σ (x_j − c_j)²` over the standardised numeric columns plus
//! `γ · #{categorical columns where x_j ≠ c_j}`; a prototype holds the mean
//! of its rows' numeric values and the mode of each categorical column.
//! Huang advises `γ` between ⅓ and ⅔ of the mean standard deviation `σ̄` of
//! the numeric columns; the default here is `γ = ½ σ̄` (as in the `kmodes`
//! Python package), taken on the standardised columns, so `γ = ½` unless
//! some columns are constant; [`PersonaParams::gamma`] overrides it.
//! Without categorical columns this is plain **k-means**; without numeric
//! ones, **k-modes** (with `γ = 1`).
//!
//! Fitting is deterministic for a given [`PersonaParams::seed`]. Each of
//! the [`restarts`](PersonaParams::restarts) starts from a seeded k-means++
//! choice of prototypes (Arthur and Vassilvitskii 2007, with the
//! dissimilarity above) and alternates assigning rows and updating
//! prototypes (Huang's algorithm with batch updates) until no row changes
//! persona or the [iteration cap](PersonaParams::max_iterations) is
//! reached; the restart with the lowest total dissimilarity wins. A persona
//! left empty takes the row farthest from its own prototype. A row as near
//! to two prototypes goes to the smaller one (numeric centre first, then
//! modes), other ties to the lower index, and sums are taken over fixed blocks of rows in
//! order, so the result is the same with or without the `rayon` feature
//! and on any number of threads. Personas are numbered by size, largest
//! first.
//!
//! On large tables the restarts run on a seeded sample: with more than
//! [`PersonaParams::selection_rows`] rows (default 50,000), restarts and
//! candidate `k`s are fitted on a sample of that many rows, and the
//! winner's prototypes are then refined on every row by the same
//! iterations, whose count and whether they hit the cap are reported
//! ([`PersonaReport::iterations`], [`PersonaReport::hit_iteration_cap`]).
//! With fewer rows, everything runs on all rows.
//!
//! # Choosing k
//!
//! Over [`PersonaParams::k_range`] (default `2..=8`) each `k` is scored by
//! its mean **silhouette** (Rousseeuw 1987; distance `√dissimilarity`, which
//! is Euclidean distance for k-means; a row alone in its persona scores 0),
//! and the best wins (ties: the smaller `k`). Silhouettes cost `O(m²)` for
//! `m` rows, so each is computed on a seeded sample of at most
//! [`SILHOUETTE_ROWS`] (2,000) of the rows the candidates are fitted on
//! (see above), with the candidate's own assignment of them. The score of
//! every `k` tried is in [`PersonaReport::k_scores`]; with a single `k`
//! ([`PersonaParams::k`]) its silhouette is still reported, computed the
//! same way.
//!
//! # Descriptions
//!
//! Each [`Persona`] has its size and share of the rows, and its
//! [`Feature`]s ranked by how far the persona sits from the whole
//! population, in standard deviations (the *effect*):
//!
//! - numeric: `(mean in persona − overall mean) / overall standard deviation`;
//! - categorical: for each column, the value most over-represented in the
//!   persona, with its share in the persona `p`, overall share `P`, lift
//!   `p / P` and effect `(p − P) / √(P (1 − P))`, which is the same z-score
//!   difference for the value's 0/1 indicator.
//!
//! The label joins up to three top features whose effect is at least
//! [`LABEL_EFFECT`] in size: `high monetary`, `low recency`, `country=PT`;
//! a persona with none is `typical`.
//!
//! # New rows
//!
//! [`PersonaModel::assign`] puts new rows into the fitted personas (nearest
//! prototype); the model is plain data, serialised under feature `serde`.
//!
//! # Cost and limits
//!
//! A fit costs `O(iterations · n · k · columns)` on all rows, plus the
//! restarts and candidates on at most `selection_rows` rows and
//! `O(SILHOUETTE_ROWS² · (columns + candidates))` for the silhouettes
//! (the distances between sampled rows are computed once for every
//! candidate); memory is `O(n · columns)`, plus the labels of the runs in
//! progress. The iterations skip, exactly, the dissimilarities that cannot
//! change a row's persona: each row keeps a lower bound on its distance to
//! every other prototype, lowered by how far the prototypes moved
//! (Hamerly 2010, *Making k-means even faster*, valid because
//! `√dissimilarity` is a metric), and only a row whose own prototype is
//! not clearly nearer than that bound is compared with all `k`. Under the
//! `rayon` feature the restarts and candidate `k`s run in parallel, each
//! drawing the same seeded starts as one after the other. `k` is at most [`MAX_K`],
//! a table has at most [`MAX_COLUMNS`] columns, and a categorical column
//! at most [`MAX_CATEGORIES`] distinct values ([`ErrorKind::LimitExceeded`]
//! beyond).
//!
//! # Examples
//!
//! ```
//! use custodia::insights::persona::{PersonaData, PersonaParams};
//!
//! // Two kinds of customers: recent big spenders in Portugal, and lapsed
//! // small ones in Spain.
//! let keys: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
//! let monetary: Vec<Option<f64>> = (0..12)
//!     .map(|i| Some(if i < 6 { 900.0 + i as f64 } else { 20.0 + i as f64 }))
//!     .collect();
//! let mut recency: Vec<Option<f64>> = (0..12)
//!     .map(|i| Some(if i < 6 { 3.0 + (i % 3) as f64 } else { 60.0 + (i % 3) as f64 }))
//!     .collect();
//! recency[11] = None; // imputed with the mean, and counted
//! let country: Vec<Option<&str>> =
//!     (0..12).map(|i| Some(if i < 6 { "PT" } else { "ES" })).collect();
//!
//! let data = PersonaData::new(keys)
//!     .numeric("monetary", &monetary)?
//!     .numeric("recency", &recency)?
//!     .categorical("country", &country)?;
//! let report = PersonaParams::default().fit(&data)?;
//!
//! assert_eq!(report.k(), 2);
//! assert_eq!(report.imputed()[1].count(), 1);
//! let big = report.assignments()[0];
//! assert!(report.assignments()[..6].iter().all(|&p| p == big));
//! assert!(report.assignments()[6..].iter().all(|&p| p != big));
//! assert_eq!(report.personas()[big].label(), "country=PT, high monetary, low recency");
//!
//! // New customers go to the nearest persona.
//! let new = PersonaData::new(vec!["n1"])
//!     .numeric("monetary", &[Some(880.0)])?
//!     .numeric("recency", &[None])?
//!     .categorical("country", &[Some("PT")])?;
//! assert_eq!(report.model().assign(&new)?.personas(), [big]);
//! # Ok::<(), custodia::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;

use crate::error::{Error, ErrorKind, Result};

/// The most personas a fit may have.
pub const MAX_K: usize = 64;

/// The most columns a [`PersonaData`] may have.
pub const MAX_COLUMNS: usize = 256;

/// The most distinct values a categorical column may have.
pub const MAX_CATEGORIES: usize = 1_000;

/// The most rows a silhouette score is computed on.
pub const SILHOUETTE_ROWS: usize = 2_000;

/// The smallest effect size (in standard deviations) a feature needs to
/// appear in a persona's label.
pub const LABEL_EFFECT: f64 = 0.5;

/// Rows per block of work; sums are taken per block and then over blocks
/// in order, so results do not depend on the thread count.
const BLOCK: usize = 1 << 15;

/// The code of a categorical value a fitted model has never seen; it
/// matches no prototype.
const UNKNOWN: u32 = u32::MAX;

/// Marks a missing categorical value before imputation.
const MISSING: u32 = u32::MAX - 1;

// ---------------------------------------------------------------------------
// Input table
// ---------------------------------------------------------------------------

/// A table of customers to find personas in: one key per row, and numeric
/// and categorical columns with one optional value per row.
///
/// Column names are unique across both kinds. See the [module
/// docs](self) for how missing values are handled.
///
/// # Examples
///
/// ```
/// use custodia::insights::persona::PersonaData;
/// use custodia::error::ErrorKind;
///
/// let data = PersonaData::new(vec!["ana", "bob"])
///     .numeric("age", &[Some(34.0), None])?
///     .categorical("country", &[Some("PT"), Some("ES")])?;
/// assert_eq!(data.len(), 2);
/// assert_eq!(data.keys(), ["ana", "bob"]);
///
/// let err = PersonaData::new(vec!["ana"]).numeric("clv", &[Some(f64::NAN)]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidInput);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PersonaData<K> {
    keys: Vec<K>,
    numeric: Vec<NumericColumn>,
    categorical: Vec<CategoricalColumn>,
}

#[derive(Clone, Debug, PartialEq)]
struct NumericColumn {
    name: String,
    /// NaN marks a missing value (non-finite input is refused, so NaN is free).
    values: Vec<f64>,
    missing: usize,
}

#[derive(Clone, Debug, PartialEq)]
struct CategoricalColumn {
    name: String,
    /// Distinct values, sorted by bytes; codes index into it.
    levels: Vec<String>,
    /// `MISSING` marks a missing value.
    codes: Vec<u32>,
    missing: usize,
}

impl<K> PersonaData<K> {
    /// Returns a table with one row per key and no columns yet.
    pub fn new(keys: impl Into<Vec<K>>) -> PersonaData<K> {
        PersonaData {
            keys: keys.into(),
            numeric: Vec::new(),
            categorical: Vec::new(),
        }
    }

    /// Adds a numeric column; `values[i]` belongs to the `i`-th key and
    /// `None` is missing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the number of values is not the
    /// number of keys, the name is taken, or a value is not finite;
    /// [`ErrorKind::LimitExceeded`] beyond [`MAX_COLUMNS`] columns.
    pub fn numeric(mut self, name: &str, values: &[Option<f64>]) -> Result<PersonaData<K>> {
        self.check_column(name, values.len())?;
        let mut missing = 0;
        let mut out = Vec::with_capacity(values.len());
        for (row, v) in values.iter().enumerate() {
            match *v {
                Some(x) if x.is_finite() => out.push(x + 0.0),
                Some(x) => {
                    return Err(invalid_input(format_args!(
                        "column {name:?} row {row}: value {x} is not finite"
                    )))
                }
                None => {
                    missing += 1;
                    out.push(f64::NAN);
                }
            }
        }
        self.numeric.push(NumericColumn {
            name: name.to_owned(),
            values: out,
            missing,
        });
        Ok(self)
    }

    /// Adds a categorical column; `values[i]` belongs to the `i`-th key and
    /// `None` is missing. Values are compared exactly (byte for byte).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the number of values is not the
    /// number of keys or the name is taken; [`ErrorKind::LimitExceeded`]
    /// beyond [`MAX_CATEGORIES`] distinct values or [`MAX_COLUMNS`] columns.
    pub fn categorical(mut self, name: &str, values: &[Option<&str>]) -> Result<PersonaData<K>> {
        self.check_column(name, values.len())?;
        let mut index: BTreeMap<&str, u32> = BTreeMap::new();
        for v in values.iter().flatten() {
            if !index.contains_key(v) {
                if index.len() == MAX_CATEGORIES {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format_args!(
                            "column {name:?} has more than {MAX_CATEGORIES} distinct values"
                        ),
                    ));
                }
                index.insert(v, 0);
            }
        }
        let mut levels = Vec::with_capacity(index.len());
        for (i, (level, code)) in index.iter_mut().enumerate() {
            *code = u32::try_from(i).expect("OK because i < MAX_CATEGORIES");
            levels.push((*level).to_owned());
        }
        let mut missing = 0;
        let codes = values
            .iter()
            .map(|v| match v {
                Some(v) => index[v],
                None => {
                    missing += 1;
                    MISSING
                }
            })
            .collect();
        self.categorical.push(CategoricalColumn {
            name: name.to_owned(),
            levels,
            codes,
            missing,
        });
        Ok(self)
    }

    fn check_column(&self, name: &str, len: usize) -> Result<()> {
        if len != self.keys.len() {
            return Err(invalid_input(format_args!(
                "column {name:?} has {len} values for {} keys",
                self.keys.len()
            )));
        }
        if self.numeric.iter().any(|c| c.name == name)
            || self.categorical.iter().any(|c| c.name == name)
        {
            return Err(invalid_input(format_args!(
                "column {name:?} is given twice"
            )));
        }
        if self.numeric.len() + self.categorical.len() == MAX_COLUMNS {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format_args!("more than {MAX_COLUMNS} columns"),
            ));
        }
        Ok(())
    }

    /// Returns the keys, one per row, in row order.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// Returns the number of rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Returns `true` when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/// How to fit personas; setters record values, [`fit`](PersonaParams::fit)
/// checks them.
///
/// | setting | default | valid |
/// |---|---|---|
/// | [`k_range`](PersonaParams::k_range) / [`k`](PersonaParams::k) | `2..=8` | `2 ≤ min ≤ max ≤` [`MAX_K`] |
/// | [`gamma`](PersonaParams::gamma) | `½ σ̄` (see the [module docs](self)) | finite, ≥ 0 |
/// | [`seed`](PersonaParams::seed) | `0x5eed` | any |
/// | [`restarts`](PersonaParams::restarts) | 3 | 1..=100 |
/// | [`max_iterations`](PersonaParams::max_iterations) | 100 | 1..=10,000 |
/// | [`selection_rows`](PersonaParams::selection_rows) | 50,000 | ≥ 100 |
///
/// # Examples
///
/// ```
/// use custodia::error::ErrorKind;
/// use custodia::insights::persona::{PersonaData, PersonaParams};
///
/// let data = PersonaData::new(vec![1, 2, 3]).numeric("x", &[Some(1.0), Some(2.0), Some(9.0)])?;
/// let err = PersonaParams::default().k(1).fit(&data).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidParameter);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PersonaParams {
    k_min: usize,
    k_max: usize,
    gamma: Option<f64>,
    seed: u64,
    restarts: usize,
    max_iterations: usize,
    selection_rows: usize,
}

impl Default for PersonaParams {
    fn default() -> PersonaParams {
        PersonaParams {
            k_min: 2,
            k_max: 8,
            gamma: None,
            seed: 0x5eed,
            restarts: 3,
            max_iterations: 100,
            selection_rows: 50_000,
        }
    }
}

impl PersonaParams {
    /// Chooses `k` by silhouette among the values of `range`.
    pub fn k_range(mut self, range: RangeInclusive<usize>) -> PersonaParams {
        self.k_min = *range.start();
        self.k_max = *range.end();
        self
    }

    /// Fits exactly `k` personas, with no selection.
    pub fn k(self, k: usize) -> PersonaParams {
        self.k_range(k..=k)
    }

    /// Sets the weight `γ` of one categorical mismatch against squared
    /// standardised numeric differences.
    pub fn gamma(mut self, gamma: f64) -> PersonaParams {
        self.gamma = Some(gamma);
        self
    }

    /// Sets the seed of every random choice (initial prototypes, samples).
    pub fn seed(mut self, seed: u64) -> PersonaParams {
        self.seed = seed;
        self
    }

    /// Sets how many seeded starts each fit makes; the best is kept.
    pub fn restarts(mut self, restarts: usize) -> PersonaParams {
        self.restarts = restarts;
        self
    }

    /// Sets the most assign-and-update rounds of one start.
    pub fn max_iterations(mut self, max_iterations: usize) -> PersonaParams {
        self.max_iterations = max_iterations;
        self
    }

    /// Sets the most rows the restarts and the candidate `k`s are fitted on
    /// (a seeded sample when the data has more; see the [module docs](self)).
    pub fn selection_rows(mut self, rows: usize) -> PersonaParams {
        self.selection_rows = rows;
        self
    }

    fn check(&self) -> Result<()> {
        let bad = |name: &str, value: f64, rule: &str| {
            Err(Error::new(
                ErrorKind::InvalidParameter,
                format_args!("{name} {value} must be {rule}"),
            ))
        };
        if self.k_min < 2 {
            return bad("k", self.k_min as f64, "at least 2");
        }
        if self.k_max > MAX_K {
            return bad("k", self.k_max as f64, "at most 64");
        }
        if self.k_min > self.k_max {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format_args!("k range {}..={} is empty", self.k_min, self.k_max),
            ));
        }
        if let Some(g) = self.gamma {
            if !g.is_finite() || g < 0.0 {
                return bad("gamma", g, "finite and non-negative");
            }
        }
        if !(1..=100).contains(&self.restarts) {
            return bad("restarts", self.restarts as f64, "in 1..=100");
        }
        if !(1..=10_000).contains(&self.max_iterations) {
            return bad("max_iterations", self.max_iterations as f64, "in 1..=10000");
        }
        if self.selection_rows < 100 {
            return bad("selection_rows", self.selection_rows as f64, "at least 100");
        }
        Ok(())
    }

    /// Finds personas in `data` (see the [module docs](self) for the method).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidParameter`] for settings out of range (see
    ///   [`PersonaParams`]);
    /// - [`ErrorKind::InsufficientData`] when the table has no column, a
    ///   column has no value, or there are fewer distinct rows than the
    ///   smallest `k`.
    pub fn fit<K>(&self, data: &PersonaData<K>) -> Result<PersonaReport> {
        self.check()?;
        let (model_base, imputed) = ModelBase::from_data(data, self.gamma)?;
        let full = Prepared::from_data(&model_base, data, Imputation::Fit);
        let n = full.n;
        let mut rng = Rng::new(self.seed);

        // Restarts and candidate k's run on a seeded sample of the rows;
        // the winner is then refined on every row.
        let rows = sample_indices(n, self.selection_rows, &mut rng);
        let sel = if rows.len() == n {
            None
        } else {
            Some(full.subset(&rows))
        };
        let sel_data = sel.as_ref().unwrap_or(&full);
        let sample = sample_indices(sel_data.n, SILHOUETTE_ROWS, &mut rng);
        // Every candidate's starts are drawn first, in the order a search
        // one `k` at a time draws them, so that the runs can go in parallel
        // and still see the same random numbers.
        let starts: Vec<Option<Vec<Protos>>> = (self.k_min..=self.k_max)
            .map(|k| self.starts(sel_data, k, &mut rng))
            .collect();
        let runs = self.best_runs(sel_data, starts);
        let scores = {
            let labels: Vec<&[u32]> = runs.iter().flatten().map(|r| &r.labels[..]).collect();
            silhouettes(sel_data, &labels, &sample)
        };
        let mut scores = scores.into_iter();
        let mut k_scores = Vec::new();
        let mut best: Option<(f64, usize, Run)> = None;
        for (k, run) in (self.k_min..=self.k_max).zip(runs) {
            let Some(run) = run else {
                k_scores.push(KScore {
                    k,
                    silhouette: None,
                });
                continue;
            };
            let s = scores
                .next()
                .expect("OK because every run has a silhouette");
            k_scores.push(KScore {
                k,
                silhouette: Some(s),
            });
            if best.as_ref().is_none_or(|(b, _, _)| s > *b) {
                best = Some((s, k, run));
            }
        }
        let run = match (best, &sel) {
            (Some((_, _, run)), None) => run,
            (Some((_, _, run)), Some(_)) => lloyd(&full, run.protos, self.max_iterations),
            // The sample may repeat rows that differ elsewhere in the data.
            (None, Some(_)) => self
                .best_run(&full, self.k_min, &mut rng)
                .ok_or_else(|| too_few_distinct(self.k_min))?,
            (None, None) => return Err(too_few_distinct(self.k_min)),
        };
        let silhouette_rows = sample.len();
        let selection_used = sel_data.n;
        Ok(finish(
            model_base,
            data,
            &full,
            run,
            imputed,
            k_scores,
            silhouette_rows,
            selection_used,
        ))
    }

    /// The best of the restarts at `k`, or `None` when the rows have fewer
    /// than `k` distinct values.
    fn best_run(&self, data: &Prepared, k: usize, rng: &mut Rng) -> Option<Run> {
        let starts = self.starts(data, k, rng);
        self.best_runs(data, vec![starts]).pop().flatten()
    }

    /// The seeded k-means++ starts of every restart at `k`, drawn one after
    /// the other; `None` when the rows have fewer than `k` distinct values
    /// (no further start is drawn after the first that fails).
    fn starts(&self, data: &Prepared, k: usize, rng: &mut Rng) -> Option<Vec<Protos>> {
        if data.n < k {
            return None;
        }
        (0..self.restarts)
            .map(|_| kmeans_pp(data, k, rng))
            .collect()
    }

    /// Runs every start of every candidate (in parallel under `rayon`) and
    /// keeps each candidate's run of lowest cost; ties go to the earlier
    /// start, as when the restarts run one after the other.
    fn best_runs(&self, data: &Prepared, starts: Vec<Option<Vec<Protos>>>) -> Vec<Option<Run>> {
        let fit = |protos: Protos| lloyd(data, protos, self.max_iterations);
        // Keeps the left run unless the right one is strictly cheaper: the
        // lowest (cost, start) pair, an associative choice.
        let better = |a: Run, b: Run| if b.cost < a.cost { b } else { a };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            starts
                .into_par_iter()
                .map(|s| s?.into_par_iter().map(fit).reduce_with(better))
                .collect()
        }
        #[cfg(not(feature = "rayon"))]
        {
            starts
                .into_iter()
                .map(|s| s?.into_iter().map(fit).reduce(better))
                .collect()
        }
    }
}

#[cold]
fn too_few_distinct(k: usize) -> Error {
    Error::new(
        ErrorKind::InsufficientData,
        format_args!("fewer than {k} distinct rows to form {k} personas"),
    )
}

#[cold]
fn invalid_input(message: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

// ---------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------

/// Which algorithm a fit used, read from the kinds of its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// Numeric columns only: k-means.
    KMeans,
    /// Categorical columns only: k-modes.
    KModes,
    /// Both kinds: k-prototypes.
    KPrototypes,
}

/// Column statistics shared by the model and the preparation of rows.
#[derive(Clone, Debug, PartialEq)]
struct ModelBase {
    numeric: Vec<NumericStats>,
    categorical: Vec<CategoricalStats>,
    gamma: f64,
}

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct NumericStats {
    name: String,
    mean: f64,
    std: f64,
}

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct CategoricalStats {
    name: String,
    values: Vec<String>,
    mode: String,
    #[cfg_attr(feature = "serde", serde(skip))]
    mode_code: u32,
}

impl ModelBase {
    fn from_data<K>(
        data: &PersonaData<K>,
        gamma: Option<f64>,
    ) -> Result<(ModelBase, Vec<Imputed>)> {
        if data.numeric.is_empty() && data.categorical.is_empty() {
            return Err(Error::new(
                ErrorKind::InsufficientData,
                "no columns to find personas in",
            ));
        }
        let mut imputed = Vec::new();
        let mut numeric = Vec::with_capacity(data.numeric.len());
        for c in &data.numeric {
            let observed = c.values.len() - c.missing;
            if observed == 0 {
                return Err(no_values(&c.name));
            }
            let (mean, std) = mean_std(c.values.iter().copied().filter(|v| !v.is_nan()));
            imputed.push(Imputed {
                column: c.name.clone(),
                count: c.missing,
            });
            numeric.push(NumericStats {
                name: c.name.clone(),
                mean,
                std,
            });
        }
        let mut categorical = Vec::with_capacity(data.categorical.len());
        for c in &data.categorical {
            if c.levels.is_empty() {
                return Err(no_values(&c.name));
            }
            let mut counts = vec![0u64; c.levels.len()];
            for &code in &c.codes {
                if code != MISSING {
                    counts[code as usize] += 1;
                }
            }
            let mode_code = argmax_first(&counts);
            imputed.push(Imputed {
                column: c.name.clone(),
                count: c.missing,
            });
            categorical.push(CategoricalStats {
                name: c.name.clone(),
                values: c.levels.clone(),
                mode: c.levels[mode_code as usize].clone(),
                mode_code,
            });
        }
        let gamma = gamma.unwrap_or_else(|| {
            if numeric.is_empty() {
                1.0
            } else {
                // Standardised columns have σ = 1, or 0 when constant.
                let live = numeric.iter().filter(|s| s.std > 0.0).count();
                0.5 * live as f64 / numeric.len() as f64
            }
        });
        Ok((
            ModelBase {
                numeric,
                categorical,
                gamma,
            },
            imputed,
        ))
    }
}

#[cold]
fn no_values(name: &str) -> Error {
    Error::new(
        ErrorKind::InsufficientData,
        format_args!("column {name:?} has no values"),
    )
}

/// Mean and population standard deviation, two-pass, on values scaled by
/// their largest magnitude so that no sum overflows.
fn mean_std(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let max = values.clone().fold(0.0f64, |m, v| m.max(v.abs()));
    if max == 0.0 {
        return (0.0, 0.0);
    }
    let (mut n, mut sum) = (0usize, 0.0);
    for v in values.clone() {
        n += 1;
        sum += v / max;
    }
    let mean = sum / n as f64;
    let ss: f64 = values.map(|v| (v / max - mean) * (v / max - mean)).sum();
    let std = (ss / n as f64).sqrt();
    (mean * max, std * max)
}

/// The standard score of `v`; halving first keeps `v − mean` finite for
/// any finite inputs, and `|z| ≤ √n` on the fitted column.
fn standardise(v: f64, s: &NumericStats) -> f64 {
    if s.std > 0.0 {
        (0.5 * v - 0.5 * s.mean) / (0.5 * s.std)
    } else {
        0.0
    }
}

fn argmax_first(counts: &[u64]) -> u32 {
    let mut best = 0;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    u32::try_from(best).expect("OK because codes fit in u32")
}

/// Fitted personas: the column statistics and one prototype per persona,
/// enough to [`assign`](PersonaModel::assign) new rows.
///
/// # Serialisation
///
/// Under feature `serde`, the JSON shape is
/// `{"gamma": γ, "numeric": [{"name", "mean", "std"}…],
/// "categorical": [{"name", "values": [sorted…], "mode"}…],
/// "personas": [{"numeric": [standardised centre…], "categorical": [mode…]}…]}`,
/// checked on the way in.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "RawModel", try_from = "RawModel")
)]
pub struct PersonaModel {
    base: ModelBase,
    k: usize,
    /// `k × p` standardised numeric centres.
    centers: Vec<f64>,
    /// `k × q` categorical modes (codes).
    modes: Vec<u32>,
}

/// The JSON shape of a [`PersonaModel`].
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct RawModel {
    gamma: f64,
    numeric: Vec<NumericStats>,
    categorical: Vec<CategoricalStats>,
    personas: Vec<RawPrototype>,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct RawPrototype {
    numeric: Vec<f64>,
    categorical: Vec<String>,
}

#[cfg(feature = "serde")]
impl From<PersonaModel> for RawModel {
    fn from(m: PersonaModel) -> RawModel {
        let p = m.base.numeric.len();
        let q = m.base.categorical.len();
        let personas = (0..m.k)
            .map(|j| RawPrototype {
                numeric: m.centers[j * p..(j + 1) * p].to_vec(),
                categorical: (0..q)
                    .map(|c| m.base.categorical[c].values[m.modes[j * q + c] as usize].clone())
                    .collect(),
            })
            .collect();
        RawModel {
            gamma: m.base.gamma,
            numeric: m.base.numeric,
            categorical: m.base.categorical,
            personas,
        }
    }
}

#[cfg(feature = "serde")]
impl TryFrom<RawModel> for PersonaModel {
    type Error = Error;
    fn try_from(raw: RawModel) -> Result<PersonaModel> {
        let bad = |m: &dyn fmt::Display| {
            Error::new(ErrorKind::InvalidInput, format_args!("persona model: {m}"))
        };
        if !raw.gamma.is_finite() || raw.gamma < 0.0 {
            return Err(bad(&format_args!(
                "gamma {} must be finite and non-negative",
                raw.gamma
            )));
        }
        let mut names = std::collections::BTreeSet::new();
        for s in &raw.numeric {
            if !names.insert(s.name.as_str()) {
                return Err(bad(&format_args!("column {:?} is given twice", s.name)));
            }
            if !s.mean.is_finite() || !s.std.is_finite() || s.std < 0.0 {
                return Err(bad(&format_args!(
                    "column {:?} has a non-finite mean or an invalid standard deviation",
                    s.name
                )));
            }
        }
        let mut categorical = raw.categorical;
        for s in &mut categorical {
            if !names.insert(s.name.as_str()) {
                return Err(bad(&format_args!("column {:?} is given twice", s.name)));
            }
            if s.values.is_empty()
                || s.values.len() > MAX_CATEGORIES
                || s.values.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(bad(&format_args!(
                    "column {:?} needs 1 to {MAX_CATEGORIES} distinct values in byte order",
                    s.name
                )));
            }
            s.mode_code = code_of(&s.values, &s.mode).ok_or_else(|| {
                bad(&format_args!(
                    "mode {:?} is not a value of column {:?}",
                    s.mode, s.name
                ))
            })?;
        }
        if names.is_empty() || names.len() > MAX_COLUMNS {
            return Err(bad(&format_args!("needs 1 to {MAX_COLUMNS} columns")));
        }
        let k = raw.personas.len();
        if !(1..=MAX_K).contains(&k) {
            return Err(bad(&format_args!("needs 1 to {MAX_K} personas, has {k}")));
        }
        let (p, q) = (raw.numeric.len(), categorical.len());
        let mut centers = Vec::with_capacity(k * p);
        let mut modes = Vec::with_capacity(k * q);
        for (j, proto) in raw.personas.iter().enumerate() {
            if proto.numeric.len() != p
                || proto.categorical.len() != q
                || proto.numeric.iter().any(|v| !v.is_finite())
            {
                return Err(bad(&format_args!(
                    "persona {j} needs {p} finite numeric and {q} categorical values"
                )));
            }
            centers.extend_from_slice(&proto.numeric);
            for (c, v) in proto.categorical.iter().enumerate() {
                modes.push(code_of(&categorical[c].values, v).ok_or_else(|| {
                    bad(&format_args!(
                        "persona {j}: {v:?} is not a value of column {:?}",
                        categorical[c].name
                    ))
                })?);
            }
        }
        Ok(PersonaModel {
            base: ModelBase {
                numeric: raw.numeric,
                categorical,
                gamma: raw.gamma,
            },
            k,
            centers,
            modes,
        })
    }
}

fn code_of(values: &[String], v: &str) -> Option<u32> {
    values
        .binary_search_by(|x| x.as_str().cmp(v))
        .ok()
        .and_then(|i| u32::try_from(i).ok())
}

impl PersonaModel {
    /// Returns the number of personas.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Returns the weight of one categorical mismatch.
    pub fn gamma(&self) -> f64 {
        self.base.gamma
    }

    /// Returns the algorithm, read from the kinds of columns.
    pub fn method(&self) -> Method {
        match (
            self.base.numeric.is_empty(),
            self.base.categorical.is_empty(),
        ) {
            (false, true) => Method::KMeans,
            (true, false) => Method::KModes,
            _ => Method::KPrototypes,
        }
    }

    /// Puts each row of `data` into the persona with the nearest prototype
    /// (ties: the smaller prototype, as in fitting). Columns are matched by name and kind, in
    /// any order. A missing value takes the fitted column's mean or mode
    /// (counted in [`Assignment::imputed`]); a categorical value the fit
    /// never saw matches no prototype (counted in [`Assignment::unknown`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `data` lacks a fitted column, has one
    /// the model does not know, or has one of the other kind.
    pub fn assign<K>(&self, data: &PersonaData<K>) -> Result<Assignment> {
        let known = |name: &str| {
            self.base.numeric.iter().any(|s| s.name == name)
                || self.base.categorical.iter().any(|s| s.name == name)
        };
        for name in data
            .numeric
            .iter()
            .map(|c| &c.name)
            .chain(data.categorical.iter().map(|c| &c.name))
        {
            if !known(name) {
                return Err(invalid_input(format_args!(
                    "column {name:?} is not a column of the persona model"
                )));
            }
        }
        let mut imputed = Vec::new();
        let mut unknown = 0;
        for s in &self.base.numeric {
            let c = data
                .numeric
                .iter()
                .find(|c| c.name == s.name)
                .ok_or_else(|| missing_column(&s.name, "numeric"))?;
            imputed.push(Imputed {
                column: s.name.clone(),
                count: c.missing,
            });
        }
        for s in &self.base.categorical {
            let c = data
                .categorical
                .iter()
                .find(|c| c.name == s.name)
                .ok_or_else(|| missing_column(&s.name, "categorical"))?;
            imputed.push(Imputed {
                column: s.name.clone(),
                count: c.missing,
            });
            let unseen: Vec<bool> = c
                .levels
                .iter()
                .map(|l| code_of(&s.values, l).is_none())
                .collect();
            unknown += c
                .codes
                .iter()
                .filter(|&&code| code != MISSING && unseen[code as usize])
                .count();
        }
        let prepared = Prepared::from_data(&self.base, data, Imputation::Model);
        let protos = Protos {
            k: self.k,
            centers: self.centers.clone(),
            modes: self.modes.clone(),
        };
        let mut labels = vec![0u32; prepared.n];
        assign_pass(&prepared, &protos, &mut labels);
        Ok(Assignment {
            personas: labels.into_iter().map(|l| l as usize).collect(),
            imputed,
            unknown,
        })
    }
}

#[cold]
fn missing_column(name: &str, kind: &str) -> Error {
    invalid_input(format_args!(
        "the persona model needs the {kind} column {name:?}"
    ))
}

/// The personas of new rows, from [`PersonaModel::assign`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    personas: Vec<usize>,
    imputed: Vec<Imputed>,
    unknown: usize,
}

impl Assignment {
    /// Returns the persona of each row, in row order.
    pub fn personas(&self) -> &[usize] {
        &self.personas
    }

    /// Returns how many missing values each column had imputed.
    pub fn imputed(&self) -> &[Imputed] {
        &self.imputed
    }

    /// Returns how many categorical values the fit never saw.
    pub fn unknown(&self) -> usize {
        self.unknown
    }
}

/// How many missing values of one column were imputed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Imputed {
    column: String,
    count: usize,
}

impl Imputed {
    /// Returns the column's name.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Returns how many values were missing and imputed.
    pub fn count(&self) -> usize {
        self.count
    }
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

/// The silhouette score of one `k` tried.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KScore {
    k: usize,
    silhouette: Option<f64>,
}

impl KScore {
    /// Returns the number of personas.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Returns the mean silhouette, in `-1..=1`; `None` when the rows have
    /// fewer than `k` distinct values, so `k` could not be fitted.
    pub fn silhouette(&self) -> Option<f64> {
        self.silhouette
    }
}

/// Personas found by [`PersonaParams::fit`]: the model, each row's persona,
/// the descriptions and how the fit went.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonaReport {
    model: PersonaModel,
    assignments: Vec<usize>,
    personas: Vec<Persona>,
    k_scores: Vec<KScore>,
    silhouette_rows: usize,
    selection_rows: usize,
    iterations: usize,
    hit_iteration_cap: bool,
    imputed: Vec<Imputed>,
}

impl PersonaReport {
    /// Returns the fitted model, for [assigning](PersonaModel::assign) new rows.
    pub fn model(&self) -> &PersonaModel {
        &self.model
    }

    /// Returns the chosen number of personas.
    pub fn k(&self) -> usize {
        self.model.k
    }

    /// Returns the persona of each row of the data, in row order (the
    /// order of [`PersonaData::keys`]).
    pub fn assignments(&self) -> &[usize] {
        &self.assignments
    }

    /// Returns the personas, largest first; persona `i` is `personas()[i]`.
    pub fn personas(&self) -> &[Persona] {
        &self.personas
    }

    /// Returns the silhouette of every `k` tried, in increasing `k`.
    pub fn k_scores(&self) -> &[KScore] {
        &self.k_scores
    }

    /// Returns the silhouette of the chosen `k`.
    pub fn silhouette(&self) -> Option<f64> {
        self.k_scores
            .iter()
            .find(|s| s.k == self.model.k)
            .and_then(|s| s.silhouette)
    }

    /// Returns how many rows each silhouette was computed on (at most
    /// [`SILHOUETTE_ROWS`]).
    pub fn silhouette_rows(&self) -> usize {
        self.silhouette_rows
    }

    /// Returns how many rows the restarts and candidate `k`s were fitted on
    /// (at most [`PersonaParams::selection_rows`]).
    pub fn selection_rows(&self) -> usize {
        self.selection_rows
    }

    /// Returns the assign-and-update rounds of the final fit: the best
    /// restart, or its refinement on every row when the restarts ran on a
    /// sample.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Returns `true` when the final fit (see [`iterations`](Self::iterations)) stopped at
    /// [`PersonaParams::max_iterations`] with rows still changing persona.
    pub fn hit_iteration_cap(&self) -> bool {
        self.hit_iteration_cap
    }

    /// Returns how many missing values of each column were imputed,
    /// numeric columns first, each kind in the order given.
    pub fn imputed(&self) -> &[Imputed] {
        &self.imputed
    }
}

/// One persona: its size, its distinguishing features and a short label.
#[derive(Clone, Debug, PartialEq)]
pub struct Persona {
    id: usize,
    size: usize,
    share: f64,
    features: Vec<Feature>,
    label: String,
}

impl Persona {
    /// Returns the persona's number, its index in [`PersonaReport::personas`].
    pub fn id(&self) -> usize {
        self.id
    }

    /// Returns the number of rows in the persona.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Returns the persona's share of all rows, in `0..=1`.
    pub fn share(&self) -> f64 {
        self.share
    }

    /// Returns the features, most distinguishing (largest absolute effect)
    /// first; ties in column name order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Returns the short label, such as `high monetary, country=PT`.
    pub fn label(&self) -> &str {
        &self.label
    }
}

impl fmt::Display for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// How one column sets a persona apart from the whole population.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Feature {
    /// A numeric column's mean.
    Numeric(NumericFeature),
    /// A categorical column's most over-represented value.
    Categorical(CategoricalFeature),
}

impl Feature {
    /// Returns the column's name.
    pub fn column(&self) -> &str {
        match self {
            Feature::Numeric(f) => &f.column,
            Feature::Categorical(f) => &f.column,
        }
    }

    /// Returns the effect: the difference between persona and population,
    /// in population standard deviations (see the [module docs](self)).
    pub fn effect(&self) -> f64 {
        match self {
            Feature::Numeric(f) => f.effect,
            Feature::Categorical(f) => f.effect,
        }
    }
}

/// A numeric column's mean in a persona against its overall mean.
#[derive(Clone, Debug, PartialEq)]
pub struct NumericFeature {
    column: String,
    mean: f64,
    overall_mean: f64,
    effect: f64,
}

impl NumericFeature {
    /// Returns the column's name.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Returns the effect, `(mean − overall mean) / overall standard deviation`.
    pub fn effect(&self) -> f64 {
        self.effect
    }

    /// Returns the mean of the persona's observed values, in the column's units.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Returns the mean of all observed values.
    pub fn overall_mean(&self) -> f64 {
        self.overall_mean
    }
}

/// A categorical value's share in a persona against its overall share.
#[derive(Clone, Debug, PartialEq)]
pub struct CategoricalFeature {
    column: String,
    value: String,
    share: f64,
    overall_share: f64,
    effect: f64,
}

impl CategoricalFeature {
    /// Returns the column's name.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Returns the effect, `(share − overall share) / √(overall share · (1 − overall share))`.
    pub fn effect(&self) -> f64 {
        self.effect
    }

    /// Returns the value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Returns the value's share of the persona's observed values.
    pub fn share(&self) -> f64 {
        self.share
    }

    /// Returns the value's share of all observed values.
    pub fn overall_share(&self) -> f64 {
        self.overall_share
    }

    /// Returns the lift, `share / overall_share`.
    pub fn lift(&self) -> f64 {
        self.share / self.overall_share
    }
}

// ---------------------------------------------------------------------------
// Prepared rows and the algorithm
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Imputation {
    /// Codes are the data's own (the fit's levels).
    Fit,
    /// Codes are mapped to the model's levels; unseen ones become `UNKNOWN`.
    Model,
}

/// Rows ready for the algorithm: standardised numeric values (missing = 0,
/// the mean) and categorical codes (missing = the mode), row-major.
struct Prepared {
    n: usize,
    p: usize,
    q: usize,
    num: Vec<f64>,
    cat: Vec<u32>,
    gamma: f64,
}

impl Prepared {
    fn from_data<K>(base: &ModelBase, data: &PersonaData<K>, how: Imputation) -> Prepared {
        let n = data.len();
        let (p, q) = (base.numeric.len(), base.categorical.len());
        let mut num = vec![0.0; n * p];
        for (j, s) in base.numeric.iter().enumerate() {
            let Some(c) = data.numeric.iter().find(|c| c.name == s.name) else {
                continue;
            };
            for (i, &v) in c.values.iter().enumerate() {
                num[i * p + j] = if v.is_nan() { 0.0 } else { standardise(v, s) };
            }
        }
        let mut cat = vec![0u32; n * q];
        for (j, s) in base.categorical.iter().enumerate() {
            let Some(c) = data.categorical.iter().find(|c| c.name == s.name) else {
                continue;
            };
            let map: Vec<u32> = match how {
                Imputation::Fit => (0..c.levels.len() as u32).collect(),
                Imputation::Model => c
                    .levels
                    .iter()
                    .map(|l| code_of(&s.values, l).unwrap_or(UNKNOWN))
                    .collect(),
            };
            for (i, &code) in c.codes.iter().enumerate() {
                cat[i * q + j] = if code == MISSING {
                    s.mode_code
                } else {
                    map[code as usize]
                };
            }
        }
        Prepared {
            n,
            p,
            q,
            num,
            cat,
            gamma: base.gamma,
        }
    }

    fn subset(&self, rows: &[usize]) -> Prepared {
        let (p, q) = (self.p, self.q);
        let mut num = Vec::with_capacity(rows.len() * p);
        let mut cat = Vec::with_capacity(rows.len() * q);
        for &i in rows {
            num.extend_from_slice(&self.num[i * p..(i + 1) * p]);
            cat.extend_from_slice(&self.cat[i * q..(i + 1) * q]);
        }
        Prepared {
            n: rows.len(),
            p,
            q,
            num,
            cat,
            gamma: self.gamma,
        }
    }

    fn num_row(&self, i: usize) -> &[f64] {
        &self.num[i * self.p..(i + 1) * self.p]
    }

    fn cat_row(&self, i: usize) -> &[u32] {
        &self.cat[i * self.q..(i + 1) * self.q]
    }

    /// The k-prototypes dissimilarity of rows `i` and `j`.
    fn row_dissimilarity(&self, i: usize, j: usize) -> f64 {
        dissimilarity(
            self.num_row(i),
            self.cat_row(i),
            self.num_row(j),
            self.cat_row(j),
            self.gamma,
        )
    }
}

/// Squared Euclidean distance plus `gamma` per categorical mismatch
/// (Huang 1998, eq. 9).
fn dissimilarity(xn: &[f64], xc: &[u32], cn: &[f64], cc: &[u32], gamma: f64) -> f64 {
    let sq: f64 = xn.iter().zip(cn).map(|(a, b)| (a - b) * (a - b)).sum();
    let mismatches = xc.iter().zip(cc).filter(|(a, b)| a != b).count();
    sq + gamma * mismatches as f64
}

struct Protos {
    k: usize,
    centers: Vec<f64>,
    modes: Vec<u32>,
}

impl Protos {
    fn nearest(&self, data: &Prepared, i: usize) -> (u32, f64) {
        let (xn, xc) = (data.num_row(i), data.cat_row(i));
        let (p, q) = (data.p, data.q);
        let mut best = (0u32, f64::INFINITY);
        for j in 0..self.k {
            let d = dissimilarity(
                xn,
                xc,
                &self.centers[j * p..(j + 1) * p],
                &self.modes[j * q..(j + 1) * q],
                data.gamma,
            );
            // A tie goes to the smaller prototype, not the lower index, so
            // that numbering personas by size cannot change the assignment.
            if d < best.1 || (d == best.1 && self.precedes(j, best.0 as usize, p, q)) {
                best = (j as u32, d);
            }
        }
        best
    }
}

impl Protos {
    /// [`Protos::nearest`], with the smallest dissimilarity to any other
    /// prototype (infinite when `k = 1`).
    fn nearest_two(&self, data: &Prepared, i: usize) -> (u32, f64, f64) {
        let (xn, xc) = (data.num_row(i), data.cat_row(i));
        let (p, q) = (data.p, data.q);
        let mut best = (0u32, f64::INFINITY);
        let mut second = f64::INFINITY;
        for j in 0..self.k {
            let d = dissimilarity(
                xn,
                xc,
                &self.centers[j * p..(j + 1) * p],
                &self.modes[j * q..(j + 1) * q],
                data.gamma,
            );
            // The same choice as `nearest`; every value not chosen, or
            // chosen and then displaced, is a candidate runner-up.
            if d < best.1 || (d == best.1 && self.precedes(j, best.0 as usize, p, q)) {
                second = second.min(best.1);
                best = (j as u32, d);
            } else {
                second = second.min(d);
            }
        }
        (best.0, best.1, second)
    }

    /// Whether prototype `a` sorts before `b`: numeric centres by total
    /// order, then modes, then index.
    fn precedes(&self, a: usize, b: usize, p: usize, q: usize) -> bool {
        let (ca, cb) = (
            &self.centers[a * p..(a + 1) * p],
            &self.centers[b * p..(b + 1) * p],
        );
        let by_centre = ca
            .iter()
            .zip(cb)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal);
        by_centre
            .then_with(|| self.modes[a * q..(a + 1) * q].cmp(&self.modes[b * q..(b + 1) * q]))
            .then(a.cmp(&b))
            .is_lt()
    }
}

struct Run {
    labels: Vec<u32>,
    protos: Protos,
    cost: f64,
    iterations: usize,
    hit_cap: bool,
}

/// Sums of one block of rows, per persona.
struct Partial {
    cost: f64,
    changed: usize,
    counts: Vec<u64>,
    sums: Vec<f64>,
    /// Per persona, per categorical column, counts per level (offsets in
    /// `Layout`); empty when not accumulating.
    levels: Vec<u64>,
}

/// Per-column offsets of the level counts, and their total width.
fn level_layout(data: &Prepared) -> (Vec<usize>, usize) {
    let mut max = vec![0usize; data.q];
    for row in data.cat.chunks_exact(data.q.max(1)) {
        for (m, &c) in max.iter_mut().zip(row) {
            *m = (*m).max(c as usize + 1);
        }
    }
    let mut offsets = Vec::with_capacity(data.q);
    let mut width = 0;
    for m in max {
        offsets.push(width);
        width += m;
    }
    (offsets, width)
}

/// Assigns every row to its nearest prototype, recording labels.
fn assign_pass(data: &Prepared, protos: &Protos, labels: &mut [u32]) {
    let block = |start: usize, labels: &mut [u32]| {
        for (o, l) in labels.iter_mut().enumerate() {
            *l = protos.nearest(data, start + o).0;
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        labels
            .par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, l)| block(b * BLOCK, l));
    }
    #[cfg(not(feature = "rayon"))]
    {
        labels
            .chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, l)| block(b * BLOCK, l));
    }
}

/// Relative slack of the bounds of [`fit_pass`]: far above the rounding
/// error of a dissimilarity (about `(columns + 2) · 2⁻⁵³` relative), far
/// below the gaps between prototypes that let a row be skipped.
const BOUND_SLACK: f64 = 1e-9;

/// The state of one row across the iterations of [`lloyd`]: its persona
/// (`u32::MAX` before the first pass), its dissimilarity to that persona's
/// prototype, and a lower bound on the distance (`√dissimilarity`) to
/// every other prototype.
struct Rows<'a> {
    labels: &'a mut [u32],
    dists: &'a mut [f64],
    lower: &'a mut [f64],
}

/// One assignment pass of [`lloyd`]: every row goes to its nearest
/// prototype, and its values are summed per persona, block by block in
/// row order.
///
/// `√dissimilarity` is a metric (the Euclidean norm of a Euclidean and a
/// `√(γ · Hamming)` part), so a prototype that moved by `δ` is at most `δ`
/// nearer to any row (Hamerly 2010, *Making k-means even faster*). `drift`
/// holds, per persona, the largest move of any other prototype since the
/// last pass; a row whose own prototype is nearer than its lowered bound,
/// with [`BOUND_SLACK`] to spare, keeps its persona without the other
/// dissimilarities being computed. The choice is then the one a full
/// search makes, with the same dissimilarity, so the result is identical.
fn fit_pass(
    data: &Prepared,
    protos: &Protos,
    rows: Rows<'_>,
    drift: &[f64],
    (offsets, width): (&[usize], usize),
) -> Vec<Partial> {
    let (k, p, q) = (protos.k, data.p, data.q);
    // Compared squared: `√own · (1 + slack) < low` for a positive `low`.
    let widen = (1.0 + BOUND_SLACK) * (1.0 + BOUND_SLACK);
    let block = |start: usize, labels: &mut [u32], dists: &mut [f64], lower: &mut [f64]| {
        let mut part = Partial {
            cost: 0.0,
            changed: 0,
            counts: vec![0; k],
            sums: vec![0.0; k * p],
            levels: vec![0; k * width],
        };
        for (o, ((l, d), low)) in labels
            .iter_mut()
            .zip(dists.iter_mut())
            .zip(lower.iter_mut())
            .enumerate()
        {
            let i = start + o;
            let mut kept = None;
            if *l != u32::MAX {
                let a = *l as usize;
                *low -= drift[a];
                let own = dissimilarity(
                    data.num_row(i),
                    data.cat_row(i),
                    &protos.centers[a * p..(a + 1) * p],
                    &protos.modes[a * q..(a + 1) * q],
                    data.gamma,
                );
                if *low > 0.0 && own * widen < *low * *low {
                    kept = Some((*l, own));
                }
            }
            let (j, dist) = kept.unwrap_or_else(|| {
                let (j, dist, second) = protos.nearest_two(data, i);
                *low = second.sqrt() * (1.0 - BOUND_SLACK);
                (j, dist)
            });
            if *l != j {
                part.changed += 1;
                *l = j;
            }
            *d = dist;
            part.cost += dist;
            let j = j as usize;
            part.counts[j] += 1;
            for (s, x) in part.sums[j * p..(j + 1) * p]
                .iter_mut()
                .zip(data.num_row(i))
            {
                *s += x;
            }
            for (c, &code) in data.cat_row(i).iter().enumerate() {
                part.levels[j * width + offsets[c] + code as usize] += 1;
            }
        }
        part
    };
    let Rows {
        labels,
        dists,
        lower,
    } = rows;
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        labels
            .par_chunks_mut(BLOCK)
            .zip(dists.par_chunks_mut(BLOCK))
            .zip(lower.par_chunks_mut(BLOCK))
            .enumerate()
            .map(|(b, ((l, d), low))| block(b * BLOCK, l, d, low))
            .collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        labels
            .chunks_mut(BLOCK)
            .zip(dists.chunks_mut(BLOCK))
            .zip(lower.chunks_mut(BLOCK))
            .enumerate()
            .map(|(b, ((l, d), low))| block(b * BLOCK, l, d, low))
            .collect()
    }
}

/// Per persona, the largest distance (`√dissimilarity`, widened by
/// [`BOUND_SLACK`]) any *other* prototype moved from `old` to `new`.
fn drifts(data: &Prepared, old: &Protos, new: &Protos) -> Vec<f64> {
    let (p, q) = (data.p, data.q);
    let moved: Vec<f64> = (0..new.k)
        .map(|j| {
            let d = dissimilarity(
                &old.centers[j * p..(j + 1) * p],
                &old.modes[j * q..(j + 1) * q],
                &new.centers[j * p..(j + 1) * p],
                &new.modes[j * q..(j + 1) * q],
                data.gamma,
            );
            d.sqrt() * (1.0 + BOUND_SLACK)
        })
        .collect();
    (0..new.k)
        .map(|j| {
            moved
                .iter()
                .enumerate()
                .filter(|&(m, _)| m != j)
                .fold(0.0, |a: f64, (_, &d)| a.max(d))
        })
        .collect()
}

/// Lloyd-style batch iterations of k-prototypes (Huang 1998, section 3,
/// with batch updates): assign, then move each prototype to the mean and
/// modes of its rows, until no row changes or `max_iterations`.
fn lloyd(data: &Prepared, mut protos: Protos, max_iterations: usize) -> Run {
    let n = data.n;
    let (k, p, q) = (protos.k, data.p, data.q);
    // u32::MAX is no persona, so the first pass counts every row as changed.
    let mut labels = vec![u32::MAX; n];
    let mut dists = vec![0.0; n];
    let mut lower = vec![f64::NEG_INFINITY; n];
    let mut drift = vec![0.0; k];
    let mut iterations = 0;
    let (offsets, width) = level_layout(data);
    loop {
        let rows = Rows {
            labels: &mut labels,
            dists: &mut dists,
            lower: &mut lower,
        };
        let parts = fit_pass(data, &protos, rows, &drift, (&offsets, width));
        let mut cost = 0.0;
        let mut changed = 0;
        let mut counts = vec![0u64; k];
        let mut sums = vec![0.0; k * p];
        let mut levels = vec![0u64; k * width];
        for part in &parts {
            cost += part.cost;
            changed += part.changed;
            for (a, b) in counts.iter_mut().zip(&part.counts) {
                *a += b;
            }
            for (a, b) in sums.iter_mut().zip(&part.sums) {
                *a += b;
            }
            for (a, b) in levels.iter_mut().zip(&part.levels) {
                *a += b;
            }
        }
        if changed == 0 {
            return Run {
                labels,
                protos,
                cost,
                iterations,
                hit_cap: false,
            };
        }
        if iterations == max_iterations {
            return Run {
                labels,
                protos,
                cost,
                iterations,
                hit_cap: true,
            };
        }
        iterations += 1;
        // A persona left empty takes the row farthest from its prototype,
        // among personas of two or more rows (ties: the first row).
        for e in 0..k {
            if counts[e] > 0 {
                continue;
            }
            let mut far: Option<usize> = None;
            for i in 0..n {
                let l = labels[i] as usize;
                if counts[l] > 1 && far.is_none_or(|f| dists[i] > dists[f]) {
                    far = Some(i);
                }
            }
            let Some(i) = far else { break };
            let from = labels[i] as usize;
            counts[from] -= 1;
            counts[e] = 1;
            for c in 0..p {
                let x = data.num[i * p + c];
                sums[from * p + c] -= x;
                sums[e * p + c] = x;
            }
            for c in 0..q {
                let code = data.cat[i * q + c] as usize;
                levels[from * width + offsets[c] + code] -= 1;
                levels[e * width + offsets[c] + code] += 1;
            }
            labels[i] = e as u32;
            dists[i] = 0.0;
            // Its bound was for its old persona: search in full next time.
            lower[i] = f64::NEG_INFINITY;
        }
        let old = Protos {
            k,
            centers: protos.centers.clone(),
            modes: protos.modes.clone(),
        };
        for j in 0..k {
            if counts[j] == 0 {
                continue;
            }
            let inv = 1.0 / counts[j] as f64;
            for c in 0..p {
                protos.centers[j * p + c] = sums[j * p + c] * inv;
            }
            for c in 0..q {
                let start = j * width + offsets[c];
                let end = if c + 1 < q {
                    j * width + offsets[c + 1]
                } else {
                    (j + 1) * width
                };
                protos.modes[j * q + c] = argmax_first(&levels[start..end]);
            }
        }
        drift = drifts(data, &old, &protos);
    }
}

/// Seeded k-means++ (Arthur and Vassilvitskii 2007) with the
/// k-prototypes dissimilarity; `None` when fewer than `k` rows differ.
fn kmeans_pp(data: &Prepared, k: usize, rng: &mut Rng) -> Option<Protos> {
    let (n, p, q) = (data.n, data.p, data.q);
    let mut chosen = Vec::with_capacity(k);
    chosen.push(rng.below(n));
    let mut d2 = vec![f64::INFINITY; n];
    while chosen.len() < k {
        let c = *chosen.last().expect("OK because one row is chosen first");
        let update = |start: usize, d: &mut [f64]| -> f64 {
            let mut total = 0.0;
            for (o, x) in d.iter_mut().enumerate() {
                let v = data.row_dissimilarity(start + o, c);
                if v < *x {
                    *x = v;
                }
                total += *x;
            }
            total
        };
        #[cfg(feature = "rayon")]
        let totals: Vec<f64> = {
            use rayon::prelude::*;
            d2.par_chunks_mut(BLOCK)
                .enumerate()
                .map(|(b, d)| update(b * BLOCK, d))
                .collect()
        };
        #[cfg(not(feature = "rayon"))]
        let totals: Vec<f64> = d2
            .chunks_mut(BLOCK)
            .enumerate()
            .map(|(b, d)| update(b * BLOCK, d))
            .collect();
        let total: f64 = totals.iter().sum();
        if total.is_nan() || total <= 0.0 || total.is_infinite() {
            return None;
        }
        // Pick a row with probability proportional to d2: find the block,
        // then the row inside it.
        let mut r = rng.unit() * total;
        let mut pick = None;
        for (b, &t) in totals.iter().enumerate() {
            if r < t {
                let start = b * BLOCK;
                for (o, &x) in d2[start..(start + BLOCK).min(n)].iter().enumerate() {
                    if r < x {
                        pick = Some(start + o);
                        break;
                    }
                    r -= x;
                }
                break;
            }
            r -= t;
        }
        // Rounding can leave r just past the end: take the last row with
        // weight.
        let pick = pick
            .filter(|&i| d2[i] > 0.0)
            .or_else(|| (0..n).rev().find(|&i| d2[i] > 0.0))?;
        chosen.push(pick);
    }
    let mut centers = Vec::with_capacity(k * p);
    let mut modes = Vec::with_capacity(k * q);
    for &i in &chosen {
        centers.extend_from_slice(data.num_row(i));
        modes.extend_from_slice(data.cat_row(i));
    }
    Some(Protos { k, centers, modes })
}

/// Mean silhouette (Rousseeuw 1987) of the rows `sample` under each of the
/// labellings `candidates`, with distance `√dissimilarity`, counting only
/// sampled rows as neighbours.
///
/// The distances between sampled rows do not depend on the labels, so each
/// is computed once and added to every candidate's sums, in the same order
/// as for one candidate alone.
fn silhouettes(data: &Prepared, candidates: &[&[u32]], sample: &[usize]) -> Vec<f64> {
    if sample.is_empty() {
        return vec![0.0; candidates.len()];
    }
    // Per candidate: its k, and where its sums start in one flat vector.
    let mut offsets = Vec::with_capacity(candidates.len() + 1);
    offsets.push(0);
    let mut sizes = Vec::new();
    for labels in candidates {
        let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(1);
        let start = sizes.len();
        sizes.resize(start + k, 0usize);
        for &i in sample {
            sizes[start + labels[i] as usize] += 1;
        }
        offsets.push(sizes.len());
    }
    let one = |&i: &usize| -> Vec<f64> {
        let mut sum = vec![0.0; sizes.len()];
        for &j in sample {
            if j != i {
                let d = data.row_dissimilarity(i, j).sqrt();
                for (labels, &start) in candidates.iter().zip(&offsets) {
                    sum[start + labels[j] as usize] += d;
                }
            }
        }
        candidates
            .iter()
            .zip(offsets.windows(2))
            .map(|(labels, w)| {
                let (sum, sizes) = (&sum[w[0]..w[1]], &sizes[w[0]..w[1]]);
                let own = labels[i] as usize;
                if sizes[own] < 2 {
                    return 0.0;
                }
                let a = sum[own] / (sizes[own] - 1) as f64;
                let b = (0..sizes.len())
                    .filter(|&c| c != own && sizes[c] > 0)
                    .map(|c| sum[c] / sizes[c] as f64)
                    .fold(f64::INFINITY, f64::min);
                if !b.is_finite() {
                    return 0.0;
                }
                let m = a.max(b);
                if m > 0.0 {
                    (b - a) / m
                } else {
                    0.0
                }
            })
            .collect()
    };
    #[cfg(feature = "rayon")]
    let scores: Vec<Vec<f64>> = {
        use rayon::prelude::*;
        sample.par_iter().map(one).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let scores: Vec<Vec<f64>> = sample.iter().map(one).collect();
    (0..candidates.len())
        .map(|c| {
            let column: Vec<f64> = scores.iter().map(|s| s[c]).collect();
            column.iter().sum::<f64>() / sample.len() as f64
        })
        .collect()
}

/// A seeded sample of at most `m` of the rows `0..n`, in increasing order
/// (all rows when `n ≤ m`).
fn sample_indices(n: usize, m: usize, rng: &mut Rng) -> Vec<usize> {
    if n <= m {
        return (0..n).collect();
    }
    // Partial Fisher–Yates over the row numbers.
    let mut rows: Vec<usize> = (0..n).collect();
    for i in 0..m {
        let j = i + rng.below(n - i);
        rows.swap(i, j);
    }
    rows.truncate(m);
    rows.sort_unstable();
    rows
}

/// Relabels personas by size (largest first), and describes them.
#[allow(clippy::too_many_arguments)] // private assembly of the report's parts
fn finish<K>(
    base: ModelBase,
    data: &PersonaData<K>,
    full: &Prepared,
    run: Run,
    imputed: Vec<Imputed>,
    k_scores: Vec<KScore>,
    silhouette_rows: usize,
    selection_rows: usize,
) -> PersonaReport {
    let k = run.protos.k;
    let (p, q) = (full.p, full.q);
    let mut sizes = vec![0usize; k];
    for &l in &run.labels {
        sizes[l as usize] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut rank = vec![0usize; k];
    for (new, &old) in order.iter().enumerate() {
        rank[old] = new;
    }
    let assignments: Vec<usize> = run.labels.iter().map(|&l| rank[l as usize]).collect();
    let mut centers = Vec::with_capacity(k * p);
    let mut modes = Vec::with_capacity(k * q);
    for &old in &order {
        centers.extend_from_slice(&run.protos.centers[old * p..(old + 1) * p]);
        modes.extend_from_slice(&run.protos.modes[old * q..(old + 1) * q]);
    }
    let sizes: Vec<usize> = order.iter().map(|&old| sizes[old]).collect();
    let personas = describe(&base, data, &assignments, &sizes);
    PersonaReport {
        model: PersonaModel {
            base,
            k,
            centers,
            modes,
        },
        assignments,
        personas,
        k_scores,
        silhouette_rows,
        selection_rows,
        iterations: run.iterations,
        hit_iteration_cap: run.hit_cap,
        imputed,
    }
}

/// Feature effects of each persona on the observed values.
fn describe<K>(
    base: &ModelBase,
    data: &PersonaData<K>,
    assignments: &[usize],
    sizes: &[usize],
) -> Vec<Persona> {
    let k = sizes.len();
    let n = assignments.len();
    let mut features: Vec<Vec<Feature>> = vec![Vec::new(); k];
    for (s, c) in base.numeric.iter().zip(&data.numeric) {
        // Means of standard scores: the effect directly, and the mean in
        // the column's units without overflow.
        let mut sum = vec![0.0; k];
        let mut count = vec![0usize; k];
        for (&v, &j) in c.values.iter().zip(assignments) {
            if !v.is_nan() {
                sum[j] += standardise(v, s);
                count[j] += 1;
            }
        }
        for j in 0..k {
            if count[j] == 0 {
                continue;
            }
            let effect = sum[j] / count[j] as f64;
            features[j].push(Feature::Numeric(NumericFeature {
                column: s.name.clone(),
                mean: s.mean + effect * s.std,
                overall_mean: s.mean,
                effect,
            }));
        }
    }
    for c in &data.categorical {
        let v = c.levels.len();
        let mut counts = vec![0u64; k * v];
        let mut totals = vec![0u64; v];
        let mut observed = vec![0u64; k];
        for (&code, &j) in c.codes.iter().zip(assignments) {
            if code != MISSING {
                counts[j * v + code as usize] += 1;
                totals[code as usize] += 1;
                observed[j] += 1;
            }
        }
        let all: u64 = totals.iter().sum();
        for j in 0..k {
            if observed[j] == 0 {
                continue;
            }
            let mut best: Option<CategoricalFeature> = None;
            for l in 0..v {
                let inside = counts[j * v + l];
                if inside == 0 {
                    continue;
                }
                let share = inside as f64 / observed[j] as f64;
                let overall = totals[l] as f64 / all as f64;
                let spread = (overall * (1.0 - overall)).sqrt();
                let effect = if spread > 0.0 {
                    (share - overall) / spread
                } else {
                    0.0
                };
                if best.as_ref().is_none_or(|b| effect > b.effect) {
                    best = Some(CategoricalFeature {
                        column: c.name.clone(),
                        value: c.levels[l].clone(),
                        share,
                        overall_share: overall,
                        effect,
                    });
                }
            }
            if let Some(b) = best {
                features[j].push(Feature::Categorical(b));
            }
        }
    }
    features
        .into_iter()
        .enumerate()
        .map(|(id, mut features)| {
            features.sort_by(|a, b| {
                b.effect()
                    .abs()
                    .total_cmp(&a.effect().abs())
                    .then_with(|| a.column().cmp(b.column()))
            });
            let parts: Vec<String> = features
                .iter()
                .filter(|f| f.effect().abs() >= LABEL_EFFECT)
                .filter_map(|f| match f {
                    Feature::Numeric(f) if f.effect > 0.0 => Some(format!("high {}", f.column)),
                    Feature::Numeric(f) => Some(format!("low {}", f.column)),
                    Feature::Categorical(f) if f.effect > 0.0 => {
                        Some(format!("{}={}", f.column, f.value))
                    }
                    Feature::Categorical(_) => None,
                })
                .take(3)
                .collect();
            let label = if parts.is_empty() {
                "typical".to_owned()
            } else {
                parts.join(", ")
            };
            Persona {
                id,
                size: sizes[id],
                share: if n > 0 {
                    sizes[id] as f64 / n as f64
                } else {
                    0.0
                },
                features,
                label,
            }
        })
        .collect()
}

/// SplitMix64 (Steele, Lea and Flood 2014): small, fast and the same on
/// every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by Lemire's multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `[0, 1)` with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A table of `xs.len()` rows with numeric columns `names` (values by
    /// row) and no categorical columns.
    fn numeric_table(names: &[&str], rows: &[Vec<f64>]) -> PersonaData<usize> {
        let mut data = PersonaData::new((0..rows.len()).collect::<Vec<_>>());
        for (c, name) in names.iter().enumerate() {
            let col: Vec<Option<f64>> = rows.iter().map(|r| Some(r[c])).collect();
            data = data.numeric(name, &col).unwrap();
        }
        data
    }

    /// Deterministic jitter in `-0.5..0.5`.
    fn jitter(i: usize, salt: u64) -> f64 {
        let mut rng = super::Rng::new(i as u64 * 31 + salt);
        rng.unit() - 0.5
    }

    /// `per` points around each centre, jittered by `spread`.
    fn blobs(centres: &[(f64, f64)], per: usize, spread: f64) -> Vec<Vec<f64>> {
        let mut rows = Vec::new();
        for (c, &(x, y)) in centres.iter().enumerate() {
            for i in 0..per {
                let id = c * per + i;
                rows.push(vec![x + spread * jitter(id, 1), y + spread * jitter(id, 2)]);
            }
        }
        rows
    }

    fn same_partition(a: &[usize], b: &[usize]) -> bool {
        a.len() == b.len()
            && (0..a.len()).all(|i| (0..a.len()).all(|j| (a[i] == a[j]) == (b[i] == b[j])))
    }

    fn err_kind<T: fmt::Debug>(r: Result<T>) -> ErrorKind {
        r.unwrap_err().kind()
    }

    #[test]
    fn two_obvious_groups_are_found() {
        // Rows 0-3 near 1, rows 4-7 near 10: the only sensible split.
        let xs = [1.0, 2.0, 1.5, 2.5, 10.0, 11.0, 10.5, 11.5];
        let rows: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
        let report = PersonaParams::default()
            .k(2)
            .fit(&numeric_table(&["x"], &rows))
            .unwrap();
        let a = report.assignments();
        assert!(a[..4].iter().all(|&p| p == a[0]));
        assert!(a[4..].iter().all(|&p| p == a[4]));
        assert_ne!(a[0], a[4]);
        assert!(!report.hit_iteration_cap());
        assert_eq!(report.model().method(), Method::KMeans);
        // Hand-computed: mean 6.25, population sd 4.5069; persona means
        // 1.75 and 10.75, so effects ∓0.9985.
        let low = &report.personas()[a[0]];
        let Feature::Numeric(f) = &low.features()[0] else {
            panic!("numeric feature expected")
        };
        approx::assert_relative_eq!(f.mean(), 1.75, epsilon = 1e-12);
        approx::assert_relative_eq!(f.overall_mean(), 6.25, epsilon = 1e-12);
        let sd = (xs.iter().map(|x| (x - 6.25) * (x - 6.25)).sum::<f64>() / 8.0).sqrt();
        approx::assert_relative_eq!(f.effect(), (1.75 - 6.25) / sd, epsilon = 1e-12);
        assert_eq!(low.label(), "low x");
        assert_eq!((low.size(), low.share()), (4, 0.5));
    }

    #[test]
    fn k_two_is_chosen_on_two_separated_blobs() {
        let rows = blobs(&[(0.0, 0.0), (10.0, 10.0)], 40, 1.0);
        let report = PersonaParams::default()
            .fit(&numeric_table(&["x", "y"], &rows))
            .unwrap();
        assert_eq!(report.k(), 2);
        let ks: Vec<usize> = report.k_scores().iter().map(KScore::k).collect();
        assert_eq!(ks, (2..=8).collect::<Vec<_>>());
        let best = report.silhouette().unwrap();
        assert!(best > 0.8, "silhouette {best}");
        for s in report.k_scores() {
            assert!(s.silhouette().unwrap() <= best);
        }
        assert!(same_partition(
            report.assignments(),
            &(0..80).map(|i| i / 40).collect::<Vec<_>>()
        ));
    }

    #[test]
    fn k_three_is_chosen_on_three_separated_blobs() {
        let rows = blobs(&[(0.0, 0.0), (10.0, 0.0), (5.0, 9.0)], 30, 1.0);
        let report = PersonaParams::default()
            .fit(&numeric_table(&["x", "y"], &rows))
            .unwrap();
        assert_eq!(report.k(), 3);
        assert!(same_partition(
            report.assignments(),
            &(0..90).map(|i| i / 30).collect::<Vec<_>>()
        ));
    }

    #[test]
    fn the_separating_feature_is_ranked_first() {
        // `spend` splits the rows; `age` and `channel` are spread alike in
        // both groups.
        let n = 40;
        let spend: Vec<Option<f64>> = (0..n)
            .map(|i| Some(if i % 2 == 0 { 50.0 } else { 900.0 } + jitter(i, 3)))
            .collect();
        let age: Vec<Option<f64>> = (0..n).map(|i| Some(20.0 + (i / 2) as f64)).collect();
        let channel: Vec<Option<&str>> = (0..n)
            .map(|i| Some(if (i / 2) % 2 == 0 { "web" } else { "store" }))
            .collect();
        let data = PersonaData::new((0..n).collect::<Vec<_>>())
            .numeric("age", &age)
            .unwrap()
            .numeric("spend", &spend)
            .unwrap()
            .categorical("channel", &channel)
            .unwrap();
        let report = PersonaParams::default().k(2).fit(&data).unwrap();
        assert!(same_partition(
            report.assignments(),
            &(0..n).map(|i| i % 2).collect::<Vec<_>>()
        ));
        for persona in report.personas() {
            let top = &persona.features()[0];
            assert_eq!(top.column(), "spend");
            approx::assert_relative_eq!(top.effect().abs(), 1.0, epsilon = 1e-3);
            for f in &persona.features()[1..] {
                assert!(f.effect().abs() < 0.1, "{f:?}");
            }
            let high = top.effect() > 0.0;
            assert_eq!(
                persona.label(),
                if high { "high spend" } else { "low spend" }
            );
        }
    }

    #[test]
    fn categorical_features_report_share_lift_and_effect() {
        // Persona A: 4 rows, 3 in PT; everyone else in ES (overall 3/8 PT).
        let x = [0.0, 0.1, 0.2, 0.3, 9.0, 9.1, 9.2, 9.3];
        let country = ["PT", "PT", "PT", "ES", "ES", "ES", "ES", "ES"];
        let data = PersonaData::new((0..8).collect::<Vec<_>>())
            .numeric("x", &x.map(Some))
            .unwrap()
            .categorical("country", &country.map(Some))
            .unwrap();
        let report = PersonaParams::default().k(2).gamma(0.0).fit(&data).unwrap();
        assert_eq!(report.model().method(), Method::KPrototypes);
        let a = &report.personas()[report.assignments()[0]];
        let f = a
            .features()
            .iter()
            .find_map(|f| match f {
                Feature::Categorical(c) => Some(c),
                Feature::Numeric(_) => None,
            })
            .unwrap();
        assert_eq!(f.value(), "PT");
        approx::assert_relative_eq!(f.share(), 0.75);
        approx::assert_relative_eq!(f.overall_share(), 0.375);
        approx::assert_relative_eq!(f.lift(), 2.0);
        let p: f64 = 0.375;
        approx::assert_relative_eq!(f.effect, (0.75 - p) / (p * (1.0 - p)).sqrt());
    }

    #[test]
    fn default_gamma_is_half_the_mean_standardised_spread() {
        let cat = [Some("a"), Some("b"), Some("a"), Some("b")];
        let base = |data: PersonaData<usize>| ModelBase::from_data(&data, None).unwrap().0;
        let two_live = PersonaData::new(vec![0, 1, 2, 3])
            .numeric("x", &[Some(1.0), Some(2.0), Some(3.0), Some(5.0)])
            .unwrap()
            .numeric("y", &[Some(-1.0), Some(0.0), Some(7.0), Some(5.0)])
            .unwrap()
            .categorical("c", &cat)
            .unwrap();
        assert_eq!(base(two_live).gamma, 0.5);
        // A constant column has σ = 0 after standardising.
        let one_constant = PersonaData::new(vec![0, 1, 2, 3])
            .numeric("x", &[Some(1.0), Some(2.0), Some(3.0), Some(5.0)])
            .unwrap()
            .numeric("k", &[Some(4.0); 4])
            .unwrap()
            .categorical("c", &cat)
            .unwrap();
        assert_eq!(base(one_constant).gamma, 0.25);
        let only_categorical = PersonaData::new(vec![0, 1, 2, 3])
            .categorical("c", &cat)
            .unwrap();
        assert_eq!(base(only_categorical).gamma, 1.0);
    }

    #[test]
    fn standardising_uses_the_observed_mean_and_population_sd() {
        let (mean, sd) = mean_std([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0].into_iter());
        assert_eq!((mean, sd), (5.0, 2.0));
        // No overflow at the ends of the range.
        let (mean, sd) = mean_std([f64::MAX, f64::MAX].into_iter());
        assert_eq!((mean, sd), (f64::MAX, 0.0));
        let s = NumericStats {
            name: "x".into(),
            mean: -f64::MAX * 0.9,
            std: f64::MAX * 0.9,
        };
        assert!(standardise(f64::MAX, &s).is_finite());
    }

    #[test]
    fn missing_values_are_imputed_and_counted() {
        // x: mean of 1, 3 is 2; c: "b" and "a" tie twice each, "a" wins.
        let data = PersonaData::new(vec!["p", "q", "r", "s", "t"])
            .numeric("x", &[Some(1.0), None, Some(3.0), None, None])
            .unwrap()
            .categorical("c", &[Some("b"), Some("a"), None, Some("b"), Some("a")])
            .unwrap();
        let (base, imputed) = ModelBase::from_data(&data, None).unwrap();
        let counts: Vec<(&str, usize)> = imputed.iter().map(|i| (i.column(), i.count())).collect();
        assert_eq!(counts, [("x", 3), ("c", 1)]);
        assert_eq!(base.numeric[0].mean, 2.0);
        assert_eq!(base.categorical[0].mode, "a");
        let prepared = Prepared::from_data(&base, &data, Imputation::Fit);
        // Imputed numeric values sit at the mean: 0 in standard units.
        assert_eq!(prepared.num, [-1.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(prepared.cat, [1, 0, 0, 1, 0]);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let d = || PersonaData::new(vec![0, 1]);
        assert_eq!(
            err_kind(d().numeric("x", &[Some(1.0), Some(f64::INFINITY)])),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            err_kind(d().numeric("x", &[Some(f64::NAN), None])),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            err_kind(d().numeric("x", &[Some(1.0)])),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            err_kind(d().categorical("c", &[None])),
            ErrorKind::InvalidInput
        );
        let twice = d()
            .numeric("x", &[None, None])
            .unwrap()
            .categorical("x", &[None, None]);
        assert_eq!(err_kind(twice), ErrorKind::InvalidInput);
        let message = d()
            .numeric("spend", &[Some(1.0), Some(f64::NAN)])
            .unwrap_err()
            .to_string();
        assert_eq!(message, "column \"spend\" row 1: value NaN is not finite");

        let params = PersonaParams::default();
        assert_eq!(err_kind(params.fit(&d())), ErrorKind::InsufficientData);
        let empty = d().numeric("x", &[None, None]).unwrap();
        assert_eq!(err_kind(params.fit(&empty)), ErrorKind::InsufficientData);
        let same = d().numeric("x", &[Some(1.0), Some(1.0)]).unwrap();
        assert_eq!(err_kind(params.fit(&same)), ErrorKind::InsufficientData);
        assert_eq!(
            err_kind(params.clone().k(2).fit(&same)),
            ErrorKind::InsufficientData
        );
        let one = PersonaData::new(vec![0])
            .numeric("x", &[Some(1.0)])
            .unwrap();
        assert_eq!(err_kind(params.fit(&one)), ErrorKind::InsufficientData);

        let many: Vec<String> = (0..=MAX_CATEGORIES).map(|i| i.to_string()).collect();
        let many: Vec<Option<&str>> = many.iter().map(|s| Some(s.as_str())).collect();
        let wide = PersonaData::new((0..many.len()).collect::<Vec<_>>()).categorical("id", &many);
        assert_eq!(err_kind(wide), ErrorKind::LimitExceeded);
        let mut wide = PersonaData::new(vec![0]);
        for c in 0..MAX_COLUMNS {
            wide = wide.numeric(&c.to_string(), &[None]).unwrap();
        }
        assert_eq!(
            err_kind(wide.numeric("one more", &[None])),
            ErrorKind::LimitExceeded
        );
    }

    #[test]
    fn parameters_are_checked_when_fitting() {
        let data = numeric_table(&["x"], &[vec![1.0], vec![2.0], vec![9.0]]);
        let p = PersonaParams::default;
        for bad in [
            p().k(1),
            p().k(MAX_K + 1),
            #[allow(clippy::reversed_empty_ranges)] // an empty range is the bad input here
            p().k_range(5..=3),
            p().gamma(f64::NAN),
            p().gamma(-1.0),
            p().restarts(0),
            p().restarts(101),
            p().max_iterations(0),
            p().selection_rows(99),
        ] {
            assert_eq!(
                err_kind(bad.fit(&data)),
                ErrorKind::InvalidParameter,
                "{bad:?}"
            );
        }
        // k larger than the rows of the data: skipped, then an error.
        assert_eq!(err_kind(p().k(4).fit(&data)), ErrorKind::InsufficientData);
        let report = p().k_range(2..=5).fit(&data).unwrap();
        let scored: Vec<bool> = report
            .k_scores()
            .iter()
            .map(|s| s.silhouette().is_some())
            .collect();
        assert_eq!(scored, [true, true, false, false]);
    }

    #[test]
    fn silhouette_matches_a_hand_computation() {
        // Points 0 and 1 in one persona, 10 alone in another.
        let data = Prepared {
            n: 3,
            p: 1,
            q: 0,
            num: vec![0.0, 1.0, 10.0],
            cat: vec![],
            gamma: 0.5,
        };
        let s = silhouettes(&data, &[&[0, 0, 1]], &[0, 1, 2])[0];
        // (1 − 1/10) for 0, (1 − 1/9) for 1, 0 for the lone point.
        approx::assert_relative_eq!(s, (0.9 + 8.0 / 9.0) / 3.0, epsilon = 1e-12);
    }

    #[test]
    fn dissimilarity_is_squared_distance_plus_weighted_mismatches() {
        assert_eq!(
            dissimilarity(&[0.0, 0.0], &[1, 2], &[3.0, 4.0], &[1, 5], 0.5),
            25.5
        );
        assert_eq!(dissimilarity(&[], &[1, 2], &[], &[UNKNOWN, 2], 2.0), 2.0);
    }

    #[test]
    fn k_modes_runs_on_categorical_columns_alone() {
        let c: Vec<Option<&str>> = (0..20)
            .map(|i| Some(if i < 10 { "a" } else { "b" }))
            .collect();
        let d: Vec<Option<&str>> = (0..20)
            .map(|i| Some(if i < 10 { "x" } else { "y" }))
            .collect();
        let data = PersonaData::new((0..20).collect::<Vec<_>>())
            .categorical("c", &c)
            .unwrap()
            .categorical("d", &d)
            .unwrap();
        let report = PersonaParams::default().k(2).fit(&data).unwrap();
        assert_eq!(report.model().method(), Method::KModes);
        assert!(same_partition(
            report.assignments(),
            &(0..20).map(|i| i / 10).collect::<Vec<_>>()
        ));
        let labels: Vec<&str> = report.personas().iter().map(Persona::label).collect();
        assert!(labels.contains(&"c=a, d=x"), "{labels:?}");
    }

    #[test]
    fn the_iteration_cap_is_reported() {
        // 0, 1, …, 19, 20.5, 21.5, …, 39.5: the one fixed point of the
        // iterations splits at the gap (an even grid would also have a tie).
        let rows: Vec<Vec<f64>> = (0..40)
            .map(|i| vec![f64::from(i) + if i < 20 { 0.0 } else { 0.5 }])
            .collect();
        let data = numeric_table(&["x"], &rows);
        let mut capped = 0;
        for seed in 0..20 {
            let params = PersonaParams::default().k(2).restarts(1).seed(seed);
            let short = params.clone().max_iterations(1).fit(&data).unwrap();
            if short.hit_iteration_cap() {
                capped += 1;
                assert_eq!(short.iterations(), 1);
            }
            let full = params.fit(&data).unwrap();
            assert!(!full.hit_iteration_cap());
            // The converged split is at the gap.
            assert!(same_partition(
                full.assignments(),
                &(0..40).map(|i| i / 20).collect::<Vec<_>>()
            ));
        }
        assert!(capped > 0);
    }

    #[test]
    fn fits_are_deterministic_and_seeds_matter_only_for_ties() {
        let rows = blobs(&[(0.0, 0.0), (6.0, 1.0), (2.0, 7.0)], 25, 2.0);
        let data = numeric_table(&["x", "y"], &rows);
        let a = PersonaParams::default().fit(&data).unwrap();
        let b = PersonaParams::default().fit(&data).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn personas_are_numbered_by_size() {
        let rows = blobs(&[(0.0, 0.0), (10.0, 10.0)], 10, 1.0);
        let mut rows = rows;
        rows.extend(blobs(&[(10.0, 10.0)], 20, 1.0));
        let report = PersonaParams::default()
            .k(2)
            .fit(&numeric_table(&["x", "y"], &rows))
            .unwrap();
        let sizes: Vec<usize> = report.personas().iter().map(Persona::size).collect();
        assert_eq!(sizes, [30, 10]);
        assert_eq!(report.assignments()[0], 1);
        let ids: Vec<usize> = report.personas().iter().map(Persona::id).collect();
        assert_eq!(ids, [0, 1]);
    }

    #[test]
    fn large_tables_fit_on_a_sample_and_refine_on_every_row() {
        // 5,000 rows × 3 columns, about 100 KB of values.
        let rows = blobs(&[(0.0, 0.0), (8.0, 8.0)], 2_500, 2.0);
        let tier: Vec<Option<&str>> = (0..5_000)
            .map(|i| Some(if i < 2_500 { "s" } else { "g" }))
            .collect();
        let data = numeric_table(&["x", "y"], &rows)
            .categorical("tier", &tier)
            .unwrap();
        let report = PersonaParams::default()
            .k_range(2..=3)
            .selection_rows(500)
            .fit(&data)
            .unwrap();
        assert_eq!(report.selection_rows(), 500);
        assert_eq!(report.silhouette_rows(), 500);
        assert_eq!(report.k(), 2);
        assert!(same_partition(
            report.assignments(),
            &(0..5_000).map(|i| i / 2_500).collect::<Vec<_>>()
        ));
        let all = PersonaParams::default().k_range(2..=3).fit(&data).unwrap();
        assert_eq!(all.selection_rows(), 5_000);
        assert_eq!(all.silhouette_rows(), SILHOUETTE_ROWS);
    }

    #[test]
    fn assigning_the_training_rows_gives_their_personas() {
        let rows = blobs(&[(0.0, 0.0), (6.0, 1.0), (2.0, 7.0)], 20, 2.0);
        let data = numeric_table(&["x", "y"], &rows);
        let report = PersonaParams::default().k(3).fit(&data).unwrap();
        let assigned = report.model().assign(&data).unwrap();
        assert_eq!(assigned.personas(), report.assignments());
        assert_eq!(assigned.unknown(), 0);
    }

    #[test]
    fn assigning_checks_columns_and_counts_unknown_values() {
        let c: Vec<Option<&str>> = (0..8)
            .map(|i| Some(if i < 4 { "a" } else { "b" }))
            .collect();
        let x: Vec<Option<f64>> = (0..8)
            .map(|i| Some(if i < 4 { 0.0 } else { 5.0 } + i as f64 * 0.1))
            .collect();
        let data = PersonaData::new((0..8).collect::<Vec<_>>())
            .numeric("x", &x)
            .unwrap()
            .categorical("c", &c)
            .unwrap();
        let model = PersonaParams::default()
            .k(2)
            .fit(&data)
            .unwrap()
            .model()
            .clone();
        let low = model
            .assign(
                &PersonaData::new(vec![0])
                    .numeric("x", &[Some(0.0)])
                    .unwrap()
                    .categorical("c", &[Some("a")])
                    .unwrap(),
            )
            .unwrap()
            .personas()[0];

        // Columns in another order, a missing value and an unseen one.
        let new = PersonaData::new(vec![0, 1])
            .categorical("c", &[Some("zz"), None])
            .unwrap()
            .numeric("x", &[Some(0.1), None])
            .unwrap();
        let a = model.assign(&new).unwrap();
        assert_eq!(a.unknown(), 1);
        let counts: Vec<usize> = a.imputed().iter().map(Imputed::count).collect();
        assert_eq!(counts, [1, 1]);
        assert_eq!(a.personas()[0], low);

        let lacking = PersonaData::new(vec![0])
            .numeric("x", &[Some(0.0)])
            .unwrap();
        assert_eq!(err_kind(model.assign(&lacking)), ErrorKind::InvalidInput);
        let extra = PersonaData::new(vec![0])
            .numeric("x", &[Some(0.0)])
            .unwrap()
            .categorical("c", &[Some("a")])
            .unwrap()
            .numeric("y", &[Some(0.0)])
            .unwrap();
        assert_eq!(err_kind(model.assign(&extra)), ErrorKind::InvalidInput);
        let kinds = PersonaData::new(vec![0])
            .categorical("x", &[Some("0")])
            .unwrap()
            .categorical("c", &[Some("a")])
            .unwrap();
        assert_eq!(err_kind(model.assign(&kinds)), ErrorKind::InvalidInput);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn the_model_survives_json_and_is_checked_on_the_way_in() {
        let c: Vec<Option<&str>> = (0..30).map(|i| Some(["a", "b", "c"][i % 3])).collect();
        let rows = blobs(&[(0.0, 0.0), (6.0, 1.0), (2.0, 7.0)], 10, 2.0);
        let data = numeric_table(&["x", "y"], &rows)
            .categorical("c", &c)
            .unwrap();
        let report = PersonaParams::default().k(3).fit(&data).unwrap();
        let json = serde_json::to_string(report.model()).unwrap();
        let back: PersonaModel = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, report.model());
        assert_eq!(back.assign(&data).unwrap().personas(), report.assignments());

        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["personas"][0]["categorical"][0] = "zz".into();
        assert!(serde_json::from_value::<PersonaModel>(v).is_err());
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["categorical"][0]["values"] = serde_json::json!(["b", "a", "c"]);
        assert!(serde_json::from_value::<PersonaModel>(v).is_err());
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["gamma"] = (-1.0).into();
        assert!(serde_json::from_value::<PersonaModel>(v).is_err());
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["personas"][1]["numeric"] = serde_json::json!([1.0]);
        assert!(serde_json::from_value::<PersonaModel>(v).is_err());
    }

    fn value() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            4 => (-1e3f64..1e3).prop_map(Some),
            1 => Just(None),
            1 => Just(Some(f64::NAN)),
            1 => Just(Some(f64::INFINITY)),
            1 => Just(Some(f64::MAX)),
            1 => Just(Some(-f64::MAX)),
            1 => Just(Some(0.0)),
            1 => any::<f64>().prop_map(Some),
        ]
    }

    fn level() -> impl Strategy<Value = Option<&'static str>> {
        prop_oneof![
            Just(None),
            Just(Some("a")),
            Just(Some("b")),
            Just(Some("")),
            Just(Some("é"))
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn fitting_never_panics(
            nums in proptest::collection::vec(proptest::collection::vec(value(), 0..25), 0..3),
            cats in proptest::collection::vec(proptest::collection::vec(level(), 0..25), 0..3),
            k_max in 2usize..5,
            seed in any::<u64>(),
        ) {
            let n = nums.first().or(None).map_or(cats.first().map_or(0, Vec::len), Vec::len);
            let mut data = Ok(PersonaData::new((0..n).collect::<Vec<_>>()));
            for (i, col) in nums.iter().enumerate() {
                data = data.and_then(|d| d.numeric(&format!("n{i}"), col));
            }
            for (i, col) in cats.iter().enumerate() {
                data = data.and_then(|d| d.categorical(&format!("c{i}"), col));
            }
            let Ok(data) = data else { return Ok(()) };
            let params = PersonaParams::default().k_range(2..=k_max).seed(seed).restarts(2);
            match params.fit(&data) {
                Ok(report) => {
                    let k = report.k();
                    prop_assert_eq!(report.assignments().len(), n);
                    prop_assert!(report.assignments().iter().all(|&p| p < k));
                    let total: usize = report.personas().iter().map(Persona::size).sum();
                    prop_assert_eq!(total, n);
                    let s = report.silhouette().unwrap();
                    prop_assert!((-1.0..=1.0).contains(&s));
                    for p in report.personas() {
                        prop_assert!(p.features().iter().all(|f| f.effect().is_finite()));
                    }
                    let again = report.model().assign(&data).unwrap();
                    prop_assert_eq!(again.personas(), report.assignments());
                }
                Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InsufficientData),
            }
        }

        #[test]
        fn row_order_does_not_change_the_partition(
            per in 5usize..15,
            keys in proptest::collection::vec(any::<u32>(), 45),
            seed in any::<u64>(),
        ) {
            let rows = blobs(&[(0.0, 0.0), (9.0, 0.0), (4.0, 9.0)], per, 2.0);
            let n = rows.len();
            // A permutation of the rows from the random keys.
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| (keys[i], i));
            let shuffled: Vec<Vec<f64>> = order.iter().map(|&i| rows[i].clone()).collect();
            let params = PersonaParams::default().seed(seed);
            let a = params.fit(&numeric_table(&["x", "y"], &rows)).unwrap();
            let b = params.fit(&numeric_table(&["x", "y"], &shuffled)).unwrap();
            prop_assert_eq!(a.k(), b.k());
            let unshuffled: Vec<usize> = {
                let mut v = vec![0; n];
                for (pos, &i) in order.iter().enumerate() {
                    v[i] = b.assignments()[pos];
                }
                v
            };
            prop_assert!(same_partition(a.assignments(), &unshuffled));
        }
    }

    /// FNV-1a over the bytes of `text`: a short fingerprint of a report's
    /// `Debug` form, which prints every `f64` exactly (shortest round trip).
    fn fingerprint(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// Mixed data in four noisy groups, like `benches/persona.rs` on a
    /// smaller scale: four numeric columns (one with gaps), two categorical.
    fn noisy_groups(n: usize) -> PersonaData<usize> {
        let mut rng = super::Rng::new(3);
        let mut noise = || -> f64 {
            let s: f64 = (0..4).map(|_| rng.unit()).sum();
            (s - 2.0) * 1.732
        };
        let centres = [
            (10.0, 15.0, 800.0, 0.5),
            (300.0, 15.0, 800.0, -0.5),
            (10.0, 2.0, 50.0, -0.5),
            (300.0, 2.0, 50.0, 0.5),
        ];
        let labels = ["a", "b", "c", "d", "e"];
        let mut cols: [Vec<Option<f64>>; 4] = Default::default();
        let (mut c1, mut c2) = (Vec::new(), Vec::new());
        for i in 0..n {
            let g = i * 7 % 4;
            let (r, f, m, s) = centres[g];
            cols[0].push(Some((r * (1.0 + 0.15 * noise())).max(0.0)));
            cols[1].push(Some((f * (1.0 + 0.15 * noise())).max(1.0).round()));
            cols[2].push(Some((m * (1.0 + 0.15 * noise())).max(0.0)));
            cols[3].push((i % 50 != 0).then(|| s + 0.1 * noise()));
            c1.push(Some(labels[if i % 3 == 0 { i % 5 } else { g }]));
            c2.push(Some(labels[if i % 4 == 0 { (i / 4) % 5 } else { g }]));
        }
        PersonaData::new((0..n).collect::<Vec<_>>())
            .numeric("recency", &cols[0])
            .and_then(|d| d.numeric("frequency", &cols[1]))
            .and_then(|d| d.numeric("monetary", &cols[2]))
            .and_then(|d| d.numeric("sentiment", &cols[3]))
            .and_then(|d| d.categorical("country", &c1))
            .and_then(|d| d.categorical("segment", &c2))
            .unwrap()
    }

    #[test]
    fn fits_match_the_recorded_fingerprints() {
        // 2026-12-05: recorded from the fits of commit 1d4ac6f, before the
        // iterations were sped up; a faster fit must give the very same
        // report (labels, prototypes, costs, silhouettes, iterations).
        let data = noisy_groups(3_000);
        let runs = [
            PersonaParams::default()
                .k_range(2..=6)
                .selection_rows(1_000),
            PersonaParams::default().k_range(2..=6),
            PersonaParams::default()
                .k(4)
                .restarts(5)
                .selection_rows(500),
            PersonaParams::default().k(7).gamma(0.0),
        ];
        let reports: Vec<PersonaReport> = runs.iter().map(|p| p.fit(&data).unwrap()).collect();
        // Not a fingerprint of nothing: the sampled fit chose among five k.
        assert_eq!(reports[0].k_scores().len(), 5);
        assert_eq!(reports[0].selection_rows(), 1_000);
        assert!(reports.iter().all(|r| r.iterations() > 0));
        let got: Vec<u64> = reports
            .iter()
            .map(|r| fingerprint(&format!("{r:?}")))
            .collect();
        let want = [
            0x1573_e66c_3aa2_2fc0,
            0x8cd9_82b2_8983_928a,
            0xca0a_53d4_6bc4_cc11,
            0x8c96_3a7b_0370_180d,
        ];
        assert_eq!(got, want, "{got:#x?}");
    }
}
