//! Merge integration tests: survivorship, provenance, consent enforcement,
//! the store (unmerge, erasure, audit), views, the `testing` helpers, and
//! the laws of merging as property tests.

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodia::consent::{
    ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, Reason, SubjectKey,
};
use custodia::error::ErrorKind;
use custodia::identity::ClusterId;
use custodia::merge::testing::{check_policy, check_rule, Law};
use custodia::merge::{
    AuditChange, Candidate, FieldSelection, FieldValue, InsertOutcome, MostComplete, MostFrequent,
    MostRecent, ProfileStore, ProfileView, SourcePriority, SurvivorshipPolicy, SurvivorshipRule,
    UnifiedProfile, ViewField,
};
use custodia::model::{
    AttributeValue, CountryCode, EmailAction, EmailAddress, EmailEvent, Event, EventId, EventKind,
    ExternalId, FieldAccess, FieldPath, PhoneNumber, RecordId, SourceId, SourceRecord,
    SourceRecordBuilder, Text, Value,
};
use custodia::segment::Segment;
use proptest::prelude::*;

mod activation;
mod laws;

pub(crate) fn t(day: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::days(day)
}

pub(crate) fn path(p: &str) -> FieldPath {
    FieldPath::new(p).unwrap()
}

pub(crate) fn rid(id: &str) -> RecordId {
    RecordId::new(id).unwrap()
}

fn rec(id: &str, source: &str, day: i64, f: impl FnOnce(&mut SourceRecordBuilder)) -> SourceRecord {
    let mut b = SourceRecord::builder(id, source, t(day)).unwrap();
    f(&mut b);
    b.build().unwrap()
}

fn email_event(id: &str, day: i64, campaign: &str) -> Event {
    let mut e = EmailEvent::new(EmailAction::Opened);
    e.campaign = Some(Text::new(campaign).unwrap());
    Event::new(EventId::new(id).unwrap(), t(day), EventKind::Email(e))
}

fn analytics_ledger() -> ConsentLedger {
    ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()
        .unwrap()
}

fn grant(key: SubjectKey, purpose: Purpose, status: ConsentStatus, day: i64) -> ConsentEvent {
    ConsentEvent::builder(
        key,
        purpose,
        status,
        t(day),
        SourceId::new("prefs").unwrap(),
    )
    .build()
    .unwrap()
}

fn email_key(e: &str) -> SubjectKey {
    SubjectKey::email(&EmailAddress::new(e).unwrap())
}

fn city(b: &mut SourceRecordBuilder, c: &str) {
    b.geographic().city = Some(Text::new(c).unwrap());
}

/// Three records of one person: the CRM is oldest, the web sign-up newest.
fn three() -> Vec<SourceRecord> {
    vec![
        rec("crm-1", "crm", 1, |b| {
            city(b, "Lisboa");
            b.identity()
                .emails
                .push(EmailAddress::new("ana@example.com").unwrap());
            b.geographic().country = Some(CountryCode::new("PT").unwrap());
            b.attributes().insert("plan", "gold".into()).unwrap();
        }),
        rec("shop-7", "shop", 3, |b| {
            city(b, "Lisbon, Portugal");
            b.identity()
                .emails
                .push(EmailAddress::new("ana@example.com").unwrap());
            b.identity()
                .emails
                .push(EmailAddress::new("ana.s@work.example").unwrap());
            b.event(email_event("ev-1", 2, "spring"));
        }),
        rec("web-3", "web", 5, |b| {
            city(b, "Lisboa");
            b.geographic().country = Some(CountryCode::new("ES").unwrap());
            b.event(email_event("ev-1", 2, "spring"));
            b.event(email_event("ev-2", 4, "summer"));
        }),
    ]
}

fn derive(
    records: &[SourceRecord],
    policy: &SurvivorshipPolicy,
    purpose: &Purpose,
    at: i64,
) -> UnifiedProfile {
    let cluster =
        ClusterId::for_smallest_member(records.iter().map(SourceRecord::id).min().unwrap());
    UnifiedProfile::derive(
        cluster,
        records,
        &analytics_ledger(),
        policy,
        purpose,
        t(at),
    )
    .unwrap()
}

#[test]
fn built_in_rules_choose_as_documented_with_provenance() {
    let records = three();
    let city_path = path("geographic.city");
    let pick = |policy: SurvivorshipPolicy| {
        let p = derive(&records, &policy, &Purpose::Analytics, 10);
        let s = p.field(&city_path).unwrap().clone();
        (
            s.value().as_text().unwrap().to_owned(),
            s.provenance().record().to_string(),
            s.provenance().rule().to_owned(),
        )
    };
    assert_eq!(
        pick(SurvivorshipPolicy::default()),
        ("Lisboa".into(), "web-3".into(), "most_recent".into())
    );
    let crm_first = SourcePriority::new([SourceId::new("crm").unwrap()]);
    assert_eq!(
        pick(
            SurvivorshipPolicy::builder()
                .rule("geographic.*", crm_first)
                .build()
                .unwrap()
        ),
        ("Lisboa".into(), "crm-1".into(), "source_priority".into())
    );
    // Two records say "Lisboa": the most recent of them carries provenance.
    assert_eq!(
        pick(
            SurvivorshipPolicy::builder()
                .default_rule(MostFrequent)
                .build()
                .unwrap()
        ),
        ("Lisboa".into(), "web-3".into(), "most_frequent".into())
    );
    assert_eq!(
        pick(
            SurvivorshipPolicy::builder()
                .rule("geographic.city", MostComplete)
                .build()
                .unwrap()
        ),
        (
            "Lisbon, Portugal".into(),
            "shop-7".into(),
            "most_complete".into()
        )
    );
    let p = derive(
        &records,
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        10,
    );
    let prov = p.field(&city_path).unwrap().provenance();
    assert_eq!(prov.source().as_str(), "web");
    assert_eq!(prov.observed_at(), t(5));
}

