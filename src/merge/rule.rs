//! Survivorship rules: which value of a single-valued field survives.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::merge::FieldValue;
use crate::model::{FieldPath, RecordId, SourceId};

/// One record's value for a single-valued field, offered to a
/// [`SurvivorshipRule`].
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::merge::{Candidate, FieldValue};
/// use custodia::model::{RecordId, SourceId};
/// let value = FieldValue::Text("PT".into());
/// let (record, source) = (RecordId::new("crm-1")?, SourceId::new("crm")?);
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let c = Candidate::new(&value, &record, &source, at);
/// assert_eq!(c.record().as_str(), "crm-1");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate<'c> {
    value: &'c FieldValue,
    record: &'c RecordId,
    source: &'c SourceId,
    observed_at: DateTime<Utc>,
}

impl<'c> Candidate<'c> {
    /// Returns a candidate: `record`, from `source` and observed at
    /// `observed_at`, holds `value`.
    pub fn new(
        value: &'c FieldValue,
        record: &'c RecordId,
        source: &'c SourceId,
        observed_at: DateTime<Utc>,
    ) -> Candidate<'c> {
        Candidate {
            value,
            record,
            source,
            observed_at,
        }
    }

    /// Returns the value.
    pub fn value(&self) -> &'c FieldValue {
        self.value
    }

    /// Returns the id of the record that holds the value.
    pub fn record(&self) -> &'c RecordId {
        self.record
    }

    /// Returns the source of that record.
    pub fn source(&self) -> &'c SourceId {
        self.source
    }

    /// Returns when the source observed that record.
    pub fn observed_at(&self) -> DateTime<Utc> {
        self.observed_at
    }

    /// Compares candidates in the canonical order they are handed to rules
    /// in: by record id, then by value.
    pub fn canonical_cmp(&self, other: &Candidate<'_>) -> Ordering {
        self.record
            .cmp(other.record)
            .then_with(|| self.value.canonical_cmp(other.value))
    }
}

/// Chooses which value of a single-valued field survives into a unified
/// profile.
///
/// `select` receives every allowed record's value for `field`, at least
/// one, in the canonical order of [`Candidate::canonical_cmp`] (by record
/// id, one candidate per record), and returns the index of the surviving
/// candidate, or `None` to leave the field empty. The survivor's record,
/// source, time and the rule's [`name`](SurvivorshipRule::name) become the
/// field's provenance.
///
/// # Contract
///
/// The choice must be a function of the candidate *set*: it must not depend
/// on the order of the slice (break ties by something the candidates carry,
/// such as the record id, never by position). Profiles are only
/// order-independent if their rules are; check yours with
/// [`testing::check_rule`](crate::merge::testing::check_rule). An index out of
/// range leaves the field empty.
///
/// The trait is object-safe; policies hold rules as `Arc<dyn SurvivorshipRule>`.
///
/// # Examples
///
/// A rule that keeps the smallest value:
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::merge::{testing, Candidate, FieldValue, SurvivorshipRule};
/// use custodia::model::{FieldPath, RecordId, SourceId};
///
/// #[derive(Debug)]
/// struct Smallest;
///
/// impl SurvivorshipRule for Smallest {
///     fn name(&self) -> &str { "smallest" }
///     fn select(&self, _field: &FieldPath, candidates: &[Candidate<'_>]) -> Option<usize> {
///         (0..candidates.len()).min_by(|&a, &b| {
///             candidates[a].value().canonical_cmp(candidates[b].value())
///                 .then_with(|| candidates[a].record().cmp(candidates[b].record()))
///         })
///     }
/// }
///
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let (b, a) = (FieldValue::Int(7), FieldValue::Int(3));
/// let (r1, r2, src) = (RecordId::new("r1")?, RecordId::new("r2")?, SourceId::new("crm")?);
/// let candidates = [Candidate::new(&b, &r1, &src, at), Candidate::new(&a, &r2, &src, at)];
/// let field = FieldPath::new("attributes.score")?;
/// assert_eq!(Smallest.select(&field, &candidates), Some(1));
/// assert!(testing::check_rule(&Smallest, &field, &candidates).is_ok());
/// # Ok::<(), custodia::Error>(())
/// ```
pub trait SurvivorshipRule: fmt::Debug + Send + Sync {
    /// Returns the rule's name, recorded in provenance (such as
    /// `"most_recent"`). A policy reads it once, when it is built.
    fn name(&self) -> &str;

