//! One pipeline from source records to persons: incremental identity
//! resolution, the consent ledger and the profile store behind one type.
//!
//! [`Pipeline`] owns a [`ResolutionIndex`], a [`ProfileStore`] (which holds
//! the [`ConsentLedger`]) and the [`MatchModel`] the index resolves with.
//! [`Pipeline::insert`] and [`Pipeline::extend`] resolve new records
//! against those already held and regroup only the clusters that changed;
//! each returns the [`Changes`]: persons created, merged, changed. From a
//! person the pipeline gives its unified profile for a purpose at a time,
//! its purchases as [`clv::Transaction`]s and its feedback texts with their
//! language and time ([`Feedback`], for [`sentiment`](crate::sentiment)),
//! all read from the consent-filtered profile.
//!
//! It adds no rule of its own to resolution or merging: the clusters are
//! those of the index, which are exactly those a batch run with the same
//! model gives ([`Resolver::resolve_normalized`]), and every profile is
//! [`ProfileStore::profile`] of its cluster.
//!
//! # Invariants
//!
//! - **Incremental equals batch**: records inserted one at a time, in any
//!   order or batching, give the same partition into persons and the same
//!   profiles as one [`Pipeline::extend`] of them all (property-tested).
//!   Person ids depend on arrival order; the partition does not.
//! - **Stable person ids**: a [`PersonId`] is issued when a person's first
//!   record arrives, in increasing order, and never renamed. When records
//!   join persons together, the oldest person (the smallest id) survives
//!   and the others' ids resolve to it through [`Pipeline::person_of`],
//!   whatever the record ids are. When a person's records come apart (an
//!   erasure removes the record that held them together), the part holding
//!   the person's earliest-inserted record keeps the id and the other parts
//!   get new ones. A person whose every record is erased is gone:
//!   [`Pipeline::person_of`] returns `None` for it and for the ids merged
//!   into it.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
//! use custodia::model::{EmailAddress, PersonName, SourceRecord};
//! use custodia::pipeline::Pipeline;
//!
//! let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
//! let record = |id: &str, email: &str| -> custodia::Result<SourceRecord> {
//!     let mut b = SourceRecord::builder(id, "crm", at)?;
//!     b.identity().names.push(PersonName::from_parts(Some("Ana"), Some("Silva"))?);
//!     b.identity().emails.push(EmailAddress::new(email)?);
//!     b.build()
//! };
//! let ledger = ConsentLedger::builder()
//!     .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
//!     .build()?;
//! let mut pipeline = Pipeline::builder().ledger(ledger).build()?;
//!
//! let first = pipeline.insert(record("web-9", "ana@example.pt")?)?;
//! let ana = first.created()[0];
//! // A second record of the same person joins her; she keeps her id,
//! // though "crm-1" sorts before "web-9".
//! let second = pipeline.insert(record("crm-1", "ana@example.pt")?)?;
//! assert!(second.created().is_empty());
//! assert_eq!(second.changed(), [ana]);
//! assert_eq!(pipeline.person_of_record(&"crm-1".parse()?), Some(ana));
//!
//! let profile = pipeline.profile(ana, &Purpose::Analytics, at)?;
//! assert_eq!(profile.records().len(), 2);
//! # Ok::<(), custodia::Error>(())
//! ```
//!
//! [`Resolver::resolve_normalized`]: crate::identity::Resolver::resolve_normalized

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};

use self::alias::Aliases;

use crate::clv;
use crate::consent::{ConsentLedger, Purpose, SubjectKey};
use crate::error::{Error, ErrorKind, Result};
use crate::identity::{
    normalize_record, ClusterId, Clustering, MatchModel, NormalizedRecord, ResolutionIndex,
    ResolveParams, Resolver,
};
use crate::merge::{
    ErasureReceipt, FieldSelection, FieldValue, InsertOutcome, ProfileStore, ProfileView,
    SurvivorshipPolicy, UnifiedProfile,
};
use crate::model::{Currency, EventKind, FieldPath, LanguageTag, RecordId, SourceRecord};

mod alias;

/// The audit reason of cluster changes the pipeline applies to its store.
const RESOLUTION: &str = "identity resolution";

/// The id of a person: a cluster of records that the pipeline keeps under
/// one name while it grows, merges and loses records.
///
/// Ids are issued in increasing order, so a smaller id is an older person;
/// see the [module docs](self) for the rule that keeps them stable. The
/// text form is `p-` and the number (`p-7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct PersonId(u64);

