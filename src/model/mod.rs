//! Typed, validated customer data.
//!
//! A business holds *source records*: a CRM row, a web sign-up, a support
//! ticket, a purchase, a survey answer — each from one source, observed at
//! one time. [`SourceRecord`] is one such observation. It carries:
//!
//! | section | type | holds |
//! |---|---|---|
//! | identity | [`Identity`] | names, emails, phones, postal addresses, national/tax ids, device ids, external ids |
//! | demographic | [`Demographic`] | birth date or age band, gender, education, marital status, household size, income band, credit tier, language |
//! | geographic | [`Geographic`] | country, region, city, postal code, coordinates, time zone |
//! | business | [`Business`] | B2B [`Firmographics`] and B2C [`Job`] data |
//! | personal | [`Personal`] | interests, hobbies, sports teams, preferred channels, devices, preferences, attitudes |
//! | events | [`Event`] | page and screen views, clicks, email, social, support, app usage, transactions, survey answers, reviews, custom events |
//! | attributes | [`Attributes`] | everything else the source sent, typed as JSON is |
//!
//! # Invariants
//!
//! - **A value that exists is valid.** Every type checks its rule when it is
//!   made — [`EmailAddress`] has an `@` and a domain, [`Nps`] is 0..=10,
//!   [`Coordinates`] are on Earth, [`CountryCode`] is an assigned ISO 3166-1
//!   code, [`Money`] is exact minor units of an active ISO 4217 [`Currency`]
//!   — and deserialising checks the same rules. A broken rule is an
//!   [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) error
//!   that names the field, the value and the rule.
//! - **Nothing is silently lost.** Values the typed sections have no place for
//!   are kept as [`Attributes`]; open enums such as [`Gender`] keep unknown
//!   values as written in their `Other` variant.
//! - **A bad field never loses a record.** A value that fails validation is
//!   set aside as a [`QualityNote`] on its record (field, value as given,
//!   reason), reachable through [`SourceRecord::quality_notes`]; the rest of
//!   the record is kept and used. [`SourceRecordBuilder::build`] sets aside
//!   a birth date or an event after the observation and a repeated event id
//!   this way instead of failing.
//! - **Records are canonical.** Events are sorted by time then id, and
//!   interest-like lists are sets, so equal content compares equal.
//!
//! # Field access
//!
//! [`FieldAccess`] is the seam segment expressions evaluate against: a
//! [`FieldPath`] such as `geographic.country` reads [`Value`]s, and
//! [`Schema`] lists every path with its [`FieldType`]. [`SourceRecord::schema`]
//! documents the paths of a record and the names of its events (see also
//! [`Event::name`]).
//!
//! # Debug output and personal data
//!
//! `Debug` never prints a personal value, so records, profiles, consent
//! events and indexes can go into logs, panic messages and `{:#?}` dumps.
//! Redaction happens at the leaf types that hold personal values, so every
//! container that derives `Debug` (including `Vec`s and `Option`s) inherits
//! it:
//!
//! | leaf | redacted `Debug` |
//! |---|---|
//! | [`Text`] (names, street lines, cities, ids' values, proofs, comments, every open enum's `Other`), [`EmailAddress`], [`PhoneNumber`] | `Text(<redacted, 11 bytes, #6a1f03c2>)` |
//! | [`Birth::Date`], [`Coordinates`] | `Date(<redacted, #09be44d1>)` |
//! | [`AttributeValue`] and [`Value`] scalars but `Bool` (also `merge::FieldValue`) | `Int(<redacted, #…>)`; lists and map keys stay readable |
//! | the folded values of `identity::NormalizedRecord`, `NormalizedName` and `BlockKey`, email and phone `consent::SubjectKey`s | as text |
//! | the value tables of `identity::MatchModel` and `GenericValues`, the key hashes of `ResolutionIndex` | counts only |
//!
//! Identifiers ([`RecordId`], [`SourceId`], [`EventId`]), kinds and enum
//! words, [`CountryCode`], [`LanguageTag`], [`TimeZoneName`], [`DomainName`],
//! money and event times stay readable: they find a record without saying
//! who it is about. A builder holding an error shows only its
//! [`ErrorKind`](crate::error::ErrorKind).
//!
//! The digest after `#` is 32 bits of SipHash under a random key chosen
//! once per process: two equal values show the same digest in one run, so a
//! log can show that two records share an email, but the digest cannot be
//! checked against a list of likely emails or phones, and it differs
//! between runs. Lengths are in bytes.
//!
//! The full values are printed only when asked for explicitly:
//! [`Unredacted`]`(&value)` prints `Debug` in full, nested containers
//! included (`format!("{:#?}", Unredacted(&record))`); each leaf's
//! `Display` and `as_str()` return its text; and the serde JSON form holds
//! everything.
//!
//! Error messages are not redacted: they name the offending value (`email
//! "ana.example.com" has no @`) so the caller can fix the input, in both
//! `Display` and `Debug` of [`Error`](crate::Error). Log
//! [`Error::kind`](crate::Error::kind) where input may be personal.
//!
//! # JSON
//!
//! With the default `serde` feature every type serialises to a documented,
//! versioned shape ([`JSON_SHAPE_VERSION`]; see `docs/json-shape.md` in the
//! repository): optional parts are left out when empty, enums are
//! `snake_case` words, money is `{"minor": 1999, "currency": "EUR"}`, and
//! events carry a `"type"` tag.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::model::{
//!     CountryCode, Currency, EmailAddress, Event, EventId, EventKind, FieldAccess, FieldPath,
//!     Money, SourceRecord, Transaction, TransactionKind, Value,
//! };
//!
//! let at = Utc.with_ymd_and_hms(2026, 3, 14, 18, 5, 0).unwrap();
//! let mut b = SourceRecord::builder("shop-991", "webshop", at)?;
//! b.identity().emails.push(EmailAddress::new("budi@example.co.id")?);
//! b.geographic().country = Some(CountryCode::new("ID")?);
//! let idr = Currency::new("IDR")?;
//! let order = Transaction::new("INV-88", TransactionKind::Purchase, Money::parse("250000", idr)?, vec![])?;
//! b.event(Event::new(EventId::new("INV-88")?, at, EventKind::Transaction(order)));
//! let record = b.build()?;
//!
//! assert_eq!(record.first(&FieldPath::new("geographic.country")?), Some(Value::Text("ID")));
//! assert_eq!(record.events()[0].name(), "purchase");
//! # Ok::<(), custodia::Error>(())
//! ```

