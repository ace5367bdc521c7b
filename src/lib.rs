//! custodia: the core of a customer data platform, as a library.
//!
//! Businesses learn about their customers from many places: a CRM, web and
//! app analytics, email, support tickets, surveys, sales, reviews. custodia
//! turns those scattered **source records** into one trustworthy,
//! consent-respecting picture of each customer, and answers the questions a
//! business asks of it. It is a pure library: it does no I/O of its own, keeps
//! no global state and starts no threads unless a call asks for parallel
//! work; storage, transport and scheduling belong to the program that embeds
//! it.
//!
//! # A first look
//!
//! Ingest the JSON messages a customer-event pipeline emits, then read the
//! typed records through the same field paths that audience definitions use:
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use custodia::ingest::Ingestor;
//! use custodia::model::{EventKind, FieldAccess, FieldPath, Value};
//!
//! let shop = Ingestor::new("webshop")?;
//! let records = shop.batch(r#"[
//!   {"type": "identify", "messageId": "m1", "userId": "u-7", "timestamp": "2026-03-01T09:00:00Z",
//!    "traits": {"name": "Eszter Kovács", "email": "eszter@example.hu",
//!               "address": {"city": "Debrecen", "country": "HU"}, "loyalty_tier": "gold"}},
//!   {"type": "track", "event": "Order Completed", "messageId": "m2", "userId": "u-7",
//!    "timestamp": "2026-03-02T18:30:00Z",
//!    "properties": {"order_id": "A-100", "total": 12990, "currency": "HUF"}},
//!   {"type": "track", "event": "Survey Answered", "messageId": "m3", "userId": "u-7",
//!    "timestamp": "2026-03-09T10:00:00Z",
//!    "properties": {"nps": 9, "comment": "Gyors szállítás, köszönöm!"}}
//! ]"#)?;
//!
//! let profile = &records[0];
//! assert_eq!(profile.first(&FieldPath::new("geographic.city")?), Some(Value::Text("Debrecen")));
//! assert_eq!(profile.first(&FieldPath::new("attributes.loyalty_tier")?), Some(Value::Text("gold")));
//!
//! let order = &records[1].events()[0];
//! assert_eq!(order.name(), "purchase");
//! let EventKind::Transaction(t) = order.kind() else { unreachable!() };
//! assert_eq!(t.amount().to_string(), "12990.00 HUF");
//!
//! assert_eq!(records[2].events()[0].feedback_text(), Some("Gyors szállítás, köszönöm!"));
//!
//! // Audiences are text, checked against the schema, evaluated at a given time.
//! use custodia::segment::Segment;
//! use custodia::model::SourceRecord;
//! let promoters = Segment::parse("count(survey_answered where nps >= 9 within 30d) >= 1")?
//!     .compile(SourceRecord::schema())?;
//! let now = records[2].observed_at();
//! let members: Vec<_> = records.iter().filter(|r| promoters.matches_at(*r, now)).collect();
//! assert_eq!(members.len(), 1);
//! assert_eq!(members[0].id().as_str(), "m3");
//! # }
//! # Ok::<(), custodia::Error>(())
//! ```
//!
//! Bad input is a typed [`Error`] that names the field, the value and the rule
//! it broke, never a panic:
//!
//! ```
//! use custodia::model::Nps;
//! assert_eq!(Nps::new(11).unwrap_err().to_string(), "nps 11 is out of range 0..=10");
//! ```
//!
//! # Where to start
//!
//! | module | what it does |
//! |---|---|
//! | [`model`] | typed, validated source records: identity, demographic, geographic, business, personal and behavioral data, exact money; the [`FieldAccess`](model::FieldAccess) seam |
//! | [`ingest`] | Segment-spec `identify`/`track`/`page`/`screen`/`group`/`alias` JSON into source records (feature `serde`) |
//! | [`error`] | the one [`Error`] type, its [`ErrorKind`](error::ErrorKind), spans and caret diagnostics |
//! | [`consent`] | purposes, lawful bases, consent events and the ledger that decides what a record may be used for |
//! | [`identity`] | deciding which records are the same person: normalise, block, score, cluster, explain |
//! | [`merge`] | one unified profile per person for a purpose and a time: survivorship, provenance, consent, unmerge, erasure, audit |
//! | [`segment`] | audience expressions, parsed, checked and evaluated |
//! | [`sentiment`] | lexicon-based sentiment of customer feedback |
//! | [`clv`] | customer lifetime value and churn estimators |
//! | [`pipeline`] | one type from records to persons: incremental resolution, consent and profiles, with each person's purchases and feedback |
//! | [`insights`] | survey metrics, RFM scores and segments, cohorts and retention, alerts, key phrases and topics of feedback, personas, as pure functions |
//! | `chart` | SVG charts of those results: a link's match-weight waterfall, CLV calibration, retention curves, NPS trend, segment sizes (feature `charts`) |
//!
//! # Crate features
//!
//! | feature | default | adds | costs |
//! |---|---|---|---|
//! | `serde` | yes | `Serialize`/`Deserialize` on every data type with a documented, versioned JSON shape; the [`ingest`] module | serde and serde_json |
//! | `rayon` | yes | parallel work inside calls that ask for it; results are identical without it | rayon |
//! | `lexicon-en` | yes | `sentiment::Lexicon::english`, the VADER lexicon with emoji (MIT) | about 550 KB of data |
//! | `lexicon-pt` | yes | `sentiment::Lexicon::portuguese`, the LeIA lexicon (MIT) | about 430 KB of data |
//! | `charts` | no | the `chart` module: SVG charts of match explanations, CLV calibration, cohorts, survey metrics and segment sizes, as SVG text | plotters with only its SVG backend (MIT); no font library |
//! | `detect` | no | `sentiment::Language::detect`: names the language of untagged text (reads at most 4 KB) | whatlang (MIT) and its hashbrown |
//!
//! Features only add API; they never change results.
//!
//! # More
//!
//! - `docs/architecture.md` in the repository: how the pieces fit, and the one
//!   idea behind them (a profile is a function of its source records).
//! - `docs/json-shape.md`: the JSON shape of every data type.
//! - `CHANGELOG.md`: what changed in each release.

#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs_custodia, feature(doc_cfg))]

#[cfg(feature = "charts")]
#[cfg_attr(docsrs_custodia, doc(cfg(feature = "charts")))]
pub mod chart;
pub mod clv;
pub mod consent;
pub mod error;
pub mod identity;
#[cfg(feature = "serde")]
#[cfg_attr(docsrs_custodia, doc(cfg(feature = "serde")))]
pub mod ingest;
pub mod insights;
pub mod merge;
pub mod model;
pub mod pipeline;
pub mod segment;
pub mod sentiment;

pub use error::{Error, Result};

// The README's example is compiled and run with the doctests.
#[cfg(all(doctest, feature = "serde"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub use consent::{ConsentLedger, Purpose};
pub use merge::UnifiedProfile;
pub use model::{RecordId, SourceRecord};
pub use pipeline::{PersonId, Pipeline};
pub use segment::Segment;
