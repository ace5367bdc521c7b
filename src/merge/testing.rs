//! Checks of the merge laws, for users' own survivorship rules and policies.
//!
//! Each function runs one rule or policy on inputs the caller gives (fixed
//! cases, or values a property-testing library generates) and returns a
//! [`LawViolation`] describing the first counter-example it finds.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::merge::testing::{check_rule, Law};
//! use custodia::merge::{Candidate, FieldValue, MostRecent, SurvivorshipRule};
//! use custodia::model::{FieldPath, RecordId, SourceId};
//!
//! /// Keeps whatever comes first: depends on order, which is not allowed.
//! #[derive(Debug)]
//! struct First;
//! impl SurvivorshipRule for First {
//!     fn name(&self) -> &str { "first" }
//!     fn select(&self, _: &FieldPath, c: &[Candidate<'_>]) -> Option<usize> {
//!         (!c.is_empty()).then_some(0)
//!     }
//! }
//!
//! let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
//! let (a, b) = (FieldValue::Text("PT".into()), FieldValue::Text("ES".into()));
//! let (r1, r2, src) = (RecordId::new("r1")?, RecordId::new("r2")?, SourceId::new("crm")?);
//! let candidates = [Candidate::new(&a, &r1, &src, at), Candidate::new(&b, &r2, &src, at)];
//! let field = FieldPath::new("geographic.country")?;
//!
//! assert!(check_rule(&MostRecent, &field, &candidates).is_ok());
//! let violation = check_rule(&First, &field, &candidates).unwrap_err();
//! assert_eq!(violation.law(), Law::OrderIndependence);
//! # Ok::<(), custodia::Error>(())
//! ```

use std::fmt;

use chrono::{DateTime, Utc};

use crate::consent::{ConsentLedger, Purpose};
use crate::identity::ClusterId;
use crate::merge::{Candidate, ProfileStore, SurvivorshipPolicy, SurvivorshipRule, UnifiedProfile};
use crate::model::{FieldPath, SourceRecord};

/// A law of merging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Law {
    /// The result does not depend on the order of the candidates or records.
    OrderIndependence,
    /// Merging a record twice is the same as merging it once.
    Idempotence,
    /// Adding records one at a time to a store gives the profile derived
    /// from all of them at once.
    BatchEqualsIncremental,
    /// A rule returns the index of one of the candidates, or `None`.
    IndexInRange,
    /// The records given to a check have unique ids (a precondition).
    UniqueRecordIds,
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Law::OrderIndependence => "order independence",
            Law::Idempotence => "idempotence",
            Law::BatchEqualsIncremental => "batch equals incremental",
            Law::IndexInRange => "index in range",
            Law::UniqueRecordIds => "unique record ids",
        })
    }
}

/// A counter-example to a [`Law`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LawViolation {
    law: Law,
    detail: String,
}

impl LawViolation {
    fn new(law: Law, detail: String) -> LawViolation {
        LawViolation { law, detail }
    }
    /// Returns the law that was broken.
    pub fn law(&self) -> Law {
        self.law
    }
    /// Returns a description of the counter-example.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for LawViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is broken: {}", self.law, self.detail)
    }
}

impl std::error::Error for LawViolation {}

/// Every rotation of `n` items, each also reversed, as index orders.
fn orders(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(2 * n);
    for r in 0..n.max(1) {
        let rot: Vec<usize> = (0..n).map(|i| (i + r) % n).collect();
        let mut rev = rot.clone();
        rev.reverse();
        out.push(rot);
        out.push(rev);
    }
    out
}

/// A chosen candidate, as (record id, value) text.
type Pick = (String, String);

