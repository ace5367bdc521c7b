//! Activation-ready profiles: members de-duplicated by normal form, primary
//! members, the display name, and the documented list of field paths.

use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
use custodia::error::ErrorKind;
use custodia::identity::ClusterId;
use custodia::merge::{
    MostRecent, SetMember, SurvivorshipPolicy, SurvivorshipPolicyBuilder, UnifiedProfile,
};
use custodia::model::{EmailAddress, FieldAccess, PersonName, PhoneNumber, SourceRecord};

use super::{path, t};

fn rec(
    id: &str,
    source: &str,
    day: i64,
    names: &[PersonName],
    emails: &[&str],
    phones: &[&str],
) -> SourceRecord {
    let mut b = SourceRecord::builder(id, source, t(day)).unwrap();
    b.identity().names.extend(names.iter().cloned());
    for e in emails {
        b.identity().emails.push(EmailAddress::new(e).unwrap());
    }
    for p in phones {
        b.identity().phones.push(PhoneNumber::new(p).unwrap());
    }
    b.build().unwrap()
}

fn full(name: &str) -> PersonName {
    PersonName::from_full(name).unwrap()
}

/// Two sources, four records of Emma Johnson: the CRM writes her email and
/// phone two ways, the web adds a nickname ("Em Johnson"), a work email, a
/// UK number, and a record with only given and family names.
fn emma() -> Vec<SourceRecord> {
    vec![
        rec(
            "crm-1",
            "crm",
            1,
            &[full("Emma Johnson")],
            &["Emma.Johnson@Example.com"],
            &["+1 555 010 0200"],
        ),
        rec(
            "crm-2",
            "crm",
            2,
            &[full("EMMA JOHNSON")],
            &["emma.johnson@example.com"],
            &["(555) 010-0200"],
        ),
        rec(
            "web-1",
            "web",
            3,
            &[full("Em Johnson")],
            &["emma.johnson@example.com", "em.j@work.example"],
            &["555.010.0200", "+44 20 7946 0958"],
        ),
        rec(
            "web-2",
            "web",
            4,
            &[PersonName::from_parts(Some("Emma"), Some("Johnson")).unwrap()],
            &["EMMA.JOHNSON@EXAMPLE.COM"],
            &[],
        ),
    ]
}

fn derive(records: &[SourceRecord], policy: &SurvivorshipPolicy) -> UnifiedProfile {
    derive_at(records, policy, t(9))
}

fn derive_at(
    records: &[SourceRecord],
    policy: &SurvivorshipPolicy,
    at: chrono::DateTime<chrono::Utc>,
) -> UnifiedProfile {
    let ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()
        .unwrap();
    let cluster =
        ClusterId::for_smallest_member(records.iter().map(SourceRecord::id).min().unwrap());
    UnifiedProfile::derive(cluster, records, &ledger, policy, &Purpose::Analytics, at).unwrap()
}

