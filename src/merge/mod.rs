//! Merging a cluster's source records into one unified profile, for a
//! purpose and a time, with survivorship rules and provenance; exact
//! unmerge and erasure; an audit log; purpose-filtered views for export.
//!
//! A [`UnifiedProfile`] is a **pure function** of (the cluster's source
//! records, the [`ConsentLedger`](crate::consent::ConsentLedger), the
//! [`SurvivorshipPolicy`], the purpose, the time). Nothing else goes in, so:
//!
//! - the same records in any order or batching give the same profile, and
//!   byte-identical JSON (every list and map is in a canonical order);
//!   merging a record twice changes nothing;
//! - a record observed after the time does not exist yet;
//! - a record contributes only if the ledger allows *its own* data for the
//!   purpose at the time ([`ConsentLedger::decide`](crate::consent::ConsentLedger::decide));
//!   another record's grant never lets it through, even in the same
//!   cluster, and a withdrawal removes its contribution from its instant on;
//! - splitting a cluster or erasing a subject leaves exactly what deriving
//!   from the remaining records gives.
//!
//! # How fields merge
//!
//! | field kind | merged as | provenance |
//! |---|---|---|
//! | single-valued (`geographic.country`, `job.title`) | one survivor chosen by the policy's [`SurvivorshipRule`] | [`Provenance`]: record, source, observed at, rule |
//! | multi-valued (`identity.email`, `personal.interest`) | the union, as a set of members de-duplicated by normal form, with a primary member | every record holding each member and each of its raw variants ([`Origin`]) |
//! | custom attributes (`attributes.*`, `personal.preference.*`, `personal.attitude.*`) | per top-level key, like single-valued fields; lists and maps kept whole | as single-valued |
//! | events | the union by event id; on conflicting content the most recently observed record's copy | every record carrying the id |
//!
//! Rules receive their [`Candidate`]s in a canonical order (by record id)
//! and must choose by what the candidates carry, never by position; the
//! built-ins [`MostRecent`], [`SourcePriority`], [`MostFrequent`] and
//! [`MostComplete`] break every tie deterministically. [`testing`] checks
//! users' own rules and policies against the laws.
//!
//! # Activation-ready sets
//!
//! Members of a multi-valued field are compared by their *normal form*, the
//! one identity resolution matches with: `Ana@Example.com` and
//! `ana@example.com` are one [`SetMember`], as are `+1 555 010 0200` and
//! `(555) 010-0200` from a US record. A member keeps every raw
//! [`Variant`] with the records that wrote it so, and shows the variant the
//! most records hold (then the most recently observed, then the smaller).
//! Each field has a *primary* member ([`UnifiedProfile::primary`]) chosen
//! by the policy's primary rule ([`MostFrequent`] unless set: most records,
//! then most recent, then the smaller normal form), and
//! [`UnifiedProfile::primary_email`], [`UnifiedProfile::primary_phone`] and
//! [`UnifiedProfile::display_name`] read the ones activation needs. The
//! normal form of every field is in the table below.
//!
//! The model holds no special-category data (GDPR Art. 9), so derivation
//! asks the ledger's plain [`decide`](crate::consent::ConsentLedger::decide);
//! were such fields added, their values would need
//! [`decide_special`](crate::consent::ConsentLedger::decide_special).
//!
//! # Store, unmerge, erasure, audit
//!
//! A [`ProfileStore`] holds records, cluster membership, the ledger,
//! tombstones and an [`AuditEvent`] log. It [`insert`](ProfileStore::insert)s
//! records, [`link`](ProfileStore::link)s them or
//! [`apply_clustering`](ProfileStore::apply_clustering)s from identity
//! resolution, [`split`](ProfileStore::split)s wrong links and
//! [`erase`](ProfileStore::erase)s subjects with an [`ErasureReceipt`]. It
//! derives one profile ([`profile`](ProfileStore::profile)), every profile
//! ([`derive_all`](ProfileStore::derive_all), in parallel with the `rayon`
//! feature), or an export [`ProfileView`] holding only allowed values,
//! optionally cut down to chosen fields ([`view_for`](ProfileStore::view_for)).
//!
//! Tombstones are UUID v5 (SHA-1) digests of the erased subject's
//! identifiers ([`SubjectKey`](crate::consent::SubjectKey) text), not the
//! identifiers: the store cannot list who was erased, yet recognises them.
//! Identifiers such as emails and phone numbers are guessable, so an
//! unkeyed digest can be confirmed by anyone who hashes a guess; set a
//! secret with [`ProfileStore::with_tombstone_key`] to make digests
//! useless without it.
//!
//! # Examples
//!
//! A customer withdraws marketing consent: the marketing view empties,
//! analytics (resting on legitimate interests) does not.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::consent::{ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, SubjectKey};
//! use custodia::merge::{FieldSelection, ProfileStore, SurvivorshipPolicy};
//! use custodia::model::{EmailAddress, SourceId, SourceRecord};
//!
//! let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
//! let email = EmailAddress::new("ana@example.com")?;
//! let mut ledger = ConsentLedger::builder()
//!     .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
//!     .build()?;
//! let ana = SubjectKey::email(&email);
//! let web = SourceId::new("preference-centre")?;
//! ledger.add(ConsentEvent::builder(ana.clone(), Purpose::Marketing, ConsentStatus::Granted, day(1), web.clone()).build()?);
//!
//! let mut store = ProfileStore::new(ledger, SurvivorshipPolicy::default());
//! let mut b = SourceRecord::builder("crm-1", "crm", day(1))?;
//! b.identity().emails.push(email);
//! store.insert(b.build()?);
//! let cluster = store.cluster_ids()[0];
//! let all = FieldSelection::All;
//!
//! assert!(!store.view_for(cluster, &Purpose::Marketing, day(5), &all)?.is_empty());
//! store.ledger_mut().add(ConsentEvent::builder(ana, Purpose::Marketing, ConsentStatus::Withdrawn, day(9), web).build()?);
//! assert!(store.view_for(cluster, &Purpose::Marketing, day(10), &all)?.is_empty());
//! assert!(!store.view_for(cluster, &Purpose::Analytics, day(10), &all)?.is_empty());
//! // The past does not change: before the withdrawal, marketing was allowed.
//! assert!(!store.view_for(cluster, &Purpose::Marketing, day(5), &all)?.is_empty());
//! # Ok::<(), custodia::Error>(())
//! ```
//!
// The field list is kept in one file, shown here and in `docs/`; a test
// checks it against the schema and the JSON shapes.
#![doc = include_str!("../../docs/profile-fields.md")]

mod audit;
mod error;
mod normal;
mod policy;
mod profile;
mod rule;
mod store;
pub mod testing;
mod tombstone;
mod value;
mod view;

pub use audit::{AuditChange, AuditEvent};
pub use policy::{SurvivorshipPolicy, SurvivorshipPolicyBuilder};
pub use profile::{
    Exclusion, MergedEvent, Origin, Provenance, SetMember, Survived, UnifiedProfile, Variant,
};
pub use rule::{
    Candidate, MostComplete, MostFrequent, MostRecent, SourcePriority, SurvivorshipRule,
};
pub use store::{ErasureReceipt, InsertOutcome, ProfileStore};
pub use value::FieldValue;
pub use view::{FieldSelection, ProfileView, ViewField};
