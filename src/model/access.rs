//! [`FieldAccess`] for source records and events, and their [`Schema`].

use std::sync::OnceLock;

use crate::model::field::{Cardinality, FieldType};
use crate::model::section::Text;
use crate::model::{
    AppUsage, AttributeValue, Attributes, Birth, Event, EventAccess, EventKind, EventQuery,
    FieldAccess, FieldPath, Schema, SourceRecord, Value,
};

use Cardinality::{Many, One};
use FieldType::{Date, Float, Int, Money, Text as TextT, Timestamp};

/// The fixed fields of a [`SourceRecord`]: path, type, cardinality, meaning.
const RECORD_FIELDS: &[FieldRow] = &[
    ("record.id", TextT, One, "the record's identifier"),
    ("record.source", TextT, One, "the source system"),
    (
        "record.observed_at",
        Timestamp,
        One,
        "when the source observed the record",
    ),
    ("identity.given_name", TextT, Many, "given names"),
    ("identity.family_name", TextT, Many, "family names"),
    ("identity.full_name", TextT, Many, "full names as written"),
    ("identity.email", TextT, Many, "email addresses"),
    (
        "identity.email_domain",
        TextT,
        Many,
        "domains of the email addresses",
    ),
    (
        "identity.phone",
        TextT,
        Many,
        "telephone numbers as written",
    ),
    (
        "identity.city",
        TextT,
        Many,
        "cities of the postal addresses",
    ),
    (
        "identity.postal_code",
        TextT,
        Many,
        "postal codes of the postal addresses",
    ),
    (
        "identity.address_country",
        TextT,
        Many,
        "countries of the postal addresses",
    ),
    (
        "identity.external_system",
        TextT,
        Many,
        "systems the record has an identifier in",
    ),
    (
        "identity.device_id",
        TextT,
        Many,
        "device and browser identifiers",
    ),
    ("demographic.birth_date", Date, One, "date of birth"),
    (
        "demographic.age_min",
        Int,
        One,
        "youngest age of the age band",
    ),
    (
        "demographic.age_max",
        Int,
        One,
        "oldest age of the age band",
    ),
    (
        "demographic.gender",
        TextT,
        One,
        "gender: female, male, non_binary, undisclosed or as written",
    ),
    (
        "demographic.education",
        TextT,
        One,
        "highest education completed",
    ),
    ("demographic.marital_status", TextT, One, "marital status"),
    (
        "demographic.household_size",
        Int,
        One,
        "people in the household",
    ),
    (
        "demographic.income_min",
        Money,
        One,
        "yearly income band, lower bound",
    ),
    (
        "demographic.income_max",
        Money,
        One,
        "yearly income band, upper bound",
    ),
    ("demographic.credit_tier", TextT, One, "credit tier"),
    (
        "demographic.language",
        TextT,
        One,
        "preferred language (BCP 47)",
    ),
    (
        "geographic.country",
        TextT,
        One,
        "country (ISO 3166-1 alpha-2)",
    ),
    ("geographic.region", TextT, One, "state, province or region"),
    ("geographic.city", TextT, One, "city"),
    ("geographic.postal_code", TextT, One, "postal code"),
    ("geographic.latitude", Float, One, "latitude in degrees"),
    ("geographic.longitude", Float, One, "longitude in degrees"),
    ("geographic.time_zone", TextT, One, "IANA time zone"),
    ("business.company", TextT, One, "company name"),
    ("business.industry", TextT, One, "industry in words"),
    (
        "business.industry_code",
        TextT,
        One,
        "industry classification code",
    ),
    ("business.employee_count", Int, One, "number of employees"),
    (
        "business.customer_count",
        Int,
        One,
        "number of the company's customers",
    ),
    ("business.annual_revenue", Money, One, "yearly revenue"),
    ("business.net_worth", Money, One, "net worth"),
    ("business.domain", TextT, One, "company internet domain"),
    ("job.employer", TextT, One, "employer"),
    ("job.title", TextT, One, "job title"),
    ("job.seniority", TextT, One, "seniority"),
    ("job.decision_level", TextT, One, "part in buying decisions"),
    ("personal.interest", TextT, Many, "interests"),
    ("personal.hobby", TextT, Many, "hobbies"),
    ("personal.sports_team", TextT, Many, "sports teams followed"),
    (
        "personal.preferred_channel",
        TextT,
        Many,
        "preferred channels",
    ),
    ("personal.device_kind", TextT, Many, "kinds of device used"),
];

