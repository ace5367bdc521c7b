//! The unified profile: a pure function of a cluster's records, the consent
//! ledger, the survivorship policy, the purpose and the time.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use crate::consent::{ConsentLedger, Decision, LawfulBasis, Purpose};
use crate::error::Result;
use crate::identity::ClusterId;
use crate::merge::error::MergeError;
use crate::merge::normal::{record_country, NormalForm};
use crate::merge::policy::RuleName;
use crate::merge::{Candidate, FieldValue, SurvivorshipPolicy};
use crate::model::{
    AttributeValue, Attributes, Cardinality, Event, EventAccess, FieldAccess, FieldPath, RecordId,
    SourceId, SourceRecord, Value,
};

/// Where a surviving value came from: the record, its source, when the
/// source observed it, and the rule that chose it.
///
/// JSON: `{"record", "source", "observed_at", "rule"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Provenance {
    origin: Arc<Origin>,
    rule: RuleName,
}

#[cfg(feature = "serde")]
impl serde::Serialize for Provenance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Provenance", 4)?;
        st.serialize_field("record", &self.origin.record)?;
        st.serialize_field("source", &self.origin.source)?;
        st.serialize_field("observed_at", &self.origin.observed_at)?;
        st.serialize_field("rule", self.rule.as_str())?;
        st.end()
    }
}

impl Provenance {
    /// Returns the id of the record the value came from.
    pub fn record(&self) -> &RecordId {
        &self.origin.record
    }
    /// Returns that record's source.
    pub fn source(&self) -> &SourceId {
        &self.origin.source
    }
    /// Returns when the source observed that record.
    pub fn observed_at(&self) -> DateTime<Utc> {
        self.origin.observed_at
    }
    /// Returns the name of the survivorship rule that chose the value.
    pub fn rule(&self) -> &str {
        self.rule.as_str()
    }
}

/// One record that contributed to a unified profile or to one member of a
/// set: its id, source and observation time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Origin {
    record: RecordId,
    source: SourceId,
    observed_at: DateTime<Utc>,
}

impl Origin {
    /// Returns the record id.
    pub fn record(&self) -> &RecordId {
        &self.record
    }
    /// Returns the record's source.
    pub fn source(&self) -> &SourceId {
        &self.source
    }
    /// Returns when the source observed the record.
    pub fn observed_at(&self) -> DateTime<Utc> {
        self.observed_at
    }
}

/// The surviving value of a single-valued field, with its provenance.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Survived {
    value: FieldValue,
    provenance: Provenance,
}

impl Survived {
    /// Returns the value.
    pub fn value(&self) -> &FieldValue {
        &self.value
    }
    /// Returns where it came from.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }
}

/// One member of a multi-valued field (an email, an interest): the raw
/// values that share one normal form, with every record holding any of
/// them, by record id.
///
/// Values are compared by the normal form identity resolution matches with
/// (`Ana@Example.com` and `ana@example.com` are one email; `+1 555 010 0200`
/// and `(555) 010-0200` from a US record one phone); the table of normal
/// forms is in the [module docs](crate::merge#profile-fields). Every raw
/// variant stays reachable through [`variants`](Self::variants), each with
/// the records that wrote it so.
///
/// The displayed [`value`](Self::value) is the variant the most records
/// hold, then the one observed most recently, then the smaller value.
///
/// JSON: `{"value", "provenance": [{"record", "source", "observed_at"}],
/// "variants"?: [{"value", "provenance": [...]}]}`, with `variants` left out
/// when the member has a single variant (the value itself).
#[derive(Clone, Debug, PartialEq)]
pub struct SetMember {
    value: FieldValue,
    /// The normal form the variants share.
    key: FieldValue,
    provenance: Vec<Arc<Origin>>,
    /// Every variant, by value, when there are two or more; empty when the
    /// only variant is `value`, held by `provenance`.
    variants: Vec<VariantData>,
}

#[derive(Clone, Debug, PartialEq)]
struct VariantData {
    value: FieldValue,
    provenance: Vec<Arc<Origin>>,
}

/// One raw variant of a [`SetMember`]: a value as some records wrote it.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
/// use custodia::identity::ClusterId;
/// use custodia::merge::{SurvivorshipPolicy, UnifiedProfile};
/// use custodia::model::{EmailAddress, FieldPath, SourceRecord};
///
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let mut records = Vec::new();
/// for (id, email) in [("crm-1", "Ana@Example.com"), ("web-1", "ana@example.com")] {
///     let mut b = SourceRecord::builder(id, "crm", at)?;
///     b.identity().emails.push(EmailAddress::new(email)?);
///     records.push(b.build()?);
/// }
/// let ledger = ConsentLedger::builder().basis(Purpose::Analytics, LawfulBasis::LegitimateInterests).build()?;
/// let profile = UnifiedProfile::derive(
///     ClusterId::for_smallest_member(records[0].id()), &records, &ledger,
///     &SurvivorshipPolicy::default(), &Purpose::Analytics, at)?;
/// let emails = profile.set(&FieldPath::new("identity.email")?);
/// assert_eq!(emails.len(), 1);
/// let variants: Vec<String> = emails[0].variants().map(|v| v.value().to_string()).collect();
/// assert_eq!(variants, ["Ana@Example.com", "ana@example.com"]);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variant<'a> {
    value: &'a FieldValue,
    provenance: &'a [Arc<Origin>],
}

impl<'a> Variant<'a> {
    /// Returns the value as written.
    pub fn value(&self) -> &'a FieldValue {
        self.value
    }
    /// Returns every record holding the value as written, by record id.
    pub fn provenance(&self) -> impl ExactSizeIterator<Item = &'a Origin> + 'a {
        self.provenance.iter().map(|o| &**o)
    }
}

impl SetMember {
    /// Returns the displayed value: the variant the most records hold, then
    /// the most recently observed, then the smaller value.
    pub fn value(&self) -> &FieldValue {
        &self.value
    }
    /// Returns every record holding any variant of the member, by record id.
    pub fn provenance(&self) -> impl ExactSizeIterator<Item = &Origin> + '_ {
        self.provenance.iter().map(|o| &**o)
    }
    /// Returns every raw variant, by value; a single one (the displayed
    /// value) when the records all wrote the member alike.
    pub fn variants(&self) -> impl ExactSizeIterator<Item = Variant<'_>> + '_ {
        let single = self.variants.is_empty().then_some(Variant {
            value: &self.value,
            provenance: &self.provenance,
        });
        let many = self.variants.iter().map(|v| Variant {
            value: &v.value,
            provenance: &v.provenance,
        });
        // Exactly one of the two is non-empty.
        Variants { single, many }
    }
    /// Returns how many records hold the member.
    pub fn support(&self) -> usize {
        self.provenance.len()
    }
}

