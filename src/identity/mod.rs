//! Identity resolution: which source records are the same person, and why.
//!
//! The work runs in five pure steps, each callable on its own so that a
//! distributed engine can drive them (blocking is a join key, scoring a pure
//! function of a pair, clustering a components step):
//!
//! 1. **normalise** ([`normalize_record`]): fold names (NFKC, case,
//!    diacritics, titles, particles, family-first order, mononyms,
//!    nicknames), emails (provider rules), phones (E.164), dates, streets
//!    and postcodes;
//! 2. **block** ([`block`]): candidate pairs from several unioned
//!    [`BlockingRule`]s, with huge blocks skipped and [`GenericValues`]
//!    ignored;
//! 3. **train** ([`MatchModel::train`]): Fellegi–Sunter `u` from random
//!    pairs, `m` by EM without labels (or [`MatchModel::from_labelled`]),
//!    term frequencies for common values;
//! 4. **score** ([`score_pairs`]): a weight in bits per candidate pair,
//!    explained field by field by [`Matcher::explain`];
//! 5. **cluster** ([`cluster`]): links in decreasing weight, refused by
//!    guards (size, one record per source, conflicting birth dates, cluster
//!    coherence), then each record left alone weighed against the clusters
//!    it has links to, each as one person; content-derived [`ClusterId`]s.
//!
//! [`Resolver`] runs them all, and [`Resolver::train_and_resolve`] shares
//! the work between the steps (one blocking, one comparison per candidate
//! pair) for the same result; [`ResolutionIndex`] adds records to an
//! existing resolution and gives exactly the clusters a batch run with the
//! same model gives.
//!
//! # Invariants
//!
//! - Results do not depend on the order of the records, the thread count or
//!   the `rayon` feature.
//! - A cluster's id is the UUID v5 of its smallest member's record id.
//! - Normalizers never panic on any text.
//!
//! # Examples
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use custodia::identity::{ResolveParams, Resolver};
//! use custodia::model::{Birth, EmailAddress, PersonName, SourceRecord};
//!
//! let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let people = [
//!     ("crm-1", "William", "Smith", "1980-02-03", "bill.smith@gmail.com"),
//!     ("web-7", "Bill", "Smith", "1980-02-03", "billsmith@gmail.com"),
//!     ("crm-2", "Ana", "Silva", "1975-11-30", "ana@example.pt"),
//!     ("crm-3", "Nagy", "István", "1990-05-06", "pista@example.hu"),
//! ];
//! let mut records = Vec::new();
//! for (id, given, family, born, email) in people {
//!     let mut b = SourceRecord::builder(id, "crm", at)?;
//!     b.identity().names.push(PersonName::from_parts(Some(given), Some(family))?);
//!     b.identity().emails.push(EmailAddress::new(email)?);
//!     b.demographic().birth = Some(Birth::Date(born.parse::<NaiveDate>().unwrap()));
//!     records.push(b.build()?);
//! }
//! let resolution = Resolver::new(ResolveParams::default())?.resolve(&records)?;
//! let clusters = resolution.clustering().clusters();
//! assert_eq!(clusters.len(), 3);
//! assert_eq!(clusters[0].members().len(), 2); // crm-1 and web-7
//! # Ok::<(), custodia::Error>(())
//! ```

mod block;
mod cluster;
mod compare;
mod error;
mod hash;
mod index;
mod normalize;
mod record;
mod score;

pub use block::{
    block, BlockKey, Blocker, BlockingParams, BlockingRule, BlockingStats, CandidatePairs,
    GenericValues, PairScope, RuleBlocker,
};
pub use cluster::{
    cluster, Cluster, ClusterId, ClusterParams, Clustering, Guard, Link, Refusal, SourceLimit,
};
pub use compare::{
    date_distance, numeric_closeness, soundex, Comparator, DamerauLevenshtein, Exact, JaroWinkler,
    Levenshtein, Phonetic, Similarity, TokenSet, MAX_COMPARED_CHARS,
};
pub use index::ResolutionIndex;
pub use normalize::{
    fold, is_day_month_swap, normalize_email, normalize_identifier, normalize_phone,
    normalize_postcode, normalize_street, parse_date, DateOrder, NameOrder, NicknameTable,
    NormalizedName,
};
pub use record::{normalize_record, NormalizeParams, NormalizedRecord, Values};
pub use score::{
    score_pairs, ComparisonExplanation, Field, MatchExplanation, MatchModel, MatchRule, MatchScore,
    Matcher, ScoreContext, ScoredPair, TrainParams, Training,
};