impl PersonId {
    /// Returns the number of the id (1 for the first person a pipeline
    /// saw).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p-{}", self.0)
    }
}

/// Two persons found to be one: [`absorbed`](Self::absorbed) now resolves
/// to [`survivor`](Self::survivor), the older.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Merged {
    absorbed: PersonId,
    survivor: PersonId,
}

impl Merged {
    /// Returns the id that was merged away (the younger person).
    pub fn absorbed(&self) -> PersonId {
        self.absorbed
    }
    /// Returns the id that survived (the older person).
    pub fn survivor(&self) -> PersonId {
        self.survivor
    }
}

/// What one call changed: persons created, merged, changed and gone, and
/// records refused.
///
/// Every list is sorted. The profiles to derive again after the call are
/// those of [`Changes::changed`]; every other person's records and cluster
/// are as they were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    created: Vec<PersonId>,
    merged: Vec<Merged>,
    changed: Vec<PersonId>,
    removed: Vec<PersonId>,
    refused: Vec<RecordId>,
}

impl Changes {
    /// Returns the persons that did not exist before the call: new people,
    /// and parts split off a person.
    pub fn created(&self) -> &[PersonId] {
        &self.created
    }
    /// Returns the persons merged into older ones.
    pub fn merged(&self) -> &[Merged] {
        &self.merged
    }
    /// Returns every person, new or not, whose records changed (joined,
    /// left, or were replaced): the profiles to derive again.
    pub fn changed(&self) -> &[PersonId] {
        &self.changed
    }
    /// Returns the persons that lost every record (by erasure).
    pub fn removed(&self) -> &[PersonId] {
        &self.removed
    }
    /// Returns the records the store refused because they carry an erased
    /// subject's identifier ([`InsertOutcome::Refused`]).
    pub fn refused(&self) -> &[RecordId] {
        &self.refused
    }

    fn sort(&mut self) {
        self.created.sort_unstable();
        self.merged.sort_unstable();
        self.changed.sort_unstable();
        self.changed.dedup();
        self.removed.sort_unstable();
        self.refused.sort_unstable();
    }
}

/// What [`Pipeline::erase`] did: the store's receipt and the persons it
/// changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erasure {
    receipt: ErasureReceipt,
    changes: Changes,
}

impl Erasure {
    /// Returns the receipt of the erasure ([`ProfileStore::erase`]).
    pub fn receipt(&self) -> &ErasureReceipt {
        &self.receipt
    }
    /// Returns the persons the erasure changed, split or removed.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }
}

/// A text a person wrote (a survey comment, a review, a support message, a
/// problem report or a social comment), with its time and language, for
/// sentiment scoring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    at: DateTime<Utc>,
    event: String,
    text: String,
    language: Option<LanguageTag>,
    record: RecordId,
}

impl Feedback {
    /// Returns when it was written (the event's time).
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// Returns the event's name ([`Event::name`](crate::model::Event::name):
    /// `survey_answered`, `review`, …).
    pub fn event(&self) -> &str {
        &self.event
    }
    /// Returns the text.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Returns its language: that of the record carrying the event
    /// (`demographic.language`), else the person's surviving
    /// `demographic.language`, else `None`.
    ///
    /// Parse it into a [`sentiment::Language`](crate::sentiment::Language)
    /// with `tag.as_str().parse()`.
    pub fn language(&self) -> Option<&LanguageTag> {
        self.language.as_ref()
    }
    /// Returns the record that carries the event (the smallest id when
    /// several records carry it).
    pub fn record(&self) -> &RecordId {
        &self.record
    }
}

/// Which match model a [`PipelineBuilder`] resolves with.
#[derive(Clone, Debug)]
enum ModelChoice {
    Standard,
    Given(Box<MatchModel>),
}

/// Options of a [`Pipeline`]: resolution parameters, survivorship policy,
/// consent ledger and match model.
///
/// | option | default |
/// |---|---|
/// | [`resolve_params`](Self::resolve_params) | [`ResolveParams::default`] |
/// | [`policy`](Self::policy) | [`SurvivorshipPolicy::default`] |
/// | [`ledger`](Self::ledger) | an empty [`ConsentLedger`]: no purpose has a lawful basis, so every profile is empty until one is set or consent recorded |
/// | [`model`](Self::model) | [`MatchModel::standard`] with the parameters' link probability; or train one with [`train_on`](Self::train_on) |
#[derive(Clone, Debug)]
pub struct PipelineBuilder {
    params: ResolveParams,
    policy: SurvivorshipPolicy,
    ledger: ConsentLedger,
    model: ModelChoice,
}

