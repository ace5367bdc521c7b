//! Subjects, consent statuses and consent events.

use std::cmp::{Ordering, Reverse};
use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::{
    DeviceId, EmailAddress, ExternalId, PhoneNumber, RecordId, SourceId, SourceRecord, Text,
};

use super::error::ConsentError;
use super::purpose::{Purpose, SpecialCategory};

/// The identifier a consent event names its subject by.
///
/// A consent banner knows a cookie id, a preference centre an email, a CRM a
/// contact id; a [`SourceRecord`] carries any of these in its identity
/// section. A record is **covered** by an event when any of the record's
/// keys ([`SubjectKey::keys_of`]) equals the event's key, compared as
/// follows:
///
/// | key | made from | compared as |
/// |---|---|---|
/// | `record` | [`RecordId`] | exact text |
/// | `email` | [`EmailAddress`] | trimmed and lower-cased (Unicode lower case), nothing else: no provider rules such as dropping dots or `+tags` |
/// | `external_id` | [`ExternalId`] | system and value, exact text each |
/// | `device_id` | [`DeviceId`] | kind and value, exact text |
/// | `phone` | [`PhoneNumber`] | the written digits ([`PhoneNumber::digits`]): separators and extension dropped, a leading `+` kept; no country inference, so `+36 1 555 0199` and `06 1 555 0199` are different keys |
///
/// National ids, names and postal addresses are not subject keys: consent
/// is not recorded against them, and fuzzy matching belongs to identity
/// resolution, not to a consent decision.
///
/// JSON: one-key objects, `{"record": "r-1"}`, `{"email": "ana@example.com"}`,
/// `{"external_id": {"system": "crm", "value": "42"}}`,
/// `{"device_id": {"kind": "idfa", "value": "…"}}`, `{"phone": "+3615550199"}`;
/// reading one normalises it as above.
///
/// # Examples
///
/// ```
/// use custodia::consent::SubjectKey;
/// use custodia::model::{EmailAddress, PhoneNumber};
///
/// let a = SubjectKey::email(&EmailAddress::new(" Ana.Silva@Example.COM")?);
/// let b = SubjectKey::email(&EmailAddress::new("ana.silva@example.com")?);
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "email:ana.silva@example.com");
/// let p = SubjectKey::phone(&PhoneNumber::new("+36 (1) 555-0199")?);
/// assert_eq!(p.to_string(), "phone:+3615550199");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "Key", into = "Key")
)]
pub struct SubjectKey(Key);

/// The kinds of subject key; also their JSON shape.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case", deny_unknown_fields)
)]
enum Key {
    Record(RecordId),
    Email(String),
    ExternalId(ExternalId),
    DeviceId(DeviceId),
    Phone(String),
}

// Email and phone keys are personal values; the others redact at their
// leaves (`Text`), and a record id is no personal value.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::redact;
        match self {
            Key::Record(id) => f.debug_tuple("Record").field(id).finish(),
            Key::Email(e) => redact::text(f, "Email", e),
            Key::ExternalId(id) => f.debug_tuple("ExternalId").field(id).finish(),
            Key::DeviceId(id) => f.debug_tuple("DeviceId").field(id).finish(),
            Key::Phone(p) => redact::text(f, "Phone", p),
        }
    }
}

impl TryFrom<Key> for SubjectKey {
    type Error = Error;
    fn try_from(key: Key) -> Result<SubjectKey> {
        Ok(match key {
            Key::Email(e) => SubjectKey::email(&EmailAddress::new(&e)?),
            Key::Phone(p) => SubjectKey::phone(&PhoneNumber::new(&p)?),
            other => SubjectKey(other),
        })
    }
}

impl From<SubjectKey> for Key {
    fn from(k: SubjectKey) -> Key {
        k.0
    }
}

impl SubjectKey {
    /// The key of one source record, by its id.
    pub fn record(id: RecordId) -> SubjectKey {
        SubjectKey(Key::Record(id))
    }

    /// The key of an email address: trimmed and lower-cased.
    pub fn email(email: &EmailAddress) -> SubjectKey {
        SubjectKey(Key::Email(email.as_str().trim().to_lowercase()))
    }

    /// The key of an identifier in another system (system and value).
    pub fn external_id(id: ExternalId) -> SubjectKey {
        SubjectKey(Key::ExternalId(id))
    }

    /// The key of a device or browser identifier (kind and value).
    pub fn device_id(id: DeviceId) -> SubjectKey {
        SubjectKey(Key::DeviceId(id))
    }

