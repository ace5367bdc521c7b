//! A stateful store of records, clusters, consent, tombstones and the audit
//! log, deriving profiles and views on request.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::consent::{ConsentLedger, Purpose, SubjectKey};
use crate::error::Result;
use crate::identity::{ClusterId, Clustering, MatchModel, NormalizedRecord, ResolutionIndex};
use crate::merge::error::MergeError;
use crate::merge::profile::{derive_members, Facts, Member, Scratch};
use crate::merge::tombstone::{record_texts, subject_texts};
use crate::merge::{
    AuditChange, AuditEvent, FieldSelection, ProfileView, SurvivorshipPolicy, UnifiedProfile,
};
use crate::model::{RecordId, SourceRecord};

/// The namespace of tombstone digests (UUID v5) when no key is set.
const TOMBSTONE_NAMESPACE: Uuid = Uuid::from_u128(0x6375_7374_6f64_6961_2d74_6f6d_6273_746e);

/// What [`ProfileStore::insert`] did with a record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "outcome", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum InsertOutcome {
    /// A new record, now alone in its own cluster.
    Inserted {
        /// Its cluster.
        cluster: ClusterId,
    },
    /// A record with that id was there; its content is replaced and it
    /// stays in its cluster.
    Updated {
        /// Its cluster.
        cluster: ClusterId,
    },
    /// The same record was already there; nothing changed.
    Unchanged {
        /// Its cluster.
        cluster: ClusterId,
    },
    /// One or more of the record's identifiers belong to an erased subject;
    /// the record was not stored.
    Refused {
        /// How many of its identifiers matched tombstones.
        matched: usize,
    },
}

/// What [`ProfileStore::erase`] removed: enough to prove the erasure, and
/// nothing of the erased data beyond the record ids.
///
/// JSON (`serde` feature): `{"sequence", "subject", "records", "clusters",
/// "fields", "events", "tombstones"}`; `subject` is the digest of the
/// subject key, not the key.
///
/// Reading one checks what an erasure guarantees: a sequence number from 1,
/// and record and cluster ids sorted without repeats.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "ReceiptFields")
)]
pub struct ErasureReceipt {
    sequence: u64,
    subject: Uuid,
    records: Vec<RecordId>,
    clusters: Vec<ClusterId>,
    fields: usize,
    events: usize,
    tombstones: usize,
}

/// The fields of an [`ErasureReceipt`] as read, before they are checked.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct ReceiptFields {
    sequence: u64,
    subject: Uuid,
    records: Vec<RecordId>,
    clusters: Vec<ClusterId>,
    fields: usize,
    events: usize,
    tombstones: usize,
}

#[cfg(feature = "serde")]
impl TryFrom<ReceiptFields> for ErasureReceipt {
    type Error = crate::error::Error;
    fn try_from(f: ReceiptFields) -> Result<ErasureReceipt> {
        let rule = |what, ok: bool, rule| {
            if ok {
                Ok(())
            } else {
                Err(MergeError::InvalidData { what, rule })
            }
        };
        rule("receipt sequence", f.sequence >= 1, "must be at least 1")?;
        rule(
            "receipt records",
            f.records.windows(2).all(|w| w[0] < w[1]),
            "must be sorted without repeats",
        )?;
        rule(
            "receipt clusters",
            f.clusters.windows(2).all(|w| w[0] < w[1]),
            "must be sorted without repeats",
        )?;
        Ok(ErasureReceipt {
            sequence: f.sequence,
            subject: f.subject,
            records: f.records,
            clusters: f.clusters,
            fields: f.fields,
            events: f.events,
            tombstones: f.tombstones,
        })
    }
}