/// Open prefixes of a record: attribute maps whose keys each source chooses.
const RECORD_OPEN: &[&str] = &["attributes", "personal.preference", "personal.attitude"];

const EMAIL_FIELDS: &[FieldRow] = &[
    ("campaign", TextT, One, "the campaign"),
    ("subject", TextT, One, "the subject"),
    ("url", TextT, One, "the link clicked"),
];

const SUPPORT_FIELDS: &[FieldRow] = &[
    ("ticket_id", TextT, One, "the ticket"),
    ("channel", TextT, One, "the channel"),
    ("subject", TextT, One, "the subject"),
    ("text", TextT, One, "what the customer wrote"),
    ("satisfaction", Int, One, "satisfaction 1..=5"),
];

const SOCIAL_FIELDS: &[FieldRow] = &[
    ("network", TextT, One, "the network"),
    ("url", TextT, One, "what was engaged with"),
    ("text", TextT, One, "the text of a comment or mention"),
];

const TRANSACTION_FIELDS: &[FieldRow] = &[
    ("order_id", TextT, One, "the order"),
    ("amount", Money, One, "the amount that changed hands"),
    ("item_count", Int, One, "units over all lines"),
    ("sku", TextT, Many, "SKUs of the lines"),
    ("product", TextT, Many, "product names of the lines"),
];

/// A field of a schema table: path, type, cardinality, meaning.
type FieldRow = (&'static str, FieldType, Cardinality, &'static str);

/// Every event name with its own fields (`at` and `properties.*` are common
/// to all).
fn event_specs() -> Vec<(&'static str, &'static str, Vec<FieldRow>)> {
    let page = vec![
        ("name", TextT, One, "page name"),
        ("url", TextT, One, "full URL"),
        ("path", TextT, One, "URL path"),
        ("title", TextT, One, "page title"),
        ("referrer", TextT, One, "referrer"),
    ];
    let mut specs = vec![
        ("page_view", "a web page was viewed", page),
        (
            "screen_view",
            "an app screen was viewed",
            vec![("name", TextT, One, "screen name")],
        ),
        (
            "click",
            "something was clicked",
            vec![
                ("target", TextT, One, "what was clicked"),
                ("url", TextT, One, "where it led"),
            ],
        ),
    ];
    for (name, doc) in [
        ("email_sent", "an email was sent"),
        ("email_delivered", "an email was delivered"),
        ("email_opened", "an email was opened"),
        ("email_clicked", "a link in an email was clicked"),
        ("email_bounced", "an email bounced"),
        ("email_unsubscribed", "the person unsubscribed"),
        ("email_marked_as_spam", "an email was marked as spam"),
    ] {
        specs.push((name, doc, EMAIL_FIELDS.to_vec()));
    }
    for (name, doc) in [
        ("social_like", "a like or reaction"),
        ("social_share", "content was shared"),
        ("social_comment", "a comment"),
        ("social_follow", "a follow"),
        ("social_mention", "a mention"),
    ] {
        specs.push((name, doc, SOCIAL_FIELDS.to_vec()));
    }
    for (name, doc) in [
        ("ticket_opened", "a support ticket was opened"),
        ("ticket_updated", "a support ticket was updated"),
        ("ticket_resolved", "a support ticket was resolved"),
        ("ticket_reopened", "a support ticket was reopened"),
    ] {
        specs.push((name, doc, SUPPORT_FIELDS.to_vec()));
    }
    specs.push((
        "onboarding_step",
        "an onboarding step was completed",
        vec![("step", TextT, One, "the step")],
    ));
    specs.push((
        "feature_used",
        "a feature was used",
        vec![("feature", TextT, One, "the feature")],
    ));
    specs.push((
        "problem_reported",
        "a problem was reported",
        vec![("description", TextT, One, "what was reported")],
    ));
    specs.push(("purchase", "a purchase", TRANSACTION_FIELDS.to_vec()));
    specs.push(("refund", "a refund", TRANSACTION_FIELDS.to_vec()));
    specs.push((
        "survey_answered",
        "a survey answer",
        vec![
            ("survey_id", TextT, One, "the survey"),
            ("nps", Int, One, "Net Promoter Score 0..=10"),
            ("effort", Int, One, "Customer Effort Score 1..=7"),
            ("csat", Int, One, "satisfaction 1..=5"),
            ("comment", TextT, One, "free-text comment"),
        ],
    ));
    specs.push((
        "review",
        "a review",
        vec![
            ("rating", Float, One, "rating on its own scale"),
            (
                "rating_normalized",
                Float,
                One,
                "rating as a fraction of its scale, 0..=1",
            ),
            ("text", TextT, One, "review text"),
            ("product", TextT, One, "what was reviewed"),
        ],
    ));
    specs
}

