//! The consent ledger, its policy, and decisions.

use std::collections::btree_map;
use std::collections::BTreeMap;
use std::fmt;
use std::iter::Flatten;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::SourceRecord;

use super::error::ConsentError;
use super::event::{ConsentEvent, ConsentStatus, SubjectKey};
use super::purpose::{LawfulBasis, Purpose, SpecialCategory};

/// Which lawful basis the controller relies on for each purpose.
///
/// A purpose the policy does not name needs consent, as does one configured
/// with [`LawfulBasis::Consent`]. Any other basis allows the purpose without
/// consent, except for special-category data.
///
/// JSON: an object from purpose to basis, `{"analytics": "legitimate_interests"}`.
///
/// # Examples
///
/// ```
/// use custodia::consent::{LawfulBasis, LedgerPolicy, Purpose};
/// let policy = LedgerPolicy::new([(Purpose::Analytics, LawfulBasis::LegitimateInterests)])?;
/// assert_eq!(policy.basis_for(&Purpose::Analytics), Some(LawfulBasis::LegitimateInterests));
/// assert_eq!(policy.basis_for(&Purpose::Marketing), None);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "BTreeMap<String, LawfulBasis>",
        into = "BTreeMap<Purpose, LawfulBasis>"
    )
)]
pub struct LedgerPolicy {
    bases: BTreeMap<Purpose, LawfulBasis>,
}

impl LedgerPolicy {
    /// Returns a policy from `(purpose, basis)` pairs. Purposes are put in
    /// canonical form; naming a purpose twice with the same basis is allowed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when one purpose is given two different bases.
    pub fn new(bases: impl IntoIterator<Item = (Purpose, LawfulBasis)>) -> Result<LedgerPolicy> {
        let mut out = BTreeMap::new();
        for (purpose, basis) in bases {
            let purpose = purpose.canonical();
            match out.get(&purpose) {
                Some(&first) if first != basis => {
                    return Err(ConsentError::ConflictingBasis {
                        purpose: purpose.to_string(),
                        first: LawfulBasis::as_str(first),
                        second: basis.as_str(),
                    }
                    .into())
                }
                _ => {
                    out.insert(purpose, basis);
                }
            }
        }
        Ok(LedgerPolicy { bases: out })
    }

    /// Returns the basis configured for `purpose`, if any.
    pub fn basis_for(&self, purpose: &Purpose) -> Option<LawfulBasis> {
        self.bases.get(&purpose.canonical()).copied()
    }

    /// Iterates over the configured `(purpose, basis)` pairs, by purpose.
    pub fn iter(&self) -> impl Iterator<Item = (&Purpose, LawfulBasis)> + '_ {
        self.bases.iter().map(|(p, b)| (p, *b))
    }
}

// Read as written words, so that two spellings of one purpose are caught as
// a conflict rather than one silently replacing the other.
impl TryFrom<BTreeMap<String, LawfulBasis>> for LedgerPolicy {
    type Error = Error;
    fn try_from(map: BTreeMap<String, LawfulBasis>) -> Result<LedgerPolicy> {
        let pairs = map
            .into_iter()
            .map(|(p, b)| Ok((Purpose::parse(&p)?, b)))
            .collect::<Result<Vec<_>>>()?;
        LedgerPolicy::new(pairs)
    }
}

impl From<LedgerPolicy> for BTreeMap<Purpose, LawfulBasis> {
    fn from(p: LedgerPolicy) -> BTreeMap<Purpose, LawfulBasis> {
        p.bases
    }
}

