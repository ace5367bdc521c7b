//! Field access: the seam between data and segmentation.
//!
//! Segment expressions name fields by path (`demographic.birth_date`,
//! `attributes.plan`) and events by name (`purchase`, `email_opened`). Any type
//! that implements [`FieldAccess`] can be evaluated against: custodia's own
//! [`SourceRecord`](crate::model::SourceRecord) and unified profiles, or a
//! wrapping program's own types. A [`Schema`] lists every path and event a
//! type offers and the [`FieldType`] of each, so expressions can be checked
//! before they run.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, ErrorKind, Result};
use crate::model::Money;

/// The longest field path, in bytes, that [`FieldPath::new`] accepts.
pub const MAX_FIELD_PATH_LEN: usize = 512;

/// A dotted path naming a field, such as `geographic.country` or
/// `attributes.plan`.
///
/// A path is one or more non-empty segments separated by `.`; a segment holds
/// no `.` and no control character. Paths are compared as written (case
/// matters), because custom attribute keys keep the case their source gave.
///
/// # Examples
///
/// ```
/// use custodia::model::FieldPath;
/// let path = FieldPath::new("attributes.plan")?;
/// assert_eq!(path.segments().collect::<Vec<_>>(), ["attributes", "plan"]);
/// assert_eq!(path.first(), "attributes");
/// assert!(FieldPath::new("a..b").is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct FieldPath(Box<str>);

impl FieldPath {
    /// Parses a dotted path.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the path is empty, longer than
    /// [`MAX_FIELD_PATH_LEN`], has an empty segment or holds a control
    /// character.
    pub fn new(path: &str) -> Result<FieldPath> {
        if path.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "field path is empty"));
        }
        if path.len() > MAX_FIELD_PATH_LEN {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format_args!(
                    "field path of {} bytes exceeds the limit of {MAX_FIELD_PATH_LEN}",
                    path.len()
                ),
            ));
        }
        if path.split('.').any(str::is_empty) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format_args!("field path {path:?} has an empty segment"),
            ));
        }
        if path.chars().any(char::is_control) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format_args!("field path {path:?} holds a control character"),
            ));
        }
        Ok(FieldPath(path.into()))
    }

    /// Returns the path as written, segments joined by `.`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the segments of the path in order.
    pub fn segments(&self) -> std::str::Split<'_, char> {
        self.0.split('.')
    }

    /// Returns the first segment (the section, such as `identity`).
    pub fn first(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }

    /// Returns the path after its first segment, if there is more than one.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::FieldPath;
    /// let path = FieldPath::new("attributes.address.city")?;
    /// assert_eq!(path.rest(), Some("address.city"));
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn rest(&self) -> Option<&str> {
        self.0.split_once('.').map(|(_, rest)| rest)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl std::str::FromStr for FieldPath {
    type Err = Error;
    fn from_str(s: &str) -> Result<FieldPath> {
        FieldPath::new(s)
    }
}

impl TryFrom<String> for FieldPath {
    type Error = Error;
    fn try_from(s: String) -> Result<FieldPath> {
        FieldPath::new(&s)
    }
}

impl From<FieldPath> for String {
    fn from(path: FieldPath) -> String {
        path.0.into()
    }
}

/// One value read from a field, borrowed from the data it lives in.
///
/// A field that is missing yields no value at all (see [`FieldAccess`]);
/// `Value` has no null.
///
/// # Examples
///
/// ```
/// use custodia::model::{FieldType, Value};
/// let v = Value::Text("PT");
/// assert_eq!(v.field_type(), FieldType::Text);
/// assert_eq!(v.as_text(), Some("PT"));
/// ```
#[derive(Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A yes/no value.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A finite floating-point number.
    Float(f64),
    /// Text.
    Text(&'a str),
    /// A calendar date.
    Date(NaiveDate),
    /// An instant.
    Timestamp(DateTime<Utc>),
    /// An exact amount of money.
    Money(Money),
}

// A value read from a record may be any personal field (an email, a birth
// date, an age), so every payload but a yes/no is redacted.
impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::redact;
        match self {
            Value::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            Value::Int(i) => redact::value(f, "Int", i),
            Value::Float(x) => redact::value(f, "Float", x),
            Value::Text(t) => redact::text(f, "Text", t),
            Value::Date(d) => redact::value(f, "Date", d),
            Value::Timestamp(t) => redact::value(f, "Timestamp", t),
            Value::Money(m) => redact::value(f, "Money", m),
        }
    }
}