impl SourceRecord {
    /// Returns the schema of the fields and events a source record offers to
    /// segment expressions.
    ///
    /// Fixed paths are listed by [`Schema::fields`]; `attributes.*`,
    /// `personal.preference.*` and `personal.attitude.*` are open (any key,
    /// type known when read). Every event has `at` and open
    /// `properties.*`; custom events, named as their source named them, have
    /// only those ([`Schema::event_or_open`]).
    pub fn schema() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(build_schema)
    }

    /// Returns the schema of a profile merged from several source records
    /// (such as a unified profile): the fields of [`SourceRecord::schema`],
    /// except that `record.id` and `record.source` hold one value for each
    /// record merged.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::{Cardinality, FieldPath, FieldType, SourceRecord};
    ///
    /// let source = FieldPath::new("record.source")?;
    /// assert_eq!(SourceRecord::schema().field(&source), Some((FieldType::Text, Cardinality::One)));
    /// assert_eq!(
    ///     SourceRecord::merged_schema().field(&source),
    ///     Some((FieldType::Text, Cardinality::Many))
    /// );
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn merged_schema() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(|| build_schema_for(true))
    }
}

/// The fields of a record that become many-valued in a merged profile.
const MERGED_MANY: &[&str] = &["record.id", "record.source"];

fn build_schema() -> Schema {
    build_schema_for(false)
}

fn build_schema_for(merged: bool) -> Schema {
    // OK because the tables above are constants with valid, unique paths; the
    // schema test builds them in every test run.
    try_build_schema(merged).expect("the constant schema tables hold valid, unique paths")
}

fn try_build_schema(merged: bool) -> crate::Result<Schema> {
    let mut b = Schema::builder();
    for &(path, ty, card, doc) in RECORD_FIELDS {
        let card = if merged && MERGED_MANY.contains(&path) {
            Many
        } else {
            card
        };
        b = b.field(path, ty, card, doc)?;
    }
    for prefix in RECORD_OPEN {
        b = b.open_prefix(prefix)?;
    }
    for (name, doc, mut fields) in event_specs() {
        fields.insert(0, ("at", Timestamp, One, "when it happened"));
        b = b.event(name, doc, &fields, &["properties"])?;
    }
    b = b.open_events(
        "a custom event, named as its source sent it",
        &[("at", Timestamp, One, "when it happened")],
        &["properties"],
    )?;
    Ok(b.build())
}

fn text<'s>(t: &'s Option<Text>, visit: &mut dyn FnMut(Value<'s>)) {
    if let Some(t) = t {
        visit(Value::Text(t.as_str()));
    }
}

/// Visits the attribute at `key` (a dotted path into nested maps): scalars
/// once, each element of a list, nothing for null, maps or a missing key.
fn visit_attribute<'s>(attrs: &'s Attributes, key: &str, visit: &mut dyn FnMut(Value<'s>)) {
    // Keys may themselves contain dots; the whole key wins over a nested path.
    if let Some(v) = attrs.get(key) {
        visit_value(v, visit);
        return;
    }
    let mut parts = key.splitn(2, '.');
    let (Some(head), Some(rest)) = (parts.next(), parts.next()) else {
        return;
    };
    let mut current = attrs.get(head);
    let mut remaining = rest;
    while let Some(AttributeValue::Map(map)) = current {
        if let Some(v) = map.get(remaining) {
            visit_value(v, visit);
            return;
        }
        let mut parts = remaining.splitn(2, '.');
        let (Some(head), Some(rest)) = (parts.next(), parts.next()) else {
            return;
        };
        current = map.get(head);
        remaining = rest;
    }
}