/// Why a [`Decision`] came out the way it did.
///
/// JSON: an object tagged by `"kind"` (`"consent"`, `"lawful_basis"`,
/// `"no_consent"`, `"denied"`, `"withdrawn"`, `"expired"`,
/// `"special_categories_not_covered"`), with the deciding event under
/// `"event"`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Reason {
    /// Allowed: this unexpired grant is the latest event.
    Consent {
        /// The deciding grant.
        event: ConsentEvent,
    },
    /// Allowed without consent: the policy names this basis for the purpose.
    LawfulBasis {
        /// The configured basis.
        basis: LawfulBasis,
    },
    /// Denied: no event for the purpose covers the record at or before the time.
    NoConsent,
    /// Denied: the latest event is a refusal.
    Denied {
        /// The deciding refusal.
        event: ConsentEvent,
    },
    /// Denied: the latest event is a withdrawal, in effect from `at`.
    Withdrawn {
        /// When the withdrawal took effect.
        at: DateTime<Utc>,
        /// The deciding withdrawal.
        event: ConsentEvent,
    },
    /// Denied: the latest event is a grant that expired at `at`.
    Expired {
        /// When the grant expired.
        at: DateTime<Utc>,
        /// The expired grant.
        event: ConsentEvent,
    },
    /// Denied: the record holds special-category data and the latest event,
    /// an unexpired grant, is not explicit consent covering all of it.
    SpecialCategoriesNotCovered {
        /// The grant that falls short.
        event: ConsentEvent,
        /// The categories it does not cover, sorted.
        missing: Vec<SpecialCategory>,
    },
}

impl Reason {
    /// Returns `true` for the reasons that allow use.
    pub fn allows(&self) -> bool {
        matches!(self, Reason::Consent { .. } | Reason::LawfulBasis { .. })
    }

    /// The event that decided, if an event did.
    pub fn event(&self) -> Option<&ConsentEvent> {
        match self {
            Reason::Consent { event }
            | Reason::Denied { event }
            | Reason::Withdrawn { event, .. }
            | Reason::Expired { event, .. }
            | Reason::SpecialCategoriesNotCovered { event, .. } => Some(event),
            Reason::LawfulBasis { .. } | Reason::NoConsent => None,
        }
    }
}

impl fmt::Display for Reason {
    /// A short sentence for people, such as `consent withdrawn at
    /// 2026-03-09T12:00:00+00:00` or `no consent on record`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Consent { event } => write!(
                f,
                "consent granted at {} by {} (source {})",
                event.at().to_rfc3339(),
                event.subject(),
                event.source()
            ),
            Reason::LawfulBasis { basis } => write!(f, "lawful basis {basis}"),
            Reason::NoConsent => f.write_str("no consent on record"),
            Reason::Denied { event } => {
                write!(f, "consent denied at {}", event.at().to_rfc3339())
            }
            Reason::Withdrawn { at, .. } => write!(f, "consent withdrawn at {}", at.to_rfc3339()),
            Reason::Expired { at, .. } => write!(f, "consent expired at {}", at.to_rfc3339()),
            Reason::SpecialCategoriesNotCovered { missing, .. } => {
                f.write_str("no explicit consent covering ")?;
                for (i, c) in missing.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(c.as_str())?;
                }
                Ok(())
            }
        }
    }
}

/// The ledger's answer to "may this record's data be used for this purpose
/// at this time", with the reason.
///
/// JSON (`serde` feature, output only): `{"purpose": "marketing", "at": "…",
/// "allowed": false, "reason": {"kind": "withdrawn", "at": "…", "event": {…}}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Decision {
    purpose: Purpose,
    at: DateTime<Utc>,
    allowed: bool,
    reason: Reason,
}

impl Decision {
    /// Returns `true` when the use is allowed.
    pub fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// Why.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    /// The purpose asked about, in canonical form.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// The time asked about.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

impl fmt::Display for Decision {
    /// `purpose allowed: reason` or `purpose denied: reason`, such as
    /// `marketing denied: consent withdrawn at 2026-03-09T12:00:00+00:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "allowed" } else { "denied" };
        write!(f, "{} {verdict}: {}", self.purpose, self.reason)
    }
}

/// Events of one subject, by purpose then by precedence.
type ByPurpose = BTreeMap<Purpose, Vec<ConsentEvent>>;