/// The variants of a member: the displayed value alone, or the list.
struct Variants<'a, I> {
    single: Option<Variant<'a>>,
    many: I,
}

impl<'a, I: ExactSizeIterator<Item = Variant<'a>>> Iterator for Variants<'a, I> {
    type Item = Variant<'a>;
    fn next(&mut self) -> Option<Variant<'a>> {
        self.single.take().or_else(|| self.many.next())
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.single.is_some()) + self.many.len();
        (n, Some(n))
    }
}

impl<'a, I: ExactSizeIterator<Item = Variant<'a>>> ExactSizeIterator for Variants<'a, I> {}

#[cfg(feature = "serde")]
impl serde::Serialize for SetMember {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Origins<'a>(&'a [Arc<Origin>]);
        impl serde::Serialize for Origins<'_> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                ser_origins(self.0, s)
            }
        }
        struct Listed<'a>(&'a [VariantData]);
        impl serde::Serialize for Listed<'_> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|v| VariantJson {
                    value: &v.value,
                    provenance: Origins(&v.provenance),
                }))
            }
        }
        #[derive(serde::Serialize)]
        struct VariantJson<'a> {
            value: &'a FieldValue,
            provenance: Origins<'a>,
        }
        let n = if self.variants.is_empty() { 2 } else { 3 };
        let mut st = s.serialize_struct("SetMember", n)?;
        st.serialize_field("value", &self.value)?;
        st.serialize_field("provenance", &Origins(&self.provenance))?;
        if !self.variants.is_empty() {
            st.serialize_field("variants", &Listed(&self.variants))?;
        }
        st.end()
    }
}

#[cfg(feature = "serde")]
fn ser_origins<S: serde::Serializer>(
    origins: &[Arc<Origin>],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(origins.iter().map(|o| &**o))
}

#[cfg(feature = "serde")]
fn ser_ids<S: serde::Serializer>(
    origins: &[Arc<Origin>],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(origins.iter().map(|o| &o.record))
}

#[cfg(feature = "serde")]
fn ser_arc<T: serde::Serialize + ?Sized, S: serde::Serializer>(
    v: &Arc<T>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    (**v).serialize(s)
}

#[cfg(feature = "serde")]
fn ser_paths<V: serde::Serialize, S: serde::Serializer>(
    map: &BTreeMap<PathKey, V>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(k, v)| (k.as_str(), v)))
}

/// One event of the merged history, with every contributing record that
/// carries its id.
///
/// When those records carry different content under one event id, the copy
/// of the most recently observed record wins (ties: the smallest record id)
/// and [`has_conflict`](Self::has_conflict) is `true`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MergedEvent {
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_arc"))]
    event: Arc<Event>,
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_ids"))]
    records: Vec<Arc<Origin>>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    conflict: bool,
}

impl MergedEvent {
    /// Returns the event.
    pub fn event(&self) -> &Event {
        &self.event
    }
    /// Returns the ids of the records carrying the event id, sorted.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &RecordId> + '_ {
        self.records.iter().map(|o| &o.record)
    }
    /// Returns `true` when the records carried different content under the
    /// same event id.
    pub fn has_conflict(&self) -> bool {
        self.conflict
    }
}

/// A record of the cluster that contributes nothing to the profile, because
/// the ledger does not allow its data for the purpose at the time.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Exclusion {
    record: RecordId,
    decision: Decision,
}

impl Exclusion {
    /// Returns the excluded record's id.
    pub fn record(&self) -> &RecordId {
        &self.record
    }
    /// Returns the ledger's decision, which says why.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }
}

/// The merged view of one cluster for one purpose at one time, with
/// provenance for every value.
///
/// A pure function of (the cluster's records, the consent ledger, the
/// survivorship policy, the purpose, the time): see the
/// [module docs](crate::merge) for the rules. Build one with
/// [`UnifiedProfile::derive`] or through a
/// [`ProfileStore`](crate::merge::ProfileStore).
///
/// It implements [`FieldAccess`] over the paths of
/// [`SourceRecord::merged_schema`] ([`UnifiedProfile::schema`]), so segment
/// expressions compiled against that schema evaluate over it. `record.id`
/// and `record.source` hold every contributing record and source (the
/// merged schema declares them many-valued); `record.observed_at` the
/// latest observation.
///
/// Multi-valued fields are ready for activation: members are de-duplicated
/// by their normal form ([`SetMember`]), each field has a
/// [`primary`](Self::primary) member chosen by the policy's primary rule,
/// and [`display_name`](Self::display_name),
/// [`primary_email`](Self::primary_email) and
/// [`primary_phone`](Self::primary_phone) read the usual ones.
///
/// JSON (`serde` feature, output only; every list and map in canonical
/// order): `{"cluster", "purpose", "at", "fields": {path: {"value",
/// "provenance": {"record", "source", "observed_at", "rule"}}}, "sets":
/// {path: [{"value", "provenance": [{"record", "source", "observed_at"}],
/// "variants"?: [{"value", "provenance"}]}]}, "primary"?: {path: {"value",
/// "rule"}}, "display_name"?, "events": [{"event", "records",
/// "conflict"?}], "records": [...], "excluded": [{"record", "decision"}]}`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UnifiedProfile {
    cluster: ClusterId,
    purpose: Purpose,
    at: DateTime<Utc>,
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_paths"))]
    fields: BTreeMap<PathKey, Survived>,
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_paths"))]
    sets: BTreeMap<PathKey, Vec<SetMember>>,
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "primary",
            serialize_with = "ser_primaries",
            skip_serializing_if = "BTreeMap::is_empty"
        )
    )]
    primaries: BTreeMap<PathKey, Primary>,
    /// Text, kept as a value so that `Debug` redacts it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    display_name: Option<FieldValue>,
    events: Vec<MergedEvent>,
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_origins"))]
    records: Vec<Arc<Origin>>,
    excluded: Vec<Exclusion>,
}

/// The primary member of one multi-valued field: its index in the field's
/// members (in value order), its displayed value, and the rule that chose
/// it.
#[derive(Clone, Debug, PartialEq)]
struct Primary {
    member: u32,
    value: FieldValue,
    rule: RuleName,
}

#[cfg(feature = "serde")]
fn ser_primaries<S: serde::Serializer>(
    map: &BTreeMap<PathKey, Primary>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Json<'a> {
        value: &'a FieldValue,
        rule: &'a str,
    }
    s.collect_map(map.iter().map(|(k, p)| {
        (
            k.as_str(),
            Json {
                value: &p.value,
                rule: p.rule.as_str(),
            },
        )
    }))
}

