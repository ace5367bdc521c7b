//! The source record: one observation from one source at one time.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

#[cfg(feature = "serde")]
use crate::error::Error;
use crate::error::Result;
use crate::model::invalid::invalid;
use crate::model::{
    Attributes, Birth, Business, Demographic, Event, FieldPath, Geographic, Identity, Personal,
    QualityNote, RecordId, SourceId,
};

/// The version of the JSON shape of [`SourceRecord`] this build writes and
/// reads. See `docs/json-shape.md`.
pub const JSON_SHAPE_VERSION: u32 = 1;

/// One observation of a person from one source at one time: a CRM row, a web
/// sign-up, a support ticket, a purchase, a survey answer.
///
/// A record holds the identifiers the source knew ([`Identity`]), any typed
/// sections it had ([`Demographic`], [`Geographic`], [`Business`],
/// [`Personal`]), the behavioral [`Event`]s it carried, and every other value
/// it sent as typed custom [`Attributes`]. custodia keeps records as they
/// came and derives everything else from them.
///
/// A record is built with [`SourceRecord::builder`], which checks the rules
/// that tie its parts together:
/// - a birth date is not after the observation;
/// - no event happened after the observation;
/// - event ids are unique within the record.
///
/// A value that breaks one of these rules is set aside as a [`QualityNote`]
/// (see [`SourceRecord::quality_notes`]) instead of failing the record: one
/// impossible field never loses a record's name, email and phone. Callers
/// that validate raw values themselves set a failed one aside the same way,
/// with [`SourceRecordBuilder::set_aside`].
///
/// Events are kept sorted by time, then id, so that two records holding the
/// same events compare equal whatever order they arrived in.
///
/// # Examples
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use custodia::model::{Birth, EmailAddress, Gender, PersonName, SourceRecord};
///
/// let at = Utc.with_ymd_and_hms(2026, 2, 1, 12, 0, 0).unwrap();
/// let mut b = SourceRecord::builder("crm-1", "crm", at)?;
/// b.identity().names.push(PersonName::from_parts(Some("Ana"), Some("Silva"))?);
/// b.identity().emails.push(EmailAddress::new("ana@example.com")?);
/// b.demographic().gender = Some(Gender::parse("female")?);
/// b.demographic().birth = Some(Birth::Date(NaiveDate::from_ymd_opt(1990, 5, 17).unwrap()));
/// let record = b.build()?;
/// assert_eq!(record.identity().emails[0].as_str(), "ana@example.com");
///
/// // A birth date after the observation is set aside with a note; the
/// // rest of the record is kept.
/// let mut b = SourceRecord::builder("crm-2", "crm", at)?;
/// b.identity().emails.push(EmailAddress::new("rui@example.com")?);
/// b.demographic().birth = Some(Birth::Date(NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()));
/// let record = b.build()?;
/// assert_eq!(record.identity().emails[0].as_str(), "rui@example.com");
/// assert_eq!(record.demographic().birth, None);
/// let note = &record.quality_notes()[0];
/// assert_eq!(note.field().as_str(), "demographic.birth_date");
/// assert_eq!(note.value(), "2030-01-01");
/// assert_eq!(note.reason(), "birth date 2030-01-01 is after the observation at 2026-02-01 12:00:00 UTC");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawRecord")
)]
pub struct SourceRecord {
    version: u32,
    id: RecordId,
    source: SourceId,
    observed_at: DateTime<Utc>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Identity::is_empty"))]
    identity: Identity,
    #[cfg_attr(
        feature = "serde",
        serde(skip_serializing_if = "Demographic::is_empty")
    )]
    demographic: Demographic,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Geographic::is_empty"))]
    geographic: Geographic,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Business::is_empty"))]
    business: Business,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Personal::is_empty"))]
    personal: Personal,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    events: Vec<Event>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Attributes::is_empty"))]
    attributes: Attributes,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    quality_notes: Vec<QualityNote>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    #[serde(default = "default_version")]
    version: u32,
    id: RecordId,
    source: SourceId,
    observed_at: DateTime<Utc>,
    #[serde(default)]
    identity: Identity,
    #[serde(default)]
    demographic: Demographic,
    #[serde(default)]
    geographic: Geographic,
    #[serde(default)]
    business: Business,
    #[serde(default)]
    personal: Personal,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default)]
    attributes: Attributes,
    // Absent in JSON written before notes existed, which still reads.
    #[serde(default)]
    quality_notes: Vec<QualityNote>,
}