    /// The key of a telephone number: its written digits, with a leading `+`
    /// if one was written.
    pub fn phone(phone: &PhoneNumber) -> SubjectKey {
        SubjectKey(Key::Phone(phone.digits()))
    }

    /// Returns every key of a record, sorted and without duplicates: its
    /// record id, then each email, phone, external id and device id of its
    /// identity section.
    pub fn keys_of(record: &SourceRecord) -> Vec<SubjectKey> {
        let identity = record.identity();
        let mut keys = Vec::with_capacity(
            1 + identity.emails.len()
                + identity.phones.len()
                + identity.external_ids.len()
                + identity.device_ids.len(),
        );
        keys.push(SubjectKey::record(record.id().clone()));
        keys.extend(identity.emails.iter().map(SubjectKey::email));
        keys.extend(identity.phones.iter().map(SubjectKey::phone));
        keys.extend(
            identity
                .external_ids
                .iter()
                .cloned()
                .map(SubjectKey::external_id),
        );
        keys.extend(
            identity
                .device_ids
                .iter()
                .cloned()
                .map(SubjectKey::device_id),
        );
        keys.sort();
        keys.dedup();
        keys
    }

    /// Returns `true` when `record` is covered by this key, that is when the
    /// key is one of [`SubjectKey::keys_of`] the record.
    pub fn covers(&self, record: &SourceRecord) -> bool {
        let identity = record.identity();
        match &self.0 {
            Key::Record(id) => record.id() == id,
            Key::Email(e) => identity
                .emails
                .iter()
                .any(|x| x.as_str().trim().to_lowercase() == *e),
            Key::Phone(p) => identity.phones.iter().any(|x| x.digits() == *p),
            Key::ExternalId(id) => identity.external_ids.contains(id),
            Key::DeviceId(id) => identity.device_ids.contains(id),
        }
    }
}

impl fmt::Display for SubjectKey {
    /// `kind:value`, such as `email:ana@example.com`,
    /// `external_id:crm/42` or `device_id:idfa/…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Key::Record(id) => write!(f, "record:{id}"),
            Key::Email(e) => write!(f, "email:{e}"),
            Key::Phone(p) => write!(f, "phone:{p}"),
            Key::ExternalId(id) => write!(f, "external_id:{}/{}", id.system, id.value),
            Key::DeviceId(id) => write!(f, "device_id:{}/{}", id.kind, id.value),
        }
    }
}

/// What a consent event says about a purpose.
///
/// When two events for the same subject and purpose carry the same instant,
/// the most restrictive one wins: `withdrawn` over `denied` over `granted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum ConsentStatus {
    /// The subject agreed to the purpose.
    Granted,
    /// The subject refused the purpose when asked.
    Denied,
    /// The subject took back an earlier grant.
    Withdrawn,
}

impl ConsentStatus {
    /// Returns the `snake_case` word: `granted`, `denied` or `withdrawn`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Granted => "granted",
            ConsentStatus::Denied => "denied",
            ConsentStatus::Withdrawn => "withdrawn",
        }
    }

    /// Higher is more restrictive; ties at one instant go to the higher.
    fn restrictiveness(self) -> u8 {
        match self {
            ConsentStatus::Granted => 0,
            ConsentStatus::Denied => 1,
            ConsentStatus::Withdrawn => 2,
        }
    }
}