/// A field's path as a profile keys it: fixed paths point into the static
/// field tables (no shared counter to touch across threads), attribute
/// paths are shared with the record they came from.
#[derive(Clone, Debug)]
enum PathKey {
    Fixed(&'static FieldPath),
    Attribute(Arc<FieldPath>),
}

impl std::ops::Deref for PathKey {
    type Target = FieldPath;
    fn deref(&self) -> &FieldPath {
        match self {
            PathKey::Fixed(p) => p,
            PathKey::Attribute(p) => p,
        }
    }
}

impl std::borrow::Borrow<FieldPath> for PathKey {
    fn borrow(&self) -> &FieldPath {
        self
    }
}

impl PartialEq for PathKey {
    fn eq(&self, other: &PathKey) -> bool {
        **self == **other
    }
}

impl Eq for PathKey {}

impl PartialOrd for PathKey {
    fn partial_cmp(&self, other: &PathKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PathKey {
    fn cmp(&self, other: &PathKey) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

/// The single- and multi-valued fixed fields of the record schema, with
/// `record.*` left out (those describe each record, not the person).
pub(crate) struct FieldTables {
    pub(crate) singles: Vec<FieldPath>,
    pub(crate) multis: Vec<FieldPath>,
    /// The part of a record each single field reads, to skip empty parts.
    single_gates: Vec<Gate>,
    /// The same for each multi field.
    multi_gates: Vec<Gate>,
    /// `identity.email`, for [`UnifiedProfile::primary_email`].
    email: FieldPath,
    /// `identity.phone`, for [`UnifiedProfile::primary_phone`].
    phone: FieldPath,
    /// `identity.full_name`, whose primary rule chooses the display name.
    full_name: FieldPath,
    /// How the members of each multi field are compared.
    multi_forms: Vec<NormalForm>,
}

/// The part of a record a field reads: when that part is empty the field
/// has no value, and reading it (a string match per path) can be skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    Names,
    Emails,
    Phones,
    Addresses,
    ExternalIds,
    DeviceIds,
    Demographic,
    Geographic,
    Business,
    Personal,
    /// Read it whatever the record holds.
    Always,
}

impl Gate {
    fn of(path: &FieldPath) -> Gate {
        match (path.first(), path.rest().unwrap_or("")) {
            ("identity", "given_name" | "family_name" | "full_name") => Gate::Names,
            ("identity", "email" | "email_domain") => Gate::Emails,
            ("identity", "phone") => Gate::Phones,
            ("identity", "city" | "postal_code" | "address_country") => Gate::Addresses,
            ("identity", "external_system") => Gate::ExternalIds,
            ("identity", "device_id") => Gate::DeviceIds,
            ("demographic", _) => Gate::Demographic,
            ("geographic", _) => Gate::Geographic,
            ("business" | "job", _) => Gate::Business,
            ("personal", _) => Gate::Personal,
            _ => Gate::Always,
        }
    }

    fn is_open(self, r: &SourceRecord) -> bool {
        let id = r.identity();
        match self {
            Gate::Names => !id.names.is_empty(),
            Gate::Emails => !id.emails.is_empty(),
            Gate::Phones => !id.phones.is_empty(),
            Gate::Addresses => !id.addresses.is_empty(),
            Gate::ExternalIds => !id.external_ids.is_empty(),
            Gate::DeviceIds => !id.device_ids.is_empty(),
            Gate::Demographic => !r.demographic().is_empty(),
            Gate::Geographic => !r.geographic().is_empty(),
            Gate::Business => !r.business().is_empty(),
            Gate::Personal => !r.personal().is_empty(),
            Gate::Always => true,
        }
    }
}

pub(crate) fn tables() -> &'static FieldTables {
    static TABLES: OnceLock<FieldTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut singles = Vec::new();
        let mut multis = Vec::new();
        for spec in SourceRecord::schema().fields() {
            if spec.path().first() == "record" {
                continue;
            }
            match spec.cardinality() {
                Cardinality::One => singles.push(spec.path().clone()),
                Cardinality::Many => multis.push(spec.path().clone()),
            }
        }
        let single_gates = singles.iter().map(Gate::of).collect();
        let multi_gates = multis.iter().map(Gate::of).collect();
        let multi_forms = multis.iter().map(NormalForm::of).collect();
        let path = |p: &str| {
            // OK because both are fields of the constant record schema.
            FieldPath::new(p).expect("a valid constant path")
        };
        FieldTables {
            singles,
            multis,
            single_gates,
            multi_gates,
            multi_forms,
            email: path("identity.email"),
            phone: path("identity.phone"),
            full_name: path("identity.full_name"),
        }
    })
}

