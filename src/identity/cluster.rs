//! Clustering that resists over-merging.
//!
//! Links (scored pairs at or above the matcher's link weight) are taken in
//! order of decreasing weight, ties broken by record ids. Each link would
//! merge two clusters; guards may refuse it:
//!
//! - **size**: the merged cluster would exceed [`ClusterParams::max_cluster_size`];
//! - **source**: with [`SourceLimit::OnePerSource`], both clusters hold a
//!   record of one source (linkage of deduplicated sources);
//! - **conflict**: more than half of the cross pairs (a record of one
//!   cluster with a record of the other) hold strong conflicting evidence
//!   ([`Matcher::is_conflict`], such as birth dates that differ beyond a
//!   typo with no agreeing identifier) — this keeps parent and child with
//!   one name, and households, apart even when one link is wrong, while one
//!   mistyped date cannot split an otherwise coherent cluster;
//! - **coherence**: the match probability of the cross pairs' mean weight
//!   (their mean log-odds) is below [`ClusterParams::coherence`] — one
//!   strong link cannot chain two otherwise unrelated clusters (a bridge).
//!   The mean is taken over weights, not probabilities: a probability cannot
//!   pass 0 or 1, so one record that shares little with the other cluster
//!   (a sparse web sign-up) would drag a mean of probabilities down as far as
//!   a record that contradicts it, and no strength of agreement elsewhere
//!   could make up for either; in weights, missing evidence costs only the
//!   prior and contradicting evidence costs what it weighs.
//!
//! The result depends only on the records and their scores, never on input
//! order, and each cluster's id is derived from its smallest member id.

use std::collections::HashSet;
use std::fmt;

use uuid::Uuid;

use crate::error::Result;
use crate::identity::error::check_param;
use crate::identity::hash::FixedMap;
use crate::identity::record::NormalizedRecord;
use crate::identity::score::{probability, KnownLevels, Matcher, ScoredPair};
use crate::model::RecordId;

/// The namespace of cluster ids (UUID v5).
const CLUSTER_NAMESPACE: Uuid = Uuid::from_u128(0x6375_7374_6f64_6961_2d63_6c75_7374_6572);

/// A cluster's stable id: the UUID v5 of its smallest member's record id.
///
/// # Examples
///
/// ```
/// use custodia::identity::ClusterId;
/// use custodia::model::RecordId;
/// let a = ClusterId::for_smallest_member(&RecordId::new("crm-1")?);
/// assert_eq!(a, ClusterId::for_smallest_member(&RecordId::new("crm-1")?));
/// assert_eq!(a.to_string().len(), 36);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct ClusterId(Uuid);

impl ClusterId {
    /// Returns the id of a cluster whose smallest member is `id`.
    pub fn for_smallest_member(id: &RecordId) -> ClusterId {
        ClusterId(Uuid::new_v5(&CLUSTER_NAMESPACE, id.as_str().as_bytes()))
    }

    /// Returns the UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How many records of one source a cluster may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SourceLimit {
    /// Any number (deduplication).
    #[default]
    Unlimited,
    /// At most one: each source is already free of duplicates (linkage).
    OnePerSource,
}

/// Options of [`cluster`].
///
/// | option | default | meaning |
/// |---|---|---|
/// | `max_cluster_size` | 50 | largest cluster a merge may make (≥ 2) |
/// | `coherence` | 0.5 | least match probability of the mean weight of a merge's cross pairs (0..=1) |
/// | `source_limit` | [`SourceLimit::Unlimited`] | records of one source per cluster |
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClusterParams {
    max_cluster_size: usize,
    coherence: f64,
    source_limit: SourceLimit,
}

impl Default for ClusterParams {
    fn default() -> ClusterParams {
        ClusterParams {
            max_cluster_size: 50,
            coherence: 0.5,
            source_limit: SourceLimit::Unlimited,
        }
    }
}

impl ClusterParams {
    /// Sets the largest cluster a merge may make.
    #[must_use]
    pub fn max_cluster_size(mut self, size: usize) -> ClusterParams {
        self.max_cluster_size = size;
        self
    }

    /// Sets the least match probability of the mean weight (log-odds) of a
    /// merge's cross pairs.
    #[must_use]
    pub fn coherence(mut self, p: f64) -> ClusterParams {
        self.coherence = p;
        self
    }

