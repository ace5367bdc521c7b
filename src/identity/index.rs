//! Incremental resolution: add records to an existing resolution.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::error::Result;
use crate::identity::block::{Blocker, PairScope, RuleBlocker};
use crate::identity::cluster::{cluster, Cluster, ClusterId, Clustering, Refusal};
use crate::identity::error::{check_param, Detail};
use crate::identity::record::{normalize_record, NormalizedRecord};
use crate::identity::score::{MatchModel, Matcher, ScoredPair};
use crate::identity::ResolveParams;
use crate::model::{RecordId, SourceRecord};

/// A resolution that grows: records are added in batches, and the clusters
/// are always exactly those that [`Resolver::resolve_normalized`] gives for
/// all records so far with the same (frozen) model.
///
/// Adding records costs time in proportion to their candidate pairs and to
/// the size of the clusters they touch: only the link components that
/// gained or lost a link are clustered again.
///
/// [`Resolver::resolve_normalized`]: crate::identity::Resolver::resolve_normalized
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::identity::{ResolutionIndex, ResolveParams, Resolver};
/// use custodia::model::{EmailAddress, PersonName, SourceRecord};
///
/// let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let make = |id: &str, given: &str, email: &str| -> custodia::Result<SourceRecord> {
///     let mut b = SourceRecord::builder(id, "crm", at)?;
///     b.identity().names.push(PersonName::from_parts(Some(given), Some("Silva"))?);
///     b.identity().emails.push(EmailAddress::new(email)?);
///     b.build()
/// };
/// let first = vec![make("1", "Ana", "ana@example.pt")?, make("2", "Rui", "rui@example.pt")?,
///                  make("3", "Ana", "ana@example.pt")?];
/// let resolver = Resolver::new(ResolveParams::default())?;
/// let model = resolver.train(&resolver.normalize(&first)?)?;
/// let mut index = ResolutionIndex::new(ResolveParams::default(), model)?;
/// index.add(&first)?;
/// index.add(&[make("4", "Rui", "rui@example.pt")?])?;
/// assert_eq!(index.clustering().clusters().len(), 2);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone)]
pub struct ResolutionIndex {
    params: ResolveParams,
    model: MatchModel,
    blocker: RuleBlocker,
    records: Vec<NormalizedRecord>,
    by_id: HashMap<RecordId, u32>,
    /// Each record's sorted key hashes, as batch blocking groups them.
    keys: Vec<Vec<u64>>,
    blocks: HashMap<u64, Vec<u32>>,
    links: Vec<Vec<(u32, f64)>>,
    cluster_of: Vec<ClusterId>,
    clusters: HashMap<ClusterId, Cluster>,
    refusals: HashMap<(RecordId, RecordId), Refusal>,
    /// The ids of the records clustered again since the last
    /// [`ResolutionIndex::take_touched`], when a caller asked to be told
    /// (the `pipeline` module keeps a profile store in step with them).
    touched: Option<Vec<RecordId>>,
}

// The block keys are hashes of folded names, emails and phones under a
// fixed, public hash, which a list of guesses could reverse; outside
// `Unredacted` they are counted, not shown. The records redact their own
// values.
impl std::fmt::Debug for ResolutionIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("ResolutionIndex");
        d.field("params", &self.params)
            .field("model", &self.model)
            .field("blocker", &self.blocker)
            .field("records", &self.records)
            .field("by_id", &self.by_id);
        if crate::model::redact::revealing() {
            d.field("keys", &self.keys).field("blocks", &self.blocks);
        } else {
            d.field("keys", &self.keys.iter().map(Vec::len).sum::<usize>())
                .field("blocks", &self.blocks.len());
        }
        d.field("links", &self.links)
            .field("cluster_of", &self.cluster_of)
            .field("clusters", &self.clusters)
            .field("refusals", &self.refusals)
            .finish()
    }
}

impl ResolutionIndex {
    /// Returns an empty index that resolves with `params` and `model`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a parameter is out of range.
    pub fn new(params: ResolveParams, model: MatchModel) -> Result<ResolutionIndex> {
        params.validate()?;
        let blocker = RuleBlocker::new(params.blocking_params(), model.generic().clone());
        Ok(ResolutionIndex {
            params,
            model,
            blocker,
            records: Vec::new(),
            by_id: HashMap::new(),
            keys: Vec::new(),
            blocks: HashMap::new(),
            links: Vec::new(),
            cluster_of: Vec::new(),
            clusters: HashMap::new(),
            refusals: HashMap::new(),
            touched: None,
        })
    }

