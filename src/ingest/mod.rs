//! Ingest of Segment-spec JSON messages.
//!
//! Segment, RudderStack and most customer-event pipelines emit the same six
//! message types: `identify`, `track`, `page`, `screen`, `group` and `alias`.
//! An [`Ingestor`] turns each message into one [`SourceRecord`]: the traits
//! the spec names land in the typed sections, the semantic events the spec
//! names become typed [`Event`]s, and **every other trait, property and
//! context value is kept** as typed custom attributes or event properties.
//!
//! A trait or property whose value fails validation (an email without `@`,
//! a birthday that is not a date, an NPS of 11, a latitude of 91) does not
//! fail the message: the value is set aside as a [`QualityNote`] on the
//! record, its reason beginning with the JSON path
//! (`$.traits.email: email "ana" has no @`), and the rest of the message is
//! read. A message that is not a message at all (not JSON, not an object,
//! no `type`, no timestamp, a missing required field such as `order_id`, a
//! value of the wrong JSON type) gives an [`ErrorKind::InvalidInput`] error
//! whose message begins with the JSON path of the problem. Ingest never
//! panics, whatever the JSON.
//!
//! # The mapping
//!
//! Common fields, for every message type:
//!
//! | JSON | becomes |
//! |---|---|
//! | `type` | which mapping applies (required) |
//! | `messageId` | the record id and the event id; when absent, a UUID v5 of the message's canonical JSON, so a re-delivered message gets the same id |
//! | `timestamp` (else `originalTimestamp`, `sentAt`, `receivedAt`) | the record's `observed_at` and the event's `at`; RFC 3339, required |
//! | `userId` | an [`ExternalId`] of system `<space>/user_id`, where the id space is the source (`crm/user_id`) unless [`Ingestor::id_space`] names a shared one |
//! | `anonymousId` | a [`DeviceId`] of kind `anonymous_id` |
//! | `context.traits` | read as `traits` are for `identify` |
//! | `context.locale` | `demographic.language` |
//! | `context.timezone` | `geographic.time_zone` |
//! | `context.location` (`city`, `country`, `region`, `latitude`, `longitude`) | `geographic` |
//! | `context.device` (`id`, `advertisingId`, `type`, `manufacturer`, `model`) and `context.os` | device ids and `personal.devices` |
//! | the rest of `context` (`ip`, `page`, `campaign`, `userAgent`, `app`, …) | attribute `context` (an object) |
//! | `integrations`, `sentAt`, `receivedAt`, `version`, `channel`, `writeKey`, `projectId`, `_metadata` | delivery metadata, not customer data: not kept |
//!
//! Traits (`identify`'s `traits`, and `context.traits` of any message):
//!
//! | trait | becomes |
//! |---|---|
//! | `firstName`/`first_name`, `lastName`/`last_name`, `name` | one [`PersonName`]: given, family, full |
//! | `email`, `phone` | `identity.emails`, `identity.phones` |
//! | `address` {`street`, `city`, `state`, `postalCode`/`postal_code`, `country`} | `identity.addresses`, and `geographic` |
//! | `birthday` (a date or timestamp), else `age` | `demographic.birth` (a date, or a one-year age band) |
//! | `gender` | `demographic.gender` |
//! | `title` | `business.job.title` |
//! | `company` {`name`, `industry`, `employee_count`/`employees`} | `business.firmographics` |
//! | `language`/`locale`, `timezone` | `demographic.language`, `geographic.time_zone` |
//! | `interests` (a list of strings) | `personal.interests` |
//! | anything else, and the unread keys of `address` and `company` | attributes, under the same key |
//!
//! A country is read as a code or a name (`"PT"`, `"PRT"`, `"Portugal"`;
//! see [`CountryCode::lookup`](crate::model::CountryCode::lookup)); a value
//! that is neither (`"Atlantis"`, or `"Korea"`, which names two countries)
//! is kept as written in the attributes instead of the typed field.
//!
//! Track events (`event` name → [`EventKind`]); properties that the mapping
//! does not read stay in the event's properties:
//!
//! | `event` | kind | properties read |
//! |---|---|---|
//! | `Order Completed` | purchase | `order_id` (required), `total` or `revenue` (else the sum of the products), `currency`, `products[]` {`sku`/`product_id`, `name`, `price`, `quantity`} |
//! | `Order Refunded` | refund | `order_id` (required), `total` or `revenue`, `currency` |
//! | `Email Sent`, `Email Delivered`, `Email Opened`, `Email Link Clicked`, `Email Bounced`, `Email Marked as Spam`, `Unsubscribed` | email | `campaign_name`, `email_subject`, `link_url` |
//! | `Ticket Opened`/`Ticket Created`, `Ticket Updated`, `Ticket Resolved`/`Ticket Solved`/`Ticket Closed`, `Ticket Reopened` | support | `ticket_id`, `channel`, `subject`, `text`/`description`/`comment`, `satisfaction`/`csat` (1..=5) |
//! | `Onboarding Step Completed`, `Feature Used`, `Problem Reported` | app usage | `step`, `feature`, `description`/`text` |
//! | `Survey Answered`/`Survey Completed`/`Survey Responded`/`NPS Submitted` | survey | `survey_id`, `nps`/`score` (0..=10), `effort`/`ces` (1..=7), `csat` (1..=5), `comment`/`feedback`/`text` |
//! | `Product Reviewed` | review | `rating`, `rating_scale` (default 5), `review_body`/`text`, `product_id`/`sku` |
//! | `Product Shared`, `Cart Shared` | social share | `share_via` |
//! | `Link Clicked`, `Button Clicked`, `Element Clicked` | click | `target`/`label`, `url` |
//! | anything else | custom, named as sent | none |
//!
//! `page` becomes a page view (`name`, and `properties` `url`, `path`,
//! `title`, `referrer`); `screen` a screen view (`name`); `group` fills
//! `business.firmographics` from its traits (`name`, `industry`,
//! `employees`, `website`) with `groupId` as an [`ExternalId`] of system
//! `<space>/group_id`; `alias` records that `previousId` (an [`ExternalId`]
//! of system `<space>/previous_id`) and `userId` are one person.
//!
//! # Ids are issued per source
//!
//! CRM user `2` and the shop's user `2` are usually different people, and
//! identity resolution treats equal external ids as strong evidence. So
//! `userId`, `groupId` and `previousId` are put in an id system that names
//! the source that issued them (`crm/user_id`, `shop/user_id`), and never
//! match across sources by accident. Sources that really share one id space
//! (one login service behind the web site and the app) say so with
//! [`Ingestor::id_space`]; their ids then share the system
//! `<space>/user_id`. `anonymousId` and device ids are device-generated and
//! keep one system for all sources.
//!
//! # Exact reading
//!
//! [`Ingestor::message`] and [`Ingestor::batch`] read the JSON text
//! themselves rather than through serde_json's numbers:
//!
//! - A number keeps its text exactly. An id sent as a number
//!   (`"userId": 123456789012345678901234`) becomes that text; an amount is
//!   read digit by digit with [`Money::from_decimal_str`], so `6000.005` USD is
//!   refused instead of becoming 6000.01. A whole number beyond `i64` in
//!   attributes stays text rather than a rounded float.
//! - A key that appears twice in one object is an error naming the key's
//!   path (`$.traits.email: key "email" appears more than once in its
//!   object`). The JSON standard leaves such messages' meaning open, and
//!   keeping either value silently could keep the wrong one, so the sender
//!   is told instead.
//! - A `\u` escape that is not valid UTF-16 (a lone surrogate) is an error,
//!   and arrays and objects may nest at most 128 levels
//!   ([`ErrorKind::LimitExceeded`] beyond). Reading is linear in the text.
//!
//! [`Ingestor::record`] takes a value serde_json already parsed, so it cannot
//! see duplicate keys or digits serde_json rounded away.
//!
//! Amounts without a `currency` are in the ingestor's default currency (USD,
//! as the spec says, unless set with [`Ingestor::default_currency`]). An
//! amount finer than its currency's minor unit is an error, not rounded.
//!
//! # Examples
//!
//! ```
//! use custodia::ingest::Ingestor;
//! use custodia::model::{FieldAccess, FieldPath, Value};
//!
//! let ingestor = Ingestor::new("web")?;
//! let record = ingestor.message(r#"{
//!     "type": "identify",
//!     "messageId": "m-1",
//!     "userId": "u-42",
//!     "timestamp": "2026-03-01T10:00:00Z",
//!     "traits": {"firstName": "Ana", "lastName": "Silva", "email": "ana@example.pt",
//!                "address": {"city": "Lisboa", "country": "PT"}, "plan": "pro"}
//! }"#)?;
//! assert_eq!(record.identity().emails[0].as_str(), "ana@example.pt");
//! assert_eq!(record.first(&FieldPath::new("geographic.country")?), Some(Value::Text("PT")));
//! assert_eq!(record.first(&FieldPath::new("attributes.plan")?), Some(Value::Text("pro")));
//!
//! // A bad value is set aside with a note; the rest of the message is kept.
//! let record = ingestor.message(r#"{"type": "identify", "timestamp": "2026-03-01T10:00:00Z",
//!     "traits": {"email": "ana.example.pt", "phone": "+351 912 345 678"}}"#)?;
//! assert!(record.identity().emails.is_empty());
//! assert_eq!(record.identity().phones.len(), 1);
//! let note = &record.quality_notes()[0];
//! assert_eq!(note.value(), "ana.example.pt");
//! assert_eq!(note.reason(), "$.traits.email: email \"ana.example.pt\" has no @");
//!
//! let err = ingestor.message(r#"{"type": "identify", "traits": {}}"#).unwrap_err();
//! assert_eq!(err.to_string(), "$.timestamp: is missing");
//! # Ok::<(), custodia::Error>(())
//! ```
//!
//! [`SourceRecord`]: crate::model::SourceRecord
//! [`Event`]: crate::model::Event
//! [`EventKind`]: crate::model::EventKind
//! [`ExternalId`]: crate::model::ExternalId
//! [`DeviceId`]: crate::model::DeviceId
//! [`PersonName`]: crate::model::PersonName
//! [`ErrorKind::InvalidInput`]: crate::error::ErrorKind::InvalidInput
//! [`QualityNote`]: crate::model::QualityNote
//! [`ErrorKind::LimitExceeded`]: crate::error::ErrorKind::LimitExceeded
//! [`Money::from_decimal_str`]: crate::model::Money::from_decimal_str

mod json;
mod message;
mod parse;

pub use message::Ingestor;