impl<'a> Value<'a> {
    /// Returns the type of this value.
    pub fn field_type(&self) -> FieldType {
        match self {
            Value::Bool(_) => FieldType::Bool,
            Value::Int(_) => FieldType::Int,
            Value::Float(_) => FieldType::Float,
            Value::Text(_) => FieldType::Text,
            Value::Date(_) => FieldType::Date,
            Value::Timestamp(_) => FieldType::Timestamp,
            Value::Money(_) => FieldType::Money,
        }
    }

    /// Returns the text, if this is a text value.
    pub fn as_text(&self) -> Option<&'a str> {
        match *self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Returns the number as `f64`, if this is an int or a float.
    ///
    /// Integers beyond ±2^53 lose precision, as any `f64` does.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Float(x) => Some(x),
            _ => None,
        }
    }
}

/// The type of a field, as a [`Schema`] declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum FieldType {
    /// [`Value::Bool`].
    Bool,
    /// [`Value::Int`].
    Int,
    /// [`Value::Float`].
    Float,
    /// [`Value::Text`].
    Text,
    /// [`Value::Date`].
    Date,
    /// [`Value::Timestamp`].
    Timestamp,
    /// [`Value::Money`].
    Money,
    /// Any of the above, known only when the data is read: custom attributes
    /// and event properties whose type each source chooses.
    Any,
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldType::Bool => "bool",
            FieldType::Int => "int",
            FieldType::Float => "float",
            FieldType::Text => "text",
            FieldType::Date => "date",
            FieldType::Timestamp => "timestamp",
            FieldType::Money => "money",
            FieldType::Any => "any",
        })
    }
}

/// How many values a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Cardinality {
    /// At most one value.
    One,
    /// Any number of values (emails, interests).
    Many,
}

/// An event as [`FieldAccess::visit_events`] shows it: a name, a time and
/// fields of its own (`amount`, `campaign`, `properties.coupon`, …).
pub trait EventAccess: FieldAccess {
    /// Returns the event's name, such as `purchase` or `email_opened`.
    fn name(&self) -> &str;
    /// Returns when the event happened.
    fn at(&self) -> DateTime<Utc>;
}

/// Which events a reader wants: one name, within a time window.
///
/// Segment aggregates such as `sum(purchase.amount within 90d)` read events
/// through [`FieldAccess::visit_events_matching`] with a query, so that a
/// type which keeps its events sorted by time or grouped by name can skip
/// the others instead of showing every event to the reader.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::model::EventQuery;
///
/// let to = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// let from = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
/// let query = EventQuery::new("purchase", Some(from), to);
/// assert!(query.selects("purchase", from));
/// assert!(query.selects("purchase", to));
/// assert!(!query.selects("purchase", from - chrono::TimeDelta::seconds(1)));
/// assert!(!query.selects("email_opened", to));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventQuery<'q> {
    name: &'q str,
    from: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
}

impl<'q> EventQuery<'q> {
    /// Returns a query for events named `name` at or after `from` (when
    /// given) and at or before `to`.
    pub fn new(name: &'q str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> EventQuery<'q> {
        EventQuery { name, from, to }
    }

    /// Returns the event name asked for.
    pub fn name(&self) -> &'q str {
        self.name
    }

    /// Returns the earliest time asked for, inclusive, if there is one.
    pub fn from(&self) -> Option<DateTime<Utc>> {
        self.from
    }

    /// Returns the latest time asked for, inclusive.
    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }

    /// Returns `true` when the time `at` lies in the window.
    #[inline]
    pub fn contains_time(&self, at: DateTime<Utc>) -> bool {
        at <= self.to && self.from.is_none_or(|from| at >= from)
    }

    /// Returns `true` when an event with this name and time is selected.
    #[inline]
    pub fn selects(&self, name: &str, at: DateTime<Utc>) -> bool {
        self.contains_time(at) && name == self.name
    }
}