impl Default for PipelineBuilder {
    fn default() -> PipelineBuilder {
        PipelineBuilder {
            params: ResolveParams::default(),
            policy: SurvivorshipPolicy::default(),
            ledger: ConsentLedger::new(),
            model: ModelChoice::Standard,
        }
    }
}

impl PipelineBuilder {
    /// Sets the resolution parameters (normalisation, blocking, training,
    /// clustering).
    #[must_use]
    pub fn resolve_params(mut self, params: ResolveParams) -> PipelineBuilder {
        self.params = params;
        self
    }

    /// Sets the survivorship policy of unified profiles.
    #[must_use]
    pub fn policy(mut self, policy: SurvivorshipPolicy) -> PipelineBuilder {
        self.policy = policy;
        self
    }

    /// Sets the consent ledger.
    #[must_use]
    pub fn ledger(mut self, ledger: ConsentLedger) -> PipelineBuilder {
        self.ledger = ledger;
        self
    }

    /// Resolves with `model`, trained elsewhere (and persisted by the
    /// caller). Erasure does not change it: forget the erased records from
    /// the original yourself ([`MatchModel::forget`]).
    #[must_use]
    pub fn model(mut self, model: MatchModel) -> PipelineBuilder {
        self.model = ModelChoice::Given(Box::new(model));
        self
    }

    /// Returns an empty pipeline.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] when a resolution parameter is out of
    /// range.
    pub fn build(self) -> Result<Pipeline> {
        let model = match self.model {
            ModelChoice::Standard => MatchModel::standard()
                .with_link_probability(self.params.link_probability_value())?,
            ModelChoice::Given(m) => *m,
        };
        Pipeline::from_parts(self.params, self.policy, self.ledger, model, HashSet::new())
    }

    /// Trains a match model on `records` ([`Resolver::train`]; a batch too
    /// small to train on gives the standard model, as there), and returns a
    /// pipeline resolving with it that holds `records`, with what inserting
    /// them changed. A model set with [`model`](Self::model) is replaced.
    ///
    /// The pipeline remembers which records the model counted, and forgets
    /// them from it when they are erased ([`MatchModel::forget`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] when a resolution parameter is out of
    /// range; [`ErrorKind::InvalidInput`] when two records share an id.
    pub fn train_on(self, records: Vec<SourceRecord>) -> Result<(Pipeline, Changes)> {
        let resolver = Resolver::new(self.params.clone())?;
        let normalized = resolver.normalize(&records)?;
        let model = resolver.train(&normalized)?;
        let counted = records.iter().map(|r| r.id().clone()).collect();
        let mut pipeline =
            Pipeline::from_parts(self.params, self.policy, self.ledger, model, counted)?;
        let changes = pipeline.extend(records)?;
        Ok((pipeline, changes))
    }
}

/// Records resolved into persons, with their consent ledger and unified
/// profiles: the [module docs](self) say what it keeps and promises.
#[derive(Clone, Debug)]
pub struct Pipeline {
    params: ResolveParams,
    index: ResolutionIndex,
    store: ProfileStore,
    /// The model as trained, for the caller to persist; erasure forgets the
    /// erased records it counted (the index keeps its own frozen copy).
    model: MatchModel,
    /// The records `model` counted.
    counted: HashSet<RecordId>,
    /// Each held record's arrival number.
    arrival: HashMap<RecordId, u64>,
    next_arrival: u64,
    next_person: u64,
    /// Live persons and their clusters, both ways.
    cluster_of: HashMap<PersonId, ClusterId>,
    person_at: HashMap<ClusterId, PersonId>,
    /// The live person each issued id resolves to.
    aliases: Aliases,
}

impl Default for Pipeline {
    /// Returns [`Pipeline::new`].
    fn default() -> Pipeline {
        Pipeline::new()
    }
}