/// Consent events and the policy that decide what a record's data may be
/// used for; see the [module documentation](super) for the rules.
///
/// JSON (`serde` feature): `{"policy": {…}, "events": […]}`, events in a
/// canonical order; reading adds the events as [`ConsentLedger::add`] does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(from = "LedgerRepr", into = "LedgerRepr")
)]
pub struct ConsentLedger {
    policy: LedgerPolicy,
    events: BTreeMap<SubjectKey, ByPurpose>,
    len: usize,
}

/// The JSON shape of a [`ConsentLedger`].
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
struct LedgerRepr {
    #[cfg_attr(feature = "serde", serde(default))]
    policy: LedgerPolicy,
    #[cfg_attr(feature = "serde", serde(default))]
    events: Vec<ConsentEvent>,
}

impl From<LedgerRepr> for ConsentLedger {
    fn from(r: LedgerRepr) -> ConsentLedger {
        let mut ledger = ConsentLedger::with_policy(r.policy);
        ledger.extend(r.events);
        ledger
    }
}

impl From<ConsentLedger> for LedgerRepr {
    fn from(l: ConsentLedger) -> LedgerRepr {
        let events = l
            .events
            .into_values()
            .flat_map(BTreeMap::into_values)
            .flatten()
            .collect();
        LedgerRepr {
            policy: l.policy,
            events,
        }
    }
}

impl ConsentLedger {
    /// Returns an empty ledger with an empty policy: everything is denied.
    pub fn new() -> ConsentLedger {
        ConsentLedger::default()
    }

    /// Returns an empty ledger with `policy`.
    pub fn with_policy(policy: LedgerPolicy) -> ConsentLedger {
        ConsentLedger {
            policy,
            ..ConsentLedger::default()
        }
    }

    /// Starts a ledger whose policy is set basis by basis.
    pub fn builder() -> ConsentLedgerBuilder {
        ConsentLedgerBuilder { bases: Vec::new() }
    }

    /// The policy.
    pub fn policy(&self) -> &LedgerPolicy {
        &self.policy
    }

    /// The number of distinct events held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` when the ledger holds no event.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds an event. Events may arrive in any order; adding an event the
    /// ledger already holds changes nothing. Returns `true` when the event
    /// was new.
    pub fn add(&mut self, event: ConsentEvent) -> bool {
        let list = self
            .events
            .entry(event.subject().clone())
            .or_default()
            .entry(event.purpose().clone())
            .or_default();
        // Kept sorted by precedence, so the event in force at a time is the
        // last one at or before it, found by binary search.
        match list.binary_search_by(|e| e.cmp_precedence(&event)) {
            Ok(_) => false,
            Err(i) => {
                list.insert(i, event);
                self.len += 1;
                true
            }
        }
    }

    /// Iterates over the events naming `subject`, by purpose, then from
    /// earliest to latest (at one instant, least to most restrictive).
    pub fn events_for(&self, subject: &SubjectKey) -> EventsFor<'_> {
        EventsFor {
            inner: self.events.get(subject).map(|p| p.values().flatten()),
        }
    }

    /// Decides whether `record`'s data may be used for `purpose` at `at`,
    /// when the record holds no special-category data.
    pub fn decide(&self, record: &SourceRecord, purpose: &Purpose, at: DateTime<Utc>) -> Decision {
        self.decide_special(record, purpose, at, &[])
    }

    /// Returns `true` when [`ConsentLedger::decide`] allows the use.
    pub fn allowed(&self, record: &SourceRecord, purpose: &Purpose, at: DateTime<Utc>) -> bool {
        self.decide(record, purpose, at).is_allowed()
    }

    /// Decides whether `record`'s data may be used for `purpose` at `at`,
    /// when the record holds data of the special `categories` (the caller
    /// knows what it holds). With a non-empty list no configured basis
    /// applies: only an explicit, unexpired grant covering every category
    /// allows the use.
    pub fn decide_special(
        &self,
        record: &SourceRecord,
        purpose: &Purpose,
        at: DateTime<Utc>,
        categories: &[SpecialCategory],
    ) -> Decision {
        let purpose = purpose.canonical();
        let latest = self.latest(record, &purpose, at);
        let reason = match (categories.is_empty(), self.policy.basis_for(&purpose)) {
            (true, Some(basis)) if basis != LawfulBasis::Consent => Reason::LawfulBasis { basis },
            _ => consent_reason(latest, at, categories),
        };
        Decision {
            purpose,
            at,
            allowed: reason.allows(),
            reason,
        }
    }

    /// The event in force for `purpose` at `at` among all of the record's
    /// keys: the one of highest precedence dated at or before `at`.
    fn latest(
        &self,
        record: &SourceRecord,
        purpose: &Purpose,
        at: DateTime<Utc>,
    ) -> Option<&ConsentEvent> {
        SubjectKey::keys_of(record)
            .iter()
            .filter_map(|key| self.events.get(key)?.get(purpose))
            .filter_map(|list| {
                let n = list.partition_point(|e| e.at() <= at);
                n.checked_sub(1).map(|i| &list[i])
            })
            .max_by(|a, b| a.cmp_precedence(b))
    }
}