/// Read access to named fields and events, which segment expressions are
/// evaluated against.
///
/// A field can be *missing* (no value), hold one value, or, for fields the
/// schema declares [`Cardinality::Many`], several. `visit` reports each value
/// once, in a stable order, and nothing at all for a missing field; asking
/// for a path the type does not know is the same as asking for a missing
/// field.
///
/// The trait is object-safe, so a program can evaluate over
/// `&dyn FieldAccess`.
///
/// # Speed
///
/// Only [`visit`](FieldAccess::visit) is required. A compiled segment reads
/// fields the schema declares [`Cardinality::One`] with
/// [`first`](FieldAccess::first), and aggregates read events with
/// [`visit_events_matching`](FieldAccess::visit_events_matching); the
/// defaults of both go through the general methods and a callback. A type
/// evaluated over many profiles gains by overriding them: `first` returning
/// the value directly, `visit_events_matching` skipping events outside the
/// query's window (the bench `benches/segment.rs` does both). Overrides must
/// agree with the general methods.
///
/// # Examples
///
/// A wrapping program's own type:
///
/// ```
/// use custodia::model::{FieldAccess, FieldPath, Value};
///
/// struct Account { plan: String, seats: i64 }
///
/// impl FieldAccess for Account {
///     fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
///         match path.as_str() {
///             "plan" => visit(Value::Text(&self.plan)),
///             "seats" => visit(Value::Int(self.seats)),
///             _ => {}
///         }
///     }
/// }
///
/// let account = Account { plan: "team".into(), seats: 12 };
/// assert_eq!(account.first(&FieldPath::new("seats")?), Some(Value::Int(12)));
/// assert_eq!(account.first(&FieldPath::new("region")?), None);
/// # Ok::<(), custodia::Error>(())
/// ```
pub trait FieldAccess {
    /// Calls `visit` once for each value at `path`.
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>));

    /// Calls `visit` once for each event, in time order.
    ///
    /// The default has no events.
    fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
        let _ = visit;
    }

    /// Calls `visit` once for each event that `query` selects, in time order.
    ///
    /// The default filters [`visit_events`](FieldAccess::visit_events); a
    /// type whose events are sorted by time or grouped by name can override
    /// it to skip the rest. It must show exactly the events of
    /// `visit_events` that [`EventQuery::selects`], in the same order.
    fn visit_events_matching<'s>(
        &'s self,
        query: &EventQuery<'_>,
        visit: &mut dyn FnMut(&'s dyn EventAccess),
    ) {
        self.visit_events(&mut |event| {
            if query.selects(event.name(), event.at()) {
                visit(event);
            }
        });
    }

    /// Returns the first value at `path`, or `None` when the field is missing.
    fn first<'s>(&'s self, path: &FieldPath) -> Option<Value<'s>> {
        let mut found = None;
        self.visit(path, &mut |v| {
            if found.is_none() {
                found = Some(v);
            }
        });
        found
    }

    /// Returns `true` when `path` holds at least one value.
    fn has(&self, path: &FieldPath) -> bool {
        self.first(path).is_some()
    }
}

/// What a [`Schema`] says about one field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FieldSpec {
    path: FieldPath,
    ty: FieldType,
    cardinality: Cardinality,
    doc: String,
}

impl FieldSpec {
    /// Returns the field's path.
    pub fn path(&self) -> &FieldPath {
        &self.path
    }
    /// Returns the field's type.
    pub fn field_type(&self) -> FieldType {
        self.ty
    }
    /// Returns how many values the field holds.
    pub fn cardinality(&self) -> Cardinality {
        self.cardinality
    }
    /// Returns a one-line description of the field.
    pub fn doc(&self) -> &str {
        &self.doc
    }
}

/// The fields of one kind of event, as a [`Schema`] declares them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EventSpec {
    name: String,
    doc: String,
    fields: Vec<FieldSpec>,
    open_prefixes: Vec<FieldPath>,
}

impl EventSpec {
    /// Returns the event's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Returns a one-line description of the event.
    pub fn doc(&self) -> &str {
        &self.doc
    }
    /// Returns the event's declared fields.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }
    /// Returns the type of the event field at `path`, if declared.
    ///
    /// Paths under an open prefix (`properties.*`) have type
    /// [`FieldType::Any`].
    pub fn field(&self, path: &FieldPath) -> Option<(FieldType, Cardinality)> {
        lookup(&self.fields, &self.open_prefixes, path)
    }
}