    /// Returns the index of the surviving candidate, or `None` for no value.
    fn select(&self, field: &FieldPath, candidates: &[Candidate<'_>]) -> Option<usize>;
}

/// Index of the greatest candidate under `key`, comparing with `cmp`.
fn best_by(
    candidates: &[Candidate<'_>],
    mut cmp: impl FnMut(&Candidate<'_>, &Candidate<'_>) -> Ordering,
) -> Option<usize> {
    (0..candidates.len()).max_by(|&a, &b| cmp(&candidates[a], &candidates[b]))
}

/// The shared final tie-break: the later observation wins, then the
/// smaller record id, then the smaller value.
fn recency_then_id(a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    a.observed_at
        .cmp(&b.observed_at)
        .then_with(|| b.record.cmp(a.record))
        .then_with(|| b.value.canonical_cmp(a.value))
}

/// Keeps the value of the most recently observed record.
///
/// Ties (records observed at the same instant) go to the smallest record id.
///
/// # Examples
///
/// ```
/// use custodia::merge::{MostRecent, SurvivorshipRule};
/// assert_eq!(MostRecent.name(), "most_recent");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MostRecent;

impl SurvivorshipRule for MostRecent {
    fn name(&self) -> &str {
        "most_recent"
    }

    fn select(&self, _field: &FieldPath, candidates: &[Candidate<'_>]) -> Option<usize> {
        best_by(candidates, recency_then_id)
    }
}

/// Keeps the value from the most trusted source: sources earlier in the
/// list win; sources not listed rank after every listed one.
///
/// Ties (one source, or only unlisted sources) go to the most recent
/// observation, then the smallest record id.
///
/// # Examples
///
/// ```
/// use custodia::merge::{SourcePriority, SurvivorshipRule};
/// use custodia::model::SourceId;
/// let rule = SourcePriority::new([SourceId::new("crm")?, SourceId::new("webshop")?]);
/// assert_eq!(rule.name(), "source_priority");
/// assert_eq!(rule.sources().len(), 2);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourcePriority {
    sources: Vec<SourceId>,
}

impl SourcePriority {
    /// Returns the rule for sources in decreasing order of trust; a source
    /// listed twice keeps its first place.
    pub fn new(sources: impl IntoIterator<Item = SourceId>) -> SourcePriority {
        let mut out: Vec<SourceId> = Vec::new();
        for s in sources {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        SourcePriority { sources: out }
    }

    /// Returns the sources, most trusted first.
    pub fn sources(&self) -> &[SourceId] {
        &self.sources
    }

    fn rank(&self, source: &SourceId) -> usize {
        self.sources
            .iter()
            .position(|s| s == source)
            .unwrap_or(self.sources.len())
    }
}

impl SurvivorshipRule for SourcePriority {
    fn name(&self) -> &str {
        "source_priority"
    }

    fn select(&self, _field: &FieldPath, candidates: &[Candidate<'_>]) -> Option<usize> {
        best_by(candidates, |a, b| {
            self.rank(b.source)
                .cmp(&self.rank(a.source))
                .then_with(|| recency_then_id(a, b))
        })
    }
}

/// Keeps the value the most records agree on.
///
/// Ties between values go to the value whose latest observation is the most
/// recent, then to the smaller value. The surviving candidate (and so the
/// provenance) is the most recent record holding the winning value, ties to
/// the smallest record id.
///
/// # Examples
///
/// ```
/// use custodia::merge::{MostFrequent, SurvivorshipRule};
/// assert_eq!(MostFrequent.name(), "most_frequent");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MostFrequent;

impl SurvivorshipRule for MostFrequent {
    fn name(&self) -> &str {
        "most_frequent"
    }

    fn select(&self, _field: &FieldPath, candidates: &[Candidate<'_>]) -> Option<usize> {
        // Group the candidates by value (a sort, so a set field's primary
        // over thousands of records stays near-linear), then take the best
        // group by (count, latest observation, smaller value) and its best
        // holder by recency, then record id.
        if candidates.len() < 2 {
            return (!candidates.is_empty()).then_some(0);
        }
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| candidates[a].value.canonical_cmp(candidates[b].value));
        let mut best: Option<(usize, DateTime<Utc>, usize)> = None;
        for group in order.chunk_by(|&a, &b| {
            candidates[a]
                .value
                .canonical_cmp(candidates[b].value)
                .is_eq()
        }) {
            let count = group.len();
            let holder = group.iter().copied().fold(group[0], |h, c| {
                if recency_then_id(&candidates[c], &candidates[h]).is_gt() {
                    c
                } else {
                    h
                }
            });
            let latest = candidates[holder].observed_at;
            // Groups come in ascending value order, so an equal
            // (count, latest) keeps the earlier, smaller value.
            let better = match best {
                None => true,
                Some((n, at, _)) => (count, latest) > (n, at),
            };
            if better {
                best = Some((count, latest, holder));
            }
        }
        best.map(|(_, _, holder)| holder)
    }
}

/// Keeps the most complete value, as [`FieldValue::completeness`] measures
/// it: the longest text (in characters), the structured attribute with the
/// most filled leaves; other values are all equally complete.
///
/// Ties go to the most recent observation, then the smallest record id.
///
/// # Examples
///
/// ```
/// use custodia::merge::{MostComplete, SurvivorshipRule};
/// assert_eq!(MostComplete.name(), "most_complete");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MostComplete;

impl SurvivorshipRule for MostComplete {
    fn name(&self) -> &str {
        "most_complete"
    }

    fn select(&self, _field: &FieldPath, candidates: &[Candidate<'_>]) -> Option<usize> {
        best_by(candidates, |a, b| {
            a.value
                .completeness()
                .cmp(&b.value.completeness())
                .then_with(|| recency_then_id(a, b))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn built_ins_break_ties_without_looking_at_order() {
        let ids: Vec<RecordId> = ["b", "a", "c"]
            .iter()
            .map(|s| RecordId::new(s).unwrap())
            .collect();
        let src = [SourceId::new("x").unwrap(), SourceId::new("y").unwrap()];
        let vals = [
            FieldValue::Text("long text".into()),
            FieldValue::Text("t".into()),
            FieldValue::Text("t".into()),
        ];
        let cands = [
            Candidate::new(&vals[0], &ids[0], &src[0], at(1)),
            Candidate::new(&vals[1], &ids[1], &src[1], at(1)),
            Candidate::new(&vals[2], &ids[2], &src[1], at(1)),
        ];
        let f = FieldPath::new("x").unwrap();
        let pick = |r: &dyn SurvivorshipRule| {
            let mut rev = cands;
            rev.reverse();
            let a = r.select(&f, &cands).map(|i| cands[i].record.as_str());
            let b = r.select(&f, &rev).map(|i| rev[i].record.as_str());
            assert_eq!(a, b, "{}", r.name());
            a
        };
        assert_eq!(pick(&MostRecent), Some("a"));
        assert_eq!(pick(&MostComplete), Some("b"));
        assert_eq!(pick(&MostFrequent), Some("a"));
        assert_eq!(
            pick(&SourcePriority::new([src[0].clone(), src[0].clone()])),
            Some("b")
        );
        assert_eq!(MostRecent.select(&f, &[]), None);
    }
}