use crate::error::Result;
use crate::model::SourceRecord;

/// Options of the whole resolution: one part per step.
///
/// | part | type | default |
/// |---|---|---|
/// | normalisation | [`NormalizeParams`] | US phones, order by country, built-in nicknames |
/// | blocking | [`BlockingParams`] | every rule, blocks up to 30 records |
/// | training | [`TrainParams`] | 200 000 random pairs, up to 40 EM iterations |
/// | clustering | [`ClusterParams`] | clusters up to 50, coherence 0.5, records left alone attached |
/// | link probability | `f64` | 0.5 |
/// | generic values | `(usize, f64)` | held by ≥ 10 distinct names and ≥ 20 × the mean |
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResolveParams {
    normalize: NormalizeParams,
    blocking: BlockingParams,
    training: TrainParams,
    clustering: ClusterParams,
    link_probability: f64,
    generic_min_holders: usize,
    generic_ratio: f64,
}

impl Default for ResolveParams {
    fn default() -> ResolveParams {
        ResolveParams {
            normalize: NormalizeParams::default(),
            blocking: BlockingParams::default(),
            training: TrainParams::default(),
            clustering: ClusterParams::default(),
            link_probability: 0.5,
            generic_min_holders: 10,
            generic_ratio: 20.0,
        }
    }
}

impl ResolveParams {
    /// Sets the normalisation options.
    #[must_use]
    pub fn normalize(mut self, p: NormalizeParams) -> ResolveParams {
        self.normalize = p;
        self
    }

    /// Sets the blocking options.
    #[must_use]
    pub fn blocking(mut self, p: BlockingParams) -> ResolveParams {
        self.blocking = p;
        self
    }

    /// Sets the training options.
    #[must_use]
    pub fn training(mut self, p: TrainParams) -> ResolveParams {
        self.training = p;
        self
    }

    /// Sets the clustering options.
    #[must_use]
    pub fn clustering(mut self, p: ClusterParams) -> ResolveParams {
        self.clustering = p;
        self
    }

    /// Sets the match probability from which a pair is a link.
    #[must_use]
    pub fn link_probability(mut self, p: f64) -> ResolveParams {
        self.link_probability = p;
        self
    }

    /// Sets when a value counts as generic (see [`GenericValues::detect`]).
    #[must_use]
    pub fn generic_values(mut self, min_holders: usize, ratio: f64) -> ResolveParams {
        self.generic_min_holders = min_holders;
        self.generic_ratio = ratio;
        self
    }

    /// Switches every step to linkage of deduplicated sources: pairs only
    /// across sources, and at most one record per source in a cluster.
    #[must_use]
    pub fn linkage(mut self) -> ResolveParams {
        self.blocking = self.blocking.scope(PairScope::AcrossSources);
        self.training = self.training.scope(PairScope::AcrossSources);
        self.clustering = self.clustering.source_limit(SourceLimit::OnePerSource);
        self
    }

    /// Returns the normalisation options.
    pub fn normalize_params(&self) -> &NormalizeParams {
        &self.normalize
    }

    /// Returns the blocking options.
    pub fn blocking_params(&self) -> &BlockingParams {
        &self.blocking
    }

    /// Returns the clustering options.
    pub fn cluster_params(&self) -> &ClusterParams {
        &self.clustering
    }

    /// Returns the match probability from which a pair is a link (for a
    /// standard model built for these parameters).
    pub(crate) fn link_probability_value(&self) -> f64 {
        self.link_probability
    }