    /// Sets how many records of one source a cluster may hold.
    #[must_use]
    pub fn source_limit(mut self, limit: SourceLimit) -> ClusterParams {
        self.source_limit = limit;
        self
    }

    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `max_cluster_size` is below 2 or `coherence` is outside 0..=1.
    pub fn validate(&self) -> Result<()> {
        check_param(
            self.max_cluster_size >= 2,
            "max_cluster_size",
            self.max_cluster_size,
            "must be at least 2",
        )?;
        check_param(
            (0.0..=1.0).contains(&self.coherence),
            "coherence",
            self.coherence,
            "must be in 0..=1",
        )
    }
}

/// The guard that refused a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Guard {
    /// The merged cluster would be too large.
    ClusterSize,
    /// Both clusters hold a record of one source.
    SourceLimit,
    /// A cross pair holds strong conflicting evidence.
    Conflict,
    /// The match probability of the cross pairs' mean weight is too low.
    Coherence,
}

/// A link that made part of a cluster.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Link {
    /// One record.
    pub a: RecordId,
    /// The other record.
    pub b: RecordId,
    /// The pair's weight in bits.
    pub weight: f64,
}

/// A link a guard refused.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Refusal {
    /// One record.
    pub a: RecordId,
    /// The other record.
    pub b: RecordId,
    /// The pair's weight in bits.
    pub weight: f64,
    /// The guard that refused it.
    pub guard: Guard,
}

/// A set of records resolved to one person, with the links that joined them.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cluster {
    id: ClusterId,
    members: Vec<RecordId>,
    links: Vec<Link>,
}

impl Cluster {
    /// Returns the cluster's id.
    pub fn id(&self) -> ClusterId {
        self.id
    }

    /// Returns the member record ids, sorted.
    pub fn members(&self) -> &[RecordId] {
        &self.members
    }

    /// Returns the links that merged the members, strongest first: the
    /// cluster's explanation.
    pub fn links(&self) -> &[Link] {
        &self.links
    }
}

/// The clusters of a set of records, and every refused link.
#[derive(Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Clustering {
    clusters: Vec<Cluster>,
    refusals: Vec<Refusal>,
}

impl Clustering {
    /// Returns the clusters (singletons included), ordered by smallest member id.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    /// Returns the links the guards refused, sorted by record ids.
    pub fn refusals(&self) -> &[Refusal] {
        &self.refusals
    }

    /// Returns the refusals that involve a member of `cluster`.
    pub fn refusals_for<'c>(
        &'c self,
        cluster: &'c Cluster,
    ) -> impl Iterator<Item = &'c Refusal> + 'c {
        self.refusals.iter().filter(move |r| {
            cluster.members.binary_search(&r.a).is_ok()
                || cluster.members.binary_search(&r.b).is_ok()
        })
    }

    /// Returns `(record id, cluster id)` for every record, by record id.
    pub fn assignments(&self) -> Vec<(RecordId, ClusterId)> {
        let mut out: Vec<(RecordId, ClusterId)> = self
            .clusters
            .iter()
            .flat_map(|c| c.members.iter().map(move |m| (m.clone(), c.id)))
            .collect();
        out.sort();
        out
    }

    pub(crate) fn from_parts(mut clusters: Vec<Cluster>, mut refusals: Vec<Refusal>) -> Clustering {
        clusters.sort_by(|a, b| a.members.first().cmp(&b.members.first()));
        refusals.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
        Clustering { clusters, refusals }
    }

    pub(crate) fn into_parts(self) -> (Vec<Cluster>, Vec<Refusal>) {
        (self.clusters, self.refusals)
    }
}

struct Sets {
    parent: Vec<u32>,
    members: Vec<Vec<u32>>,
    links: Vec<Vec<Link>>,
}

impl Sets {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
}

/// Clusters `records` from their scored pairs: links in decreasing weight,
/// each refused or accepted by the guards described in the module docs.
///
/// `records` may be in any order; `scored` pairs index into it. A pure step.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
/// for invalid `params`; [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
/// when a pair points past `records`.
pub fn cluster(
    records: &[NormalizedRecord],
    scored: &[ScoredPair],
    matcher: &dyn Matcher,
    params: &ClusterParams,
) -> Result<Clustering> {
    cluster_with(records, scored, matcher, params, None)
}