impl ErasureReceipt {
    /// Returns the sequence number of the matching
    /// [`AuditChange::SubjectErased`] event.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }
    /// Returns the digest of the erased subject key.
    pub fn subject(&self) -> Uuid {
        self.subject
    }
    /// Returns the ids of the erased records, sorted.
    pub fn records(&self) -> &[RecordId] {
        &self.records
    }
    /// Returns the clusters the records were members of, sorted.
    pub fn clusters(&self) -> &[ClusterId] {
        &self.clusters
    }
    /// Returns how many field values the erased records held.
    pub fn fields(&self) -> usize {
        self.fields
    }
    /// Returns how many events the erased records held.
    pub fn events(&self) -> usize {
        self.events
    }
    /// Returns how many tombstones the erasure added.
    pub fn tombstones(&self) -> usize {
        self.tombstones
    }
}

#[derive(Clone, Debug)]
struct Entry {
    record: SourceRecord,
    facts: Facts,
    cluster: ClusterId,
    /// The texts of the record's identifiers, written and normalised,
    /// sorted: what an erasure matches subjects against.
    keys: Vec<String>,
}

impl Entry {
    fn new(record: SourceRecord, cluster: ClusterId, policy: &SurvivorshipPolicy) -> Entry {
        let mut keys: Vec<String> = record_texts(&record)
            .iter()
            .flat_map(|k| k.texts().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        Entry {
            facts: Facts::of(&record, policy),
            record,
            cluster,
            keys,
        }
    }
}

/// Records, their clusters, the consent ledger, tombstones and an audit
/// log; derives [`UnifiedProfile`]s and [`ProfileView`]s on request.
///
/// Every profile the store derives is the one [`UnifiedProfile::derive`]
/// gives for the cluster's current members: the store only keeps indexes
/// (each record's fields are read once, on insertion; each cluster knows its
/// members), so deriving one profile touches only that cluster.
///
/// A cluster's id is always [`ClusterId::for_smallest_member`] of its
/// members, so a split or an erasure leaves exactly the clusters a fresh
/// store would have; when a cluster's smallest member changes, its records
/// leave the old id and join the new one in the audit log.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::consent::{ConsentLedger, LawfulBasis, Purpose, SubjectKey};
/// use custodia::merge::{InsertOutcome, ProfileStore, SurvivorshipPolicy};
/// use custodia::model::{EmailAddress, RecordId, SourceRecord};
///
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let ledger = ConsentLedger::builder().basis(Purpose::Analytics, LawfulBasis::LegitimateInterests).build()?;
/// let mut store = ProfileStore::new(ledger, SurvivorshipPolicy::default());
/// let mut b = SourceRecord::builder("crm-1", "crm", at)?;
/// b.identity().emails.push(EmailAddress::new("ana@example.com")?);
/// let record = b.build()?;
/// assert!(matches!(store.insert(record.clone()), InsertOutcome::Inserted { .. }));
///
/// let receipt = store.erase(&SubjectKey::email(&EmailAddress::new("ana@example.com")?), "art. 17 request");
/// assert_eq!(receipt.records(), [RecordId::new("crm-1")?]);
/// assert!(store.is_empty());
/// // A re-ingested copy stays out.
/// assert!(matches!(store.insert(record), InsertOutcome::Refused { .. }));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ProfileStore {
    ledger: ConsentLedger,
    policy: SurvivorshipPolicy,
    namespace: Uuid,
    records: HashMap<RecordId, Entry>,
    clusters: HashMap<ClusterId, Vec<RecordId>>,
    tombstones: HashSet<Uuid>,
    audit: Vec<AuditEvent>,
}

impl ProfileStore {
    /// Returns an empty store deciding consent with `ledger` and merging
    /// with `policy`.
    pub fn new(ledger: ConsentLedger, policy: SurvivorshipPolicy) -> ProfileStore {
        ProfileStore {
            ledger,
            policy,
            namespace: TOMBSTONE_NAMESPACE,
            records: HashMap::new(),
            clusters: HashMap::new(),
            tombstones: HashSet::new(),
            audit: Vec::new(),
        }
    }