#[cfg(feature = "serde")]
fn default_version() -> u32 {
    JSON_SHAPE_VERSION
}

#[cfg(feature = "serde")]
impl TryFrom<RawRecord> for SourceRecord {
    type Error = Error;
    fn try_from(raw: RawRecord) -> Result<SourceRecord> {
        if raw.version != JSON_SHAPE_VERSION {
            return Err(invalid(
                "record version",
                raw.version,
                format_args!("is not the supported version {JSON_SHAPE_VERSION}"),
            ));
        }
        SourceRecordBuilder {
            record: SourceRecord {
                version: JSON_SHAPE_VERSION,
                id: raw.id,
                source: raw.source,
                observed_at: raw.observed_at,
                identity: raw.identity,
                demographic: raw.demographic,
                geographic: raw.geographic,
                business: raw.business,
                personal: raw.personal,
                events: raw.events,
                attributes: raw.attributes,
                quality_notes: raw.quality_notes,
            },
        }
        .build()
    }
}

impl SourceRecord {
    /// Starts a record `id` from `source` observed at `observed_at`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// `id` or `source` is not a valid [`RecordId`] / [`SourceId`].
    pub fn builder(
        id: &str,
        source: &str,
        observed_at: DateTime<Utc>,
    ) -> Result<SourceRecordBuilder> {
        Ok(SourceRecordBuilder::new(
            RecordId::new(id)?,
            SourceId::new(source)?,
            observed_at,
        ))
    }

    /// Returns the record's identifier.
    pub fn id(&self) -> &RecordId {
        &self.id
    }

    /// Returns the source it came from.
    pub fn source(&self) -> &SourceId {
        &self.source
    }

    /// Returns when the source observed it.
    pub fn observed_at(&self) -> DateTime<Utc> {
        self.observed_at
    }

    /// Returns the identifiers.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Returns the demographic section.
    pub fn demographic(&self) -> &Demographic {
        &self.demographic
    }

    /// Returns the geographic section.
    pub fn geographic(&self) -> &Geographic {
        &self.geographic
    }

    /// Returns the business section.
    pub fn business(&self) -> &Business {
        &self.business
    }

    /// Returns the personal section.
    pub fn personal(&self) -> &Personal {
        &self.personal
    }

    /// Returns the events, sorted by time, then id.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Returns the custom attributes.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// Returns the values set aside because they failed validation, in the
    /// order they were set aside.
    ///
    /// None of them is in the typed sections, so identity resolution and
    /// merging never read them; they are here to be counted, reported and
    /// corrected.
    pub fn quality_notes(&self) -> &[QualityNote] {
        &self.quality_notes
    }

    /// Returns a builder holding this record, to change it and check it again.
    pub fn into_builder(self) -> SourceRecordBuilder {
        SourceRecordBuilder { record: self }
    }
}

/// Builds a [`SourceRecord`]; see [`SourceRecord::builder`].
///
/// The section accessors hand out the sections to fill in place; every rule
/// is checked once, by [`build`](SourceRecordBuilder::build).
#[derive(Clone, Debug)]
pub struct SourceRecordBuilder {
    record: SourceRecord,
}

impl SourceRecordBuilder {
    /// Starts a record from already validated identifiers.
    pub fn new(id: RecordId, source: SourceId, observed_at: DateTime<Utc>) -> SourceRecordBuilder {
        SourceRecordBuilder {
            record: SourceRecord {
                version: JSON_SHAPE_VERSION,
                id,
                source,
                observed_at,
                identity: Identity::default(),
                demographic: Demographic::default(),
                geographic: Geographic::default(),
                business: Business::default(),
                personal: Personal::default(),
                events: Vec::new(),
                attributes: Attributes::new(),
                quality_notes: Vec::new(),
            },
        }
    }

    /// Returns the identity section to fill.
    pub fn identity(&mut self) -> &mut Identity {
        &mut self.record.identity
    }

    /// Returns the demographic section to fill.
    pub fn demographic(&mut self) -> &mut Demographic {
        &mut self.record.demographic
    }