/// The open attribute maps of a record, by their path prefix.
fn attribute_maps(record: &SourceRecord) -> [(&'static str, &Attributes); 3] {
    [
        ("attributes", record.attributes()),
        ("personal.attitude", &record.personal().attitudes),
        ("personal.preference", &record.personal().preferences),
    ]
}

/// What one record offers to merging, read once through [`FieldAccess`].
#[derive(Clone, Debug)]
pub(crate) struct Facts {
    origin: Arc<Origin>,
    /// (index into [`FieldTables::singles`], value), by index.
    singles: Vec<(u16, FieldValue)>,
    /// (index into [`FieldTables::multis`], value, the value's key under
    /// the field's [`NormalForm`]), by index, then key, then value.
    multis: Vec<(u16, FieldValue, FieldValue)>,
    /// (name as written in full, its folded key), by key then value: each
    /// name's full form, else its given and family names joined.
    names: Vec<(FieldValue, FieldValue)>,
    /// (full path such as `attributes.plan`, value), by path.
    attributes: Vec<(Arc<FieldPath>, FieldValue)>,
    /// The record's events, shared with the profiles that hold them.
    events: Vec<Arc<Event>>,
}

impl Facts {
    /// Reads `record`; multi-valued members are keyed by their normal form,
    /// national phone numbers completed with the record's country, else
    /// `policy`'s phone country.
    pub(crate) fn of(record: &SourceRecord, policy: &SurvivorshipPolicy) -> Facts {
        let t = tables();
        let country = record_country(record, policy.phone_country());
        let mut facts = Facts {
            origin: Arc::new(origin(record)),
            singles: Vec::new(),
            multis: Vec::new(),
            names: Vec::new(),
            attributes: Vec::new(),
            events: record.events().iter().cloned().map(Arc::new).collect(),
        };
        let gates = [
            Gate::Names,
            Gate::Emails,
            Gate::Phones,
            Gate::Addresses,
            Gate::ExternalIds,
            Gate::DeviceIds,
            Gate::Demographic,
            Gate::Geographic,
            Gate::Business,
            Gate::Personal,
            Gate::Always,
        ]
        .map(|g| g.is_open(record));
        let open = |g: Gate| gates[g as usize];
        for (i, path) in t.singles.iter().enumerate() {
            if !open(t.single_gates[i]) {
                continue;
            }
            if let Some(v) = record.first(path) {
                facts.singles.push((i as u16, FieldValue::from_value(v)));
            }
        }
        for (i, path) in t.multis.iter().enumerate() {
            if !open(t.multi_gates[i]) {
                continue;
            }
            let form = t.multi_forms[i];
            let mut values: Vec<(FieldValue, FieldValue)> = Vec::new();
            record.visit(path, &mut |v| {
                let v = FieldValue::from_value(v);
                values.push((form.key(&v, country), v));
            });
            values.sort_by(|a, b| {
                a.0.canonical_cmp(&b.0)
                    .then_with(|| a.1.canonical_cmp(&b.1))
            });
            values.dedup_by(|a, b| a.1.canonical_cmp(&b.1).is_eq());
            facts
                .multis
                .extend(values.into_iter().map(|(k, v)| (i as u16, v, k)));
        }
        for n in &record.identity().names {
            let written = match (&n.full, &n.given, &n.family) {
                (Some(full), _, _) => full.as_str().into(),
                (None, Some(g), Some(f)) => format!("{} {}", g.as_str(), f.as_str()).into(),
                (None, Some(one), None) | (None, None, Some(one)) => one.as_str().into(),
                (None, None, None) => continue,
            };
            let value = FieldValue::Text(written);
            let key = NormalForm::Folded.key(&value, country);
            facts.names.push((value, key));
        }
        facts.names.sort_by(|a, b| {
            a.1.canonical_cmp(&b.1)
                .then_with(|| a.0.canonical_cmp(&b.0))
        });
        facts.names.dedup_by(|a, b| a.0.canonical_cmp(&b.0).is_eq());
        for (prefix, map) in attribute_maps(record) {
            for (key, value) in map.iter() {
                let Some(value) = FieldValue::from_attribute(value) else {
                    continue;
                };
                // A key that makes no valid path (such as one ending in a
                // dot) is kept under a path with the dots replaced.
                let path = FieldPath::new(&format!("{prefix}.{key}"))
                    .or_else(|_| FieldPath::new(&format!("{prefix}.{}", key.replace('.', "_"))));
                if let Ok(path) = path {
                    facts.attributes.push((Arc::new(path), value));
                }
            }
        }
        facts.attributes.sort_by(|a, b| a.0.cmp(&b.0));
        facts
    }

    /// Returns how many field values the record holds.
    pub(crate) fn field_count(&self) -> usize {
        self.singles.len() + self.multis.len() + self.attributes.len()
    }

    /// Returns how many events the record holds.
    pub(crate) fn event_count(&self) -> usize {
        self.events.len()
    }
}

/// A record with its facts, as derivation reads it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member<'a> {
    pub(crate) record: &'a SourceRecord,
    pub(crate) facts: &'a Facts,
}