    pub(crate) fn validate(&self) -> Result<()> {
        self.blocking.validate()?;
        self.clustering.validate()?;
        error::check_param(
            self.link_probability > 0.0 && self.link_probability < 1.0,
            "link probability",
            self.link_probability,
            "must be strictly between 0 and 1",
        )?;
        error::check_param(
            self.generic_ratio.is_finite() && self.generic_ratio >= 0.0,
            "generic ratio",
            self.generic_ratio,
            "must be finite and non-negative",
        )
    }
}

/// Runs identity resolution from source records to clusters.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolver {
    params: ResolveParams,
}

/// The outcome of a resolution: the normalised records, the trained model,
/// blocking statistics and the clustering.
#[derive(Clone, Debug)]
pub struct Resolution {
    records: Vec<NormalizedRecord>,
    model: MatchModel,
    stats: BlockingStats,
    clustering: Clustering,
}

impl Resolution {
    /// Returns the normalised records, sorted by id.
    pub fn records(&self) -> &[NormalizedRecord] {
        &self.records
    }

    /// Returns the model used.
    pub fn model(&self) -> &MatchModel {
        &self.model
    }

    /// Returns what blocking did.
    pub fn blocking_stats(&self) -> &BlockingStats {
        &self.stats
    }

    /// Returns the clusters.
    pub fn clustering(&self) -> &Clustering {
        &self.clustering
    }

    /// Returns why two records scored as they did, or `None` when either id
    /// is unknown.
    pub fn explain(&self, a: &str, b: &str) -> Option<MatchExplanation> {
        let find = |id: &str| {
            self.records
                .binary_search_by(|r| r.id().as_str().cmp(id))
                .ok()
                .map(|i| &self.records[i])
        };
        Some(self.model.explain(find(a)?, find(b)?))
    }
}

impl Resolver {
    /// Returns a resolver.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is out of range.
    pub fn new(params: ResolveParams) -> Result<Resolver> {
        params.validate()?;
        Ok(Resolver { params })
    }

    /// Returns the parameters.
    pub fn params(&self) -> &ResolveParams {
        &self.params
    }

    /// Normalises `records` and sorts them by id.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when two records share an id or there are more than `u32::MAX`.
    pub fn normalize(&self, records: &[SourceRecord]) -> Result<Vec<NormalizedRecord>> {
        let one = |r: &SourceRecord| normalize_record(r, &self.params.normalize);
        #[cfg(feature = "rayon")]
        let mut out: Vec<NormalizedRecord> = {
            use rayon::prelude::*;
            records.par_iter().map(one).collect()
        };
        #[cfg(not(feature = "rayon"))]
        let mut out: Vec<NormalizedRecord> = records.iter().map(one).collect();
        sort_unique(&mut out)?;
        Ok(out)
    }

    /// Trains a model on normalised records (generic values, blocking, EM).
    ///
    /// # Errors
    ///
    /// As [`MatchModel::train`].
    pub fn train(&self, records: &[NormalizedRecord]) -> Result<MatchModel> {
        MatchModel::train(
            records,
            &self.params.blocking,
            self.generic_values(records),
            &self.params.training,
        )?
        .with_link_probability(self.params.link_probability)
    }

    fn generic_values(&self, records: &[NormalizedRecord]) -> GenericValues {
        GenericValues::detect(
            records,
            self.params.generic_min_holders,
            self.params.generic_ratio,
        )
    }

    /// Resolves `records`: normalise, train, block, score, cluster.
    ///
    /// # Errors
    ///
    /// As [`Resolver::normalize`] and [`MatchModel::train`] (fewer than two
    /// records, or no candidate pair, cannot train a model).
    pub fn resolve(&self, records: &[SourceRecord]) -> Result<Resolution> {
        self.train_and_resolve(self.normalize(records)?)
    }