/// The fields and events a [`FieldAccess`] type offers, with their types.
///
/// Fixed paths are declared one by one; an *open prefix* such as
/// `attributes` declares that every path below it exists with type
/// [`FieldType::Any`] (custom attributes whose keys each source chooses).
///
/// # Examples
///
/// ```
/// use custodia::model::{Cardinality, FieldPath, FieldType, Schema, SourceRecord};
///
/// let schema = SourceRecord::schema();
/// let country = FieldPath::new("geographic.country")?;
/// assert_eq!(schema.field(&country), Some((FieldType::Text, Cardinality::One)));
/// let plan = FieldPath::new("attributes.plan")?;
/// // Open fields may hold a list, so they count as many-valued.
/// assert_eq!(schema.field(&plan), Some((FieldType::Any, Cardinality::Many)));
/// assert!(schema.event("purchase").is_some());
///
/// // A program's own schema:
/// let mine = Schema::builder()
///     .field("plan", FieldType::Text, Cardinality::One, "subscription plan")?
///     .build();
/// assert_eq!(mine.fields().len(), 1);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Schema {
    fields: Vec<FieldSpec>,
    open_prefixes: Vec<FieldPath>,
    events: BTreeMap<String, EventSpec>,
    /// What an event of any undeclared name offers, when events are open.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    other_events: Option<EventSpec>,
}

fn lookup(
    fields: &[FieldSpec],
    open: &[FieldPath],
    path: &FieldPath,
) -> Option<(FieldType, Cardinality)> {
    if let Some(spec) = fields.iter().find(|f| f.path == *path) {
        return Some((spec.ty, spec.cardinality));
    }
    open.iter()
        .any(|prefix| {
            path.as_str().len() > prefix.as_str().len()
                && path.as_str().starts_with(prefix.as_str())
                && path.as_str().as_bytes()[prefix.as_str().len()] == b'.'
        })
        .then_some((FieldType::Any, Cardinality::Many))
}

impl Schema {
    /// Starts an empty schema.
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::default()
    }

    /// Returns the declared fields, in declaration order.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    /// Returns the open prefixes, below which any path is a field of type
    /// [`FieldType::Any`] and [`Cardinality::Many`] (it may hold a list).
    pub fn open_prefixes(&self) -> &[FieldPath] {
        &self.open_prefixes
    }

    /// Returns the type and cardinality of the field at `path`, or `None`
    /// when the schema does not know it.
    pub fn field(&self, path: &FieldPath) -> Option<(FieldType, Cardinality)> {
        lookup(&self.fields, &self.open_prefixes, path)
    }

    /// Returns the event of that name, if declared.
    pub fn event(&self, name: &str) -> Option<&EventSpec> {
        self.events.get(name)
    }

    /// Returns the event of that name if declared, else the spec every
    /// other event name has when the schema's events are open (see
    /// [`SchemaBuilder::open_events`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::SourceRecord;
    /// // Custom events keep the name their source gave them.
    /// let spec = SourceRecord::schema().event_or_open("Plan Upgraded");
    /// assert!(spec.is_some());
    /// assert!(SourceRecord::schema().event("Plan Upgraded").is_none());
    /// ```
    pub fn event_or_open(&self, name: &str) -> Option<&EventSpec> {
        self.events.get(name).or(self.other_events.as_ref())
    }

    /// Returns every declared event, by name.
    pub fn events(&self) -> impl Iterator<Item = &EventSpec> {
        self.events.values()
    }

    /// Starts a builder that holds this schema's fields, open prefixes and
    /// events, to declare more: the schema of a wrapper that adds fields
    /// to a profile extends the profile's own.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::{Cardinality, FieldPath, FieldType, SourceRecord};
    ///
    /// let schema = SourceRecord::schema()
    ///     .to_builder()
    ///     .field("score", FieldType::Float, Cardinality::One, "a computed score")?
    ///     .build();
    /// assert!(schema.field(&FieldPath::new("score")?).is_some());
    /// assert!(schema.field(&FieldPath::new("geographic.country")?).is_some());
    /// // Declaring a field the schema already has is refused.
    /// assert!(SourceRecord::schema()
    ///     .to_builder()
    ///     .field("geographic.country", FieldType::Text, Cardinality::One, "again")
    ///     .is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn to_builder(&self) -> SchemaBuilder {
        SchemaBuilder {
            schema: self.clone(),
        }
    }
}