impl fmt::Display for ConsentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One recorded consent decision of a subject about a purpose.
///
/// Made with [`ConsentEvent::builder`]; a value that exists obeys these rules:
///
/// - an expiry (`expires_at`) is strictly after `at`, and only a grant has one;
/// - only a grant can be *explicit* consent (GDPR Art. 9(2)(a)), and only
///   explicit consent can list [`SpecialCategory`]s;
/// - the purpose is in canonical form ([`Purpose::canonical`]).
///
/// JSON (`serde` feature): `{"subject": {"email": "…"}, "purpose":
/// "marketing", "status": "granted", "at": "2026-03-01T09:00:00Z",
/// "expires_at": …, "source": "web", "proof": …, "explicit": true,
/// "special_categories": ["health"]}`, with `expires_at` and `proof` left out
/// when absent, `explicit` when false and `special_categories` when empty.
/// Reading checks the same rules.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::consent::{ConsentEvent, ConsentStatus, Purpose, SpecialCategory, SubjectKey};
/// use custodia::model::{EmailAddress, SourceId};
///
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
/// let subject = SubjectKey::email(&EmailAddress::new("ana@example.com")?);
/// let event = ConsentEvent::builder(subject.clone(), Purpose::Personalization, ConsentStatus::Granted, at, SourceId::new("app")?)
///     .expires_at(Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap())
///     .proof("consent-receipt-8812")
///     .explicit([SpecialCategory::Health])
///     .build()?;
/// assert!(event.covers_categories(&[SpecialCategory::Health]));
///
/// // An expiry must come after the event.
/// let err = ConsentEvent::builder(subject, Purpose::Marketing, ConsentStatus::Granted, at, SourceId::new("app")?)
///     .expires_at(at)
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("is not after the event time"));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "EventRepr", into = "EventRepr")
)]
pub struct ConsentEvent {
    subject: SubjectKey,
    purpose: Purpose,
    status: ConsentStatus,
    at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    source: SourceId,
    proof: Option<Text>,
    explicit: bool,
    special_categories: BTreeSet<SpecialCategory>,
}

/// The JSON shape of a [`ConsentEvent`].
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
struct EventRepr {
    subject: SubjectKey,
    purpose: Purpose,
    status: ConsentStatus,
    at: DateTime<Utc>,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    expires_at: Option<DateTime<Utc>>,
    source: SourceId,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    proof: Option<Text>,
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_false"))]
    explicit: bool,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "BTreeSet::is_empty")
    )]
    special_categories: BTreeSet<SpecialCategory>,
}

#[cfg(feature = "serde")]
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

impl TryFrom<EventRepr> for ConsentEvent {
    type Error = Error;
    fn try_from(r: EventRepr) -> Result<ConsentEvent> {
        ConsentEvent {
            subject: r.subject,
            purpose: r.purpose,
            status: r.status,
            at: r.at,
            expires_at: r.expires_at,
            source: r.source,
            proof: r.proof,
            explicit: r.explicit,
            special_categories: r.special_categories,
        }
        .checked()
    }
}

impl From<ConsentEvent> for EventRepr {
    fn from(e: ConsentEvent) -> EventRepr {
        EventRepr {
            subject: e.subject,
            purpose: e.purpose,
            status: e.status,
            at: e.at,
            expires_at: e.expires_at,
            source: e.source,
            proof: e.proof,
            explicit: e.explicit,
            special_categories: e.special_categories,
        }
    }
}

impl ConsentEvent {
    /// Starts an event of `subject` about `purpose` with `status` at `at`,
    /// recorded by `source` (the banner, preference centre or system that
    /// captured it).
    pub fn builder(
        subject: SubjectKey,
        purpose: Purpose,
        status: ConsentStatus,
        at: DateTime<Utc>,
        source: SourceId,
    ) -> ConsentEventBuilder {
        ConsentEventBuilder {
            event: ConsentEvent {
                subject,
                purpose,
                status,
                at,
                expires_at: None,
                source,
                proof: None,
                explicit: false,
                special_categories: BTreeSet::new(),
            },
            proof: None,
        }
    }

    /// Checks the rules of the type and puts the purpose in canonical form.
    fn checked(mut self) -> Result<ConsentEvent> {
        if let Some(expires_at) = self.expires_at {
            if self.status != ConsentStatus::Granted {
                return Err(ConsentError::ExpiryOnNonGrant {
                    status: self.status.as_str(),
                }
                .into());
            }
            if expires_at <= self.at {
                return Err(ConsentError::ExpiryNotAfter {
                    at: self.at,
                    expires_at,
                }
                .into());
            }
        }
        if (self.explicit || !self.special_categories.is_empty())
            && self.status != ConsentStatus::Granted
        {
            return Err(ConsentError::ExplicitOnNonGrant {
                status: self.status.as_str(),
            }
            .into());
        }
        if !self.explicit && !self.special_categories.is_empty() {
            return Err(ConsentError::CategoriesWithoutExplicit.into());
        }
        self.purpose = self.purpose.canonical();
        Ok(self)
    }

    /// The subject the event is about.
    pub fn subject(&self) -> &SubjectKey {
        &self.subject
    }

    /// The purpose, in canonical form.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// Granted, denied or withdrawn.
    pub fn status(&self) -> ConsentStatus {
        self.status
    }

    /// When the subject made the decision; it takes effect at this instant.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// When a grant stops being consent, if it has an end.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    /// The source that recorded the event.
    pub fn source(&self) -> &SourceId {
        &self.source
    }