/// [`cluster`], reading the score and conflict of a pair from `known` when
/// it has them (the same values `matcher` gives).
pub(crate) fn cluster_with(
    records: &[NormalizedRecord],
    scored: &[ScoredPair],
    matcher: &dyn Matcher,
    params: &ClusterParams,
    known: Option<&KnownLevels<'_>>,
) -> Result<Clustering> {
    params.validate()?;
    let n = records.len();
    for p in scored {
        let index = p.a.max(p.b) as usize;
        if index >= n {
            return Err(crate::identity::error::Detail::PairOutOfRange { index, len: n }.into());
        }
    }
    let threshold = matcher.link_weight();
    let id = |i: u32| records[i as usize].id();
    // Ranks in id order (ties by index) stand in for ids in every
    // comparison below: comparing two integers instead of two strings.
    let rank = id_ranks(records);
    let key = |p: &ScoredPair| {
        let (x, y) = (rank[p.a as usize], rank[p.b as usize]);
        (x.min(y), x.max(y))
    };
    // Indices of the links, strongest first.
    let mut edges: Vec<usize> = (0..scored.len())
        .filter(|i| scored[*i].weight >= threshold && scored[*i].a != scored[*i].b)
        .collect();
    // Equal keys are one pair, so an unstable sort gives one order.
    let strongest_first = |i: &usize, j: &usize| {
        let (p, q) = (&scored[*i], &scored[*j]);
        q.weight
            .total_cmp(&p.weight)
            .then_with(|| key(p).cmp(&key(q)))
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        edges.par_sort_unstable_by(strongest_first);
    }
    #[cfg(not(feature = "rayon"))]
    edges.sort_unstable_by(strongest_first);
    // The ordered record ids of a pair, as links and refusals name them.
    let ids = |p: &ScoredPair| {
        let (x, y) = (id(p.a), id(p.b));
        if rank[p.a as usize] <= rank[p.b as usize] {
            (x.clone(), y.clone())
        } else {
            (y.clone(), x.clone())
        }
    };

    let mut sets = Sets {
        parent: (0..n as u32).collect(),
        members: (0..n as u32).map(|i| vec![i]).collect(),
        links: vec![Vec::new(); n],
    };
    let mut cache = PairCache {
        pairs: FixedMap::default(),
        known,
    };
    let mut refusals = Vec::new();
    for e in edges {
        let p = &scored[e];
        let (ra, rb) = (sets.find(p.a), sets.find(p.b));
        if ra == rb {
            continue;
        }
        // Canonical roles: the cluster with the smaller smallest id is `x`.
        let first = |r: u32| rank[sets.members[r as usize][0] as usize];
        let (rx, ry) = if first(ra) <= first(rb) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let (xs, ys) = (&sets.members[rx as usize], &sets.members[ry as usize]);
        let link = (e, p.weight);
        let guard = check_merge(records, xs, ys, link, matcher, params, &mut cache);
        if let Some(guard) = guard {
            let (a, b) = ids(p);
            refusals.push(Refusal {
                a,
                b,
                weight: p.weight,
                guard,
            });
            continue;
        }
        let ys = std::mem::take(&mut sets.members[ry as usize]);
        let mut merged = std::mem::take(&mut sets.members[rx as usize]);
        merged.extend(ys);
        merged.sort_unstable_by_key(|i| rank[*i as usize]);
        let mut links = std::mem::take(&mut sets.links[rx as usize]);
        links.append(&mut sets.links[ry as usize]);
        let (a, b) = ids(p);
        links.push(Link {
            a,
            b,
            weight: p.weight,
        });
        sets.parent[ry as usize] = rx;
        sets.members[rx as usize] = merged;
        sets.links[rx as usize] = links;
    }
    let mut clusters = Vec::new();
    for r in 0..n as u32 {
        if sets.parent[r as usize] != r {
            continue;
        }
        let members: Vec<RecordId> = sets.members[r as usize]
            .iter()
            .map(|i| id(*i).clone())
            .collect();
        let Some(first) = members.first() else {
            continue;
        };
        clusters.push(Cluster {
            id: ClusterId::for_smallest_member(first),
            members,
            links: std::mem::take(&mut sets.links[r as usize]),
        });
    }
    Ok(Clustering::from_parts(clusters, refusals))
}

