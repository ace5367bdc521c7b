//! The audit log: what changed in a store's clusters, and why.

use crate::identity::ClusterId;
use crate::model::RecordId;

/// One change to a [`ProfileStore`](crate::merge::ProfileStore), numbered
/// in the order it happened.
///
/// JSON (`serde` feature): `{"sequence": 7, "reason": "…", "change":
/// {"kind": "record_joined", "record": "…", "cluster": "…"}}`; see
/// [`AuditChange`] for the kinds.
///
/// Reading one checks that its sequence number is at least 1 and that an
/// erasure's record ids are sorted without repeats.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "EventFields")
)]
pub struct AuditEvent {
    sequence: u64,
    reason: String,
    change: AuditChange,
}

/// The fields of an [`AuditEvent`] as read, before they are checked.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct EventFields {
    sequence: u64,
    reason: String,
    change: AuditChange,
}

#[cfg(feature = "serde")]
impl TryFrom<EventFields> for AuditEvent {
    type Error = crate::error::Error;
    fn try_from(f: EventFields) -> crate::error::Result<AuditEvent> {
        use crate::merge::error::MergeError;
        if f.sequence == 0 {
            return Err(MergeError::InvalidData {
                what: "audit sequence",
                rule: "must be at least 1",
            }
            .into());
        }
        if let AuditChange::SubjectErased { records } = &f.change {
            if !records.windows(2).all(|w| w[0] < w[1]) {
                return Err(MergeError::InvalidData {
                    what: "erased records",
                    rule: "must be sorted without repeats",
                }
                .into());
            }
        }
        Ok(AuditEvent {
            sequence: f.sequence,
            reason: f.reason,
            change: f.change,
        })
    }
}

impl AuditEvent {
    pub(crate) fn new(sequence: u64, reason: &str, change: AuditChange) -> AuditEvent {
        AuditEvent {
            sequence,
            reason: reason.to_owned(),
            change,
        }
    }

    /// Returns the event's sequence number: 1 for a store's first event,
    /// one more for each next one.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }
    /// Returns the reason the caller gave for the change.
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// Returns what changed.
    pub fn change(&self) -> &AuditChange {
        &self.change
    }
}

/// What one [`AuditEvent`] records.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum AuditChange {
    /// A record became a member of a cluster (on insertion, or when
    /// clusters were linked, split or renamed).
    RecordJoined {
        /// The record.
        record: RecordId,
        /// The cluster it joined.
        cluster: ClusterId,
    },
    /// A record stopped being a member of a cluster (it moved, or was erased).
    RecordLeft {
        /// The record.
        record: RecordId,
        /// The cluster it left.
        cluster: ClusterId,
    },
    /// A record's content was replaced by a newer copy with the same id.
    RecordUpdated {
        /// The record.
        record: RecordId,
        /// Its cluster.
        cluster: ClusterId,
    },
    /// A cluster was split in two.
    ClusterSplit {
        /// The cluster that was split.
        from: ClusterId,
        /// The clusters it became.
        into: Vec<ClusterId>,
    },
    /// A subject's records were erased; see the
    /// [`ErasureReceipt`](crate::merge::ErasureReceipt) of the same sequence number.
    SubjectErased {
        /// The ids of the erased records.
        records: Vec<RecordId>,
    },
    /// An inserted record matched a tombstone and was kept out.
    RecordRefused {
        /// How many of its identifiers matched tombstones.
        matched: usize,
    },
}
