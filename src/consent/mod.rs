//! Consent: purposes, lawful bases, consent events and the ledger that
//! decides what a record's data may be used for.
//!
//! Every use of customer data has a *purpose* ([`Purpose`]: analytics,
//! marketing, personalization, profiling, advertising, third-party sharing,
//! or a custom one) and needs a *lawful basis* ([`LawfulBasis`], the six of
//! GDPR Art. 6(1)). When the basis is consent, what the customer said is
//! recorded as [`ConsentEvent`]s: a subject, a purpose, granted / denied /
//! withdrawn, when, until when, from which source, with which proof. A
//! [`ConsentLedger`] holds the events and a [`LedgerPolicy`] (which purposes
//! rest on a basis other than consent) and answers one question:
//! **may this record's data be used for purpose P at time t?** The answer is
//! a [`Decision`] that says why ([`Reason`]).
//!
//! # Subjects
//!
//! An event names its subject by one identifier, a [`SubjectKey`]: a record
//! id, an email (trimmed, lower-cased), an external id (system and value), a
//! device id (kind and value) or a phone number (its written digits). A
//! record is covered by an event when **any** of the record's identifiers
//! ([`SubjectKey::keys_of`]) equals the event's key exactly; see
//! [`SubjectKey`] for how each kind is compared.
//!
//! # Rules
//!
//! For a record, a purpose P and a time t, the *event in force* is, among the
//! events for P naming any of the record's keys and dated at or before t, the
//! latest; at one instant the most restrictive wins (withdrawn, then denied,
//! then granted; among grants the earlier expiry, then non-explicit), then a
//! stable key, so the answer never depends on the order events were added.
//!
//! | situation | decision | reason |
//! |---|---|---|
//! | policy names a basis other than `consent` for P, no special categories | allowed | [`Reason::LawfulBasis`] |
//! | no event in force | denied | [`Reason::NoConsent`] |
//! | event in force is a refusal | denied | [`Reason::Denied`] |
//! | event in force is a withdrawal (effective at its own time) | denied | [`Reason::Withdrawn`] |
//! | event in force is a grant whose expiry is at or before t | denied | [`Reason::Expired`] |
//! | special categories asked, grant not explicit or not covering all of them | denied | [`Reason::SpecialCategoriesNotCovered`] |
//! | event in force is an unexpired grant (explicit and covering them, if special categories are asked) | allowed | [`Reason::Consent`] |
//!
//! Consequences: everything is denied by default; a configured basis of
//! [`LawfulBasis::Consent`] is the same as none; a withdrawal denies from its
//! instant until a later grant; an event dated after t never changes the
//! answer at t; data of a [`SpecialCategory`] (GDPR Art. 9) is never allowed
//! by a configured basis, only by explicit consent covering its categories
//! ([`ConsentLedger::decide_special`]). A consent event does not override a
//! configured basis: the ledger does not model objections (GDPR Art. 21), so
//! a controller that honours them should record the purpose as resting on
//! consent, or remove its basis.
//!
//! # Examples
//!
//! A customer withdraws marketing consent; analytics rests on legitimate
//! interests and stays allowed.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::consent::{ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, Reason, SubjectKey};
//! use custodia::model::{EmailAddress, SourceId, SourceRecord};
//!
//! let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
//! let mut b = SourceRecord::builder("crm-7", "crm", day(1))?;
//! b.identity().emails.push(EmailAddress::new("Ana@Example.com")?);
//! let record = b.build()?;
//!
//! let mut ledger = ConsentLedger::builder()
//!     .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
//!     .build()?;
//! let ana = SubjectKey::email(&EmailAddress::new("ana@example.com")?);
//! let web = SourceId::new("preference-centre")?;
//! ledger.add(ConsentEvent::builder(ana.clone(), Purpose::Marketing, ConsentStatus::Granted, day(2), web.clone()).build()?);
//! ledger.add(ConsentEvent::builder(ana.clone(), Purpose::Marketing, ConsentStatus::Withdrawn, day(9), web).build()?);
//!
//! assert!(!ledger.allowed(&record, &Purpose::Marketing, day(1)));  // nothing yet: denied by default
//! assert!(ledger.allowed(&record, &Purpose::Marketing, day(5)));   // granted on the 2nd
//! let later = ledger.decide(&record, &Purpose::Marketing, day(9));
//! assert!(!later.is_allowed());
//! assert!(matches!(later.reason(), Reason::Withdrawn { at, .. } if *at == day(9)));
//! assert!(ledger.allowed(&record, &Purpose::Analytics, day(20)));  // legitimate interests
//! assert_eq!(ledger.events_for(&ana).count(), 2);
//! # Ok::<(), custodia::Error>(())
//! ```

mod error;
mod event;
mod ledger;
mod purpose;

pub use event::{ConsentEvent, ConsentEventBuilder, ConsentStatus, SubjectKey};
pub use ledger::{ConsentLedger, ConsentLedgerBuilder, Decision, EventsFor, LedgerPolicy, Reason};
pub use purpose::{LawfulBasis, Purpose, SpecialCategory};