mod access;
mod attribute;
mod country_names;
mod event;
mod field;
mod geo;
mod invalid;
mod money;
mod quality;
mod record;
pub(crate) mod redact;
mod section;
mod text;

pub use attribute::{
    AttributeValue, Attributes, Finite, MAX_ATTRIBUTE_DEPTH, MAX_ATTRIBUTE_KEY_LEN,
};
pub use event::{
    AppUsage, Click, Csat, CustomEvent, EffortScore, EmailAction, EmailEvent, Event, EventKind,
    LineItem, Nps, PageView, Rating, Review, ScreenView, SocialAction, SocialEngagement,
    SupportAction, SupportInteraction, SurveyAnswer, SurveyAnswerBuilder, Transaction,
    TransactionKind,
};
pub use field::{
    Cardinality, EventAccess, EventQuery, EventSpec, FieldAccess, FieldPath, FieldSpec, FieldType,
    Schema, SchemaBuilder, Value, MAX_FIELD_PATH_LEN,
};
pub use geo::{Coordinates, CountryCode, Latitude, Longitude};
pub(crate) use invalid::invalid;
pub use money::{Currency, Money};
pub use quality::QualityNote;
pub use record::{SourceRecord, SourceRecordBuilder, JSON_SHAPE_VERSION};
pub use redact::Unredacted;
pub use section::{
    AgeBand, Birth, Business, Channel, CreditTier, DecisionLevel, Demographic, Device, DeviceId,
    DeviceIdKind, DeviceKind, Education, ExternalId, Firmographics, Gender, Geographic,
    HouseholdSize, Identity, IncomeBand, IndustryCode, IndustryScheme, Job, MaritalStatus,
    NationalId, NationalIdKind, PersonName, Personal, PostalAddress, Seniority, Text, MAX_AGE,
};
pub use text::{
    DomainName, EmailAddress, EventId, LanguageTag, PhoneNumber, RecordId, SourceId, TimeZoneName,
    MAX_ID_LEN, MAX_TEXT_LEN,
};