/// A member as text: `shown [holders] {variant [holders]; …}`.
fn show(m: &SetMember) -> String {
    let ids = |o: &mut dyn Iterator<Item = &custodia::merge::Origin>| {
        o.map(|o| o.record().as_str().to_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    let variants: Vec<String> = m
        .variants()
        .map(|v| format!("{} [{}]", v.value(), ids(&mut v.provenance())))
        .collect();
    format!(
        "{} [{}] {{{}}}",
        m.value(),
        ids(&mut m.provenance()),
        variants.join("; ")
    )
}

fn members(p: &UnifiedProfile, f: &str) -> Vec<String> {
    p.set(&path(f)).iter().map(show).collect()
}

#[test]
fn hand_checked_members_primaries_and_display_name() {
    let p = derive(&emma(), &SurvivorshipPolicy::default());
    // One mailbox written three ways, held by all four records; the way
    // two records wrote it is shown. Members are in displayed-value order
    // ('.' sorts before 'm').
    assert_eq!(
        members(&p, "identity.email"),
        [
            "em.j@work.example [web-1] {em.j@work.example [web-1]}",
            "emma.johnson@example.com [crm-1,crm-2,web-1,web-2] {\
             EMMA.JOHNSON@EXAMPLE.COM [web-2]; \
             Emma.Johnson@Example.com [crm-1]; \
             emma.johnson@example.com [crm-2,web-1]}",
        ]
    );
    // One US number written three ways (no record names a country, so the
    // policy's "US" completes it), one record each: the latest way (web-1,
    // day 3) is shown. The UK number stays apart.
    assert_eq!(
        members(&p, "identity.phone"),
        [
            "+44 20 7946 0958 [web-1] {+44 20 7946 0958 [web-1]}",
            "555.010.0200 [crm-1,crm-2,web-1] {\
             (555) 010-0200 [crm-2]; +1 555 010 0200 [crm-1]; 555.010.0200 [web-1]}",
        ]
    );
    // Full names: "Emma Johnson" and "EMMA JOHNSON" fold together (one
    // record each; the later, crm-2, is shown); the nickname is its own.
    assert_eq!(
        members(&p, "identity.full_name"),
        [
            "EMMA JOHNSON [crm-1,crm-2] {EMMA JOHNSON [crm-2]; Emma Johnson [crm-1]}",
            "Em Johnson [web-1] {Em Johnson [web-1]}",
        ]
    );
    assert_eq!(p.primary_email(), Some("emma.johnson@example.com"));
    assert_eq!(p.primary_phone(), Some("555.010.0200"));
    assert_eq!(
        p.primary(&path("identity.full_name"))
            .map(|m| m.value().to_string()),
        Some("EMMA JOHNSON".to_owned())
    );
    assert_eq!(
        p.primary_rule(&path("identity.email")),
        Some("most_frequent")
    );
    // The display name counts web-2's given and family names too: three
    // records write Emma Johnson, two of them in that case; the nickname,
    // though observed later than the CRM records, has one.
    assert_eq!(p.display_name(), Some("Emma Johnson"));
    // The more recent nickname does not win by recency alone.
    assert!(p.primary(&path("identity.email")).unwrap().support() == 4);

    // Segment reads see every variant, the displayed value first.
    let mut seen = Vec::new();
    p.visit(&path("identity.email"), &mut |v| {
        seen.push(v.as_text().unwrap().to_owned())
    });
    assert_eq!(
        seen,
        [
            "em.j@work.example",
            "emma.johnson@example.com",
            "EMMA.JOHNSON@EXAMPLE.COM",
            "Emma.Johnson@Example.com",
        ]
    );
    // Fields with no records have neither members nor a primary.
    assert!(p.primary(&path("personal.interest")).is_none());
    assert_eq!(p.primary_rule(&path("personal.interest")), None);
}

#[test]
fn primary_rules_and_phone_country_come_from_the_policy() {
    let policy = SurvivorshipPolicy::builder()
        .primary_rule("identity.full_name", MostRecent)
        .default_primary_rule(MostRecent)
        .phone_country("GB")
        .build()
        .unwrap();
    let p = derive(&emma(), &policy);
    // The most recent record holding a full name is web-1's nickname.
    assert_eq!(
        p.primary(&path("identity.full_name"))
            .map(|m| m.value().to_string()),
        Some("Em Johnson".to_owned())
    );
    assert_eq!(
        p.primary_rule(&path("identity.full_name")),
        Some("most_recent")
    );
    // The display name's most recent writer is web-2 (given and family).
    assert_eq!(p.display_name(), Some("Emma Johnson"));
    // Read as British, the national numbers are +44 555 010 0200: crm-1's
    // +1 number stands alone.
    assert_eq!(
        members(&p, "identity.phone"),
        [
            "+1 555 010 0200 [crm-1] {+1 555 010 0200 [crm-1]}",
            "+44 20 7946 0958 [web-1] {+44 20 7946 0958 [web-1]}",
            "555.010.0200 [crm-2,web-1] {(555) 010-0200 [crm-2]; 555.010.0200 [web-1]}",
        ]
    );
    // Most recent holder of any phone is web-1 (day 3), which holds two:
    // the smaller normal form, +442079460958, wins the tie.
    assert_eq!(p.primary_phone(), Some("+44 20 7946 0958"));
    // Email: web-2 (day 4) is the most recent record with an email.
    assert_eq!(p.primary_email(), Some("emma.johnson@example.com"));

    let bad = |b: SurvivorshipPolicyBuilder| b.build().unwrap_err().kind();
    let b = SurvivorshipPolicy::builder;
    assert_eq!(
        bad(b().primary_rule("geographic.city", MostRecent)),
        ErrorKind::InvalidParameter
    );
    assert_eq!(
        bad(b().primary_rule("identity.mail", MostRecent)),
        ErrorKind::UnknownField
    );
    assert_eq!(bad(b().phone_country("USA")), ErrorKind::InvalidParameter);
}

#[test]
fn display_name_falls_back_to_given_and_family() {
    let only_parts = rec(
        "crm-9",
        "crm",
        1,
        &[PersonName::from_parts(Some("Ödön"), Some("Nagy")).unwrap()],
        &[],
        &[],
    );
    let p = derive(&[only_parts], &SurvivorshipPolicy::default());
    assert_eq!(p.display_name(), Some("Ödön Nagy"));
    assert!(p.set(&path("identity.full_name")).is_empty());
    let given_only = rec(
        "crm-8",
        "crm",
        1,
        &[PersonName::from_parts(Some("Ana"), None).unwrap()],
        &[],
        &[],
    );
    assert_eq!(
        derive(&[given_only], &SurvivorshipPolicy::default()).display_name(),
        Some("Ana")
    );
    let nameless = rec("crm-7", "crm", 1, &[], &["a@b.example"], &[]);
    let p = derive(&[nameless], &SurvivorshipPolicy::default());
    assert_eq!(p.display_name(), None);
    assert_eq!(p.primary_email(), Some("a@b.example"));
    assert_eq!(p.primary_phone(), None);
}

#[cfg(feature = "serde")]
#[test]
fn json_gains_variants_primaries_and_display_name() {
    let p = derive(&emma(), &SurvivorshipPolicy::default());
    let json = serde_json::to_value(&p).unwrap();
    let emails = &json["sets"]["identity.email"];
    // A member written one way has no "variants" key: the shape of before.
    assert!(emails[0].get("variants").is_none());
    assert_eq!(emails[0]["value"], "em.j@work.example");
    assert_eq!(emails[1]["value"], "emma.johnson@example.com");
    assert_eq!(emails[1]["provenance"].as_array().unwrap().len(), 4);
    assert_eq!(
        emails[1]["variants"][1]["value"],
        "Emma.Johnson@Example.com"
    );
    assert_eq!(emails[1]["variants"][1]["provenance"][0]["record"], "crm-1");
    assert_eq!(
        json["primary"]["identity.email"],
        serde_json::json!({"value": "emma.johnson@example.com", "rule": "most_frequent"})
    );
    assert_eq!(json["primary"]["identity.phone"]["value"], "555.010.0200");
    assert_eq!(json["display_name"], "Emma Johnson");
    // A profile without sets writes neither key.
    let bare = derive(
        &[SourceRecord::builder("x-1", "crm", t(1))
            .unwrap()
            .build()
            .unwrap()],
        &SurvivorshipPolicy::default(),
    );
    let json = serde_json::to_value(&bare).unwrap();
    assert!(json.get("primary").is_none() && json.get("display_name").is_none());
}

/// Every path whose name in a `SourceRecord`'s JSON differs from the path:
/// where its value sits there (`[]` each element of a list, `*` any key).
/// Any other path is its own JSON name.
#[cfg(feature = "serde")]
const RECORD_JSON: &[(&str, &str)] = &[
    ("record.id", "id"),
    ("record.source", "source"),
    ("record.observed_at", "observed_at"),
    ("identity.given_name", "identity.names[].given"),
    ("identity.family_name", "identity.names[].family"),
    ("identity.full_name", "identity.names[].full"),
    ("identity.email", "identity.emails[]"),
    ("identity.email_domain", "identity.emails[]"),
    ("identity.phone", "identity.phones[]"),
    ("identity.city", "identity.addresses[].city"),
    ("identity.postal_code", "identity.addresses[].postal_code"),
    ("identity.address_country", "identity.addresses[].country"),
    ("identity.external_system", "identity.external_ids[].system"),
    ("identity.device_id", "identity.device_ids[].value"),
    ("demographic.birth_date", "demographic.birth.date"),
    ("demographic.age_min", "demographic.birth.age_band.min"),
    ("demographic.age_max", "demographic.birth.age_band.max"),
    ("demographic.income_min", "demographic.income.min"),
    ("demographic.income_max", "demographic.income.max"),
    ("geographic.latitude", "geographic.coordinates.latitude"),
    ("geographic.longitude", "geographic.coordinates.longitude"),
    ("business.company", "business.firmographics.company"),
    ("business.industry", "business.firmographics.industry"),
    (
        "business.industry_code",
        "business.firmographics.industry_code.code",
    ),
    (
        "business.employee_count",
        "business.firmographics.employee_count",
    ),
    (
        "business.customer_count",
        "business.firmographics.customer_count",
    ),
    (
        "business.annual_revenue",
        "business.firmographics.annual_revenue",
    ),
    ("business.net_worth", "business.firmographics.net_worth"),
    ("business.domain", "business.firmographics.domain"),
    ("job.employer", "business.job.employer"),
    ("job.title", "business.job.title"),
    ("job.seniority", "business.job.seniority"),
    ("job.decision_level", "business.job.decision_level"),
    ("personal.interest", "personal.interests[]"),
    ("personal.hobby", "personal.hobbies[]"),
    ("personal.sports_team", "personal.sports_teams[]"),
    (
        "personal.preferred_channel",
        "personal.preferred_channels[]",
    ),
    ("personal.device_kind", "personal.devices[].kind"),
    ("personal.preference.*", "personal.preferences.*"),
    ("personal.attitude.*", "personal.attitudes.*"),
];

/// Returns `true` when `location` (dotted, with `[]` and `*`) reaches a
/// non-null value in `json`.
#[cfg(feature = "serde")]
fn reaches(json: &serde_json::Value, location: &str) -> bool {
    let (head, rest) = match location.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (location, None),
    };
    let next: Vec<&serde_json::Value> = if head == "*" {
        json.as_object()
            .map_or(Vec::new(), |o| o.values().collect())
    } else if let Some(key) = head.strip_suffix("[]") {
        json.get(key)
            .and_then(|v| v.as_array())
            .map_or(Vec::new(), |a| a.iter().collect())
    } else {
        json.get(head).into_iter().collect()
    };
    next.into_iter().any(|v| match rest {
        None => !v.is_null(),
        Some(rest) => reaches(v, rest),
    })
}

#[cfg(feature = "serde")]
#[test]
fn field_list_names_every_path_and_agrees_with_the_json_shapes() {
    use custodia::model::Cardinality;
    use std::collections::BTreeMap;

    // The documented list: path → (record JSON, type, values, normal form, rule).
    let doc = include_str!("../../docs/profile-fields.md");
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<String> = line
            .trim()
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect();
        assert_eq!(cells.len(), 6, "{line}");
        let p = cells[0].trim_matches('`').to_owned();
        assert!(
            rows.insert(p, cells[1..].to_vec()).is_none(),
            "{line} listed twice"
        );
    }

    // The schema: every fixed path, and every open prefix as `prefix.*`.
    let schema = UnifiedProfile::schema();
    let mut paths: Vec<(String, String, &str)> = schema
        .fields()
        .iter()
        .map(|f| {
            let card = match f.cardinality() {
                Cardinality::One => "one",
                _ => "many",
            };
            (
                f.path().as_str().to_owned(),
                f.field_type().to_string(),
                card,
            )
        })
        .collect();
    paths.extend(
        schema
            .open_prefixes()
            .iter()
            .map(|p| (format!("{p}.*"), "any".to_owned(), "one per key")),
    );
    let listed: Vec<&String> = rows.keys().collect();
    let mut known: Vec<&String> = paths.iter().map(|p| &p.0).collect();
    known.sort();
    assert_eq!(
        listed, known,
        "the list and the schema name different paths"
    );

    // JSON of a record with every section, and of one with an age band.
    let record = crate::model::full_record();
    let json = serde_json::to_value(&record).unwrap();
    let mut banded = json.clone();
    banded["demographic"]["birth"] = serde_json::json!({"age_band": {"min": 25, "max": 34}});
    let banded_record: SourceRecord = serde_json::from_value(banded.clone()).unwrap();
    let at = record.observed_at();
    let profiles = [
        derive_at(&[record], &SurvivorshipPolicy::default(), at),
        derive_at(&[banded_record], &SurvivorshipPolicy::default(), at),
    ];
    let profile_json: Vec<serde_json::Value> = profiles
        .iter()
        .map(|p| serde_json::to_value(p).unwrap())
        .collect();
    let mapping: BTreeMap<&str, &str> = RECORD_JSON.iter().copied().collect();
    assert_eq!(mapping.len(), RECORD_JSON.len());
    let default = SurvivorshipPolicy::default();

    for (p, ty, card) in &paths {
        let row = &rows[p];
        assert_eq!(&row[1], ty, "{p}: type");
        assert_eq!(row[2], *card, "{p}: values");
        // The record JSON name agrees with the path or is mapped, and the
        // list says which.
        let name = match mapping.get(p.as_str()) {
            Some(m) => {
                assert_ne!(m, p, "{p} is mapped to itself");
                assert_eq!(row[0], format!("`{m}`"), "{p}: record JSON");
                *m
            }
            None => {
                assert_eq!(
                    row[0], "=",
                    "{p}: its JSON name is the path, so the list says ="
                );
                p.as_str()
            }
        };
        assert!(
            reaches(&json, name) || reaches(&banded, name),
            "{p}: {name} is not in a record's JSON"
        );
        // The profile's JSON keys the field by its path.
        let in_profile = profile_json
            .iter()
            .any(|j| match (p.split_once('.'), *card) {
                (Some(("record", f)), _) => {
                    let key = if f == "id" { "record" } else { f };
                    !j["records"][0][key].is_null()
                }
                (_, "one") => !j["fields"][p.as_str()].is_null(),
                (_, "many") => {
                    j["sets"][p.as_str()]
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
                        && !j["primary"][p.as_str()]["value"].is_null()
                }
                _ => {
                    let prefix = p.trim_end_matches('*');
                    j["fields"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .any(|k| k.starts_with(prefix))
                }
            });
        assert!(in_profile, "{p} is not in a profile's JSON under its path");
        // The default rule is the default policy's.
        let rule = &row[4];
        if let Some(primary) = rule.strip_prefix("primary: ") {
            assert_eq!(default.primary_rule_for(&path(p)).name(), primary, "{p}");
            assert_ne!(row[3], "—", "{p}: a multi-valued field has a normal form");
        } else if !rule.starts_with("not merged") {
            let probe = p.replace('*', "key");
            assert_eq!(default.rule_for(&path(&probe)).name(), rule, "{p}");
            assert_eq!(
                row[3], "—",
                "{p}: only multi-valued fields have a normal form"
            );
        }
    }
}