impl UnifiedProfile {
    /// Returns the schema of unified profiles, to compile segment
    /// expressions against: [`SourceRecord::merged_schema`].
    pub fn schema() -> &'static crate::model::Schema {
        SourceRecord::merged_schema()
    }

    /// Derives the unified profile of `cluster` from its `records`, for
    /// `purpose` at `at`.
    ///
    /// Records observed after `at` do not exist yet and are ignored; a
    /// record the ledger does not allow for the purpose at the time
    /// contributes nothing and is listed in [`excluded`](Self::excluded).
    /// Records are a set: the order they come in does not matter, and a
    /// record given twice counts once.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when two different records share one record id.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
    /// use custodia::identity::ClusterId;
    /// use custodia::merge::{SurvivorshipPolicy, UnifiedProfile};
    /// use custodia::model::{CountryCode, FieldAccess, FieldPath, SourceRecord, Value};
    ///
    /// let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
    /// let mut a = SourceRecord::builder("crm-1", "crm", day(1))?;
    /// a.geographic().country = Some(CountryCode::new("PT")?);
    /// let mut b = SourceRecord::builder("web-9", "web", day(5))?;
    /// b.geographic().country = Some(CountryCode::new("ES")?);
    /// let records = [a.build()?, b.build()?];
    ///
    /// let ledger = ConsentLedger::builder()
    ///     .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
    ///     .build()?;
    /// let cluster = ClusterId::for_smallest_member(records[0].id());
    /// let policy = SurvivorshipPolicy::default();
    /// let profile = UnifiedProfile::derive(cluster, &records, &ledger, &policy, &Purpose::Analytics, day(9))?;
    /// let country = FieldPath::new("geographic.country")?;
    /// assert_eq!(profile.first(&country), Some(Value::Text("ES")));
    /// assert_eq!(profile.field(&country).map(|s| s.provenance().record().as_str()), Some("web-9"));
    ///
    /// // At an earlier time the web record does not exist yet.
    /// let before = UnifiedProfile::derive(cluster, &records, &ledger, &policy, &Purpose::Analytics, day(2))?;
    /// assert_eq!(before.first(&country), Some(Value::Text("PT")));
    /// // Marketing rests on consent, and nobody gave it.
    /// let marketing = UnifiedProfile::derive(cluster, &records, &ledger, &policy, &Purpose::Marketing, day(9))?;
    /// assert!(marketing.is_empty());
    /// assert_eq!(marketing.excluded().len(), 2);
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn derive<'a>(
        cluster: ClusterId,
        records: impl IntoIterator<Item = &'a SourceRecord>,
        ledger: &ConsentLedger,
        policy: &SurvivorshipPolicy,
        purpose: &Purpose,
        at: DateTime<Utc>,
    ) -> Result<UnifiedProfile> {
        let mut records: Vec<&SourceRecord> = records.into_iter().collect();
        records.sort_by(|a, b| a.id().cmp(b.id()));
        let mut unique: Vec<&SourceRecord> = Vec::with_capacity(records.len());
        for r in records {
            match unique.last() {
                Some(last) if last.id() == r.id() => {
                    if *last != r {
                        return Err(MergeError::ConflictingDuplicate {
                            record: r.id().to_string(),
                        }
                        .into());
                    }
                }
                _ => unique.push(r),
            }
        }
        let facts: Vec<Facts> = unique
            .iter()
            .filter(|r| r.observed_at() <= at)
            .map(|r| Facts::of(r, policy))
            .collect();
        let members: Vec<Member<'_>> = unique
            .iter()
            .filter(|r| r.observed_at() <= at)
            .zip(&facts)
            .map(|(record, facts)| Member { record, facts })
            .collect();
        Ok(derive_members(
            cluster,
            &members,
            ledger,
            policy,
            purpose,
            at,
            &mut Scratch::default(),
        ))
    }

    /// Returns the cluster's id.
    pub fn cluster(&self) -> ClusterId {
        self.cluster
    }
    /// Returns the purpose the profile was derived for.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }
    /// Returns the time the profile was derived at.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// Returns the surviving value of a single-valued field (including
    /// custom attributes, by their full path such as `attributes.plan`).
    pub fn field(&self, path: &FieldPath) -> Option<&Survived> {
        self.fields.get(path)
    }
    /// Returns every single-valued field that has a value, by path.
    pub fn fields(&self) -> impl Iterator<Item = (&FieldPath, &Survived)> + '_ {
        self.fields.iter().map(|(p, s)| (&**p, s))
    }
    /// Returns the members of a multi-valued field, in value order (empty
    /// when it has none).
    pub fn set(&self, path: &FieldPath) -> &[SetMember] {
        self.sets.get(path).map_or(&[], Vec::as_slice)
    }
    /// Returns every multi-valued field that has members, by path.
    pub fn sets(&self) -> impl Iterator<Item = (&FieldPath, &[SetMember])> + '_ {
        self.sets.iter().map(|(p, m)| (&**p, m.as_slice()))
    }
    /// Returns the primary member of a multi-valued field: the one the
    /// policy's primary rule chose
    /// ([`SurvivorshipPolicy::primary_rule_for`]; by default
    /// [`MostFrequent`](crate::merge::MostFrequent): the member the most
    /// records hold, then the most recently observed, then the smaller
    /// normal form). `None` when the field has no members, or the rule
    /// chose none.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
    /// use custodia::identity::ClusterId;
    /// use custodia::merge::{SurvivorshipPolicy, UnifiedProfile};
    /// use custodia::model::{EmailAddress, FieldPath, PersonName, PhoneNumber, SourceRecord};
    ///
    /// let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
    /// let mut crm = SourceRecord::builder("crm-1", "crm", day(1))?;
    /// crm.identity().emails.push(EmailAddress::new("Ana@Example.com")?);
    /// crm.identity().phones.push(PhoneNumber::new("+1 555 010 0200")?);
    /// crm.identity().names.push(PersonName::from_full("Ana Silva")?);
    /// let mut web = SourceRecord::builder("web-1", "web", day(5))?;
    /// web.identity().emails.push(EmailAddress::new("ana@example.com")?);
    /// web.identity().emails.push(EmailAddress::new("ana.s@work.example")?);
    /// web.identity().phones.push(PhoneNumber::new("(555) 010-0200")?);
    /// let records = [crm.build()?, web.build()?];
    ///
    /// let ledger = ConsentLedger::builder().basis(Purpose::Analytics, LawfulBasis::LegitimateInterests).build()?;
    /// let profile = UnifiedProfile::derive(
    ///     ClusterId::for_smallest_member(records[0].id()), &records, &ledger,
    ///     &SurvivorshipPolicy::default(), &Purpose::Analytics, day(9))?;
    /// // Two records hold ana@example.com (written two ways), one the work address.
    /// let email = FieldPath::new("identity.email")?;
    /// assert_eq!(profile.set(&email).len(), 2);
    /// assert_eq!(profile.primary(&email).map(|m| m.support()), Some(2));
    /// assert_eq!(profile.primary_email(), Some("ana@example.com"));
    /// assert_eq!(profile.primary_rule(&email), Some("most_frequent"));
    /// // One phone, written two ways; the later record's way is displayed.
    /// assert_eq!(profile.primary_phone(), Some("(555) 010-0200"));
    /// assert_eq!(profile.display_name(), Some("Ana Silva"));
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn primary(&self, path: &FieldPath) -> Option<&SetMember> {
        let p = self.primaries.get(path)?;
        self.sets.get(path)?.get(p.member as usize)
    }
    /// Returns the name of the rule that chose the primary member of a
    /// multi-valued field, when it has one.
    pub fn primary_rule(&self, path: &FieldPath) -> Option<&str> {
        self.primaries.get(path).map(|p| p.rule.as_str())
    }
    /// Returns the displayed value of the primary `identity.email` member.
    pub fn primary_email(&self) -> Option<&str> {
        self.primary_text(&tables().email)
    }
    /// Returns the displayed value of the primary `identity.phone` member.
    pub fn primary_phone(&self) -> Option<&str> {
        self.primary_text(&tables().phone)
    }
    /// Returns the name to address the person by.
    ///
    /// Each record's names are taken as written in full (a name without a
    /// full form as its given and family names joined by a space, or the
    /// one it has), grouped by [`fold`](crate::identity::fold) like the
    /// members of `identity.full_name`, and the group the policy's primary
    /// rule for `identity.full_name` chooses is shown as most records write
    /// it. With the default rule that is the name the most records agree on
    /// (however they wrote its case, accents and punctuation), then the most
    /// recently observed, so one source's nickname or typo does not
    /// displace it. `None` when no record names the person.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_ref().and_then(FieldValue::as_text)
    }
    fn primary_text(&self, path: &FieldPath) -> Option<&str> {
        self.primary(path).and_then(|m| m.value.as_text())
    }
    /// Returns the merged event history, by time then event id.
    pub fn events(&self) -> &[MergedEvent] {
        &self.events
    }
    /// Returns the contributing records, by record id.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &Origin> + '_ {
        self.records.iter().map(|o| &**o)
    }
    /// Returns the records excluded by consent, by record id.
    pub fn excluded(&self) -> &[Exclusion] {
        &self.excluded
    }
    /// Returns `true` when no record contributes.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

fn origin(r: &SourceRecord) -> Origin {
    Origin {
        record: r.id().clone(),
        source: r.source().clone(),
        observed_at: r.observed_at(),
    }
}

/// Runs the rule for one field over its candidates (one per record, in
/// record id order) and returns the survivor.
fn survive<'a>(
    policy: &SurvivorshipPolicy,
    path: &FieldPath,
    group: &[(&'a FieldValue, &'a Arc<Origin>)],
    buffer: &mut Vec<Candidate<'a>>,
) -> Option<Survived> {
    buffer.clear();
    buffer.extend(
        group
            .iter()
            .map(|(v, o)| Candidate::new(v, &o.record, &o.source, o.observed_at)),
    );
    let named = policy.named(path);
    let i = named.rule.select(path, buffer)?;
    let (value, origin) = group.get(i)?;
    Some(Survived {
        value: (*value).clone(),
        provenance: Provenance {
            origin: Arc::clone(origin),
            rule: named.name.clone(),
        },
    })
}