    /// Returns the store with tombstone digests keyed by `key`, a secret the
    /// caller keeps (see the module docs on why a keyed digest is better).
    /// Set it before erasing anything: digests made under another key no
    /// longer match.
    #[must_use]
    pub fn with_tombstone_key(mut self, key: &[u8]) -> ProfileStore {
        self.namespace = Uuid::new_v5(&TOMBSTONE_NAMESPACE, key);
        self
    }

    /// Returns the consent ledger.
    pub fn ledger(&self) -> &ConsentLedger {
        &self.ledger
    }

    /// Returns the consent ledger, to record new consent events. Profiles
    /// derived afterwards follow it.
    pub fn ledger_mut(&mut self) -> &mut ConsentLedger {
        &mut self.ledger
    }

    /// Returns the survivorship policy.
    pub fn policy(&self) -> &SurvivorshipPolicy {
        &self.policy
    }

    /// Returns how many records the store holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Returns `true` when the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Returns a record by id.
    pub fn record(&self, id: &RecordId) -> Option<&SourceRecord> {
        self.records.get(id).map(|e| &e.record)
    }

    /// Returns the cluster a record is a member of.
    pub fn cluster_of(&self, id: &RecordId) -> Option<ClusterId> {
        self.records.get(id).map(|e| e.cluster)
    }

    /// Returns the members of a cluster, sorted, or `None` for an unknown
    /// cluster.
    pub fn members(&self, cluster: ClusterId) -> Option<&[RecordId]> {
        self.clusters.get(&cluster).map(Vec::as_slice)
    }