/// Returns each record's position in id order, ties broken by index.
fn id_ranks(records: &[NormalizedRecord]) -> Vec<u32> {
    // OK because callers refuse more than u32::MAX records.
    let n = records.len() as u32;
    let sorted = records.windows(2).all(|w| w[0].id() < w[1].id());
    if sorted {
        // The usual case: resolvers hand records sorted by id.
        return (0..n).collect();
    }
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by(|a, b| records[*a as usize].id().cmp(records[*b as usize].id()));
    let mut rank = vec![0u32; records.len()];
    for (r, i) in order.iter().enumerate() {
        rank[*i as usize] = r as u32;
    }
    rank
}

/// Weights and conflicts of the cross pairs the guards have looked at, so
/// that a pair is scored once however often its clusters meet again.
struct PairCache<'k> {
    pairs: FixedMap<u64, (f64, bool)>,
    known: Option<&'k KnownLevels<'k>>,
}

impl PairCache<'_> {
    /// Returns the match weight of `(x, y)` and whether it conflicts.
    fn get(
        &mut self,
        records: &[NormalizedRecord],
        matcher: &dyn Matcher,
        x: u32,
        y: u32,
    ) -> (f64, bool) {
        // A candidate's levels are at hand: reading them again is cheaper
        // than keeping them, so only pairs compared here are kept.
        if let Some((score, conflict)) = self.known.and_then(|k| k.score_and_conflict(x, y)) {
            return (score.weight(), conflict);
        }
        let key = u64::from(x.min(y)) << 32 | u64::from(x.max(y));
        *self.pairs.entry(key).or_insert_with(|| {
            let (score, conflict) =
                matcher.score_and_conflict(&records[x as usize], &records[y as usize]);
            (score.weight(), conflict)
        })
    }

    /// Returns whether `(x, y)`, link `link` of the scored pairs, conflicts.
    fn conflict(
        &self,
        records: &[NormalizedRecord],
        matcher: &dyn Matcher,
        (x, y): (u32, u32),
        link: usize,
    ) -> bool {
        if let Some(c) = self.known.and_then(|k| k.link_conflicts.get(link)) {
            return *c;
        }
        matcher.is_conflict(&records[x as usize], &records[y as usize])
    }
}
fn check_merge(
    records: &[NormalizedRecord],
    xs: &[u32],
    ys: &[u32],
    (link, link_weight): (usize, f64),
    matcher: &dyn Matcher,
    params: &ClusterParams,
    cache: &mut PairCache,
) -> Option<Guard> {
    if xs.len() + ys.len() > params.max_cluster_size {
        return Some(Guard::ClusterSize);
    }
    if params.source_limit == SourceLimit::OnePerSource {
        let sources: HashSet<_> = xs.iter().map(|i| records[*i as usize].source()).collect();
        if ys
            .iter()
            .any(|j| sources.contains(records[*j as usize].source()))
        {
            return Some(Guard::SourceLimit);
        }
    }
    if let ([x], [y]) = (xs, ys) {
        // Two single records: the only cross pair is the link itself, whose
        // weight is known.
        if cache.conflict(records, matcher, (*x, *y), link) {
            return Some(Guard::Conflict);
        }
        return (probability(link_weight) < params.coherence).then_some(Guard::Coherence);
    }
    let cross = (xs.len() * ys.len()) as f64;
    // The mean weight, summed a share at a time: weights of a matcher of
    // one's own may be as large as any finite `f64`, and a plain sum of two
    // of them would overflow to an infinity whatever the others say.
    let (mut mean, mut conflicts) = (0.0, 0usize);
    for x in xs {
        for y in ys {
            let (weight, conflict) = cache.get(records, matcher, *x, *y);
            if conflict {
                conflicts += 1;
            }
            mean += weight / cross;
        }
    }
    // One record with a mistyped date must not split a cluster whose other
    // members agree; conflicts across most of the cross pairs are two people.
    if conflicts as f64 * 2.0 > cross {
        return Some(Guard::Conflict);
    }
    if probability(mean) < params.coherence {
        return Some(Guard::Coherence);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::record::{normalize_record, NormalizeParams};
    use crate::identity::score::{MatchExplanation, MatchScore};
    use crate::model::SourceRecord;
    use chrono::{TimeZone, Utc};

    /// Weighs each pair of records by their ids from a table; every other
    /// pair weighs -40 bits.
    #[derive(Debug)]
    struct Table(Vec<(&'static str, &'static str, f64)>);

    impl Matcher for Table {
        fn score(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchScore {
            let (x, y) = (a.id().as_str(), b.id().as_str());
            let w = self
                .0
                .iter()
                .find(|(p, q, _)| (*p, *q) == (x, y) || (*q, *p) == (x, y));
            MatchScore::new(w.map_or(-40.0, |t| t.2)).unwrap()
        }
        fn explain(&self, _: &NormalizedRecord, _: &NormalizedRecord) -> MatchExplanation {
            unimplemented!("clustering reads scores only")
        }
        fn link_weight(&self) -> f64 {
            0.0
        }
    }

    fn records(ids: &[&str]) -> Vec<NormalizedRecord> {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        ids.iter()
            .map(|id| {
                let r = SourceRecord::builder(id, "crm", at)
                    .unwrap()
                    .build()
                    .unwrap();
                normalize_record(&r, &NormalizeParams::default())
            })
            .collect()
    }

    /// Clusters records a, b, d (one person, linked at 40 bits) and c,
    /// linked to a at 30 bits and weighing `w` against b and d; returns
    /// whether c joined.
    fn c_joins(w: f64) -> bool {
        let rs = records(&["a", "b", "c", "d"]);
        let table = Table(vec![
            ("a", "b", 40.0),
            ("a", "d", 40.0),
            ("b", "d", 40.0),
            ("a", "c", 30.0),
            ("b", "c", w),
            ("d", "c", w),
        ]);
        let scored: Vec<ScoredPair> = [(0, 1), (0, 3), (1, 3), (0, 2), (1, 2), (3, 2)]
            .iter()
            .map(|&(a, b)| ScoredPair {
                a,
                b,
                weight: table.score(&rs[a as usize], &rs[b as usize]).weight(),
            })
            .filter(|p| p.weight >= 0.0)
            .collect();
        let c = cluster(&rs, &scored, &table, &ClusterParams::default()).unwrap();
        c.clusters().len() == 1
    }

    #[test]
    fn coherence_weighs_the_mean_of_the_cross_pairs_weights() {
        // c shares little with b and d (-3 bits each, probability 0.11):
        // the mean probability, 0.41, would refuse it; the mean weight,
        // +8 bits, takes the strong link's evidence into account.
        assert!(c_joins(-3.0));
        // c contradicts b and d: a bridge, refused (mean -16.7 bits).
        assert!(!c_joins(-40.0));
        // The border: a mean of exactly 0 bits is probability 0.5.
        assert!(c_joins(-15.0));
        assert!(!c_joins(-15.1));
    }

    #[test]
    fn coherence_of_the_largest_finite_weights_does_not_overflow() {
        // {a, b} and {c, d, e} are linked at the largest finite weight
        // (taken first); a–c and a–d at nine tenths of it, the four other
        // cross pairs at its negative. Their mean is -0.37 of the largest
        // weight, a refusal; a plain sum would reach +inf at a–d.
        let rs = records(&["a", "b", "c", "d", "e"]);
        let (max, high) = (f64::MAX, 0.9 * f64::MAX);
        let table = Table(vec![
            ("a", "b", max),
            ("c", "d", max),
            ("c", "e", max),
            ("d", "e", max),
            ("a", "c", high),
            ("a", "d", high),
            ("a", "e", -max),
            ("b", "c", -max),
            ("b", "d", -max),
            ("b", "e", -max),
        ]);
        let scored: Vec<ScoredPair> = [(0, 1), (2, 3), (2, 4), (3, 4), (0, 2), (0, 3)]
            .iter()
            .map(|&(a, b)| ScoredPair {
                a,
                b,
                weight: table.score(&rs[a as usize], &rs[b as usize]).weight(),
            })
            .collect();
        let c = cluster(&rs, &scored, &table, &ClusterParams::default()).unwrap();
        assert_eq!(c.clusters().len(), 2);
        assert!(c.refusals().iter().all(|r| r.guard == Guard::Coherence));
        assert!(!c.refusals().is_empty());
    }
}