    /// A reference to the proof of the decision (a receipt id, a form
    /// version, a log line), if one was recorded.
    pub fn proof(&self) -> Option<&Text> {
        self.proof.as_ref()
    }

    /// Returns `true` for explicit consent (GDPR Art. 9(2)(a)).
    pub fn is_explicit(&self) -> bool {
        self.explicit
    }

    /// The special categories this explicit consent covers.
    pub fn special_categories(&self) -> &BTreeSet<SpecialCategory> {
        &self.special_categories
    }

    /// Returns `true` when the event is explicit consent covering every one
    /// of `categories` (always `true` for an empty list).
    pub fn covers_categories(&self, categories: &[SpecialCategory]) -> bool {
        categories.is_empty()
            || (self.explicit
                && categories
                    .iter()
                    .all(|c| self.special_categories.contains(c)))
    }

    /// Returns `true` when the event is a grant that has not expired at `at`
    /// (an expiry takes effect at its instant).
    pub fn is_live_grant_at(&self, at: DateTime<Utc>) -> bool {
        self.status == ConsentStatus::Granted && self.expires_at.is_none_or(|e| at < e)
    }

    /// Orders events by precedence: later `at` first wins, then at one
    /// instant the more restrictive (withdrawn, denied, granted; then the
    /// earlier expiry, non-explicit before explicit), then a stable key over
    /// the remaining fields so that the order is total.
    pub(crate) fn cmp_precedence(&self, other: &ConsentEvent) -> Ordering {
        /// Time, restrictiveness, then expiry and explicitness, larger wins.
        type PrecedenceKey = (
            DateTime<Utc>,
            u8,
            Reverse<(bool, Option<DateTime<Utc>>)>,
            Reverse<bool>,
        );
        fn key(e: &ConsentEvent) -> PrecedenceKey {
            // `None` (never expires) is the least restrictive: sort it last
            // among expiries by pairing it with `true`.
            (
                e.at,
                e.status.restrictiveness(),
                Reverse((e.expires_at.is_none(), e.expires_at)),
                Reverse(e.explicit),
            )
        }
        key(self)
            .cmp(&key(other))
            .then_with(|| other.special_categories.cmp(&self.special_categories))
            .then_with(|| other.source.cmp(&self.source))
            .then_with(|| other.proof.cmp(&self.proof))
            .then_with(|| other.subject.cmp(&self.subject))
            .then_with(|| other.purpose.cmp(&self.purpose))
    }
}

/// Sets the optional parts of a [`ConsentEvent`]; made by
/// [`ConsentEvent::builder`]. Setters only record values; [`build`] checks
/// them.
///
/// [`build`]: ConsentEventBuilder::build
#[derive(Clone)]
pub struct ConsentEventBuilder {
    event: ConsentEvent,
    proof: Option<String>,
}

impl fmt::Debug for ConsentEventBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::redact::Secret;
        f.debug_struct("ConsentEventBuilder")
            .field("event", &self.event)
            .field(
                "proof",
                &self.proof.as_deref().map(|p| Secret::Text("Text", p)),
            )
            .finish()
    }
}

impl ConsentEventBuilder {
    /// Sets when a grant stops being consent; must be after the event's time.
    pub fn expires_at(mut self, expires_at: DateTime<Utc>) -> ConsentEventBuilder {
        self.event.expires_at = Some(expires_at);
        self
    }

    /// Records a reference to the proof of the decision.
    pub fn proof(mut self, proof: &str) -> ConsentEventBuilder {
        self.proof = Some(proof.to_owned());
        self
    }

    /// Marks a grant as explicit consent covering `categories` of special
    /// data (the list may be empty: explicit consent for the purpose alone).
    pub fn explicit(
        mut self,
        categories: impl IntoIterator<Item = SpecialCategory>,
    ) -> ConsentEventBuilder {
        self.event.explicit = true;
        self.event.special_categories.extend(categories);
        self
    }

    /// Checks the event and returns it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when an expiry is not after the event's time or is set on an event
    /// that is not a grant, when a non-grant is marked explicit, or when the
    /// proof is not a valid [`Text`].
    pub fn build(self) -> Result<ConsentEvent> {
        let mut event = self.event;
        if let Some(proof) = self.proof {
            event.proof = Some(Text::new(&proof).map_err(|e| e.context("consent proof"))?);
        }
        event.checked()
    }
}