    /// Returns every cluster id, sorted.
    pub fn cluster_ids(&self) -> Vec<ClusterId> {
        let mut ids: Vec<ClusterId> = self.clusters.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Returns the audit log, oldest first.
    pub fn audit(&self) -> &[AuditEvent] {
        &self.audit
    }

    /// Returns the audit events after sequence number `sequence`, for a
    /// follower that has seen up to it.
    pub fn audit_since(&self, sequence: u64) -> &[AuditEvent] {
        let start = self.audit.partition_point(|e| e.sequence() <= sequence);
        &self.audit[start..]
    }

    /// Returns how many identifier digests are tombstoned.
    pub fn tombstone_count(&self) -> usize {
        self.tombstones.len()
    }

    fn log(&mut self, reason: &str, change: AuditChange) -> u64 {
        let sequence = self.audit.len() as u64 + 1;
        self.audit.push(AuditEvent::new(sequence, reason, change));
        sequence
    }

    fn digest(&self, key: &SubjectKey) -> Uuid {
        self.digest_text(&key.to_string())
    }

    fn digest_text(&self, text: &str) -> Uuid {
        Uuid::new_v5(&self.namespace, text.as_bytes())
    }

    /// Adds a record, alone in a new cluster, or replaces the record with
    /// the same id (which keeps its cluster).
    ///
    /// A record any of whose identifiers ([`SubjectKey::keys_of`]), as
    /// written or as the identity normalisers read it
    /// ([`normalize_email`](crate::identity::normalize_email),
    /// [`normalize_phone`](crate::identity::normalize_phone), the id system
    /// without case), matches a tombstone is refused: an erased subject's
    /// data does not come back, whichever way it is written.
    pub fn insert(&mut self, record: SourceRecord) -> InsertOutcome {
        if !self.tombstones.is_empty() {
            let matched = record_texts(&record)
                .iter()
                .filter(|k| {
                    k.texts()
                        .any(|t| self.tombstones.contains(&self.digest_text(t)))
                })
                .count();
            if matched > 0 {
                self.log("tombstone", AuditChange::RecordRefused { matched });
                return InsertOutcome::Refused { matched };
            }
        }
        if let Some(entry) = self.records.get_mut(record.id()) {
            let cluster = entry.cluster;
            if entry.record == record {
                return InsertOutcome::Unchanged { cluster };
            }
            *entry = Entry::new(record, cluster, &self.policy);
            let id = entry.record.id().clone();
            self.log(
                "updated",
                AuditChange::RecordUpdated {
                    record: id,
                    cluster,
                },
            );
            return InsertOutcome::Updated { cluster };
        }
        let id = record.id().clone();
        let cluster = ClusterId::for_smallest_member(&id);
        self.records
            .insert(id.clone(), Entry::new(record, cluster, &self.policy));
        self.clusters.insert(cluster, vec![id.clone()]);
        self.log(
            "inserted",
            AuditChange::RecordJoined {
                record: id,
                cluster,
            },
        );
        InsertOutcome::Inserted { cluster }
    }

    /// Gives each group its canonical cluster id and logs every record
    /// whose cluster changed. The groups must hold every member of the
    /// clusters they came from, which the caller has removed.
    fn regroup(&mut self, groups: Vec<Vec<RecordId>>, reason: &str) -> Vec<ClusterId> {
        let mut ids = Vec::with_capacity(groups.len());
        for mut group in groups {
            group.sort();
            group.dedup();
            let Some(first) = group.first() else { continue };
            let id = ClusterId::for_smallest_member(first);
            for member in &group {
                let Some(entry) = self.records.get_mut(member) else {
                    continue;
                };
                let old = entry.cluster;
                if old != id {
                    entry.cluster = id;
                    let record = member.clone();
                    self.log(
                        reason,
                        AuditChange::RecordLeft {
                            record: record.clone(),
                            cluster: old,
                        },
                    );
                    self.log(
                        reason,
                        AuditChange::RecordJoined {
                            record,
                            cluster: id,
                        },
                    );
                }
            }
            self.clusters.insert(id, group);
            ids.push(id);
        }
        ids
    }

    /// Merges the clusters of records `a` and `b`, and returns the merged
    /// cluster's id.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when either record is not in the store.
    pub fn link(&mut self, a: &RecordId, b: &RecordId, reason: &str) -> Result<ClusterId> {
        let ca = self.require(a)?;
        let cb = self.require(b)?;
        if ca == cb {
            return Ok(ca);
        }
        // 2026-12-04: linking used to sort the union and revisit every
        // member, so a cluster grown one record at a time cost quadratic
        // time. The smaller side now merges into the larger, and only the
        // records whose cluster id changes are touched (logged in id order,
        // as before).
        let ma = self.clusters.remove(&ca).unwrap_or_default();
        let mb = self.clusters.remove(&cb).unwrap_or_default();
        let ((big, big_id), (small, small_id)) = if ma.len() >= mb.len() {
            ((ma, ca), (mb, cb))
        } else {
            ((mb, cb), (ma, ca))
        };
        let (Some(big_first), Some(small_first)) = (big.first(), small.first()) else {
            // OK because a stored cluster is never empty; keep what there is.
            let rest: Vec<RecordId> = big.into_iter().chain(small).collect();
            let ids = self.regroup(vec![rest], reason);
            return Ok(ids.first().copied().unwrap_or(ca));
        };
        let (id, moved) = if small_first < big_first {
            (ClusterId::for_smallest_member(small_first), big.clone())
        } else {
            (big_id, small.clone())
        };
        let merged = merge_sorted(big, small);
        for member in moved {
            let Some(entry) = self.records.get_mut(&member) else {
                continue;
            };
            let old = entry.cluster;
            entry.cluster = id;
            self.log(
                reason,
                AuditChange::RecordLeft {
                    record: member.clone(),
                    cluster: old,
                },
            );
            self.log(
                reason,
                AuditChange::RecordJoined {
                    record: member,
                    cluster: id,
                },
            );
        }
        debug_assert!(id == small_id || id == big_id);
        self.clusters.insert(id, merged);
        Ok(id)
    }

    fn require(&self, id: &RecordId) -> Result<ClusterId> {
        self.cluster_of(id).ok_or_else(|| {
            MergeError::UnknownRecord {
                record: id.to_string(),
            }
            .into()
        })
    }

    /// Takes the clusters of `clustering` (such as
    /// [`identity::cluster`](crate::identity::cluster) returns) for the
    /// records it names; members it names that the store does not hold are
    /// skipped, and records it does not name stay with their other
    /// unnamed cluster mates. Returns how many records changed cluster.
    pub fn apply_clustering(&mut self, clustering: &Clustering, reason: &str) -> usize {
        let mut named: HashSet<&RecordId> = HashSet::new();
        let mut groups: Vec<Vec<RecordId>> = Vec::new();
        let mut affected: BTreeSet<ClusterId> = BTreeSet::new();
        for c in clustering.clusters() {
            // A record named twice (a malformed clustering) stays in the
            // first cluster that names it.
            let present: Vec<RecordId> = c
                .members()
                .iter()
                .filter(|m| self.records.contains_key(*m) && !named.contains(*m))
                .cloned()
                .collect();
            for m in &present {
                if let Some(e) = self.records.get(m) {
                    affected.insert(e.cluster);
                }
            }
            named.extend(c.members().iter().filter(|m| self.records.contains_key(*m)));
            groups.push(present);
        }
        let named: HashSet<RecordId> = named.into_iter().cloned().collect();
        for old in &affected {
            let rest: Vec<RecordId> = self
                .clusters
                .get(old)
                .map(|ms| ms.iter().filter(|m| !named.contains(*m)).cloned().collect())
                .unwrap_or_default();
            groups.push(rest);
        }
        for old in &affected {
            self.clusters.remove(old);
        }
        let before = self.audit.len();
        self.regroup(groups, reason);
        (self.audit.len() - before) / 2
    }

    /// Splits `cluster` in two: the records of `part`, and the others. The
    /// two clusters are exactly those the store would hold had the link
    /// between them never been made. Returns the ids of the two clusters
    /// (`part`'s first).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// for an unknown cluster, a record of `part` that is not a member, or a
    /// `part` that is empty or holds every member.
    pub fn split(
        &mut self,
        cluster: ClusterId,
        part: &[RecordId],
        reason: &str,
    ) -> Result<(ClusterId, ClusterId)> {
        let members = self
            .clusters
            .get(&cluster)
            .ok_or_else(|| MergeError::UnknownCluster {
                cluster: cluster.to_string(),
            })?;
        for r in part {
            if members.binary_search(r).is_err() {
                return Err(MergeError::NotAMember {
                    record: r.to_string(),
                    cluster: cluster.to_string(),
                }
                .into());
            }
        }
        let part: BTreeSet<&RecordId> = part.iter().collect();
        let (a, b): (Vec<RecordId>, Vec<RecordId>) =
            members.iter().cloned().partition(|m| part.contains(m));
        if a.is_empty() || b.is_empty() {
            return Err(MergeError::EmptySplit {
                cluster: cluster.to_string(),
            }
            .into());
        }
        self.clusters.remove(&cluster);
        let ids = self.regroup(vec![a, b], reason);
        let (Some(&ia), Some(&ib)) = (ids.first(), ids.get(1)) else {
            // OK because both groups are non-empty, so regroup named both.
            return Err(MergeError::EmptySplit {
                cluster: cluster.to_string(),
            }
            .into());
        };
        self.log(
            reason,
            AuditChange::ClusterSplit {
                from: cluster,
                into: vec![ia, ib],
            },
        );
        Ok((ia, ib))
    }

    /// Returns the ids of the records `subject` covers, sorted: those
    /// holding one of its identifiers as written, or as the identity
    /// normalisers read it.
    pub(crate) fn covered(&self, subject: &SubjectKey) -> Vec<RecordId> {
        let texts = subject_texts(subject);
        let mut ids: Vec<RecordId> = self
            .records
            .values()
            .filter(|e| {
                texts
                    .texts()
                    .any(|t| e.keys.binary_search_by(|k| k.as_str().cmp(t)).is_ok())
            })
            .map(|e| e.record.id().clone())
            .collect();
        ids.sort();
        ids
    }

    /// Erases every record `subject` covers, keeps tombstones of their
    /// identifiers so copies inserted later are refused, and returns a
    /// receipt.
    ///
    /// A record is covered when it holds one of the subject's identifiers
    /// ([`SubjectKey::covers`]), or the same identifier written another way
    /// that the identity normalisers read as equal (`JoDoe@googlemail.com`
    /// for `jo.doe@gmail.com`, `00351…` for `+351…`, `CRM/42` for
    /// `crm/42`). Tombstones are kept of each identifier both as written and
    /// normalised.
    ///
    /// The remaining members of each affected cluster stay together, under
    /// their (possibly new) canonical cluster id. Nothing of the erased
    /// records remains in the store but their ids in the audit log and the
    /// receipt, and the identifier digests. The consent ledger is not
    /// changed: consent events are the controller's proof of consent; purge
    /// them separately if the law requires. A [`ResolutionIndex`] and a
    /// [`MatchModel`] derived from the records are not reached: use
    /// [`ProfileStore::erase_everywhere`] for them.
    pub fn erase(&mut self, subject: &SubjectKey, reason: &str) -> ErasureReceipt {
        let ids = self.covered(subject);
        self.erase_ids(subject, ids, reason)
    }

    /// Erases `subject` as [`ProfileStore::erase`] does, and also from the
    /// structures derived from the records: removes the erased records from
    /// `index` ([`ResolutionIndex::remove`]) and their term counts from
    /// `model` ([`MatchModel::forget`], with the records as `index` holds
    /// them). `model` is the model trained on the records, as persisted by
    /// the caller; the index's own copy of its model stays frozen, which is
    /// what keeps it equal to a fresh index built without the records.
    ///
    /// Records of the subject that `index` does not hold are erased from the
    /// store only, and are not forgotten by the model.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `model` did not count the records' values (it was trained on
    /// other records); nothing is changed then.
    pub fn erase_everywhere(
        &mut self,
        subject: &SubjectKey,
        reason: &str,
        index: &mut ResolutionIndex,
        model: &mut MatchModel,
    ) -> Result<ErasureReceipt> {
        let ids = self.covered(subject);
        let in_index: Vec<RecordId> = ids
            .iter()
            .filter(|id| index.record(id).is_some())
            .cloned()
            .collect();
        let normalized: Vec<NormalizedRecord> = in_index
            .iter()
            .filter_map(|id| index.record(id).cloned())
            .collect();
        model.forget(&normalized)?;
        index.remove(&in_index)?;
        Ok(self.erase_ids(subject, ids, reason))
    }

    fn erase_ids(
        &mut self,
        subject: &SubjectKey,
        ids: Vec<RecordId>,
        reason: &str,
    ) -> ErasureReceipt {
        let mut clusters: BTreeSet<ClusterId> = BTreeSet::new();
        let mut fields = 0;
        let mut events = 0;
        let mut digests: BTreeSet<Uuid> = BTreeSet::new();
        for t in subject_texts(subject).texts() {
            digests.insert(self.digest_text(t));
        }
        let mut removed = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(entry) = self.records.remove(id) {
                clusters.insert(entry.cluster);
                fields += entry.facts.field_count();
                events += entry.facts.event_count();
                for t in &entry.keys {
                    digests.insert(self.digest_text(t));
                }
                removed.push(entry);
            }
        }
        let before = self.tombstones.len();
        self.tombstones.extend(digests);
        let tombstones = self.tombstones.len() - before;
        for entry in &removed {
            self.log(
                reason,
                AuditChange::RecordLeft {
                    record: entry.record.id().clone(),
                    cluster: entry.cluster,
                },
            );
        }
        drop(removed);
        let mut groups = Vec::new();
        for c in &clusters {
            if let Some(members) = self.clusters.remove(c) {
                groups.push(
                    members
                        .into_iter()
                        .filter(|m| self.records.contains_key(m))
                        .collect(),
                );
            }
        }
        self.regroup(groups, reason);
        let sequence = self.log(
            reason,
            AuditChange::SubjectErased {
                records: ids.clone(),
            },
        );
        ErasureReceipt {
            sequence,
            subject: self.digest(subject),
            records: ids,
            clusters: clusters.into_iter().collect(),
            fields,
            events,
            tombstones,
        }
    }