impl Pipeline {
    /// Returns an empty pipeline with every default of [`PipelineBuilder`]:
    /// default resolution parameters and policy, the standard match model,
    /// and an empty consent ledger (set one with [`Pipeline::ledger_mut`] or
    /// the builder).
    pub fn new() -> Pipeline {
        let params = ResolveParams::default();
        let model = MatchModel::standard();
        // The standard model already links at the default probability.
        let index = ResolutionIndex::new(params.clone(), model.clone())
            .expect("the default resolution parameters are valid");
        Pipeline::assemble(
            params,
            index,
            ProfileStore::new(ConsentLedger::new(), SurvivorshipPolicy::default()),
            model,
            HashSet::new(),
        )
    }

    /// Returns a builder to choose parameters, policy, ledger and model.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    fn from_parts(
        params: ResolveParams,
        policy: SurvivorshipPolicy,
        ledger: ConsentLedger,
        model: MatchModel,
        counted: HashSet<RecordId>,
    ) -> Result<Pipeline> {
        let index = ResolutionIndex::new(params.clone(), model.clone())?;
        Ok(Pipeline::assemble(
            params,
            index,
            ProfileStore::new(ledger, policy),
            model,
            counted,
        ))
    }

    fn assemble(
        params: ResolveParams,
        mut index: ResolutionIndex,
        store: ProfileStore,
        model: MatchModel,
        counted: HashSet<RecordId>,
    ) -> Pipeline {
        index.track_touched();
        Pipeline {
            params,
            index,
            store,
            model,
            counted,
            arrival: HashMap::new(),
            next_arrival: 0,
            next_person: 1,
            cluster_of: HashMap::new(),
            person_at: HashMap::new(),
            aliases: Aliases::default(),
        }
    }

    /// Inserts one record: see [`Pipeline::extend`].
    ///
    /// # Errors
    ///
    /// As [`Pipeline::extend`].
    pub fn insert(&mut self, record: SourceRecord) -> Result<Changes> {
        self.extend([record])
    }

    /// Inserts records, resolves them against those held, and regroups the
    /// clusters that changed; returns what changed.
    ///
    /// A record with the id of one held replaces it (resolved again); an
    /// identical copy changes nothing; a record carrying an erased subject's
    /// identifier is refused ([`Changes::refused`]). The cost is that of
    /// [`ResolutionIndex::add`] (the new records' candidate pairs and the
    /// clusters they touch) plus the size of the changed clusters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the pipeline would hold more than
    /// `u32::MAX` records; nothing is changed then.
    pub fn extend(&mut self, records: impl IntoIterator<Item = SourceRecord>) -> Result<Changes> {
        let records: Vec<SourceRecord> = records.into_iter().collect();
        // The index numbers records with `u32`: refuse before anything moves.
        if u32::try_from(self.index.len().saturating_add(records.len())).is_err() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format_args!(
                    "{} records with the {} held exceed u32::MAX",
                    records.len(),
                    self.index.len()
                ),
            ));
        }
        let mut changes = Changes::default();
        let mut fresh: Vec<NormalizedRecord> = Vec::new();
        let mut slot: HashMap<RecordId, usize> = HashMap::new();
        let mut stale: Vec<RecordId> = Vec::new();
        for record in records {
            let id = record.id().clone();
            let normalized = normalize_record(&record, self.params.normalize_params());
            match self.store.insert(record) {
                InsertOutcome::Refused { .. } => changes.refused.push(id),
                InsertOutcome::Unchanged { .. } => {}
                // Inserted, or Updated: a replaced record is resolved again.
                _ => {
                    if let Some(&i) = slot.get(&id) {
                        fresh[i] = normalized;
                        continue;
                    }
                    if self.index.record(&id).is_some() {
                        stale.push(id.clone());
                    } else {
                        self.arrival.insert(id.clone(), self.next_arrival);
                        self.next_arrival += 1;
                    }
                    slot.insert(id, fresh.len());
                    fresh.push(normalized);
                }
            }
        }
        if fresh.is_empty() {
            changes.sort();
            return Ok(changes);
        }
        // Replaced records were in their person before; their old persons
        // are read from the store's clusters before anything moves.
        let mut before = HashMap::new();
        for id in &stale {
            self.note_cluster(id, &mut before);
        }
        self.index.remove(&stale)?;
        self.index.add_normalized(fresh)?;
        let touched = self.index.take_touched();
        let replaced: HashSet<RecordId> = stale.into_iter().collect();
        self.sync(touched, before, &replaced, &mut changes);
        changes.sort();
        Ok(changes)
    }

    /// Notes the person of every member of `id`'s store cluster (once).
    fn note_cluster(&self, id: &RecordId, before: &mut HashMap<RecordId, Option<PersonId>>) {
        if before.contains_key(id) {
            return;
        }
        let Some(cluster) = self.store.cluster_of(id) else {
            return;
        };
        let person = self.person_at.get(&cluster).copied();
        for m in self.store.members(cluster).unwrap_or_default() {
            before.insert(m.clone(), person);
        }
    }

    /// Brings the store's clusters and the persons in step with the index
    /// after it clustered `touched` again; `before` holds persons noted
    /// earlier (of records whose store cluster has already changed).
    fn sync(
        &mut self,
        touched: Vec<RecordId>,
        mut before: HashMap<RecordId, Option<PersonId>>,
        replaced: &HashSet<RecordId>,
        changes: &mut Changes,
    ) {
        for id in &touched {
            self.note_cluster(id, &mut before);
        }
        // The index's clusters of every noted record, applied to the store.
        let mut ids: BTreeSet<ClusterId> = BTreeSet::new();
        for id in before.keys() {
            ids.extend(self.index.cluster_of(id));
        }
        let clusters = ids
            .iter()
            .filter_map(|c| self.index.cluster(c).cloned())
            .collect();
        self.store
            .apply_clustering(&Clustering::from_parts(clusters, Vec::new()), RESOLUTION);

        // Each old person's home: the new cluster of its earliest-arrived
        // record still held.
        let mut earliest: BTreeMap<PersonId, (u64, ClusterId)> = BTreeMap::new();
        let mut now: BTreeMap<ClusterId, u64> = BTreeMap::new();
        for (id, person) in &before {
            let (Some(cluster), Some(&arrival)) = (self.store.cluster_of(id), self.arrival.get(id))
            else {
                continue;
            };
            let first = now.entry(cluster).or_insert(arrival);
            *first = (*first).min(arrival);
            if let Some(p) = person {
                let e = earliest.entry(*p).or_insert((arrival, cluster));
                if arrival < e.0 {
                    *e = (arrival, cluster);
                }
            }
        }
        let mut sizes: HashMap<PersonId, usize> = HashMap::new();
        for p in before.values().flatten() {
            *sizes.entry(*p).or_default() += 1;
        }
        let old: BTreeSet<PersonId> = sizes.keys().copied().collect();
        for p in &old {
            if let Some(c) = self.cluster_of.remove(p) {
                self.person_at.remove(&c);
            }
        }
        let mut homed: BTreeMap<ClusterId, Vec<PersonId>> = BTreeMap::new();
        for (p, (_, c)) in &earliest {
            homed.entry(*c).or_default().push(*p);
        }
        // New persons are numbered in the order of their first record.
        let mut order: Vec<(u64, ClusterId)> = now.iter().map(|(c, a)| (*a, *c)).collect();
        order.sort_unstable();
        for (_, cluster) in order {
            let members = self.store.members(cluster).unwrap_or_default();
            let person = match homed.get(&cluster) {
                Some(persons) if persons.len() == 1 => {
                    // Changed unless it holds exactly its old records, none
                    // of them replaced.
                    let p = persons[0];
                    let same = sizes.get(&p) == Some(&members.len())
                        && members
                            .iter()
                            .all(|m| before.get(m) == Some(&Some(p)) && !replaced.contains(m));
                    if !same {
                        changes.changed.push(p);
                    }
                    p
                }
                Some(persons) => {
                    // Sorted: BTreeMap iteration pushed them in id order.
                    let survivor = persons[0];
                    for &p in &persons[1..] {
                        self.aliases.merge(p, survivor);
                        changes.merged.push(Merged {
                            absorbed: p,
                            survivor,
                        });
                    }
                    changes.changed.push(survivor);
                    survivor
                }
                None => {
                    let p = PersonId(self.next_person);
                    self.next_person += 1;
                    self.aliases.issue(p);
                    changes.created.push(p);
                    changes.changed.push(p);
                    p
                }
            };
            self.cluster_of.insert(person, cluster);
            self.person_at.insert(cluster, person);
        }
        for p in old {
            if !earliest.contains_key(&p) {
                // Every record gone: the id and those merged into it retire.
                self.aliases.erase(p);
                changes.removed.push(p);
            }
        }
    }

    /// Erases every record `subject` covers, everywhere: the store (with
    /// tombstones and a receipt), the resolution index, and the term counts
    /// of the model the pipeline trained ([`ProfileStore::erase_everywhere`]
    /// does the work). Persons left without records are removed; a person
    /// whose remaining records no longer resolve together is split.
    ///
    /// # Errors
    ///
    /// As [`ProfileStore::erase_everywhere`]; nothing is changed then.
    pub fn erase(&mut self, subject: &SubjectKey, reason: &str) -> Result<Erasure> {
        let covered = self.store.covered(subject);
        let mut before = HashMap::new();
        for id in &covered {
            self.note_cluster(id, &mut before);
        }
        let held: Vec<&RecordId> = covered
            .iter()
            .filter(|id| self.index.record(id).is_some())
            .collect();
        let counted: Vec<NormalizedRecord> = held
            .iter()
            .filter(|id| self.counted.contains(**id))
            .filter_map(|id| self.index.record(id).cloned())
            .collect();
        let receipt = if counted.len() == held.len() {
            self.store
                .erase_everywhere(subject, reason, &mut self.index, &mut self.model)?
        } else {
            // Some records arrived after training: the model counted only
            // the others, so it forgets those; a model that counted nothing
            // stands in for the rest.
            self.model.forget(&counted)?;
            let mut uncounted = MatchModel::standard();
            self.store
                .erase_everywhere(subject, reason, &mut self.index, &mut uncounted)?
        };
        for id in receipt.records() {
            self.arrival.remove(id);
            self.counted.remove(id);
        }
        // The erased records stay in `before`: a person all of whose
        // records went has no home left, and is removed.
        let mut changes = Changes::default();
        let touched = self.index.take_touched();
        self.sync(touched, before, &HashSet::new(), &mut changes);
        changes.sort();
        Ok(Erasure { receipt, changes })
    }

    /// Returns the live person an id resolves to: itself while it exists,
    /// the older person it was merged into (however many merges ago), or
    /// `None` for an id never issued or whose records were all erased.
    /// A lookup follows at most log₂ of the ids issued.
    pub fn person_of(&self, id: PersonId) -> Option<PersonId> {
        self.aliases.resolve(id)
    }

    /// Returns the person a record belongs to, or `None` for a record the
    /// pipeline does not hold.
    pub fn person_of_record(&self, id: &RecordId) -> Option<PersonId> {
        let cluster = self.store.cluster_of(id)?;
        self.person_at.get(&cluster).copied()
    }

    /// Returns every live person, sorted.
    pub fn persons(&self) -> Vec<PersonId> {
        let mut ids: Vec<PersonId> = self.cluster_of.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Returns how many persons there are.
    pub fn person_count(&self) -> usize {
        self.cluster_of.len()
    }

    /// Returns how many records the pipeline holds.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Returns `true` when the pipeline holds no record.
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    fn cluster(&self, person: PersonId) -> Result<ClusterId> {
        self.person_of(person)
            .and_then(|p| self.cluster_of.get(&p).copied())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format_args!("person {person} is unknown or erased"),
                )
            })
    }

    /// Returns the cluster id of a person (or of the person an id resolves
    /// to): the [`ClusterId`] its profiles carry.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an id that resolves to no person.
    pub fn cluster_of(&self, person: PersonId) -> Result<ClusterId> {
        self.cluster(person)
    }

    /// Returns the ids of a person's records, sorted.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an id that resolves to no person.
    pub fn members(&self, person: PersonId) -> Result<&[RecordId]> {
        let cluster = self.cluster(person)?;
        Ok(self.store.members(cluster).unwrap_or_default())
    }

    /// Derives the unified profile of a person for `purpose` at `at`
    /// ([`ProfileStore::profile`]): only records whose consent covers the
    /// purpose then contribute.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an id that resolves to no person.
    pub fn profile(
        &self,
        person: PersonId,
        purpose: &Purpose,
        at: DateTime<Utc>,
    ) -> Result<UnifiedProfile> {
        self.store.profile(self.cluster(person)?, purpose, at)
    }

    /// Returns the export view of a person for `purpose` at `at`, cut down
    /// to `selection` ([`ProfileStore::view_for`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an id that resolves to no person.
    pub fn view_for(
        &self,
        person: PersonId,
        purpose: &Purpose,
        at: DateTime<Utc>,
        selection: &FieldSelection,
    ) -> Result<ProfileView> {
        self.store
            .view_for(self.cluster(person)?, purpose, at, selection)
    }

    /// Returns a person's purchases in its profile for `purpose` at `at`,
    /// as CLV transactions keyed by the person's id (its text form), amounts
    /// in major units of `currency`, ready for [`clv::summarize`]. Refunds
    /// do not count ([`clv::Transaction::purchases`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an id that resolves to no person, or
    /// a purchase in another currency (convert first).
    pub fn purchases(
        &self,
        person: PersonId,
        purpose: &Purpose,
        at: DateTime<Utc>,
        currency: Currency,
    ) -> Result<Vec<clv::Transaction>> {
        let live = self.person_of(person).unwrap_or(person);
        let profile = self.profile(person, purpose, at)?;
        clv::Transaction::purchases(
            &live.to_string(),
            profile.events().iter().map(|e| e.event()),
            currency,
        )
    }

    /// Returns a person's purchases as [`Pipeline::purchases`] does, one
    /// list per currency they were paid in (by currency code), so that
    /// nothing is dropped or mixed; summarise each currency on its own.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an id that resolves to no person.
    pub fn purchases_by_currency(
        &self,
        person: PersonId,
        purpose: &Purpose,
        at: DateTime<Utc>,
    ) -> Result<BTreeMap<Currency, Vec<clv::Transaction>>> {
        let live = self.person_of(person).unwrap_or(person).to_string();
        let profile = self.profile(person, purpose, at)?;
        let mut by: BTreeMap<Currency, Vec<&crate::model::Event>> = BTreeMap::new();
        for merged in profile.events() {
            if let EventKind::Transaction(t) = merged.event().kind() {
                by.entry(t.amount().currency())
                    .or_default()
                    .push(merged.event());
            }
        }
        let mut out = BTreeMap::new();
        for (currency, events) in by {
            let bought = clv::Transaction::purchases(&live, events, currency)?;
            if !bought.is_empty() {
                out.insert(currency, bought);
            }
        }
        Ok(out)
    }

    /// Returns the feedback texts in a person's profile for `purpose` at
    /// `at`, oldest first, each with its time and language.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an id that resolves to no person.
    pub fn feedback(
        &self,
        person: PersonId,
        purpose: &Purpose,
        at: DateTime<Utc>,
    ) -> Result<Vec<Feedback>> {
        let profile = self.profile(person, purpose, at)?;
        let fallback = FieldPath::new("demographic.language").ok().and_then(|p| {
            match profile.field(&p).map(|s| s.value()) {
                Some(FieldValue::Text(t)) => LanguageTag::new(t).ok(),
                _ => None,
            }
        });
        let mut out = Vec::new();
        for merged in profile.events() {
            let event = merged.event();
            let Some(text) = event.feedback_text() else {
                continue;
            };
            let Some(record) = merged.records().next() else {
                continue;
            };
            let language = merged
                .records()
                .filter_map(|id| self.store.record(id))
                .find_map(|r| r.demographic().language.clone())
                .or_else(|| fallback.clone());
            out.push(Feedback {
                at: event.at(),
                event: event.name().to_owned(),
                text: text.to_owned(),
                language,
                record: record.clone(),
            });
        }
        out.sort_by(|a, b| (a.at, &a.record, &a.text).cmp(&(b.at, &b.record, &b.text)));
        Ok(out)
    }

    /// Returns the consent ledger.
    pub fn ledger(&self) -> &ConsentLedger {
        self.store.ledger()
    }

    /// Returns the consent ledger, to record consent events; profiles
    /// derived afterwards follow it.
    pub fn ledger_mut(&mut self) -> &mut ConsentLedger {
        self.store.ledger_mut()
    }

    /// Returns the profile store (records, clusters, audit log, tombstones).
    pub fn store(&self) -> &ProfileStore {
        &self.store
    }

    /// Returns the resolution index (normalised records, clusters).
    pub fn index(&self) -> &ResolutionIndex {
        &self.index
    }

    /// Returns the match model, as trained, less what erasures made it
    /// forget: the one to persist.
    pub fn model(&self) -> &MatchModel {
        &self.model
    }
}