#[test]
fn sets_union_with_every_contributing_record() {
    let p = derive(
        &three(),
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        10,
    );
    let emails = p.set(&path("identity.email"));
    let got: Vec<(String, Vec<String>)> = emails
        .iter()
        .map(|m| {
            (
                m.value().to_string(),
                m.provenance().map(|o| o.record().to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ana.s@work.example".to_owned(), vec!["shop-7".to_owned()]),
            (
                "ana@example.com".to_owned(),
                vec!["crm-1".to_owned(), "shop-7".to_owned()]
            ),
        ]
    );
    let mut visited = Vec::new();
    p.visit(&path("identity.email"), &mut |v| {
        visited.push(v.as_text().unwrap().to_owned())
    });
    assert_eq!(visited, ["ana.s@work.example", "ana@example.com"]);
    assert_eq!(p.first(&path("attributes.plan")), Some(Value::Text("gold")));
    let ids: Vec<_> = p.records().map(|o| o.record().as_str()).collect();
    assert_eq!(ids, ["crm-1", "shop-7", "web-3"]);
}

#[test]
fn events_union_by_id_and_conflicts_resolve_by_latest_observation() {
    let p = derive(
        &three(),
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        10,
    );
    let evs: Vec<(&str, usize, bool)> = p
        .events()
        .iter()
        .map(|e| (e.event().id().as_str(), e.records().len(), e.has_conflict()))
        .collect();
    assert_eq!(evs, [("ev-1", 2, false), ("ev-2", 1, false)]);

    // Same event id, different content: the most recently observed copy wins,
    // whatever the order the records come in.
    let a = rec("a", "x", 1, |b| {
        b.event(email_event("ev-9", 0, "old"));
    });
    let b = rec("b", "x", 2, |b| {
        b.event(email_event("ev-9", 0, "new"));
    });
    for records in [vec![a.clone(), b.clone()], vec![b.clone(), a.clone()]] {
        let p = derive(
            &records,
            &SurvivorshipPolicy::default(),
            &Purpose::Analytics,
            10,
        );
        assert_eq!(p.events().len(), 1);
        assert!(p.events()[0].has_conflict());
        assert_eq!(
            p.events()[0].event().first(&path("campaign")),
            Some(Value::Text("new"))
        );
    }
    // Observed at the same instant: the smaller record id wins.
    let c = rec("c", "x", 1, |b| {
        b.event(email_event("ev-9", 0, "from-c"));
    });
    let p = derive(
        &[c, a],
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        10,
    );
    assert_eq!(
        p.events()[0].event().first(&path("campaign")),
        Some(Value::Text("old"))
    );
}

#[test]
fn structured_attributes_survive_per_key_and_read_nested() {
    let addr = |c: &str| {
        let mut m = std::collections::BTreeMap::new();
        m.insert("city".to_owned(), AttributeValue::from(c));
        m.insert("zip".to_owned(), AttributeValue::from("1000"));
        AttributeValue::Map(m)
    };
    let r1 = rec("r1", "x", 1, |b| {
        b.attributes().insert("address", addr("Porto")).unwrap();
        b.attributes()
            .insert("tags", AttributeValue::List(vec!["a".into(), "b".into()]))
            .unwrap();
    });
    let r2 = rec("r2", "x", 2, |b| {
        b.attributes().insert("address", addr("Faro")).unwrap();
        b.personal()
            .preferences
            .insert("newsletter", AttributeValue::Bool(true))
            .unwrap();
    });
    let p = derive(
        &[r1, r2],
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        10,
    );
    assert_eq!(
        p.first(&path("attributes.address.city")),
        Some(Value::Text("Faro"))
    );
    assert_eq!(
        p.first(&path("attributes.address.zip")),
        Some(Value::Text("1000"))
    );
    assert_eq!(p.first(&path("attributes.address.nope")), None);
    let mut tags = Vec::new();
    p.visit(&path("attributes.tags"), &mut |v| tags.push(v));
    assert_eq!(tags, [Value::Text("a"), Value::Text("b")]);
    assert_eq!(
        p.first(&path("personal.preference.newsletter")),
        Some(Value::Bool(true))
    );
    assert_eq!(
        p.field(&path("attributes.tags"))
            .unwrap()
            .value()
            .completeness(),
        2
    );
}

#[test]
fn consent_is_per_record_and_never_widens() {
    // Marketing rests on consent; only ana@example.com granted it.
    let mut ledger = analytics_ledger();
    ledger.add(grant(
        email_key("ana@example.com"),
        Purpose::Marketing,
        ConsentStatus::Granted,
        0,
    ));
    let records = three();
    let cluster = ClusterId::for_smallest_member(&rid("crm-1"));
    let policy = SurvivorshipPolicy::default();
    let p = UnifiedProfile::derive(
        cluster,
        &records,
        &ledger,
        &policy,
        &Purpose::Marketing,
        t(10),
    )
    .unwrap();
    // web-3 (no email, no grant) contributes nothing, though its cluster
    // mates granted: its country ES and its event ev-2 are absent.
    let ids: Vec<_> = p.records().map(|o| o.record().as_str()).collect();
    assert_eq!(ids, ["crm-1", "shop-7"]);
    assert_eq!(p.excluded().len(), 1);
    assert_eq!(p.excluded()[0].record().as_str(), "web-3");
    assert!(matches!(
        p.excluded()[0].decision().reason(),
        Reason::NoConsent
    ));
    assert_eq!(
        p.first(&path("geographic.country")),
        Some(Value::Text("PT"))
    );
    assert_eq!(
        p.first(&path("geographic.city")),
        Some(Value::Text("Lisbon, Portugal"))
    );
    assert!(p.events().iter().all(|e| e.event().id().as_str() != "ev-2"));
    // ev-1 is carried by web-3 too, but only shop-7 vouches for it here.
    assert_eq!(
        p.events()[0].records().collect::<Vec<_>>(),
        [&rid("shop-7")]
    );

    // A withdrawal removes the contribution from its instant on, not before.
    ledger.add(grant(
        email_key("ana.s@work.example"),
        Purpose::Marketing,
        ConsentStatus::Withdrawn,
        6,
    ));
    let after = UnifiedProfile::derive(
        cluster,
        &records,
        &ledger,
        &policy,
        &Purpose::Marketing,
        t(6),
    )
    .unwrap();
    assert!(after
        .set(&path("identity.email"))
        .iter()
        .all(|m| m.value().to_string() != "ana.s@work.example"));
    assert!(matches!(
        after.excluded()[0].decision().reason(),
        Reason::Withdrawn { .. }
    ));
    let before = UnifiedProfile::derive(
        cluster,
        &records,
        &ledger,
        &policy,
        &Purpose::Marketing,
        t(5),
    )
    .unwrap();
    assert_eq!(before, p_at(&records, &ledger, 5));
    assert!(before
        .set(&path("identity.email"))
        .iter()
        .any(|m| m.value().to_string() == "ana.s@work.example"));
}

fn p_at(records: &[SourceRecord], ledger: &ConsentLedger, day: i64) -> UnifiedProfile {
    let cluster = ClusterId::for_smallest_member(&rid("crm-1"));
    UnifiedProfile::derive(
        cluster,
        records,
        ledger,
        &SurvivorshipPolicy::default(),
        &Purpose::Marketing,
        t(day),
    )
    .unwrap()
}

#[test]
fn records_observed_later_do_not_exist_yet() {
    let p = derive(
        &three(),
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        2,
    );
    let ids: Vec<_> = p.records().map(|o| o.record().as_str()).collect();
    assert_eq!(ids, ["crm-1"]);
    assert!(p.excluded().is_empty());
    assert_eq!(
        p.first(&path("record.observed_at")),
        Some(Value::Timestamp(t(1)))
    );
    let early = derive(
        &three(),
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        0,
    );
    assert!(early.is_empty());
}

#[test]
fn conflicting_duplicates_are_refused_and_equal_ones_count_once() {
    let records = three();
    let mut twice = records.clone();
    twice.extend(records.iter().cloned());
    let policy = SurvivorshipPolicy::default();
    assert_eq!(
        derive(&twice, &policy, &Purpose::Analytics, 10),
        derive(&records, &policy, &Purpose::Analytics, 10)
    );
    let other = rec("crm-1", "crm", 2, |_| {});
    let cluster = ClusterId::for_smallest_member(&rid("crm-1"));
    let err = UnifiedProfile::derive(
        cluster,
        records.iter().chain([&other]),
        &analytics_ledger(),
        &policy,
        &Purpose::Analytics,
        t(10),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "record \"crm-1\" is given twice with different content; record ids must be unique"
    );
}

#[test]
fn segments_evaluate_over_merged_profiles() {
    let p = derive(
        &three(),
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        10,
    );
    let schema = UnifiedProfile::schema();
    let yes = Segment::parse(
        r#"geographic.country = "ES" and identity.email = "ana@example.com" and attributes.plan = "gold" and count(email_opened within 30d) >= 2"#,
    )
    .unwrap()
    .compile(schema)
    .unwrap();
    assert!(yes.matches_at(&p, t(10)));
    // Only one source record alone would not match: the union is what matches.
    assert!(!yes.matches_at(&three()[2], t(10)));
    let no = Segment::parse(r#"count(email_opened where campaign = "summer") >= 2"#)
        .unwrap()
        .compile(schema)
        .unwrap();
    assert!(!no.matches_at(&p, t(10)));
    let sources = Segment::parse(r#"record.source = "shop""#)
        .unwrap()
        .compile(schema)
        .unwrap();
    assert!(sources.matches_at(&p, t(10)));
}

#[test]
fn policy_paths_are_checked_with_suggestions() {
    let err = SurvivorshipPolicy::builder()
        .rule("identity.email", MostRecent)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert!(err.to_string().contains("merged as a set"), "{err}");
    let err = SurvivorshipPolicy::builder()
        .rule("demographic.gendr", MostRecent)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert!(
        err.to_string()
            .ends_with("did you mean \"demographic.gender\"?"),
        "{err}"
    );
    assert!(SurvivorshipPolicy::builder()
        .rule("attributes.anything", MostRecent)
        .build()
        .is_ok());
}

fn store_of(records: &[SourceRecord], ledger: ConsentLedger) -> ProfileStore {
    let mut s = ProfileStore::new(ledger, SurvivorshipPolicy::default());
    for r in records {
        s.insert(r.clone());
    }
    s
}

#[test]
fn store_inserts_links_splits_and_audits() {
    let records = three();
    let mut store = store_of(&records, analytics_ledger());
    assert_eq!(store.len(), 3);
    assert_eq!(store.cluster_ids().len(), 3);
    let c = store
        .link(&rid("crm-1"), &rid("shop-7"), "email match")
        .unwrap();
    let c2 = store
        .link(&rid("web-3"), &rid("shop-7"), "device match")
        .unwrap();
    assert_eq!(c, c2);
    assert_eq!(c, ClusterId::for_smallest_member(&rid("crm-1")));
    assert_eq!(
        store.members(c).unwrap(),
        [rid("crm-1"), rid("shop-7"), rid("web-3")]
    );
    assert_eq!(
        store.profile(c, &Purpose::Analytics, t(10)).unwrap(),
        derive(
            &records,
            &SurvivorshipPolicy::default(),
            &Purpose::Analytics,
            10
        )
    );

    // Re-inserting the same record changes nothing; a new copy updates it.
    assert_eq!(
        store.insert(records[0].clone()),
        InsertOutcome::Unchanged { cluster: c }
    );
    let newer = rec("crm-1", "crm", 1, |b| city(b, "Porto"));
    assert_eq!(store.insert(newer), InsertOutcome::Updated { cluster: c });

    // Undo the wrong link: crm-1 alone, the others together.
    let seq = store.audit().last().unwrap().sequence();
    let (a, b) = store.split(c, &[rid("crm-1")], "wrong link").unwrap();
    assert_eq!(a, c);
    assert_eq!(b, ClusterId::for_smallest_member(&rid("shop-7")));
    let changes: Vec<&AuditChange> = store.audit_since(seq).iter().map(|e| e.change()).collect();
    assert_eq!(
        changes,
        [
            &AuditChange::RecordLeft {
                record: rid("shop-7"),
                cluster: c
            },
            &AuditChange::RecordJoined {
                record: rid("shop-7"),
                cluster: b
            },
            &AuditChange::RecordLeft {
                record: rid("web-3"),
                cluster: c
            },
            &AuditChange::RecordJoined {
                record: rid("web-3"),
                cluster: b
            },
            &AuditChange::ClusterSplit {
                from: c,
                into: vec![a, b]
            },
        ]
    );
    assert!(store
        .audit_since(seq)
        .iter()
        .all(|e| e.reason() == "wrong link"));
    let seqs: Vec<u64> = store.audit().iter().map(|e| e.sequence()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());

    // Errors name what is wrong.
    let err = store.split(b, &[rid("crm-1")], "x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("is not a member of cluster"),
        "{err}"
    );
    assert!(store.split(b, &[rid("shop-7"), rid("web-3")], "x").is_err());
    assert!(store.split(b, &[], "x").is_err());
    assert!(store.link(&rid("nobody"), &rid("crm-1"), "x").is_err());
    assert!(store
        .profile(
            ClusterId::for_smallest_member(&rid("nobody")),
            &Purpose::Analytics,
            t(1)
        )
        .is_err());
}

#[cfg(feature = "serde")]
#[test]
fn apply_clustering_moves_only_named_records() {
    let records = three();
    let mut store = store_of(&records, analytics_ledger());
    // A clustering of crm-1 and web-3 (and a record the store lacks).
    let clustering: custodia::identity::Clustering =
        serde_clustering(&[&["crm-1", "web-3", "ghost"]]);
    let moved = store.apply_clustering(&clustering, "resolved");
    assert_eq!(moved, 1);
    let c = store.cluster_of(&rid("crm-1")).unwrap();
    assert_eq!(store.cluster_of(&rid("web-3")), Some(c));
    assert_ne!(store.cluster_of(&rid("shop-7")), Some(c));
}

#[cfg(feature = "serde")]
fn serde_clustering(groups: &[&[&str]]) -> custodia::identity::Clustering {
    let clusters: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            let mut members: Vec<&str> = g.to_vec();
            members.sort();
            serde_json::json!({
                "id": ClusterId::for_smallest_member(&rid(members[0])),
                "members": members,
                "links": [],
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({"clusters": clusters, "refusals": []})).unwrap()
}

#[test]
fn erasure_removes_everything_and_tombstones_keep_copies_out() {
    let records = three();
    let mut store = store_of(&records, analytics_ledger()).with_tombstone_key(b"secret");
    let c = store.link(&rid("crm-1"), &rid("shop-7"), "email").unwrap();
    store.link(&rid("crm-1"), &rid("web-3"), "device").unwrap();
    let receipt = store.erase(&email_key("ana.s@work.example"), "art. 17");
    assert_eq!(receipt.records(), [rid("shop-7")]);
    assert_eq!(receipt.clusters(), [c]);
    assert_eq!(receipt.events(), 1);
    assert_eq!(receipt.fields(), 5); // city, two emails, their two domains
    assert!(receipt.tombstones() >= 3);
    assert_eq!(
        store.audit()[receipt.sequence() as usize - 1].change(),
        &AuditChange::SubjectErased {
            records: vec![rid("shop-7")]
        }
    );
    // What is left is exactly the other two records.
    let rest: Vec<SourceRecord> = records
        .iter()
        .filter(|r| r.id().as_str() != "shop-7")
        .cloned()
        .collect();
    assert_eq!(
        store.profile(c, &Purpose::Analytics, t(10)).unwrap(),
        derive(
            &rest,
            &SurvivorshipPolicy::default(),
            &Purpose::Analytics,
            10
        )
    );
    // Any record carrying an erased identifier stays out…
    let copy = rec("shop-8", "shop", 6, |b| {
        b.identity()
            .emails
            .push(EmailAddress::new("ANA.S@work.example").unwrap())
    });
    assert_eq!(
        store.insert(copy.clone()),
        InsertOutcome::Refused { matched: 1 }
    );
    assert_eq!(
        store.insert(records[1].clone()),
        InsertOutcome::Refused { matched: 3 }
    );
    // …until the tombstone is lifted.
    assert!(store.lift_tombstone(&email_key("ana.s@work.example")));
    assert!(matches!(store.insert(copy), InsertOutcome::Inserted { .. }));
}

#[test]
fn views_hold_only_allowed_and_chosen_fields() {
    let mut ledger = analytics_ledger();
    ledger.add(grant(
        email_key("ana@example.com"),
        Purpose::Marketing,
        ConsentStatus::Granted,
        0,
    ));
    let mut store = store_of(&three(), ledger);
    let c = store.link(&rid("crm-1"), &rid("shop-7"), "email").unwrap();
    store.link(&rid("crm-1"), &rid("web-3"), "device").unwrap();
    let only = FieldSelection::only(["identity.email", "geographic", "attributes"]).unwrap();
    let v = store
        .view_for(c, &Purpose::Marketing, t(10), &only)
        .unwrap();
    let names: Vec<&str> = v.fields().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "attributes.plan",
            "geographic.city",
            "geographic.country",
            "identity.email"
        ]
    );
    assert_eq!(
        v.field(&path("geographic.country")),
        Some(&ViewField::One(FieldValue::Text("PT".into())))
    );
    assert!(v.events().is_empty());
    let all = store
        .view_for(c, &Purpose::Analytics, t(10), &FieldSelection::All)
        .unwrap();
    assert_eq!(
        all.field(&path("geographic.country")),
        Some(&ViewField::One(FieldValue::Text("ES".into())))
    );
    assert_eq!(all.events().len(), 2);
    assert_eq!(
        all,
        ProfileView::of(
            &store.profile(c, &Purpose::Analytics, t(10)).unwrap(),
            &FieldSelection::All
        )
    );
    let err = FieldSelection::only(["geographic.contry"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert!(FieldSelection::only(["attributes.plan", "events"]).is_ok());
    assert_eq!(
        FieldSelection::only([""]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[cfg(feature = "serde")]
#[test]
fn json_shapes_are_documented_and_canonical() {
    let p = derive(
        &three(),
        &SurvivorshipPolicy::default(),
        &Purpose::Analytics,
        10,
    );
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["purpose"], "analytics");
    assert_eq!(json["fields"]["geographic.city"]["value"], "Lisboa");
    assert_eq!(
        json["fields"]["geographic.city"]["provenance"]["rule"],
        "most_recent"
    );
    assert_eq!(
        json["fields"]["geographic.city"]["provenance"]["record"],
        "web-3"
    );
    assert_eq!(
        json["sets"]["identity.email"][1]["provenance"][1]["record"],
        "shop-7"
    );
    assert_eq!(json["events"][0]["records"][1], "web-3");
    assert_eq!(json["records"][0]["source"], "crm");
    let mut store = store_of(&three(), analytics_ledger());
    let receipt = store.erase(&email_key("ana@example.com"), "art. 17");
    let text = serde_json::to_string(&receipt).unwrap();
    assert!(!text.contains("ana@example.com"));
    let back: custodia::merge::ErasureReceipt = serde_json::from_str(&text).unwrap();
    assert_eq!(back, receipt);
    let audit = serde_json::to_string(store.audit()).unwrap();
    let back: Vec<custodia::merge::AuditEvent> = serde_json::from_str(&audit).unwrap();
    assert_eq!(back, store.audit());
    assert!(audit.contains(r#""kind":"subject_erased""#), "{audit}");
}

#[derive(Debug)]
struct First;

impl SurvivorshipRule for First {
    fn name(&self) -> &str {
        "first"
    }
    fn select(&self, _: &FieldPath, c: &[Candidate<'_>]) -> Option<usize> {
        (!c.is_empty()).then_some(0)
    }
}

#[derive(Debug)]
struct OutOfRange;

impl SurvivorshipRule for OutOfRange {
    fn name(&self) -> &str {
        "out_of_range"
    }
    fn select(&self, _: &FieldPath, c: &[Candidate<'_>]) -> Option<usize> {
        Some(c.len())
    }
}

#[test]
fn testing_helpers_find_counter_examples() {
    let records = three();
    let ledger = analytics_ledger();
    for policy in [
        SurvivorshipPolicy::default(),
        SurvivorshipPolicy::builder()
            .default_rule(MostFrequent)
            .build()
            .unwrap(),
        SurvivorshipPolicy::builder()
            .default_rule(MostComplete)
            .build()
            .unwrap(),
    ] {
        check_policy(&policy, &ledger, &records, &Purpose::Analytics, t(10)).unwrap();
    }
    let order_dependent = SurvivorshipPolicy::builder()
        .default_rule(OrderDependent::default())
        .build()
        .unwrap();
    let v = check_policy(
        &order_dependent,
        &ledger,
        &records,
        &Purpose::Analytics,
        t(10),
    )
    .unwrap_err();
    assert_eq!(v.law(), Law::OrderIndependence);
    assert!(
        v.to_string().starts_with("order independence is broken"),
        "{v}"
    );

    let vals = [FieldValue::Int(1), FieldValue::Int(2)];
    let (r1, r2, s) = (rid("r1"), rid("r2"), SourceId::new("s").unwrap());
    let cands = [
        Candidate::new(&vals[0], &r1, &s, t(1)),
        Candidate::new(&vals[1], &r2, &s, t(1)),
    ];
    let f = path("attributes.n");
    assert_eq!(
        check_rule(&First, &f, &cands).unwrap_err().law(),
        Law::OrderIndependence
    );
    assert_eq!(
        check_rule(&OutOfRange, &f, &cands).unwrap_err().law(),
        Law::IndexInRange
    );
    // An out-of-range index leaves the field empty instead of panicking.
    let r = rec("r", "s", 1, |b| {
        b.attributes().insert("n", AttributeValue::Int(3)).unwrap();
    });
    let p = UnifiedProfile::derive(
        ClusterId::for_smallest_member(r.id()),
        [&r],
        &ledger,
        &SurvivorshipPolicy::builder()
            .default_rule(OutOfRange)
            .build()
            .unwrap(),
        &Purpose::Analytics,
        t(5),
    )
    .unwrap();
    assert!(p.field(&f).is_none());
}

/// A rule that remembers how many times it was called: its choice depends on
/// position in a way the canonical order hides from a single derivation but
/// not from the store's incremental path or rotated candidates.
#[derive(Debug, Default)]
struct OrderDependent(std::sync::atomic::AtomicUsize);

impl SurvivorshipRule for OrderDependent {
    fn name(&self) -> &str {
        "order_dependent"
    }
    fn select(&self, _: &FieldPath, c: &[Candidate<'_>]) -> Option<usize> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (!c.is_empty()).then(|| n % c.len())
    }
}

#[test]
fn public_types_are_send_sync_and_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<ProfileStore>();
    check::<UnifiedProfile>();
    check::<ProfileView>();
    check::<SurvivorshipPolicy>();
    check::<custodia::merge::SurvivorshipPolicyBuilder>();
    check::<custodia::merge::ErasureReceipt>();
    check::<custodia::merge::AuditEvent>();
    check::<InsertOutcome>();
    check::<FieldSelection>();
    check::<FieldValue>();
    check::<Candidate<'static>>();
    check::<Box<dyn SurvivorshipRule>>();
    check::<custodia::merge::testing::LawViolation>();
}

proptest! {
    #[test]
    fn arbitrary_names_never_panic(names in proptest::collection::vec("\\PC{0,24}", 0..4), id in "\\PC{0,12}") {
        let _ = FieldSelection::only(&names);
        let mut b = SurvivorshipPolicy::builder();
        for n in &names {
            b = b.rule(n, MostRecent);
        }
        let _ = b.build();
        if let Ok(r) = RecordId::new(&id) {
            let mut store = store_of(&three(), analytics_ledger());
            let _ = store.link(&r, &rid("crm-1"), &id);
            let c = store.cluster_of(&rid("crm-1")).unwrap();
            let _ = store.split(c, std::slice::from_ref(&r), &id);
            let _ = store.erase(&SubjectKey::record(r.clone()), &id);
            let _ = store.profile(ClusterId::for_smallest_member(&r), &Purpose::Analytics, t(1));
        }
    }
}

/// Valid JSON of every deserialisable merge type, from a store's real
/// history: the seeds that random edits turn into near-valid input.
#[cfg(feature = "serde")]
fn json_seeds() -> Vec<String> {
    let mut store = store_of(&three(), analytics_ledger());
    let mut seeds = Vec::new();
    store
        .link(&rid("crm-1"), &rid("web-3"), "same person")
        .unwrap();
    let c = store.cluster_of(&rid("crm-1")).unwrap();
    store.split(c, &[rid("web-3")], "wrong link").unwrap();
    let receipt = store.erase(&email_key("ana.s@work.example"), "art. 17");
    seeds.push(serde_json::to_string(&receipt).unwrap());
    let refused = store.insert(three()[0].clone());
    seeds.push(serde_json::to_string(&refused).unwrap());
    for e in store.audit() {
        seeds.push(serde_json::to_string(e).unwrap());
    }
    seeds
}

/// Reads `text` as `T`: what is accepted round-trips to equal JSON and
/// keeps the type's rules (`check`); what is refused is a typed error.
#[cfg(feature = "serde")]
fn read_back<T>(text: &str, check: impl Fn(&T) -> bool) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match serde_json::from_str::<T>(text) {
        Ok(v) => {
            prop_assert!(check(&v), "accepted {:?} breaks its rules", v);
            let json = serde_json::to_value(&v).unwrap();
            let back: T = serde_json::from_value(json.clone()).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(serde_json::to_value(&back).unwrap(), json);
        }
        Err(e) => {
            use serde_json::error::Category;
            prop_assert!(matches!(
                e.classify(),
                Category::Syntax | Category::Data | Category::Eof
            ));
            prop_assert!(!e.to_string().is_empty());
        }
    }
    Ok(())
}

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn arbitrary_json_is_read_or_refused_with_a_typed_error(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, "\\PC{0,6}|-?[0-9]{1,20}"), 0..4),
        raw in "\\PC{0,80}",
        use_raw in any::<bool>(),
    ) {
        let seeds = json_seeds();
        let mut text = if use_raw { raw } else { seeds[seed.index(seeds.len())].clone() };
        for (at, len, insert) in edits {
            let chars: Vec<char> = text.chars().collect();
            let i = at.index(chars.len() + 1);
            let j = (i + len).min(chars.len());
            text = chars[..i].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(&chars[j..]).collect();
        }
        read_back::<custodia::merge::AuditEvent>(&text, |e| {
            e.sequence() >= 1
                && match e.change() {
                    custodia::merge::AuditChange::SubjectErased { records } => {
                        records.windows(2).all(|w| w[0] < w[1])
                    }
                    _ => true,
                }
        })?;
        read_back::<custodia::merge::ErasureReceipt>(&text, |r| {
            r.sequence() >= 1
                && r.records().windows(2).all(|w| w[0] < w[1])
                && r.clusters().windows(2).all(|w| w[0] < w[1])
        })?;
        read_back::<InsertOutcome>(&text, |_| true)?;
        let wrapped = format!("{{\"sequence\": 1, \"reason\": \"r\", \"change\": {text}}}");
        read_back::<custodia::merge::AuditEvent>(&wrapped, |e| e.sequence() == 1)?;
    }
}

#[cfg(feature = "serde")]
#[test]
fn deserialised_receipts_and_events_keep_their_rules() {
    let seeds = json_seeds();
    // Unsorted records and a zero sequence are refused with a message.
    let mut receipt: serde_json::Value = serde_json::from_str(&seeds[0]).unwrap();
    receipt["sequence"] = 0.into();
    let err = serde_json::from_value::<custodia::merge::ErasureReceipt>(receipt).unwrap_err();
    assert!(
        err.to_string()
            .contains("receipt sequence must be at least 1"),
        "{err}"
    );
    let event = r#"{"sequence": 3, "reason": "r", "change": {"kind": "subject_erased", "records": ["b", "a"]}}"#;
    let err = serde_json::from_str::<custodia::merge::AuditEvent>(event).unwrap_err();
    assert!(err.to_string().contains("sorted without repeats"), "{err}");
    for s in &seeds {
        let ok = serde_json::from_str::<custodia::merge::AuditEvent>(s).is_ok()
            || serde_json::from_str::<custodia::merge::ErasureReceipt>(s).is_ok()
            || serde_json::from_str::<InsertOutcome>(s).is_ok();
        assert!(ok, "{s}");
    }
}

/// The quickstart's story, on the public API: a withdrawal changes the
/// marketing export but not analytics; a wrong link is undone; a subject is
/// erased.
#[test]
fn quickstart_story() -> custodia::Result<()> {
    let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
    let (ana, prefs) = (
        EmailAddress::new("ana@example.com")?,
        SourceId::new("prefs")?,
    );
    let key = SubjectKey::email(&ana);
    let mut ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()?;
    ledger.add(
        ConsentEvent::builder(
            key.clone(),
            Purpose::Marketing,
            ConsentStatus::Granted,
            day(1),
            prefs.clone(),
        )
        .build()?,
    );
    let mut store = ProfileStore::new(ledger, SurvivorshipPolicy::default());
    for (id, email) in [("crm-1", "ana@example.com"), ("web-9", "bruno@example.com")] {
        let mut b = SourceRecord::builder(id, "crm", day(1))?;
        b.identity().emails.push(EmailAddress::new(email)?);
        store.insert(b.build()?);
    }
    let (ana_id, bruno_id) = (RecordId::new("crm-1")?, RecordId::new("web-9")?);
    let cluster = store.link(&ana_id, &bruno_id, "similar names")?; // a wrong link
    let (all, email) = (FieldSelection::All, FieldPath::new("identity.email")?);
    let marketing = |s: &ProfileStore, d| s.view_for(cluster, &Purpose::Marketing, day(d), &all);
    let before = marketing(&store, 5)?;
    store.ledger_mut().add(
        ConsentEvent::builder(
            key.clone(),
            Purpose::Marketing,
            ConsentStatus::Withdrawn,
            day(9),
            prefs,
        )
        .build()?,
    );
    assert_eq!(
        before.field(&email),
        Some(&ViewField::Many(vec![FieldValue::Text(
            "ana@example.com".into()
        )]))
    );
    assert!(marketing(&store, 10)?.is_empty()); // the marketing export changes…
    let analytics = |d| store.view_for(cluster, &Purpose::Analytics, day(d), &all);
    let (now, then) = (analytics(10)?, analytics(5)?);
    assert!(now.fields().eq(then.fields()) && !now.is_empty()); // …analytics does not
    let (ana_cluster, _) = store.split(cluster, std::slice::from_ref(&ana_id), "wrong link")?;
    assert_eq!(store.members(ana_cluster), Some(&[ana_id.clone()][..]));
    let receipt = store.erase(&key, "GDPR Art. 17");
    assert_eq!(receipt.records(), [ana_id]);
    assert!(store.members(ana_cluster).is_none());
    Ok(())
}

// ------------------------------------------------ erasure variants, growth

/// After an erasure, the same identifiers written another way (as the
/// identity normalisers read them) are refused, and records already holding
/// such a variant are erased with the subject.
#[test]
fn erasure_refuses_normalised_variants_of_erased_identifiers() {
    let ana = rec("crm-1", "crm", 1, |b| {
        b.identity()
            .emails
            .push(EmailAddress::new("jo.doe@gmail.com").unwrap());
        b.identity()
            .phones
            .push(PhoneNumber::new("+351 912 345 678").unwrap());
        b.identity()
            .external_ids
            .push(ExternalId::new("crm", "42").unwrap());
    });
    let variant = rec("web-7", "web", 1, |b| {
        b.identity()
            .emails
            .push(EmailAddress::new("Jo.Doe+x@gmail.com").unwrap());
    });
    let mut store = store_of(&[ana], analytics_ledger());
    store.insert(variant);
    let receipt = store.erase(&email_key("jo.doe@gmail.com"), "art. 17");
    assert_eq!(receipt.records(), [rid("crm-1"), rid("web-7")]);
    assert!(store.is_empty());
    type Fill = fn(&mut SourceRecordBuilder);
    let tries: [(&str, Fill); 4] = [
        ("r1", |b| {
            b.identity()
                .emails
                .push(EmailAddress::new("JoDoe@googlemail.com").unwrap())
        }),
        ("r2", |b| {
            b.identity()
                .emails
                .push(EmailAddress::new("jodoe+news@gmail.com").unwrap())
        }),
        ("r3", |b| {
            b.identity()
                .phones
                .push(PhoneNumber::new("00351 912 345 678").unwrap())
        }),
        ("r4", |b| {
            b.identity()
                .external_ids
                .push(ExternalId::new("CRM", "42").unwrap())
        }),
    ];
    for (id, f) in tries {
        let outcome = store.insert(rec(id, "web", 2, f));
        assert!(
            matches!(outcome, InsertOutcome::Refused { matched: 1 }),
            "{id}: {outcome:?}"
        );
    }
    // Someone else is still welcome.
    let other = rec("r5", "web", 2, |b| {
        b.identity()
            .emails
            .push(EmailAddress::new("jo.doe@example.com").unwrap());
    });
    assert!(matches!(
        store.insert(other),
        InsertOutcome::Inserted { .. }
    ));
    // Lifting the tombstone lets the variants in again.
    assert!(store.lift_tombstone(&email_key("JoDoe@googlemail.com")));
}

/// A cluster grown one record at a time links in near-linear time (it used
/// to sort the whole cluster on every link: 8k links took 6.9 s).
#[test]
fn linking_one_record_at_a_time_stays_near_linear() {
    let n = 20_000;
    let mut store = ProfileStore::new(analytics_ledger(), SurvivorshipPolicy::default());
    for i in 0..n {
        store.insert(rec(&format!("r{i:06}"), "crm", 1, |_| {}));
    }
    let first = rid("r000000");
    let start = std::time::Instant::now();
    for i in 1..n {
        store
            .link(&first, &rid(&format!("r{i:06}")), "grow")
            .unwrap();
    }
    let elapsed = start.elapsed();
    let cluster = store.cluster_of(&first).unwrap();
    assert_eq!(store.members(cluster).unwrap().len(), n);
    assert!(store
        .members(cluster)
        .unwrap()
        .windows(2)
        .all(|w| w[0] < w[1]));
    assert!(elapsed.as_secs() < 5, "20k links took {elapsed:?}");
}
