//! Purpose-filtered views for activation, with data minimisation.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::consent::Purpose;
use crate::error::suggest;
use crate::error::Result;
use crate::identity::ClusterId;
use crate::merge::error::MergeError;
use crate::merge::{FieldValue, UnifiedProfile};
use crate::model::{Event, FieldPath, SourceRecord};

/// Which fields a [`ProfileView`] holds: all the purpose allows, or only a
/// chosen list (data minimisation).
///
/// A chosen entry is a field path (`identity.email`), a section or open
/// prefix selecting every field below it (`geographic`, `attributes`), a
/// custom attribute (`attributes.plan`), or `events` for the event history.
///
/// # Examples
///
/// ```
/// use custodia::error::ErrorKind;
/// use custodia::merge::FieldSelection;
/// let only = FieldSelection::only(["identity.email", "geographic.country", "events"])?;
/// assert_eq!(only, FieldSelection::only(["events", "geographic.country", "identity.email"])?);
/// let err = FieldSelection::only(["identity.emial"]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnknownField);
/// assert_eq!(err.to_string(), "field \"identity.emial\" is not a field of the record schema; did you mean \"identity.email\"?");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FieldSelection {
    /// Every field the purpose allows, and the events.
    #[default]
    All,
    /// Only these paths (sorted, without duplicates), and the events if
    /// `events` is `true`.
    Only {
        /// The chosen paths.
        paths: Vec<FieldPath>,
        /// Whether the event history is chosen.
        events: bool,
    },
}

impl FieldSelection {
    /// Returns a selection of the given paths, checked against
    /// [`SourceRecord::schema`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownField`](crate::error::ErrorKind::UnknownField)
    /// for a name that is neither a field, a section, an open prefix, a path
    /// below one, nor `events` (with the closest known name when one is
    /// close); [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// for a malformed path.
    pub fn only<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Result<FieldSelection> {
        let schema = SourceRecord::schema();
        let mut paths = Vec::new();
        let mut events = false;
        for name in names {
            let name = name.as_ref();
            if name == "events" {
                events = true;
                continue;
            }
            let path = FieldPath::new(name)?;
            let known = schema.field(&path).is_some()
                || schema.open_prefixes().contains(&path)
                || schema.fields().iter().any(|f| f.path().first() == name);
            if !known {
                let names = schema
                    .fields()
                    .iter()
                    .map(|f| f.path().as_str())
                    .chain(schema.open_prefixes().iter().map(FieldPath::as_str))
                    .chain(std::iter::once("events"));
                return Err(MergeError::UnknownField {
                    path: name.to_owned(),
                    suggestion: suggest(name, names),
                }
                .into());
            }
            paths.push(path);
        }
        paths.sort();
        paths.dedup();
        Ok(FieldSelection::Only { paths, events })
    }

    fn includes(&self, path: &FieldPath) -> bool {
        match self {
            FieldSelection::All => true,
            FieldSelection::Only { paths, .. } => paths.iter().any(|p| {
                let (p, f) = (p.as_str(), path.as_str());
                f == p || (f.len() > p.len() && f.starts_with(p) && f.as_bytes()[p.len()] == b'.')
            }),
        }
    }

    fn includes_events(&self) -> bool {
        match self {
            FieldSelection::All => true,
            FieldSelection::Only { events, .. } => *events,
        }
    }
}

/// One field of a [`ProfileView`]: a single value, or the members of a set.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(untagged))]
#[non_exhaustive]
pub enum ViewField {
    /// The surviving value of a single-valued field.
    One(FieldValue),
    /// The members of a multi-valued field, in value order.
    Many(Vec<FieldValue>),
}

/// What one cluster may be used for, for one purpose at one time: only the
/// values of records whose consent covers the purpose then, optionally cut
/// down to chosen fields. Made for export to activation systems, so it
/// carries no provenance and no record ids.
///
/// JSON (`serde` feature, output only): `{"cluster": "…", "purpose":
/// "marketing", "at": "…", "fields": {"geographic.country": "PT",
/// "identity.email": ["a@example.com"]}, "events": [...]}` with fields by
/// path and events by time then id.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProfileView {
    cluster: ClusterId,
    purpose: Purpose,
    at: DateTime<Utc>,
    fields: BTreeMap<FieldPath, ViewField>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    events: Vec<Event>,
}

impl ProfileView {
    /// Returns the view of `profile` holding the `selection`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
    /// use custodia::identity::ClusterId;
    /// use custodia::merge::{FieldSelection, ProfileView, SurvivorshipPolicy, UnifiedProfile};
    /// use custodia::model::{CountryCode, EmailAddress, FieldPath, SourceRecord};
    ///
    /// let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    /// let mut b = SourceRecord::builder("crm-1", "crm", at)?;
    /// b.identity().emails.push(EmailAddress::new("ana@example.com")?);
    /// b.geographic().country = Some(CountryCode::new("PT")?);
    /// let record = b.build()?;
    /// let ledger = ConsentLedger::builder().basis(Purpose::Analytics, LawfulBasis::LegitimateInterests).build()?;
    /// let profile = UnifiedProfile::derive(
    ///     ClusterId::for_smallest_member(record.id()), [&record], &ledger,
    ///     &SurvivorshipPolicy::default(), &Purpose::Analytics, at)?;
    /// let view = ProfileView::of(&profile, &FieldSelection::only(["geographic"])?);
    /// assert_eq!(view.fields().count(), 1);
    /// assert!(view.field(&FieldPath::new("identity.email")?).is_none());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn of(profile: &UnifiedProfile, selection: &FieldSelection) -> ProfileView {
        let mut fields = BTreeMap::new();
        for (path, s) in profile.fields() {
            if selection.includes(path) {
                fields.insert(path.clone(), ViewField::One(s.value().clone()));
            }
        }
        for (path, members) in profile.sets() {
            if selection.includes(path) {
                let values = members.iter().map(|m| m.value().clone()).collect();
                fields.insert(path.clone(), ViewField::Many(values));
            }
        }
        let events = if selection.includes_events() {
            profile.events().iter().map(|e| e.event().clone()).collect()
        } else {
            Vec::new()
        };
        ProfileView {
            cluster: profile.cluster(),
            purpose: profile.purpose().clone(),
            at: profile.at(),
            fields,
            events,
        }
    }

    /// Returns the cluster's id.
    pub fn cluster(&self) -> ClusterId {
        self.cluster
    }
    /// Returns the purpose.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }
    /// Returns the time.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// Returns one field, if the view holds it.
    pub fn field(&self, path: &FieldPath) -> Option<&ViewField> {
        self.fields.get(path)
    }
    /// Returns every field, by path.
    pub fn fields(&self) -> impl Iterator<Item = (&FieldPath, &ViewField)> + '_ {
        self.fields.iter()
    }
    /// Returns the events, by time then id.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
    /// Returns `true` when the view holds no field and no event.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.events.is_empty()
    }
}