    /// Removes the tombstones of one identifier, as written and as
    /// normalised (for a subject who comes back and agrees to be known
    /// again), and returns whether there was one.
    pub fn lift_tombstone(&mut self, key: &SubjectKey) -> bool {
        let mut lifted = false;
        for t in subject_texts(key).texts() {
            lifted |= self.tombstones.remove(&self.digest_text(t));
        }
        lifted
    }

    fn members_of(&self, cluster: ClusterId, at: DateTime<Utc>) -> Option<Vec<Member<'_>>> {
        let ids = self.clusters.get(&cluster)?;
        Some(
            ids.iter()
                .filter_map(|id| self.records.get(id))
                .filter(|e| e.record.observed_at() <= at)
                .map(|e| Member {
                    record: &e.record,
                    facts: &e.facts,
                })
                .collect(),
        )
    }

    /// Derives the unified profile of `cluster` for `purpose` at `at`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// for a cluster the store does not hold.
    pub fn profile(
        &self,
        cluster: ClusterId,
        purpose: &Purpose,
        at: DateTime<Utc>,
    ) -> Result<UnifiedProfile> {
        let members = self
            .members_of(cluster, at)
            .ok_or_else(|| MergeError::UnknownCluster {
                cluster: cluster.to_string(),
            })?;
        Ok(derive_members(
            cluster,
            &members,
            &self.ledger,
            &self.policy,
            purpose,
            at,
            &mut Scratch::default(),
        ))
    }

    /// Returns the view of `cluster` for `purpose` at `at`, holding only
    /// values of records whose consent covers the purpose then, cut down to
    /// `selection`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// for a cluster the store does not hold.
    pub fn view_for(
        &self,
        cluster: ClusterId,
        purpose: &Purpose,
        at: DateTime<Utc>,
        selection: &FieldSelection,
    ) -> Result<ProfileView> {
        Ok(ProfileView::of(
            &self.profile(cluster, purpose, at)?,
            selection,
        ))
    }

    /// Derives the profile of every cluster for `purpose` at `at`, by
    /// cluster id; in parallel with the `rayon` feature, with the same
    /// result.
    pub fn derive_all(&self, purpose: &Purpose, at: DateTime<Utc>) -> Vec<UnifiedProfile> {
        let ids = self.cluster_ids();
        let one = |scratch: &mut Scratch, id: &ClusterId| {
            let members = self.members_of(*id, at).unwrap_or_default();
            derive_members(
                *id,
                &members,
                &self.ledger,
                &self.policy,
                purpose,
                at,
                scratch,
            )
        };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            ids.par_iter().map_init(Scratch::default, one).collect()
        }
        #[cfg(not(feature = "rayon"))]
        {
            let mut scratch = Scratch::default();
            ids.iter().map(|id| one(&mut scratch, id)).collect()
        }
    }
}

/// Merges `small` into `big`, both sorted and disjoint: by binary-search
/// insertion when `small` is much shorter (a record joining a cluster costs
/// a search and a move, not a sort), else by one linear merge.
fn merge_sorted(mut big: Vec<RecordId>, small: Vec<RecordId>) -> Vec<RecordId> {
    if small.len().saturating_mul(16) < big.len() {
        big.reserve(small.len());
        for r in small {
            let at = big.partition_point(|m| *m < r);
            big.insert(at, r);
        }
        return big;
    }
    let mut out = Vec::with_capacity(big.len() + small.len());
    let (mut x, mut y) = (big.into_iter().peekable(), small.into_iter().peekable());
    loop {
        let take_x = match (x.peek(), y.peek()) {
            (Some(a), Some(b)) => a <= b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_x { x.next() } else { y.next() });
    }
    out
}