/// Builds one member from its group of (field, allowed member, value)
/// triples, sorted by value then record: its variants, its holders, and the
/// displayed variant.
fn member_of<'a>(
    group: &[(u16, u32, u32)],
    multi: &impl Fn(&(u16, u32, u32)) -> (&'a FieldValue, &'a Arc<Origin>, &'a FieldValue),
) -> SetMember {
    let key = multi(&group[0]).2.clone();
    // The group is sorted by value: one variant when first and last agree
    // (the common case, which then allocates only its holders).
    let (first, last) = (&group[0], &group[group.len() - 1]);
    if multi(first).0.canonical_cmp(multi(last).0).is_eq() {
        return SetMember {
            value: multi(first).0.clone(),
            key,
            provenance: group.iter().map(|x| Arc::clone(multi(x).1)).collect(),
            variants: Vec::new(),
        };
    }
    let variants: Vec<VariantData> = group
        .chunk_by(|a, b| multi(a).0.canonical_cmp(multi(b).0).is_eq())
        .map(|g| VariantData {
            value: multi(&g[0]).0.clone(),
            provenance: g.iter().map(|x| Arc::clone(multi(x).1)).collect(),
        })
        .collect();
    // The displayed variant: most records, then the latest observation,
    // then the smaller value (variants are in ascending value order, so a
    // full tie keeps the earlier one).
    let mut shown = 0;
    let support = |v: &VariantData| {
        let latest = v.provenance.iter().map(|o| o.observed_at).max();
        (v.provenance.len(), latest)
    };
    for (i, v) in variants.iter().enumerate().skip(1) {
        if support(v) > support(&variants[shown]) {
            shown = i;
        }
    }
    // Holders of any variant, by record id; a record writing two variants
    // counts once.
    let mut provenance: Vec<Arc<Origin>> = variants
        .iter()
        .flat_map(|v| v.provenance.iter().cloned())
        .collect();
    provenance.sort_by(|a, b| a.record.cmp(&b.record));
    provenance.dedup_by(|a, b| a.record == b.record);
    SetMember {
        value: variants[shown].value.clone(),
        key,
        provenance,
        variants,
    }
}

/// Runs the policy's primary rule for `path` over its members: one
/// candidate per (member, holding record), in canonical order, carrying the
/// member's normal form (displayed values of two members can coincide: a
/// national phone number completed with two countries).
fn primary_of<'a>(
    policy: &SurvivorshipPolicy,
    path: &FieldPath,
    members: &'a [SetMember],
    pairs: &mut Vec<(u32, &'a Arc<Origin>)>,
    candidates: &mut Vec<Candidate<'a>>,
) -> Option<Primary> {
    let named = policy.primary_named(path);
    if policy.primary_is_built_in(path) {
        // What MostFrequent chooses over the candidates below, without
        // building them: each member's normal form is its own (one group
        // per member), held once by each of its records, so the groups
        // rank by (holders, latest holder, smaller normal form).
        let latest = |m: &SetMember| m.provenance.iter().map(|o| o.observed_at).max();
        let mut best: Option<(usize, &SetMember, Option<DateTime<Utc>>)> = None;
        for (i, m) in members.iter().enumerate() {
            let at = latest(m);
            let better = best.is_none_or(|(_, b, b_at)| {
                m.provenance
                    .len()
                    .cmp(&b.provenance.len())
                    .then_with(|| at.cmp(&b_at))
                    .then_with(|| b.key.canonical_cmp(&m.key))
                    .is_gt()
            });
            if better {
                best = Some((i, m, at));
            }
        }
        let (i, m, _) = best?;
        return Some(Primary {
            member: i as u32,
            value: m.value.clone(),
            rule: named.name.clone(),
        });
    }
    pairs.clear();
    for (i, m) in members.iter().enumerate() {
        pairs.extend(m.provenance.iter().map(|o| (i as u32, o)));
    }
    pairs.sort_by(|a, b| {
        a.1.record.cmp(&b.1.record).then_with(|| {
            members[a.0 as usize]
                .key
                .canonical_cmp(&members[b.0 as usize].key)
        })
    });
    candidates.clear();
    candidates.extend(pairs.iter().map(|&(i, o)| {
        Candidate::new(
            &members[i as usize].key,
            &o.record,
            &o.source,
            o.observed_at,
        )
    }));
    let chosen = named.rule.select(path, candidates)?;
    let &(member, _) = pairs.get(chosen)?;
    Some(Primary {
        member,
        value: members[member as usize].value.clone(),
        rule: named.name.clone(),
    })
}

/// The display name: over every name the records write in full (a name
/// without its full form written as given and family name joined by a
/// space), grouped by [`fold`](crate::identity::fold), the group the
/// policy's primary rule for `identity.full_name` chooses, shown as most
/// records write it.
fn display_name<'a>(
    policy: &SurvivorshipPolicy,
    names: &mut [(u16, u32, u32)],
    name: &impl Fn(&(u16, u32, u32)) -> (&'a FieldValue, &'a Arc<Origin>, &'a FieldValue),
) -> Option<FieldValue> {
    if names.is_empty() {
        return None;
    }
    names.sort_by(|a, b| {
        let (x, y) = (name(a), name(b));
        x.2.canonical_cmp(y.2)
            .then_with(|| x.0.canonical_cmp(y.0))
            .then_with(|| a.1.cmp(&b.1))
    });
    let mut members: Vec<SetMember> = names
        .chunk_by(|a, b| name(a).2.canonical_cmp(name(b).2).is_eq())
        .map(|g| member_of(g, name))
        .collect();
    members.sort_by(|a, b| {
        a.value
            .canonical_cmp(&b.value)
            .then_with(|| a.key.canonical_cmp(&b.key))
    });
    let chosen = primary_of(
        policy,
        &tables().full_name,
        &members,
        &mut Vec::new(),
        &mut Vec::new(),
    )?;
    Some(chosen.value)
}

/// Reusable working memory of [`derive_members`]: indexes, not
/// references, so one scratch serves every cluster a thread derives.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// (field index, allowed member, value index).
    singles: Vec<(u16, u32, u32)>,
    /// (field index, allowed member, value index).
    multis: Vec<(u16, u32, u32)>,
    /// (0, allowed member, written name index).
    names: Vec<(u16, u32, u32)>,
    /// (allowed member, attribute index).
    attributes: Vec<(u32, u32)>,
    /// (allowed member, event index).
    events: Vec<(u32, u32)>,
}

