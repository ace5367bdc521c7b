//! Clustering that resists over-merging: links in decreasing weight, each
//! refused or accepted by guards, then a second look at the records left
//! alone (see [`cluster`]).

use std::collections::HashSet;
use std::fmt;

use uuid::Uuid;

use crate::error::Result;
use crate::identity::error::check_param;
use crate::identity::hash::FixedMap;
use crate::identity::record::NormalizedRecord;
use crate::identity::score::{probability, Field, KnownLevels, Matcher, ScoredPair};
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
/// | `attach_singletons` | `true` | weigh a record left alone against its linked clusters as one person (see [`cluster`]) |
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClusterParams {
    max_cluster_size: usize,
    coherence: f64,
    source_limit: SourceLimit,
    #[cfg_attr(feature = "serde", serde(default = "attach_by_default"))]
    attach_singletons: bool,
}

#[cfg(feature = "serde")]
fn attach_by_default() -> bool {
    true
}

impl Default for ClusterParams {
    fn default() -> ClusterParams {
        ClusterParams {
            max_cluster_size: 50,
            coherence: 0.5,
            source_limit: SourceLimit::Unlimited,
            attach_singletons: true,
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

    /// Sets whether a record the guards left alone is weighed against the
    /// clusters it has links to, each taken as one person, and joins the
    /// best of them when that evidence is a link (see [`cluster`]).
    #[must_use]
    pub fn attach_singletons(mut self, attach: bool) -> ClusterParams {
        self.attach_singletons = attach;
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

/// Clusters `records` from their scored pairs.
///
/// Links (scored pairs at or above the matcher's link weight) are taken in
/// order of decreasing weight, ties broken by record ids. Each link would
/// merge two clusters; guards may refuse it:
///
/// - **size**: the merged cluster would exceed [`ClusterParams::max_cluster_size`];
/// - **source**: with [`SourceLimit::OnePerSource`], both clusters hold a
///   record of one source (linkage of deduplicated sources);
/// - **conflict**: more than half of the cross pairs (a record of one
///   cluster with a record of the other) hold strong conflicting evidence
///   ([`Matcher::is_conflict`], such as birth dates that differ beyond a
///   typo with no agreeing identifier) — this keeps parent and child with
///   one name, and households, apart even when one link is wrong, while one
///   mistyped date cannot split an otherwise coherent cluster;
/// - **coherence**: the match probability of the cross pairs' mean weight
///   (their mean log-odds) is below [`ClusterParams::coherence`] — one
///   strong link cannot chain two otherwise unrelated clusters (a bridge).
///   The mean is taken over weights, not probabilities: a probability cannot
///   pass 0 or 1, so one record that shares little with the other cluster
///   (a sparse web sign-up) would drag a mean of probabilities down as far as
///   a record that contradicts it, and no strength of agreement elsewhere
///   could make up for either; in weights, missing evidence costs only the
///   prior and contradicting evidence costs what it weighs.
///
/// A record the guards left alone gets a second look
/// ([`ClusterParams::attach_singletons`], on by default). Its cross pairs
/// weigh each member on its own: a cluster whose one member holds the email
/// the record shares and whose other holds only a phone gives one strong
/// pair and one weak one. Against the cluster taken as one person, each
/// field is asked of the members that hold it: the evidence is the mean
/// prior weight of the cross pairs plus, field by field, the mean weight
/// (with its term-frequency adjustment, from [`Matcher::explain`]) over the
/// members whose comparison with the record holds the field. Of the
/// clusters (of two or more records) it has links to, the record joins the
/// one with the most evidence when that evidence, less `log2(k)` bits for
/// having weighed `k` clusters, reaches the link weight, and at most half of
/// the cross pairs conflict; the size and source guards apply as to any
/// merge. The `log2(k)` bits keep the best of `k` chances about as hard to
/// reach by luck as one: two people reach a likelihood ratio of `2^w` with
/// probability at most `2^-w`, and the best of `k` such chances with at
/// most `k * 2^-w`. The record's strongest link into
/// the cluster joins [`Cluster::links`] and leaves [`Clustering::refusals`].
/// A matcher whose explanations name no fields is weighed by its prior
/// weights alone; [`MatchModel`](crate::identity::MatchModel) names them.
///
/// The result depends only on the records and their scores, never on input
/// order, and each cluster's id is derived from its smallest member id.
///
/// `records` may be in any order; `scored` pairs index into it (pairs
/// below the link weight are ignored). A pure step.
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
    // Each refusal with the index of its link.
    let mut refusals: Vec<(usize, Refusal)> = Vec::new();
    for &e in &edges {
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
            refusals.push((
                e,
                Refusal {
                    a,
                    b,
                    weight: p.weight,
                    guard,
                },
            ));
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
    if params.attach_singletons {
        let attached = attach_singletons(
            records, scored, &edges, matcher, params, &rank, &mut sets, &mut cache,
        );
        for &(x, root, e) in &attached {
            let (a, b) = ids(&scored[e]);
            sets.links[root as usize].push(Link {
                a,
                b,
                weight: scored[e].weight,
            });
            sets.parent[x as usize] = root;
            sets.members[x as usize].clear();
        }
        // The refused links that attached a record are links now.
        let accepted: HashSet<usize> = attached.iter().map(|a| a.2).collect();
        refusals.retain(|(e, _)| !accepted.contains(e));
    }
    // The links' order is no longer needed; the clusters built next are the
    // peak of a large resolution's memory.
    drop(edges);
    let refusals = refusals.into_iter().map(|(_, r)| r).collect();
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
        let mut links = std::mem::take(&mut sets.links[r as usize]);
        links.sort_by(|x, y| {
            y.weight
                .total_cmp(&x.weight)
                .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
        });
        clusters.push(Cluster {
            id: ClusterId::for_smallest_member(first),
            members,
            links,
        });
    }
    Ok(Clustering::from_parts(clusters, refusals))
}

/// Finds, for each record the guards left alone, the best of the clusters
/// (of two or more records) it has links to, weighed as one person, and
/// returns `(record, cluster root, link)` for those it joins, `link` being
/// its strongest link into the cluster. Decisions are made against the
/// clusters as the links left them, and applied in id order within the
/// size and source guards, so they do not depend on input order; `sets`
/// gains the members, the caller the links.
///
/// The evidence against a cluster of `n` members is the mean of the cross
/// pairs' prior weights plus, for each field, the mean weight (with its
/// term-frequency adjustment) over the members whose comparison with the
/// record holds the field: each field is asked of the members that have
/// it. The record joins when that evidence, less `log2(k)` bits for the
/// `k` clusters it was weighed against, is at least the link weight, and
/// at most half of the cross pairs conflict.
#[allow(clippy::too_many_arguments)]
fn attach_singletons(
    records: &[NormalizedRecord],
    scored: &[ScoredPair],
    edges: &[usize],
    matcher: &dyn Matcher,
    params: &ClusterParams,
    rank: &[u32],
    sets: &mut Sets,
    cache: &mut PairCache,
) -> Vec<(u32, u32, usize)> {
    // (record left alone, root of a cluster it links to, position of the
    // link in `edges`, strongest first).
    let mut linked: Vec<(u32, u32, usize)> = Vec::new();
    for (i, &e) in edges.iter().enumerate() {
        let p = &scored[e];
        for (x, y) in [(p.a, p.b), (p.b, p.a)] {
            let (rx, ry) = (sets.find(x), sets.find(y));
            if sets.members[rx as usize].len() == 1 && sets.members[ry as usize].len() >= 2 {
                linked.push((x, ry, i));
            }
        }
    }
    if linked.is_empty() {
        return Vec::new();
    }
    let first = |sets: &Sets, root: u32| rank[sets.members[root as usize][0] as usize];
    linked.sort_unstable_by_key(|&(x, root, i)| (rank[x as usize], first(sets, root), i));
    // The strongest link of each (record, cluster).
    linked.dedup_by_key(|&mut (x, root, _)| (x, root));
    let threshold = matcher.link_weight();
    let mut decisions: Vec<(u32, u32, usize)> = Vec::new();
    for group in linked.chunk_by(|p, q| p.0 == q.0) {
        let x = group[0].0;
        let penalty = (group.len() as f64).log2();
        // The best cluster by evidence, the first in id order on a tie.
        let mut best: Option<(f64, u32, usize)> = None;
        for &(_, root, i) in group {
            let evidence = evidence_against(records, matcher, x, &sets.members[root as usize]);
            if evidence.is_nan() {
                continue;
            }
            if best.is_none_or(|b| evidence > b.0) {
                best = Some((evidence, root, edges[i]));
            }
        }
        let Some((evidence, root, e)) = best else {
            continue;
        };
        if evidence - penalty < threshold {
            continue;
        }
        let members = &sets.members[root as usize];
        let conflicts = members
            .iter()
            .filter(|m| cache.get(records, matcher, x, **m).1)
            .count();
        if conflicts * 2 <= members.len() {
            decisions.push((x, root, e));
        }
    }
    let mut attached = Vec::new();
    for (x, root, e) in decisions {
        let members = &sets.members[root as usize];
        if members.len() + 1 > params.max_cluster_size {
            continue;
        }
        let source = records[x as usize].source();
        if params.source_limit == SourceLimit::OnePerSource
            && members
                .iter()
                .any(|m| records[*m as usize].source() == source)
        {
            continue;
        }
        let members = &mut sets.members[root as usize];
        let at = members.partition_point(|m| rank[*m as usize] < rank[x as usize]);
        members.insert(at, x);
        attached.push((x, root, e));
    }
    attached
}

/// Returns the evidence in bits that record `x` is the person of cluster
/// `members` (see [`attach_singletons`]), read from the matcher's
/// explanations; NaN when an explanation holds a weight that is not a
/// number. Every term is divided by 16 as it is added and the sum
/// multiplied back: the means of a matcher of one's own may each be as
/// large as any finite `f64`.
fn evidence_against(
    records: &[NormalizedRecord],
    matcher: &dyn Matcher,
    x: u32,
    members: &[u32],
) -> f64 {
    const SCALE: f64 = 16.0;
    let explanations: Vec<_> = members
        .iter()
        .map(|m| matcher.explain(&records[x as usize], &records[*m as usize]))
        .collect();
    let n = explanations.len() as f64;
    let mut total = explanations
        .iter()
        .map(|e| e.prior_weight / n / SCALE)
        .sum::<f64>();
    for f in Field::ALL {
        let held: Vec<_> = explanations
            .iter()
            .flat_map(|e| e.comparisons.iter())
            .filter(|c| c.field == f && c.level != 0)
            .collect();
        let k = held.len() as f64;
        total += held
            .iter()
            .map(|c| c.weight / k / SCALE + c.tf_adjustment / k / SCALE)
            .sum::<f64>();
    }
    total * SCALE
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
    use crate::identity::score::{
        ComparisonExplanation, MatchExplanation, MatchScore, ScoreContext,
    };
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
        /// No field-by-field evidence: the pair's weight stands as its
        /// prior, so a record left alone is weighed against a cluster by
        /// the mean weight of its cross pairs, as the coherence guard does.
        fn explain(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchExplanation {
            explanation(a, b, self.score(a, b).weight(), Vec::new())
        }
        fn link_weight(&self) -> f64 {
            0.0
        }
    }

    fn explanation(
        a: &NormalizedRecord,
        b: &NormalizedRecord,
        prior_weight: f64,
        comparisons: Vec<ComparisonExplanation>,
    ) -> MatchExplanation {
        let weight = prior_weight + comparisons.iter().map(|c| c.weight).sum::<f64>();
        MatchExplanation {
            a: a.id().clone(),
            b: b.id().clone(),
            prior_weight,
            comparisons,
            rule: None,
            rule_weight: 0.0,
            weight,
            probability: probability(weight),
            is_link: weight >= 0.0,
            context: ScoreContext::General,
        }
    }

    /// Weighs each listed pair field by field: a prior of -20 bits plus the
    /// weight of each field both records hold; a listed pair may conflict.
    /// Every other pair weighs -40 bits. The link weight is 0.
    #[derive(Debug)]
    struct Fields(Vec<Entry>);

    /// Two record ids, their fields' weights, and whether they conflict.
    type Entry = (&'static str, &'static str, Vec<(Field, f64)>, bool);

    impl Fields {
        fn entry(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> Option<&Entry> {
            let (x, y) = (a.id().as_str(), b.id().as_str());
            self.0
                .iter()
                .find(|(p, q, _, _)| (*p, *q) == (x, y) || (*q, *p) == (x, y))
        }
    }

    impl Matcher for Fields {
        fn score(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchScore {
            MatchScore::new(self.explain(a, b).weight).unwrap()
        }
        fn explain(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchExplanation {
            let Some((_, _, fields, _)) = self.entry(a, b) else {
                return explanation(a, b, -40.0, Vec::new());
            };
            let comparisons = fields
                .iter()
                .map(|&(field, weight)| ComparisonExplanation {
                    field,
                    level: 1,
                    label: "listed".to_owned(),
                    weight,
                    tf_adjustment: 0.0,
                })
                .collect();
            explanation(a, b, -20.0, comparisons)
        }
        fn link_weight(&self) -> f64 {
            0.0
        }
        fn is_conflict(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
            self.entry(a, b).is_some_and(|e| e.3)
        }
    }

    /// The scored links of `pairs` among `rs`.
    fn links(rs: &[NormalizedRecord], m: &dyn Matcher) -> Vec<ScoredPair> {
        let mut out = Vec::new();
        for a in 0..rs.len() as u32 {
            for b in a + 1..rs.len() as u32 {
                let weight = m.score(&rs[a as usize], &rs[b as usize]).weight();
                if weight >= m.link_weight() {
                    out.push(ScoredPair { a, b, weight });
                }
            }
        }
        out
    }

    /// Each record's cluster, as the sorted member ids of each cluster.
    fn groups(c: &Clustering) -> Vec<Vec<String>> {
        c.clusters()
            .iter()
            .map(|c| c.members().iter().map(|m| m.as_str().to_owned()).collect())
            .collect()
    }

    use Field::{Email, GivenName, Phone};

    /// One person as a and b (one holds the email, the other a phone), and
    /// r, who shares the name and the email with a and whose phone differs
    /// from b's: r–a is a link of 3 bits, r–b weighs -16.
    fn email_and_phone(conflict: bool) -> Fields {
        Fields(vec![
            ("a", "b", vec![(GivenName, 7.0), (Email, 19.0)], false),
            (
                "r",
                "a",
                vec![(GivenName, 7.0), (Email, 19.0), (Phone, -3.0)],
                conflict,
            ),
            ("r", "b", vec![(GivenName, 7.0), (Phone, -3.0)], conflict),
        ])
    }

    #[test]
    fn a_record_left_alone_joins_the_cluster_its_fields_agree_with() {
        let rs = records(&["a", "b", "r"]);
        let m = email_and_phone(false);
        let scored = links(&rs, &m);
        // The mean cross weight, (3 - 16) / 2 bits, refuses r; but of the
        // cluster as one person, the name agrees (+7), the email agrees
        // (+19: only a holds one) and the phone differs (-3): 3 bits.
        let off = ClusterParams::default().attach_singletons(false);
        let alone = cluster(&rs, &scored, &m, &off).unwrap();
        assert_eq!(groups(&alone), [vec!["a", "b"], vec!["r"]]);
        assert_eq!(alone.refusals().len(), 1);
        assert_eq!(alone.refusals()[0].guard, Guard::Coherence);
        let joined = cluster(&rs, &scored, &m, &ClusterParams::default()).unwrap();
        assert_eq!(groups(&joined), [vec!["a", "b", "r"]]);
        // Its strongest link into the cluster explains it, and is no
        // longer a refusal.
        let made: Vec<_> = joined.clusters()[0]
            .links()
            .iter()
            .map(|l| (l.a.as_str(), l.b.as_str(), l.weight))
            .collect();
        assert_eq!(made, [("a", "b", 6.0), ("a", "r", 3.0)]);
        assert!(joined.refusals().is_empty());
        // The same in any input order.
        for order in [[2, 0, 1], [1, 2, 0], [2, 1, 0]] {
            let shuffled: Vec<_> = order.iter().map(|i| rs[*i].clone()).collect();
            let c = cluster(
                &shuffled,
                &links(&shuffled, &m),
                &m,
                &ClusterParams::default(),
            );
            assert_eq!(c.unwrap(), joined);
        }
    }

    #[test]
    fn a_record_left_alone_does_not_join_a_cluster_it_conflicts_with() {
        let rs = records(&["a", "b", "r"]);
        let m = email_and_phone(true);
        let c = cluster(&rs, &links(&rs, &m), &m, &ClusterParams::default()).unwrap();
        assert_eq!(groups(&c), [vec!["a", "b"], vec!["r"]]);
        assert_eq!(c.refusals()[0].guard, Guard::Conflict);
    }

    /// Clusters {a, b} (only a holds an email) and {c, d} (only c holds a
    /// phone), and r, linked to a and to c (one bit above its evidence
    /// against their cluster); r's evidence against {a, b} as one person is
    /// `left` bits, against {c, d} `right` bits (`None`: no link to c).
    /// Returns the members of r's cluster.
    fn r_joins(left: f64, right: Option<f64>) -> Vec<String> {
        let rs = records(&["a", "b", "c", "d", "r"]);
        // Against {a, b}: -20 + 7 + (left + 17) + (-3 - 5) / 2 = left bits;
        // r–a alone weighs left + 1, r–b -18.
        let mut table = vec![
            ("a", "b", vec![(GivenName, 7.0), (Email, 19.0)], false),
            (
                "r",
                "a",
                vec![(GivenName, 7.0), (Email, left + 17.0), (Phone, -3.0)],
                false,
            ),
            ("r", "b", vec![(GivenName, 7.0), (Phone, -5.0)], false),
            ("c", "d", vec![(GivenName, 7.0), (Phone, 19.0)], false),
        ];
        if let Some(right) = right {
            table.push((
                "r",
                "c",
                vec![(GivenName, 7.0), (Phone, right + 17.0), (Email, -3.0)],
                false,
            ));
            table.push(("r", "d", vec![(GivenName, 7.0), (Email, -5.0)], false));
        }
        let m = Fields(table);
        let c = cluster(&rs, &links(&rs, &m), &m, &ClusterParams::default()).unwrap();
        let of_r = c
            .clusters()
            .iter()
            .find(|c| c.members().iter().any(|m| m.as_str() == "r"));
        of_r.unwrap()
            .members()
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect()
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn attachment_keeps_every_record_once_whatever_the_input_order(
            n in 2usize..8,
            pairs in proptest::collection::vec(
                (0usize..3, -30.0f64..40.0, 0usize..3, -30.0f64..30.0, any::<bool>()),
                28,
            ),
            rotate in 1usize..8,
        ) {
            const IDS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
            const FIELDS3: [Field; 3] = [GivenName, Email, Phone];
            let mut table = Vec::new();
            let mut k = 0;
            for (i, x) in IDS[..n].iter().enumerate() {
                for y in &IDS[i + 1..n] {
                    let (f, w, g, v, conflict) = pairs[k];
                    k += 1;
                    table.push((*x, *y, vec![(FIELDS3[f], w), (FIELDS3[g], v)], conflict));
                }
            }
            let m = Fields(table);
            let rs = records(&IDS[..n]);
            let c = cluster(&rs, &links(&rs, &m), &m, &ClusterParams::default()).unwrap();
            let mut all: Vec<String> = groups(&c).concat();
            all.sort();
            prop_assert_eq!(all, IDS[..n].to_vec());
            let mut turned = rs.clone();
            turned.rotate_left(rotate % n);
            let d = cluster(&turned, &links(&turned, &m), &m, &ClusterParams::default()).unwrap();
            prop_assert_eq!(c, d);
        }
    }

    #[test]
    fn the_best_of_several_clusters_must_clear_the_link_weight_by_log2_of_their_number() {
        // One cluster: its evidence must reach the link weight, 0 bits
        // (at -0.5 bits, r–a is still a link of 0.5 bits).
        assert_eq!(r_joins(0.0, None), ["a", "b", "r"]);
        assert_eq!(r_joins(-0.5, None), ["r"]);
        // Two clusters: the better one must reach 1 bit (log2 2).
        assert_eq!(r_joins(0.5, Some(0.25)), ["r"]);
        assert_eq!(r_joins(1.0, Some(0.25)), ["a", "b", "r"]);
        assert_eq!(r_joins(0.25, Some(1.5)), ["c", "d", "r"]);
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