/// Turns the event in force into a reason, consent being required.
fn consent_reason(
    latest: Option<&ConsentEvent>,
    at: DateTime<Utc>,
    categories: &[SpecialCategory],
) -> Reason {
    let Some(event) = latest else {
        return Reason::NoConsent;
    };
    let event = event.clone();
    match event.status() {
        ConsentStatus::Denied => Reason::Denied { event },
        ConsentStatus::Withdrawn => Reason::Withdrawn {
            at: event.at(),
            event,
        },
        ConsentStatus::Granted => match event.expires_at() {
            Some(expired) if expired <= at => Reason::Expired { at: expired, event },
            _ if !event.covers_categories(categories) => {
                let mut missing: Vec<SpecialCategory> = categories
                    .iter()
                    .copied()
                    .filter(|c| !(event.is_explicit() && event.special_categories().contains(c)))
                    .collect();
                missing.sort();
                missing.dedup();
                Reason::SpecialCategoriesNotCovered { event, missing }
            }
            _ => Reason::Consent { event },
        },
    }
}

impl Extend<ConsentEvent> for ConsentLedger {
    fn extend<I: IntoIterator<Item = ConsentEvent>>(&mut self, events: I) {
        for e in events {
            self.add(e);
        }
    }
}

/// Configures a [`ConsentLedger`]'s policy; made by [`ConsentLedger::builder`].
///
/// # Examples
///
/// ```
/// use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
/// let ledger = ConsentLedger::builder()
///     .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
///     .basis(Purpose::Marketing, LawfulBasis::Consent)
///     .build()?;
/// assert_eq!(ledger.policy().basis_for(&Purpose::Analytics), Some(LawfulBasis::LegitimateInterests));
///
/// let err = ConsentLedger::builder()
///     .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
///     .basis(Purpose::Analytics, LawfulBasis::Contract)
///     .build()
///     .unwrap_err();
/// assert_eq!(err.kind(), custodia::error::ErrorKind::InvalidParameter);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ConsentLedgerBuilder {
    bases: Vec<(Purpose, LawfulBasis)>,
}

impl ConsentLedgerBuilder {
    /// Relies on `basis` for `purpose`.
    pub fn basis(mut self, purpose: Purpose, basis: LawfulBasis) -> ConsentLedgerBuilder {
        self.bases.push((purpose, basis));
        self
    }

    /// Checks the policy and returns an empty ledger with it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when one purpose is given two different bases.
    pub fn build(self) -> Result<ConsentLedger> {
        Ok(ConsentLedger::with_policy(LedgerPolicy::new(self.bases)?))
    }
}

/// The events of one subject; made by [`ConsentLedger::events_for`].
#[derive(Clone, Debug)]
pub struct EventsFor<'a> {
    inner: Option<Flatten<btree_map::Values<'a, Purpose, Vec<ConsentEvent>>>>,
}

impl<'a> Iterator for EventsFor<'a> {
    type Item = &'a ConsentEvent;
    fn next(&mut self) -> Option<&'a ConsentEvent> {
        self.inner.as_mut()?.next()
    }
}