/// Checks that `rule` picks the same candidate (same record, same value)
/// for every rotation and reversal of `candidates`, and never an index out
/// of range.
///
/// # Errors
///
/// A [`LawViolation`] of [`Law::OrderIndependence`] or [`Law::IndexInRange`]
/// naming the two orders, or the index, that disagree.
pub fn check_rule(
    rule: &dyn SurvivorshipRule,
    field: &FieldPath,
    candidates: &[Candidate<'_>],
) -> Result<(), LawViolation> {
    let pick = |order: &[usize]| -> Result<Option<Pick>, LawViolation> {
        let shuffled: Vec<Candidate<'_>> = order.iter().map(|&i| candidates[i]).collect();
        match rule.select(field, &shuffled) {
            None => Ok(None),
            Some(i) => match shuffled.get(i) {
                Some(c) => Ok(Some((c.record().to_string(), c.value().to_string()))),
                None => Err(LawViolation::new(
                    Law::IndexInRange,
                    format!(
                        "rule {:?} returned index {i} for {} candidates of {field}",
                        rule.name(),
                        shuffled.len()
                    ),
                )),
            },
        }
    };
    let mut expected: Option<(Vec<usize>, Option<Pick>)> = None;
    for order in orders(candidates.len()) {
        let got = pick(&order)?;
        match &expected {
            None => expected = Some((order, got)),
            Some((first, want)) if *want != got => {
                return Err(LawViolation::new(
                    Law::OrderIndependence,
                    format!(
                        "rule {:?} on {field} picks {want:?} in candidate order {first:?} \
                         but {got:?} in order {order:?}",
                        rule.name()
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks `policy` on `records` taken as one cluster, for `purpose` at `at`
/// under `ledger`: every rotation and reversal of the records gives the same
/// profile ([`Law::OrderIndependence`]), the records given twice give it
/// too ([`Law::Idempotence`]), and a [`ProfileStore`] fed one record at a
/// time, linking each to the first and deriving after every step, ends with
/// it ([`Law::BatchEqualsIncremental`]).
///
/// # Errors
///
/// A [`LawViolation`] describing the first counter-example, or of
/// [`Law::UniqueRecordIds`] when two different records share an id.
pub fn check_policy(
    policy: &SurvivorshipPolicy,
    ledger: &ConsentLedger,
    records: &[SourceRecord],
    purpose: &Purpose,
    at: DateTime<Utc>,
) -> Result<(), LawViolation> {
    let Some(smallest) = records.iter().map(SourceRecord::id).min() else {
        return Ok(());
    };
    let cluster = ClusterId::for_smallest_member(smallest);
    let derive = |rs: &mut dyn Iterator<Item = &SourceRecord>| {
        UnifiedProfile::derive(cluster, rs, ledger, policy, purpose, at)
            .map_err(|e| LawViolation::new(Law::UniqueRecordIds, e.to_string()))
    };
    let batch = derive(&mut records.iter())?;
    for order in orders(records.len()) {
        let got = derive(&mut order.iter().map(|&i| &records[i]))?;
        if got != batch {
            return Err(LawViolation::new(
                Law::OrderIndependence,
                format!("records in order {order:?} give a different profile"),
            ));
        }
    }
    if derive(&mut records.iter().chain(records.iter()))? != batch {
        return Err(LawViolation::new(
            Law::Idempotence,
            format!(
                "{} records given twice give a different profile",
                records.len()
            ),
        ));
    }
    let mut store = ProfileStore::new(ledger.clone(), policy.clone());
    let first = records[0].id().clone();
    for r in records {
        store.insert(r.clone());
        let linked = store
            .link(&first, r.id(), "check")
            .map_err(|e| LawViolation::new(Law::UniqueRecordIds, e.to_string()))?;
        let _ = store.profile(linked, purpose, at);
    }
    let incremental = store
        .profile(cluster, purpose, at)
        .map_err(|e| LawViolation::new(Law::BatchEqualsIncremental, e.to_string()))?;
    if incremental != batch {
        return Err(LawViolation::new(
            Law::BatchEqualsIncremental,
            "a store fed one record at a time gives a different profile".to_owned(),
        ));
    }
    Ok(())
}