/// Derives a profile from members sorted by record id, unique, all
/// observed at or before `at`.
pub(crate) fn derive_members(
    cluster: ClusterId,
    members: &[Member<'_>],
    ledger: &ConsentLedger,
    policy: &SurvivorshipPolicy,
    purpose: &Purpose,
    at: DateTime<Utc>,
    scratch: &mut Scratch,
) -> UnifiedProfile {
    let t = tables();
    let purpose = purpose.canonical();
    let mut allowed: Vec<&Facts> = Vec::with_capacity(members.len());
    let mut excluded = Vec::new();
    // A purpose resting on a lawful basis other than consent allows every
    // record without special-category data (the ledger's first rule), so
    // the per-record decision, which reads every identifier, is skipped.
    let by_basis = matches!(
        ledger.policy().basis_for(&purpose),
        Some(basis) if basis != LawfulBasis::Consent
    );
    for m in members {
        debug_assert!(m.record.observed_at() <= at);
        if by_basis {
            allowed.push(m.facts);
            continue;
        }
        // The model holds no special-category data (GDPR Art. 9), so the
        // plain decision applies; see the module docs.
        let decision = ledger.decide(m.record, &purpose, at);
        if decision.is_allowed() {
            allowed.push(m.facts);
        } else {
            excluded.push(Exclusion {
                record: m.record.id().clone(),
                decision,
            });
        }
    }
    let Scratch {
        singles,
        multis,
        names,
        attributes,
        events,
    } = scratch;
    singles.clear();
    multis.clear();
    names.clear();
    attributes.clear();
    events.clear();
    for (m, f) in allowed.iter().enumerate() {
        let m = m as u32;
        singles.extend(
            f.singles
                .iter()
                .enumerate()
                .map(|(v, (i, _))| (*i, m, v as u32)),
        );
        multis.extend(
            f.multis
                .iter()
                .enumerate()
                .map(|(v, (i, _, _))| (*i, m, v as u32)),
        );
        names.extend((0..f.names.len()).map(|n| (0, m, n as u32)));
        attributes.extend((0..f.attributes.len()).map(|a| (m, a as u32)));
        events.extend((0..f.events.len()).map(|e| (m, e as u32)));
    }
    let single = |&(_, m, v): &(u16, u32, u32)| {
        let f = allowed[m as usize];
        (&f.singles[v as usize].1, &f.origin)
    };
    let multi = |&(_, m, v): &(u16, u32, u32)| {
        let f = allowed[m as usize];
        let (_, value, key) = &f.multis[v as usize];
        (value, &f.origin, key)
    };
    let name = |&(_, m, n): &(u16, u32, u32)| {
        let f = allowed[m as usize];
        let (value, key) = &f.names[n as usize];
        (value, &f.origin, key)
    };
    let attribute = |&(m, a): &(u32, u32)| {
        let f = allowed[m as usize];
        let (p, v) = &f.attributes[a as usize];
        (p, v, &f.origin)
    };
    let event = |&(m, e): &(u32, u32)| {
        let f = allowed[m as usize];
        (&f.events[e as usize], &f.origin)
    };

    // Single-valued fixed fields: stable-sort by field so each field's
    // candidates stay in record id order (members are in that order).
    singles.sort_by_key(|s| s.0);
    let mut fields = BTreeMap::new();
    let mut buffer: Vec<Candidate<'_>> = Vec::new();
    let mut group: Vec<(&FieldValue, &Arc<Origin>)> = Vec::new();
    for g in singles.chunk_by(|a, b| a.0 == b.0) {
        let path = &t.singles[usize::from(g[0].0)];
        group.clear();
        group.extend(g.iter().map(single));
        if let Some(s) = survive(policy, path, &group, &mut buffer) {
            fields.insert(PathKey::Fixed(path), s);
        }
    }

    // Custom attributes survive per key, like single-valued fields.
    attributes.sort_by(|a, b| attribute(a).0.cmp(attribute(b).0));
    for g in attributes.chunk_by(|a, b| attribute(a).0 == attribute(b).0) {
        let path = attribute(&g[0]).0;
        group.clear();
        group.extend(g.iter().map(|a| {
            let (_, v, o) = attribute(a);
            (v, o)
        }));
        if let Some(s) = survive(policy, path, &group, &mut buffer) {
            fields.insert(PathKey::Attribute(Arc::clone(path)), s);
        }
    }

    // Multi-valued fields: the union, de-duplicated by normal form; each
    // member with its raw variants and every record holding any of them.
    // Sorting by (field, key, value, member) puts each member's variants
    // together, each variant's holders in record id order.
    multis.sort_by(|a, b| {
        let (x, y) = (multi(a), multi(b));
        a.0.cmp(&b.0)
            .then_with(|| x.2.canonical_cmp(y.2))
            .then_with(|| x.0.canonical_cmp(y.0))
            .then_with(|| a.1.cmp(&b.1))
    });
    let mut sets: BTreeMap<PathKey, Vec<SetMember>> = BTreeMap::new();
    for field in multis.chunk_by(|a, b| a.0 == b.0) {
        let path = &t.multis[usize::from(field[0].0)];
        let mut members: Vec<SetMember> = field
            .chunk_by(|a, b| multi(a).2.canonical_cmp(multi(b).2).is_eq())
            .map(|g| member_of(g, &multi))
            .collect();
        // Members in the order of their displayed values; two members can
        // only show one value when a national phone number was completed
        // with two countries, and their keys then differ.
        members.sort_by(|a, b| {
            a.value
                .canonical_cmp(&b.value)
                .then_with(|| a.key.canonical_cmp(&b.key))
        });
        sets.insert(PathKey::Fixed(path), members);
    }
    // Primaries, once every set is built, so one pair of buffers serves
    // every field.
    let mut primaries: BTreeMap<PathKey, Primary> = BTreeMap::new();
    let mut pairs = Vec::new();
    let mut candidates = Vec::new();
    for (path, members) in &sets {
        if let Some(p) = primary_of(policy, path, members, &mut pairs, &mut candidates) {
            primaries.insert(path.clone(), p);
        }
    }
    let display_name = display_name(policy, names, &name);

    // Events: the union by event id; members are in record id order, so a
    // stable sort by event id keeps each group in record id order.
    events.sort_by(|a, b| event(a).0.id().cmp(event(b).0.id()));
    let mut merged: Vec<MergedEvent> = events
        .chunk_by(|a, b| event(a).0.id() == event(b).0.id())
        .map(|g| {
            // The most recently observed record's copy wins; ties go to the
            // smallest record id (the first of the group).
            let (winner, _) = g.iter().map(event).fold(event(&g[0]), |best, c| {
                if c.1.observed_at > best.1.observed_at {
                    c
                } else {
                    best
                }
            });
            MergedEvent {
                event: Arc::clone(winner),
                records: g.iter().map(|x| Arc::clone(event(x).1)).collect(),
                conflict: g
                    .iter()
                    .map(event)
                    .any(|(e, _)| !Arc::ptr_eq(e, winner) && **e != **winner),
            }
        })
        .collect();
    merged.sort_by(|a, b| {
        a.event
            .at()
            .cmp(&b.event.at())
            .then_with(|| a.event.id().cmp(b.event.id()))
    });

    UnifiedProfile {
        cluster,
        purpose,
        at,
        fields,
        sets,
        primaries,
        display_name,
        events: merged,
        records: allowed.iter().map(|f| Arc::clone(&f.origin)).collect(),
        excluded,
    }
}

impl UnifiedProfile {
    /// Visits a custom attribute path, which may reach into a structured
    /// attribute (`attributes.address.city`).
    fn visit_attribute<'s>(
        &'s self,
        path: &str,
        prefix_len: usize,
        visit: &mut dyn FnMut(Value<'s>),
    ) {
        // The longest surviving key that is a prefix of the path wins.
        let mut cut = path.len();
        loop {
            let head = &path[..cut];
            if let Some(s) = FieldPath::new(head).ok().and_then(|p| self.fields.get(&p)) {
                let rest = &path[cut..];
                match (&s.value, rest.strip_prefix('.')) {
                    (FieldValue::Structured(v), None) => visit_structured(v, visit),
                    (FieldValue::Structured(v), Some(rest)) => {
                        if let AttributeValue::Map(map) = &**v {
                            visit_in_map(map, rest, visit);
                        }
                    }
                    (v, None) => {
                        if let Some(v) = v.as_value() {
                            visit(v);
                        }
                    }
                    _ => {}
                }
                return;
            }
            match path[..cut].rfind('.') {
                Some(i) if i > prefix_len => cut = i,
                _ => return,
            }
        }
    }
}

fn visit_structured<'s>(v: &'s AttributeValue, visit: &mut dyn FnMut(Value<'s>)) {
    match v {
        AttributeValue::Bool(b) => visit(Value::Bool(*b)),
        AttributeValue::Int(i) => visit(Value::Int(*i)),
        AttributeValue::Float(x) => visit(Value::Float(x.get())),
        AttributeValue::Text(t) => visit(Value::Text(t)),
        AttributeValue::List(items) => {
            for item in items {
                if !matches!(item, AttributeValue::List(_) | AttributeValue::Map(_)) {
                    visit_structured(item, visit);
                }
            }
        }
        AttributeValue::Null | AttributeValue::Map(_) => {}
    }
}

/// Reads `key` (a dotted path) inside nested maps; a whole key holding dots
/// wins over a nested path, as it does for source records.
fn visit_in_map<'s>(
    map: &'s BTreeMap<String, AttributeValue>,
    key: &str,
    visit: &mut dyn FnMut(Value<'s>),
) {
    let mut current = map;
    let mut remaining = key;
    loop {
        if let Some(v) = current.get(remaining) {
            visit_structured(v, visit);
            return;
        }
        let Some((head, rest)) = remaining.split_once('.') else {
            return;
        };
        match current.get(head) {
            Some(AttributeValue::Map(m)) => {
                current = m;
                remaining = rest;
            }
            _ => return,
        }
    }
}

impl FieldAccess for UnifiedProfile {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        match path.as_str() {
            "record.id" => {
                for r in &self.records {
                    visit(Value::Text(r.record.as_str()));
                }
                return;
            }
            "record.source" => {
                let mut sources: Vec<&str> =
                    self.records.iter().map(|r| r.source.as_str()).collect();
                sources.sort_unstable();
                sources.dedup();
                sources.into_iter().for_each(|s| visit(Value::Text(s)));
                return;
            }
            "record.observed_at" => {
                if let Some(t) = self.records.iter().map(|r| r.observed_at).max() {
                    visit(Value::Timestamp(t));
                }
                return;
            }
            _ => {}
        }
        if let Some(s) = self.fields.get(path) {
            match &s.value {
                FieldValue::Structured(v) => visit_structured(v, visit),
                v => {
                    if let Some(v) = v.as_value() {
                        visit(v);
                    }
                }
            }
            return;
        }
        if let Some(members) = self.sets.get(path) {
            // Every raw variant, so that expressions match any way a
            // source wrote a value; each member's displayed value first.
            for m in members {
                if let Some(v) = m.value.as_value() {
                    visit(v);
                }
                for other in &m.variants {
                    if other.value != m.value {
                        if let Some(v) = other.value.as_value() {
                            visit(v);
                        }
                    }
                }
            }
            return;
        }
        let p = path.as_str();
        for prefix in ["attributes", "personal.attitude", "personal.preference"] {
            if p.len() > prefix.len() + 1
                && p.starts_with(prefix)
                && p.as_bytes()[prefix.len()] == b'.'
            {
                self.visit_attribute(p, prefix.len(), visit);
                return;
            }
        }
    }

    fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
        for e in &self.events {
            visit(&*e.event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn gates_skip_only_fields_that_are_empty() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let mut b = SourceRecord::builder("r", "s", at).unwrap();
        b.identity()
            .emails
            .push(crate::model::EmailAddress::new("a@b.example").unwrap());
        b.geographic().city = Some(crate::model::Text::new("Faro").unwrap());
        b.business().job.title = Some(crate::model::Text::new("Chef").unwrap());
        b.personal()
            .interests
            .insert(crate::model::Text::new("surf").unwrap());
        let record = b.build().unwrap();
        let facts = Facts::of(&record, &SurvivorshipPolicy::default());
        let t = tables();
        // Reading every path without gates finds the same values.
        let mut singles = 0;
        for p in &t.singles {
            singles += usize::from(record.first(p).is_some());
        }
        let mut multis = 0;
        for p in &t.multis {
            record.visit(p, &mut |_| multis += 1);
        }
        assert_eq!(facts.singles.len(), singles);
        assert_eq!(facts.multis.len(), multis);
        assert_eq!((singles, multis), (2, 3));
        for p in t.singles.iter().chain(&t.multis) {
            assert_ne!(Gate::of(p), Gate::Always, "{p} has no gate");
        }
    }
}