fn visit_value<'s>(v: &'s AttributeValue, visit: &mut dyn FnMut(Value<'s>)) {
    match v {
        AttributeValue::Bool(b) => visit(Value::Bool(*b)),
        AttributeValue::Int(i) => visit(Value::Int(*i)),
        AttributeValue::Float(x) => visit(Value::Float(x.get())),
        AttributeValue::Text(t) => visit(Value::Text(t)),
        AttributeValue::List(items) => {
            for item in items {
                if !matches!(item, AttributeValue::List(_) | AttributeValue::Map(_)) {
                    visit_value(item, visit);
                }
            }
        }
        AttributeValue::Null | AttributeValue::Map(_) => {}
    }
}

impl FieldAccess for SourceRecord {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        let Some(rest) = path.rest() else { return };
        let id = self.identity();
        let demo = self.demographic();
        let geo = self.geographic();
        let firm = &self.business().firmographics;
        let job = &self.business().job;
        let personal = self.personal();
        match (path.first(), rest) {
            ("record", "id") => visit(Value::Text(self.id().as_str())),
            ("record", "source") => visit(Value::Text(self.source().as_str())),
            ("record", "observed_at") => visit(Value::Timestamp(self.observed_at())),
            ("identity", "given_name") => id.names.iter().for_each(|n| text(&n.given, visit)),
            ("identity", "family_name") => id.names.iter().for_each(|n| text(&n.family, visit)),
            ("identity", "full_name") => id.names.iter().for_each(|n| text(&n.full, visit)),
            ("identity", "email") => id
                .emails
                .iter()
                .for_each(|e| visit(Value::Text(e.as_str()))),
            ("identity", "email_domain") => id
                .emails
                .iter()
                .for_each(|e| visit(Value::Text(e.domain()))),
            ("identity", "phone") => id
                .phones
                .iter()
                .for_each(|p| visit(Value::Text(p.as_str()))),
            ("identity", "city") => id.addresses.iter().for_each(|a| text(&a.city, visit)),
            ("identity", "postal_code") => id
                .addresses
                .iter()
                .for_each(|a| text(&a.postal_code, visit)),
            ("identity", "address_country") => id
                .addresses
                .iter()
                .filter_map(|a| a.country.as_ref())
                .for_each(|c| visit(Value::Text(c.as_str()))),
            ("identity", "external_system") => id
                .external_ids
                .iter()
                .for_each(|e| visit(Value::Text(e.system.as_str()))),
            ("identity", "device_id") => id
                .device_ids
                .iter()
                .for_each(|d| visit(Value::Text(d.value.as_str()))),
            ("demographic", "birth_date") => {
                if let Some(Birth::Date(d)) = demo.birth {
                    visit(Value::Date(d));
                }
            }
            ("demographic", "age_min") => {
                if let Some(Birth::AgeBand(b)) = demo.birth {
                    visit(Value::Int(i64::from(b.min_age())));
                }
            }
            ("demographic", "age_max") => {
                if let Some(Birth::AgeBand(b)) = demo.birth {
                    if let Some(max) = b.max_age() {
                        visit(Value::Int(i64::from(max)));
                    }
                }
            }
            ("demographic", "gender") => demo
                .gender
                .iter()
                .for_each(|g| visit(Value::Text(g.as_str()))),
            ("demographic", "education") => demo
                .education
                .iter()
                .for_each(|g| visit(Value::Text(g.as_str()))),
            ("demographic", "marital_status") => demo
                .marital_status
                .iter()
                .for_each(|g| visit(Value::Text(g.as_str()))),
            ("demographic", "household_size") => demo
                .household_size
                .iter()
                .for_each(|h| visit(Value::Int(i64::from(h.get())))),
            ("demographic", "income_min") => demo
                .income
                .iter()
                .for_each(|i| visit(Value::Money(i.min()))),
            ("demographic", "income_max") => demo
                .income
                .iter()
                .filter_map(|i| i.max())
                .for_each(|m| visit(Value::Money(m))),
            ("demographic", "credit_tier") => demo
                .credit_tier
                .iter()
                .for_each(|g| visit(Value::Text(g.as_str()))),
            ("demographic", "language") => demo
                .language
                .iter()
                .for_each(|g| visit(Value::Text(g.as_str()))),
            ("geographic", "country") => geo
                .country
                .iter()
                .for_each(|c| visit(Value::Text(c.as_str()))),
            ("geographic", "region") => text(&geo.region, visit),
            ("geographic", "city") => text(&geo.city, visit),
            ("geographic", "postal_code") => text(&geo.postal_code, visit),
            ("geographic", "latitude") => geo
                .coordinates
                .iter()
                .for_each(|c| visit(Value::Float(c.latitude()))),
            ("geographic", "longitude") => geo
                .coordinates
                .iter()
                .for_each(|c| visit(Value::Float(c.longitude()))),
            ("geographic", "time_zone") => geo
                .time_zone
                .iter()
                .for_each(|t| visit(Value::Text(t.as_str()))),
            ("business", "company") => text(&firm.company, visit),
            ("business", "industry") => text(&firm.industry, visit),
            ("business", "industry_code") => firm
                .industry_code
                .iter()
                .for_each(|c| visit(Value::Text(c.code()))),
            ("business", "employee_count") => {
                firm.employee_count.iter().for_each(|n| visit(count(*n)))
            }
            ("business", "customer_count") => {
                firm.customer_count.iter().for_each(|n| visit(count(*n)))
            }
            ("business", "annual_revenue") => firm
                .annual_revenue
                .iter()
                .for_each(|m| visit(Value::Money(*m))),
            ("business", "net_worth") => {
                firm.net_worth.iter().for_each(|m| visit(Value::Money(*m)))
            }
            ("business", "domain") => firm
                .domain
                .iter()
                .for_each(|d| visit(Value::Text(d.as_str()))),
            ("job", "employer") => text(&job.employer, visit),
            ("job", "title") => text(&job.title, visit),
            ("job", "seniority") => job
                .seniority
                .iter()
                .for_each(|s| visit(Value::Text(s.as_str()))),
            ("job", "decision_level") => job
                .decision_level
                .iter()
                .for_each(|s| visit(Value::Text(s.as_str()))),
            ("personal", "interest") => personal
                .interests
                .iter()
                .for_each(|t| visit(Value::Text(t.as_str()))),
            ("personal", "hobby") => personal
                .hobbies
                .iter()
                .for_each(|t| visit(Value::Text(t.as_str()))),
            ("personal", "sports_team") => personal
                .sports_teams
                .iter()
                .for_each(|t| visit(Value::Text(t.as_str()))),
            ("personal", "preferred_channel") => personal
                .preferred_channels
                .iter()
                .for_each(|c| visit(Value::Text(c.as_str()))),
            ("personal", "device_kind") => personal
                .devices
                .iter()
                .for_each(|d| visit(Value::Text(d.kind.as_str()))),
            ("personal", rest) => {
                if let Some(key) = rest.strip_prefix("preference.") {
                    visit_attribute(&personal.preferences, key, visit);
                } else if let Some(key) = rest.strip_prefix("attitude.") {
                    visit_attribute(&personal.attitudes, key, visit);
                }
            }
            ("attributes", key) => visit_attribute(self.attributes(), key, visit),
            _ => {}
        }
    }

    fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
        for event in self.events() {
            visit(event);
        }
    }

    /// Finds the window by binary search: the events are sorted by time.
    fn visit_events_matching<'s>(
        &'s self,
        query: &EventQuery<'_>,
        visit: &mut dyn FnMut(&'s dyn EventAccess),
    ) {
        let events = self.events();
        let start = query
            .from()
            .map_or(0, |from| events.partition_point(|e| e.at() < from));
        for event in &events[start..] {
            if event.at() > query.to() {
                break;
            }
            if event.name() == query.name() {
                visit(event);
            }
        }
    }
}