    /// Trains a model on normalised records and resolves them with it.
    ///
    /// The result equals [`Resolver::train`] followed by
    /// [`Resolver::resolve_normalized`], with less work: blocking runs once,
    /// and each candidate pair is compared once, for training, scoring and
    /// clustering alike (the identity bench measures a quarter less time at
    /// 20 000 records; the more candidates training samples, the more it
    /// saves).
    ///
    /// # Errors
    ///
    /// As [`Resolver::train`] and [`Resolver::resolve_normalized`].
    pub fn train_and_resolve(&self, mut records: Vec<NormalizedRecord>) -> Result<Resolution> {
        sort_unique(&mut records)?;
        let generic = self.generic_values(&records);
        let (model, candidates, levels) = MatchModel::train_on_candidates(
            &records,
            &self.params.blocking,
            generic,
            &self.params.training,
        )?;
        let model = model.with_link_probability(self.params.link_probability)?;
        let adjustments = model.adjustments(&records);
        let (links, link_conflicts) =
            score::links_from_levels(&candidates, &levels, &adjustments, &model);
        let known = score::KnownLevels {
            pairs: candidates.pairs(),
            starts: score::KnownLevels::starts(candidates.pairs(), records.len()),
            levels: &levels,
            adjustments: &adjustments,
            model: &model,
            link_conflicts: &link_conflicts,
        };
        let clustering = cluster::cluster_with(
            &records,
            &links,
            &model,
            &self.params.clustering,
            Some(&known),
        )?;
        let stats = candidates.stats().clone();
        Ok(Resolution {
            stats,
            records,
            model,
            clustering,
        })
    }

    /// Resolves normalised records with a given (frozen) model.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when two records share an id.
    pub fn resolve_normalized(
        &self,
        mut records: Vec<NormalizedRecord>,
        model: MatchModel,
    ) -> Result<Resolution> {
        sort_unique(&mut records)?;
        let blocker = RuleBlocker::new(&self.params.blocking, model.generic().clone());
        let candidates = block(&records, &blocker, &self.params.blocking)?;
        let stats = candidates.stats().clone();
        // Clustering reads only the links: keeping just those saves the
        // memory of every scored candidate pair.
        let links = score::score_links(&records, &candidates, &model)?;
        drop(candidates);
        let clustering = cluster(&records, &links, &model, &self.params.clustering)?;
        Ok(Resolution {
            stats,
            records,
            model,
            clustering,
        })
    }
}

fn sort_unique(records: &mut [NormalizedRecord]) -> Result<()> {
    error::check_param(
        u32::try_from(records.len()).is_ok(),
        "record count",
        records.len(),
        "exceeds u32::MAX",
    )?;
    if !records.windows(2).all(|w| w[0].id() < w[1].id()) {
        // Sort an index, then move each record once: records are large, and
        // a sort in place would move them many times.
        // The first eight bytes of each id, read as a big-endian integer,
        // order most pairs without reaching into the records.
        let prefix: Vec<u64> = records
            .iter()
            .map(|r| {
                let mut head = [0u8; 8];
                for (h, b) in head.iter_mut().zip(r.id().as_str().bytes()) {
                    *h = b;
                }
                u64::from_be_bytes(head)
            })
            .collect();
        let mut order: Vec<u32> = (0..records.len() as u32).collect();
        let by_id = |a: &u32, b: &u32| {
            let (a, b) = (*a as usize, *b as usize);
            prefix[a]
                .cmp(&prefix[b])
                .then_with(|| records[a].id().cmp(records[b].id()))
        };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            order.par_sort_unstable_by(by_id);
        }
        #[cfg(not(feature = "rayon"))]
        order.sort_unstable_by(by_id);
        // Apply the permutation in place, cycle by cycle: no second copy
        // of a million records.
        let mut done = vec![false; records.len()];
        for start in 0..records.len() {
            let mut k = start;
            while !done[k] {
                done[k] = true;
                let from = order[k] as usize;
                if from == start {
                    break;
                }
                records.swap(k, from);
                k = from;
            }
        }
    }
    if let Some(w) = records.windows(2).find(|w| w[0].id() == w[1].id()) {
        return Err(error::Detail::DuplicateId {
            id: w[0].id().as_str().to_owned(),
        }
        .into());
    }
    Ok(())
}