/// Builds a [`Schema`]; see [`Schema::builder`].
#[derive(Clone, Debug, Default)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    /// Declares a field.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `path` is not a valid [`FieldPath`],
    /// and [`ErrorKind::InvalidParameter`] when it is declared twice.
    pub fn field(
        mut self,
        path: &str,
        ty: FieldType,
        cardinality: Cardinality,
        doc: &str,
    ) -> Result<SchemaBuilder> {
        let spec = spec(path, ty, cardinality, doc)?;
        if self.schema.fields.iter().any(|f| f.path == spec.path) {
            return Err(duplicate("field", path));
        }
        self.schema.fields.push(spec);
        Ok(self)
    }

    /// Declares that every path below `prefix` is a field of type
    /// [`FieldType::Any`] and [`Cardinality::Many`] (it may hold a list).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `prefix` is not a valid [`FieldPath`].
    pub fn open_prefix(mut self, prefix: &str) -> Result<SchemaBuilder> {
        self.schema.open_prefixes.push(FieldPath::new(prefix)?);
        Ok(self)
    }

    /// Declares an event with its fields, each `(path, type, cardinality,
    /// doc)`, and open prefixes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an invalid path, and
    /// [`ErrorKind::InvalidParameter`] when the event is declared twice.
    pub fn event(
        mut self,
        name: &str,
        doc: &str,
        fields: &[(&str, FieldType, Cardinality, &str)],
        open_prefixes: &[&str],
    ) -> Result<SchemaBuilder> {
        if self.schema.events.contains_key(name) {
            return Err(duplicate("event", name));
        }
        let fields = fields
            .iter()
            .map(|&(p, t, c, d)| spec(p, t, c, d))
            .collect::<Result<Vec<_>>>()?;
        let open_prefixes = open_prefixes
            .iter()
            .map(|p| FieldPath::new(p))
            .collect::<Result<Vec<_>>>()?;
        self.schema.events.insert(
            name.to_owned(),
            EventSpec {
                name: name.to_owned(),
                doc: doc.to_owned(),
                fields,
                open_prefixes,
            },
        );
        Ok(self)
    }

    /// Declares that events of any other name exist too, with `fields` and
    /// `open_prefixes` (as in [`SchemaBuilder::event`]): custom events whose
    /// names each source chooses. Their spec is named `custom`, which is how
    /// messages about them refer to them.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an invalid path.
    pub fn open_events(
        mut self,
        doc: &str,
        fields: &[(&str, FieldType, Cardinality, &str)],
        open_prefixes: &[&str],
    ) -> Result<SchemaBuilder> {
        let fields = fields
            .iter()
            .map(|&(p, t, c, d)| spec(p, t, c, d))
            .collect::<Result<Vec<_>>>()?;
        let open_prefixes = open_prefixes
            .iter()
            .map(|p| FieldPath::new(p))
            .collect::<Result<Vec<_>>>()?;
        self.schema.other_events = Some(EventSpec {
            name: "custom".to_owned(),
            doc: doc.to_owned(),
            fields,
            open_prefixes,
        });
        Ok(self)
    }

    /// Returns the schema.
    pub fn build(self) -> Schema {
        self.schema
    }
}

fn spec(path: &str, ty: FieldType, cardinality: Cardinality, doc: &str) -> Result<FieldSpec> {
    Ok(FieldSpec {
        path: FieldPath::new(path)?,
        ty,
        cardinality,
        doc: doc.to_owned(),
    })
}

#[cold]
fn duplicate(what: &str, name: &str) -> Error {
    Error::new(
        ErrorKind::InvalidParameter,
        format_args!("{what} {name:?} is declared twice"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_path_rules() {
        assert!(FieldPath::new("").is_err());
        assert!(FieldPath::new(".a").is_err());
        assert!(FieldPath::new("a.").is_err());
        assert!(FieldPath::new("a\u{0}b").is_err());
        assert!(FieldPath::new(&"a".repeat(MAX_FIELD_PATH_LEN + 1)).is_err());
        let p = FieldPath::new("attributes.Signup Source").unwrap();
        assert_eq!(p.rest(), Some("Signup Source"));
        assert_eq!(FieldPath::new("solo").unwrap().rest(), None);
    }

    #[test]
    fn open_prefix_needs_a_segment_boundary() {
        let schema = Schema::builder().open_prefix("attributes").unwrap().build();
        let p = |s| FieldPath::new(s).unwrap();
        assert!(schema.field(&p("attributes.x")).is_some());
        assert!(schema.field(&p("attributesx.y")).is_none());
        assert!(schema.field(&p("attributes")).is_none());
    }

    #[test]
    fn duplicates_are_refused() {
        let err = Schema::builder()
            .field("a", FieldType::Int, Cardinality::One, "")
            .unwrap()
            .field("a", FieldType::Text, Cardinality::One, "")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        assert_eq!(err.to_string(), "field \"a\" is declared twice");
    }
}