/// Counts beyond `i64::MAX` do not occur in practice; they saturate.
fn count(n: u64) -> Value<'static> {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

impl FieldAccess for Event {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        let p = path.as_str();
        if p == "at" {
            visit(Value::Timestamp(self.at()));
            return;
        }
        if let Some(key) = p.strip_prefix("properties.") {
            visit_attribute(self.properties(), key, visit);
            return;
        }
        match (self.kind(), p) {
            (EventKind::PageView(v), "name") => text(&v.name, visit),
            (EventKind::PageView(v), "url") => text(&v.url, visit),
            (EventKind::PageView(v), "path") => text(&v.path, visit),
            (EventKind::PageView(v), "title") => text(&v.title, visit),
            (EventKind::PageView(v), "referrer") => text(&v.referrer, visit),
            (EventKind::ScreenView(v), "name") => text(&v.name, visit),
            (EventKind::Click(c), "target") => text(&c.target, visit),
            (EventKind::Click(c), "url") => text(&c.url, visit),
            (EventKind::Email(e), "campaign") => text(&e.campaign, visit),
            (EventKind::Email(e), "subject") => text(&e.subject, visit),
            (EventKind::Email(e), "url") => text(&e.url, visit),
            (EventKind::Social(s), "network") => text(&s.network, visit),
            (EventKind::Social(s), "url") => text(&s.url, visit),
            (EventKind::Social(s), "text") => text(&s.text, visit),
            (EventKind::Support(s), "ticket_id") => text(&s.ticket_id, visit),
            (EventKind::Support(s), "channel") => s
                .channel
                .iter()
                .for_each(|c| visit(Value::Text(c.as_str()))),
            (EventKind::Support(s), "subject") => text(&s.subject, visit),
            (EventKind::Support(s), "text") => text(&s.text, visit),
            (EventKind::Support(s), "satisfaction") => s
                .satisfaction
                .iter()
                .for_each(|c| visit(Value::Int(i64::from(c.get())))),
            (EventKind::AppUsage(AppUsage::OnboardingStep { step }), "step") => {
                visit(Value::Text(step.as_str()))
            }
            (EventKind::AppUsage(AppUsage::FeatureUsed { feature }), "feature") => {
                visit(Value::Text(feature.as_str()));
            }
            (EventKind::AppUsage(AppUsage::ProblemReported { description }), "description") => {
                visit(Value::Text(description.as_str()));
            }
            (EventKind::Transaction(t), "order_id") => visit(Value::Text(t.order_id())),
            (EventKind::Transaction(t), "amount") => visit(Value::Money(t.amount())),
            (EventKind::Transaction(t), "item_count") => {
                let units: u64 = t.items().iter().map(|i| u64::from(i.quantity())).sum();
                visit(count(units));
            }
            (EventKind::Transaction(t), "sku") => t
                .items()
                .iter()
                .filter_map(|i| i.sku())
                .for_each(|s| visit(Value::Text(s))),
            (EventKind::Transaction(t), "product") => t
                .items()
                .iter()
                .filter_map(|i| i.name())
                .for_each(|s| visit(Value::Text(s))),
            (EventKind::Survey(s), "survey_id") => {
                s.survey_id().iter().for_each(|t| visit(Value::Text(t)))
            }
            (EventKind::Survey(s), "nps") => s
                .nps()
                .iter()
                .for_each(|n| visit(Value::Int(i64::from(n.get())))),
            (EventKind::Survey(s), "effort") => s
                .effort()
                .iter()
                .for_each(|n| visit(Value::Int(i64::from(n.get())))),
            (EventKind::Survey(s), "csat") => s
                .csat()
                .iter()
                .for_each(|n| visit(Value::Int(i64::from(n.get())))),
            (EventKind::Survey(s), "comment") => {
                s.comment().iter().for_each(|t| visit(Value::Text(t)))
            }
            (EventKind::Review(r), "rating") => r
                .rating()
                .iter()
                .for_each(|x| visit(Value::Float(x.value()))),
            (EventKind::Review(r), "rating_normalized") => r
                .rating()
                .iter()
                .for_each(|x| visit(Value::Float(x.normalized()))),
            (EventKind::Review(r), "text") => r.text().iter().for_each(|t| visit(Value::Text(t))),
            (EventKind::Review(r), "product") => {
                r.product().iter().for_each(|t| visit(Value::Text(t)))
            }
            _ => {}
        }
    }
}

impl EventAccess for Event {
    fn name(&self) -> &str {
        Event::name(self)
    }

    fn at(&self) -> chrono::DateTime<chrono::Utc> {
        Event::at(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_tables_build_completely() {
        assert!(try_build_schema(false).is_ok());
        assert!(try_build_schema(true).is_ok());
        let schema = SourceRecord::schema();
        assert_eq!(schema.fields().len(), RECORD_FIELDS.len());
        assert_eq!(schema.open_prefixes().len(), RECORD_OPEN.len());
        assert_eq!(schema.events().count(), event_specs().len());
        for spec in schema.events() {
            let at = FieldPath::new("at").unwrap();
            assert_eq!(spec.field(&at), Some((Timestamp, One)), "{}", spec.name());
        }
    }
}