    /// Returns the geographic section to fill.
    pub fn geographic(&mut self) -> &mut Geographic {
        &mut self.record.geographic
    }

    /// Returns the business section to fill.
    pub fn business(&mut self) -> &mut Business {
        &mut self.record.business
    }

    /// Returns the personal section to fill.
    pub fn personal(&mut self) -> &mut Personal {
        &mut self.record.personal
    }

    /// Returns the custom attributes to fill.
    pub fn attributes(&mut self) -> &mut Attributes {
        &mut self.record.attributes
    }

    /// Adds an event.
    pub fn event(&mut self, event: Event) -> &mut SourceRecordBuilder {
        self.record.events.push(event);
        self
    }

    /// Sets aside `raw`, a value meant for `field` that failed validation
    /// with `error` (an [`Error`](crate::Error), or any text naming the rule it broke), as
    /// a [`QualityNote`] on the record.
    ///
    /// Use it when a value read from a source cannot become its typed field
    /// (an email without `@`, a phone with letters): the record keeps
    /// everything else, and the value is not lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::model::{EmailAddress, FieldPath, SourceRecord};
    ///
    /// let at = Utc.with_ymd_and_hms(2026, 2, 1, 12, 0, 0).unwrap();
    /// let mut b = SourceRecord::builder("crm-3", "crm", at)?;
    /// match EmailAddress::new("ana.example.com") {
    ///     Ok(email) => b.identity().emails.push(email),
    ///     Err(e) => {
    ///         b.set_aside(FieldPath::new("identity.email")?, "ana.example.com", &e);
    ///     }
    /// }
    /// let record = b.build()?;
    /// assert!(record.identity().emails.is_empty());
    /// assert_eq!(record.quality_notes()[0].value(), "ana.example.com");
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn set_aside(
        &mut self,
        field: FieldPath,
        raw: impl Into<String>,
        error: impl std::fmt::Display,
    ) -> &mut SourceRecordBuilder {
        self.record
            .quality_notes
            .push(QualityNote::new(field, raw, error));
        self
    }

    /// Returns how many values have been set aside so far.
    #[cfg(feature = "serde")] // only ingest, which needs serde, asks
    pub(crate) fn quality_note_count(&self) -> usize {
        self.record.quality_notes.len()
    }

    /// Checks the record's rules and returns it.
    ///
    /// A value that breaks a rule is set aside as a [`QualityNote`] rather
    /// than failing the record: a birth date after the observation (the
    /// field is cleared), an event after the observation, and the later copy
    /// (by time, then by order added) of an event whose id appeared before
    /// (both moved, whole, into their note).
    ///
    /// # Errors
    ///
    /// None today: every rule sets its value aside. The `Result` is kept for
    /// rules that cannot.
    pub fn build(mut self) -> Result<SourceRecord> {
        let r = &mut self.record;
        if let Some(Birth::Date(date)) = r.demographic.birth {
            if date > r.observed_at.date_naive() {
                let e = invalid(
                    "birth date",
                    date,
                    format_args!("is after the observation at {}", r.observed_at),
                );
                r.demographic.birth = None;
                r.quality_notes.push(QualityNote::new(
                    FieldPath::new("demographic.birth_date")
                        .expect("a literal dotted path is valid"),
                    date.to_string(),
                    &e,
                ));
            }
        }
        // A stable sort: of two copies at the same time, the one added first
        // is kept.
        r.events
            .sort_by(|a, b| a.at().cmp(&b.at()).then_with(|| a.id().cmp(b.id())));
        let observed_at = r.observed_at;
        let mut ids = BTreeSet::new();
        let mut kept = Vec::with_capacity(r.events.len());
        for event in std::mem::take(&mut r.events) {
            if event.at() > observed_at {
                let e = invalid(
                    "event",
                    event.id().as_str(),
                    format_args!(
                        "at {} is after the observation at {observed_at}",
                        event.at()
                    ),
                );
                r.quality_notes.push(QualityNote::for_event(event, &e));
            } else if !ids.insert(event.id().clone()) {
                let e = invalid("event id", event.id().as_str(), "appears twice");
                r.quality_notes.push(QualityNote::for_event(event, &e));
            } else {
                kept.push(event);
            }
        }
        r.events = kept;
        Ok(self.record)
    }
}