    /// Starts recording the ids of the records that each later change
    /// clusters again (read them with [`ResolutionIndex::take_touched`]).
    pub(crate) fn track_touched(&mut self) {
        self.touched.get_or_insert_with(Vec::new);
    }

    /// Returns the ids of the records clustered again since the last call
    /// (with repeats), or nothing when tracking is off. Every member of a
    /// cluster that changed is among them: reclustering takes whole link
    /// components, and a cluster lies within one.
    pub(crate) fn take_touched(&mut self) -> Vec<RecordId> {
        self.touched
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Returns a cluster by id, or `None` for an unknown id.
    pub(crate) fn cluster(&self, id: &ClusterId) -> Option<&Cluster> {
        self.clusters.get(id)
    }

    /// Returns the number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Returns `true` when the index holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Returns the cluster id of a record, or `None` for an unknown id.
    pub fn cluster_of(&self, id: &RecordId) -> Option<ClusterId> {
        self.by_id
            .get(id)
            .and_then(|i| self.cluster_of.get(*i as usize))
            .copied()
    }

    /// Returns a record as the index holds it (normalised), or `None` for
    /// an unknown id.
    pub fn record(&self, id: &RecordId) -> Option<&NormalizedRecord> {
        self.by_id
            .get(id)
            .and_then(|i| self.records.get(*i as usize))
    }

    /// Returns the current clustering.
    pub fn clustering(&self) -> Clustering {
        Clustering::from_parts(
            self.clusters.values().cloned().collect(),
            self.refusals.values().cloned().collect(),
        )
    }

    fn is_small(&self, key: &u64) -> bool {
        self.blocks
            .get(key)
            .is_some_and(|b| b.len() <= self.params.blocking_params().block_size_limit())
    }

    fn in_scope(&self, a: u32, b: u32) -> bool {
        self.params.blocking_params().pair_scope() == PairScope::All
            || self.records[a as usize].source() != self.records[b as usize].source()
    }

    /// Returns `true` when `a` and `b` still share a block within the limit.
    fn is_candidate(&self, a: u32, b: u32) -> bool {
        let kb = &self.keys[b as usize];
        self.in_scope(a, b)
            && self.keys[a as usize]
                .iter()
                .any(|k| kb.binary_search(k).is_ok() && self.is_small(k))
    }

    /// Adds source records (normalised with the index's parameters).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when an id is already in the index or repeats in `records`; the
    /// index is then unchanged.
    pub fn add(&mut self, records: &[SourceRecord]) -> Result<()> {
        let normalized: Vec<NormalizedRecord> = records
            .iter()
            .map(|r| normalize_record(r, self.params.normalize_params()))
            .collect();
        self.add_normalized(normalized)
    }

    /// Adds normalised records.
    ///
    /// # Errors
    ///
    /// As [`ResolutionIndex::add`].
    pub fn add_normalized(&mut self, records: Vec<NormalizedRecord>) -> Result<()> {
        let mut seen = HashSet::new();
        for r in &records {
            if self.by_id.contains_key(r.id()) || !seen.insert(r.id()) {
                return Err(Detail::DuplicateId {
                    id: r.id().as_str().to_owned(),
                }
                .into());
            }
        }
        check_param(
            u32::try_from(self.records.len() + records.len()).is_ok(),
            "record count",
            self.records.len() + records.len(),
            "exceeds u32::MAX",
        )?;
        let limit = self.params.blocking_params().block_size_limit();
        let first_new = self.records.len() as u32;
        let mut old_sizes: HashMap<u64, usize> = HashMap::new();
        for r in records {
            let i = self.records.len() as u32;
            let mut keys = Vec::new();
            self.blocker.key_hashes(&r, &mut keys);
            for k in &keys {
                let block = self.blocks.entry(*k).or_default();
                old_sizes.entry(*k).or_insert(block.len());
                block.push(i);
            }
            self.by_id.insert(r.id().clone(), i);
            self.records.push(r);
            self.keys.push(keys);
            self.links.push(Vec::new());
            self.cluster_of.push(ClusterId::for_smallest_member(
                self.records[i as usize].id(),
            ));
        }
        let mut affected: BTreeSet<u32> = (first_new..self.records.len() as u32).collect();
        // Blocks that just outgrew the limit no longer make candidates: drop
        // the links only they supported.
        for (key, old) in &old_sizes {
            let now = self.blocks.get(key).map_or(0, Vec::len);
            if *old <= limit && now > limit && *old >= 2 {
                let members: Vec<u32> = self.blocks[key]
                    .iter()
                    .copied()
                    .filter(|m| *m < first_new)
                    .collect();
                for (x, &a) in members.iter().enumerate() {
                    for &b in &members[x + 1..] {
                        if self.links[a as usize].iter().any(|(o, _)| *o == b)
                            && !self.is_candidate(a, b)
                        {
                            self.links[a as usize].retain(|(o, _)| *o != b);
                            self.links[b as usize].retain(|(o, _)| *o != a);
                            affected.insert(a);
                            affected.insert(b);
                        }
                    }
                }
            }
        }
        // New candidate pairs: every new record with its small blocks' members.
        let mut candidates: BTreeSet<(u32, u32)> = BTreeSet::new();
        for i in first_new..self.records.len() as u32 {
            for k in &self.keys[i as usize] {
                if !self.is_small(k) {
                    continue;
                }
                for &j in &self.blocks[k] {
                    if j != i && self.in_scope(i, j) {
                        candidates.insert((i.min(j), i.max(j)));
                    }
                }
            }
        }
        let threshold = self.model.link_weight();
        for (a, b) in candidates {
            let w = self
                .model
                .score(&self.records[a as usize], &self.records[b as usize])
                .weight();
            if w >= threshold {
                self.links[a as usize].push((b, w));
                self.links[b as usize].push((a, w));
                affected.insert(a);
                affected.insert(b);
            }
        }
        self.recluster(&affected)
    }

    /// Clusters again the link components that hold an affected record.
    fn recluster(&mut self, affected: &BTreeSet<u32>) -> Result<()> {
        let mut component: Vec<u32> = Vec::new();
        let mut seen: HashSet<u32> = HashSet::new();
        for &start in affected {
            if !seen.insert(start) {
                continue;
            }
            let mut stack = vec![start];
            while let Some(x) = stack.pop() {
                component.push(x);
                for (y, _) in &self.links[x as usize] {
                    if seen.insert(*y) {
                        stack.push(*y);
                    }
                }
            }
        }
        let local: HashMap<u32, u32> = component
            .iter()
            .enumerate()
            .map(|(l, g)| (*g, l as u32))
            .collect();
        let sub: Vec<NormalizedRecord> = component
            .iter()
            .map(|g| self.records[*g as usize].clone())
            .collect();
        let mut scored = Vec::new();
        for &g in &component {
            for &(o, w) in &self.links[g as usize] {
                if g < o {
                    scored.push(ScoredPair {
                        a: local[&g],
                        b: local[&o],
                        weight: w,
                    });
                }
            }
        }
        let clustering = cluster(&sub, &scored, &self.model, self.params.cluster_params())?;
        for &g in &component {
            let old = self.cluster_of[g as usize];
            self.clusters.remove(&old);
        }
        if let Some(touched) = self.touched.as_mut() {
            touched.extend(sub.iter().map(|r| r.id().clone()));
        }
        let members: HashSet<&RecordId> = sub.iter().map(NormalizedRecord::id).collect();
        self.refusals.retain(|(a, _), _| !members.contains(a));
        let (clusters, refusals) = clustering.into_parts();
        for c in clusters {
            for m in c.members() {
                if let Some(i) = self.by_id.get(m) {
                    self.cluster_of[*i as usize] = c.id();
                }
            }
            self.clusters.insert(c.id(), c);
        }
        for r in refusals {
            self.refusals.insert((r.a.clone(), r.b.clone()), r);
        }
        Ok(())
    }

    /// Removes records by id, and returns the removed records (in the
    /// order of `ids`); ids the index does not hold, or that repeat, are
    /// skipped.
    ///
    /// Afterwards the index is exactly the one that adding the remaining
    /// records to a fresh index with the same parameters and model gives:
    /// same clusters, same refusals. Links through a removed record go, its
    /// blocks shrink (and a block that shrinks back within the size limit
    /// makes candidates again), and only the link components that held a
    /// removed record's neighbours are clustered again. The cost is in
    /// proportion to the removed records' blocks, links and clusters, not
    /// to the whole index. To remove a subject, pass the ids of its records
    /// (as an erasure receipt of the `merge` module lists them;
    /// `ProfileStore::erase_everywhere` there does it all).
    ///
    /// # Errors
    ///
    /// As [`ResolutionIndex::add`] when reclustering fails, which valid
    /// parameters do not cause.
    pub fn remove(&mut self, ids: &[RecordId]) -> Result<Vec<NormalizedRecord>> {
        let limit = self.params.blocking_params().block_size_limit();
        let mut old_sizes: HashMap<u64, usize> = HashMap::new();
        let mut neighbours: HashSet<RecordId> = HashSet::new();
        let mut removed = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(&i) = self.by_id.get(id) else {
                continue;
            };
            let iu = i as usize;
            for (o, _) in std::mem::take(&mut self.links[iu]) {
                self.links[o as usize].retain(|(x, _)| *x != i);
                neighbours.insert(self.records[o as usize].id().clone());
            }
            for k in std::mem::take(&mut self.keys[iu]) {
                if let Some(block) = self.blocks.get_mut(&k) {
                    old_sizes.entry(k).or_insert(block.len());
                    block.retain(|x| *x != i);
                    if block.is_empty() {
                        self.blocks.remove(&k);
                    }
                }
            }
            // Its cluster mates are all reached through its neighbours and
            // are clustered again below.
            self.clusters.remove(&self.cluster_of[iu]);
            self.refusals.retain(|(a, b), _| a != id && b != id);
            self.by_id.remove(id);
            // Fill the hole with the last record: renumber it everywhere it
            // appears (its blocks and its neighbours' links).
            let last = (self.records.len() - 1) as u32;
            if i != last {
                for k in &self.keys[last as usize] {
                    if let Some(block) = self.blocks.get_mut(k) {
                        for x in block.iter_mut().filter(|x| **x == last) {
                            *x = i;
                        }
                    }
                }
                let others: Vec<u32> = self.links[last as usize].iter().map(|l| l.0).collect();
                for o in others {
                    for l in self.links[o as usize].iter_mut().filter(|l| l.0 == last) {
                        l.0 = i;
                    }
                }
                self.by_id
                    .insert(self.records[last as usize].id().clone(), i);
            }
            self.keys.swap_remove(iu);
            self.links.swap_remove(iu);
            self.cluster_of.swap_remove(iu);
            removed.push(self.records.swap_remove(iu));
        }
        let mut affected: BTreeSet<u32> = neighbours
            .iter()
            .filter_map(|id| self.by_id.get(id).copied())
            .collect();
        // Blocks back within the limit make candidates again; pairs already
        // linked stay, the others are scored as a fresh index would.
        let mut candidates: BTreeSet<(u32, u32)> = BTreeSet::new();
        for (key, old) in &old_sizes {
            let Some(block) = self.blocks.get(key) else {
                continue;
            };
            if *old > limit && block.len() <= limit {
                for (x, &a) in block.iter().enumerate() {
                    for &b in &block[x + 1..] {
                        let (a, b) = (a.min(b), a.max(b));
                        if self.in_scope(a, b)
                            && !self.links[a as usize].iter().any(|(o, _)| *o == b)
                        {
                            candidates.insert((a, b));
                        }
                    }
                }
            }
        }
        let threshold = self.model.link_weight();
        for (a, b) in candidates {
            let w = self
                .model
                .score(&self.records[a as usize], &self.records[b as usize])
                .weight();
            if w >= threshold {
                self.links[a as usize].push((b, w));
                self.links[b as usize].push((a, w));
                affected.insert(a);
                affected.insert(b);
            }
        }
        if !affected.is_empty() {
            self.recluster(&affected)?;
        }
        Ok(removed)
    }
}
