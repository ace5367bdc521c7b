//! Consent integration tests: vocabularies, subject matching, the rules of
//! the ledger, the JSON shapes, and the ledger's laws as property tests.

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodia::consent::{
    ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, LedgerPolicy, Purpose, Reason,
    SpecialCategory, SubjectKey,
};
use custodia::error::ErrorKind;
use custodia::model::{
    DeviceId, DeviceIdKind, EmailAddress, ExternalId, PhoneNumber, RecordId, SourceId, SourceRecord,
};
use proptest::prelude::*;

fn t(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::minutes(minute)
}

/// Ana's record: a record id, an email, a phone, a device id and a CRM id.
fn ana() -> SourceRecord {
    let mut b = SourceRecord::builder("r-ana", "crm", t(0)).unwrap();
    let id = b.identity();
    id.emails
        .push(EmailAddress::new("Ana.Silva@Example.COM").unwrap());
    id.phones
        .push(PhoneNumber::new("+36 (1) 555-0199").unwrap());
    id.device_ids
        .push(DeviceId::new(DeviceIdKind::Idfa, "AAAA-1111").unwrap());
    id.external_ids
        .push(ExternalId::new("salesforce", "003A").unwrap());
    b.build().unwrap()
}

fn email(e: &str) -> SubjectKey {
    SubjectKey::email(&EmailAddress::new(e).unwrap())
}

/// Every key that covers Ana, plus one that does not (`bob`).
fn keys() -> Vec<SubjectKey> {
    vec![
        SubjectKey::record(RecordId::new("r-ana").unwrap()),
        email("ana.silva@example.com"),
        email("ANA.SILVA@EXAMPLE.COM"),
        SubjectKey::phone(&PhoneNumber::new("+3615550199").unwrap()),
        SubjectKey::device_id(DeviceId::new(DeviceIdKind::Idfa, "AAAA-1111").unwrap()),
        SubjectKey::external_id(ExternalId::new("salesforce", "003A").unwrap()),
        email("bob@example.com"),
    ]
}

fn event(subject: SubjectKey, purpose: Purpose, status: ConsentStatus, at: i64) -> ConsentEvent {
    ConsentEvent::builder(
        subject,
        purpose,
        status,
        t(at),
        SourceId::new("web").unwrap(),
    )
    .build()
    .unwrap()
}

fn grant(purpose: Purpose, at: i64) -> ConsentEvent {
    event(
        email("ana.silva@example.com"),
        purpose,
        ConsentStatus::Granted,
        at,
    )
}

// ------------------------------------------------------------- vocabularies

#[test]
fn purposes_parse_their_words_and_aliases_and_keep_custom_ones_canonical() {
    let known = [
        ("analytics", Purpose::Analytics),
        ("Marketing", Purpose::Marketing),
        ("personalisation", Purpose::Personalization),
        ("segmentation", Purpose::Profiling),
        ("profiling", Purpose::Profiling),
        ("ADVERTISING", Purpose::Advertising),
        ("third-party sharing", Purpose::ThirdPartySharing),
    ];
    for (word, purpose) in known {
        assert_eq!(word.parse::<Purpose>().unwrap(), purpose, "{word}");
        assert_eq!(purpose.to_string().parse::<Purpose>().unwrap(), purpose);
    }
    let custom: Purpose = " Loyalty Program ".parse().unwrap();
    assert_eq!(custom.as_str(), "loyalty_program");
    let spelled = Purpose::Custom(custodia::model::Text::new("Marketing").unwrap());
    assert_ne!(spelled, Purpose::Marketing);
    assert_eq!(spelled.canonical(), Purpose::Marketing);
    assert_eq!(
        "".parse::<Purpose>().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn lawful_bases_and_special_categories_round_trip_and_reject_unknown_words() {
    assert_eq!(LawfulBasis::ALL.len(), 6);
    for b in LawfulBasis::ALL {
        assert_eq!(b.to_string().parse::<LawfulBasis>().unwrap(), *b);
    }
    assert_eq!(SpecialCategory::ALL.len(), 8);
    for c in SpecialCategory::ALL {
        assert_eq!(c.as_str().parse::<SpecialCategory>().unwrap(), *c);
    }
    assert_eq!(
        "Legitimate-Interest".parse::<LawfulBasis>().unwrap(),
        LawfulBasis::LegitimateInterests
    );
    let err = "astrology".parse::<SpecialCategory>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err
        .to_string()
        .starts_with("special category \"astrology\" is not one of racial_or_ethnic_origin"));
}

// ----------------------------------------------------------------- subjects

#[test]
fn every_kind_of_key_covers_the_record_it_names_and_no_other() {
    let record = ana();
    let ks = keys();
    for k in &ks[..6] {
        assert!(k.covers(&record), "{k}");
        assert!(SubjectKey::keys_of(&record).contains(k), "{k}");
    }
    assert!(!ks[6].covers(&record));
    assert_eq!(SubjectKey::keys_of(&record).len(), 5);
    // Phones compare by written digits only: no country inference.
    let national = SubjectKey::phone(&PhoneNumber::new("06 1 555 0199").unwrap());
    assert!(!national.covers(&record));
    // Device ids compare kind and value.
    let other_kind = SubjectKey::device_id(DeviceId::new(DeviceIdKind::Gaid, "AAAA-1111").unwrap());
    assert!(!other_kind.covers(&record));
    assert_eq!(ks[5].to_string(), "external_id:salesforce/003A");
}

// ---------------------------------------------------------------- events

#[test]
fn events_check_their_rules() {
    let src = || SourceId::new("web").unwrap();
    let k = email("ana@example.com");
    let err = ConsentEvent::builder(
        k.clone(),
        Purpose::Marketing,
        ConsentStatus::Granted,
        t(5),
        src(),
    )
    .expires_at(t(4))
    .build()
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("is not after the event time"),
        "{err}"
    );
    let err = ConsentEvent::builder(
        k.clone(),
        Purpose::Marketing,
        ConsentStatus::Withdrawn,
        t(5),
        src(),
    )
    .expires_at(t(6))
    .build()
    .unwrap_err();
    assert!(err.to_string().contains("only a grant can expire"), "{err}");
    let err = ConsentEvent::builder(
        k.clone(),
        Purpose::Marketing,
        ConsentStatus::Denied,
        t(5),
        src(),
    )
    .explicit([SpecialCategory::Health])
    .build()
    .unwrap_err();
    assert!(
        err.to_string().contains("only a grant can be explicit"),
        "{err}"
    );
    let err = ConsentEvent::builder(
        k.clone(),
        Purpose::Marketing,
        ConsentStatus::Granted,
        t(5),
        src(),
    )
    .proof(" ")
    .build()
    .unwrap_err();
    assert!(err.to_string().starts_with("consent proof"), "{err}");
    let e = ConsentEvent::builder(
        k,
        "Marketing".parse().unwrap(),
        ConsentStatus::Granted,
        t(5),
        src(),
    )
    .expires_at(t(6))
    .proof("receipt-1")
    .build()
    .unwrap();
    assert_eq!(e.purpose(), &Purpose::Marketing);
    assert_eq!(e.proof().unwrap().as_str(), "receipt-1");
    assert!(e.is_live_grant_at(t(5)));
    assert!(!e.is_live_grant_at(t(6)));
}

// ------------------------------------------------------------------ rules

#[test]
fn everything_is_denied_by_default() {
    let ledger = ConsentLedger::new();
    let d = ledger.decide(&ana(), &Purpose::Analytics, t(10));
    assert!(!d.is_allowed());
    assert_eq!(d.reason(), &Reason::NoConsent);
}

#[test]
fn latest_event_wins_across_all_of_the_records_keys() {
    let record = ana();
    let mut ledger = ConsentLedger::new();
    ledger.add(grant(Purpose::Marketing, 1));
    ledger.add(event(
        SubjectKey::device_id(DeviceId::new(DeviceIdKind::Idfa, "AAAA-1111").unwrap()),
        Purpose::Marketing,
        ConsentStatus::Withdrawn,
        5,
    ));
    ledger.add(event(
        email("bob@example.com"),
        Purpose::Marketing,
        ConsentStatus::Granted,
        8,
    ));
    assert_eq!(
        ledger.decide(&record, &Purpose::Marketing, t(0)).reason(),
        &Reason::NoConsent
    );
    let d = ledger.decide(&record, &Purpose::Marketing, t(1));
    assert!(matches!(d.reason(), Reason::Consent { event } if event.at() == t(1)));
    let d = ledger.decide(&record, &Purpose::Marketing, t(5));
    assert!(matches!(d.reason(), Reason::Withdrawn { at, .. } if *at == t(5)));
    // Bob's grant does not cover Ana.
    assert!(!ledger.allowed(&record, &Purpose::Marketing, t(100)));
    // A grant for another purpose changes nothing for marketing.
    ledger.add(grant(Purpose::Analytics, 6));
    assert!(!ledger.allowed(&record, &Purpose::Marketing, t(100)));
    assert!(ledger.allowed(&record, &Purpose::Analytics, t(100)));
    // A new grant through the phone number restores marketing.
    ledger.add(event(
        SubjectKey::phone(&PhoneNumber::new("+36 1 555 0199").unwrap()),
        Purpose::Marketing,
        ConsentStatus::Granted,
        9,
    ));
    assert!(ledger.allowed(&record, &Purpose::Marketing, t(9)));
}

#[test]
fn a_refusal_denies_and_a_tie_goes_to_the_most_restrictive_status() {
    let record = ana();
    let mut ledger = ConsentLedger::new();
    ledger.add(event(
        email("ana.silva@example.com"),
        Purpose::Advertising,
        ConsentStatus::Denied,
        3,
    ));
    let d = ledger.decide(&record, &Purpose::Advertising, t(3));
    assert!(matches!(d.reason(), Reason::Denied { .. }));
    // A grant and a withdrawal at one instant, in either order: withdrawn.
    for flip in [false, true] {
        let mut l = ConsentLedger::new();
        let mut evs = vec![
            grant(Purpose::Marketing, 4),
            event(
                SubjectKey::record(RecordId::new("r-ana").unwrap()),
                Purpose::Marketing,
                ConsentStatus::Withdrawn,
                4,
            ),
        ];
        if flip {
            evs.reverse();
        }
        l.extend(evs);
        let d = l.decide(&record, &Purpose::Marketing, t(4));
        assert!(matches!(d.reason(), Reason::Withdrawn { .. }), "{d:?}");
    }
}

#[test]
fn an_expired_grant_is_not_consent() {
    let record = ana();
    let mut ledger = ConsentLedger::new();
    ledger.add(
        ConsentEvent::builder(
            email("ana.silva@example.com"),
            Purpose::Personalization,
            ConsentStatus::Granted,
            t(10),
            SourceId::new("app").unwrap(),
        )
        .expires_at(t(20))
        .build()
        .unwrap(),
    );
    assert!(ledger.allowed(&record, &Purpose::Personalization, t(19)));
    let d = ledger.decide(&record, &Purpose::Personalization, t(20));
    assert!(!d.is_allowed());
    assert!(matches!(d.reason(), Reason::Expired { at, .. } if *at == t(20)));
}

#[test]
fn a_configured_basis_allows_without_consent_unless_it_is_consent() {
    let record = ana();
    let mut ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .basis(Purpose::Marketing, LawfulBasis::Consent)
        .basis("Order Fulfilment".parse().unwrap(), LawfulBasis::Contract)
        .build()
        .unwrap();
    let d = ledger.decide(&record, &Purpose::Analytics, t(0));
    assert!(d.is_allowed());
    assert_eq!(
        d.reason(),
        &Reason::LawfulBasis {
            basis: LawfulBasis::LegitimateInterests
        }
    );
    assert!(ledger.allowed(&record, &"order-fulfilment".parse().unwrap(), t(0)));
    assert!(!ledger.allowed(&record, &Purpose::Marketing, t(0)));
    ledger.add(grant(Purpose::Marketing, 1));
    assert!(ledger.allowed(&record, &Purpose::Marketing, t(1)));
}

#[test]
fn special_categories_need_explicit_consent_covering_them() {
    let record = ana();
    let mut ledger = ConsentLedger::builder()
        .basis(Purpose::Personalization, LawfulBasis::LegitimateInterests)
        .build()
        .unwrap();
    let health = [SpecialCategory::Health];
    let d = ledger.decide_special(&record, &Purpose::Personalization, t(1), &health);
    assert_eq!(d.reason(), &Reason::NoConsent);
    // A plain grant is not explicit consent.
    ledger.add(grant(Purpose::Personalization, 1));
    let d = ledger.decide_special(&record, &Purpose::Personalization, t(1), &health);
    assert!(!d.is_allowed());
    assert!(
        matches!(d.reason(), Reason::SpecialCategoriesNotCovered { missing, .. } if missing == &health)
    );
    // Explicit consent for health only does not cover biometrics.
    ledger.add(
        ConsentEvent::builder(
            email("ana.silva@example.com"),
            Purpose::Personalization,
            ConsentStatus::Granted,
            t(2),
            SourceId::new("app").unwrap(),
        )
        .explicit([SpecialCategory::Health])
        .build()
        .unwrap(),
    );
    assert!(ledger
        .decide_special(&record, &Purpose::Personalization, t(2), &health)
        .is_allowed());
    let both = [SpecialCategory::Biometric, SpecialCategory::Health];
    let d = ledger.decide_special(&record, &Purpose::Personalization, t(2), &both);
    assert!(
        matches!(d.reason(), Reason::SpecialCategoriesNotCovered { missing, .. }
        if missing == &[SpecialCategory::Biometric])
    );
}

#[test]
fn events_for_lists_a_subjects_events_once_in_order() {
    let mut ledger = ConsentLedger::new();
    let k = email("ana.silva@example.com");
    assert!(ledger.add(grant(Purpose::Marketing, 5)));
    assert!(ledger.add(grant(Purpose::Analytics, 7)));
    assert!(ledger.add(grant(Purpose::Marketing, 2)));
    assert!(!ledger.add(grant(Purpose::Marketing, 2)));
    assert_eq!(ledger.len(), 3);
    let listed: Vec<(Purpose, i64)> = ledger
        .events_for(&k)
        .map(|e| (e.purpose().clone(), (e.at() - t(0)).num_minutes()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (Purpose::Analytics, 7),
            (Purpose::Marketing, 2),
            (Purpose::Marketing, 5)
        ]
    );
    assert_eq!(ledger.events_for(&email("bob@example.com")).count(), 0);
}

#[test]
fn conflicting_bases_are_refused() {
    let err = LedgerPolicy::new([
        (Purpose::Analytics, LawfulBasis::LegitimateInterests),
        ("ANALYTICS".parse().unwrap(), LawfulBasis::Contract),
    ])
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_eq!(
        err.to_string(),
        "purpose \"analytics\" is configured with two lawful bases, \"legitimate_interests\" and \"contract\""
    );
}

// ------------------------------------------------------------------- JSON

#[cfg(feature = "serde")]
mod json {
    use super::*;
    use custodia::consent::Decision;
    use serde_json::json;

    #[test]
    fn event_shape_is_frozen_and_reading_checks_the_rules() {
        let e = ConsentEvent::builder(
            email("Ana@Example.com"),
            Purpose::Personalization,
            ConsentStatus::Granted,
            t(0),
            SourceId::new("app").unwrap(),
        )
        .expires_at(t(60))
        .proof("receipt-9")
        .explicit([SpecialCategory::Health])
        .build()
        .unwrap();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            json!({
                "subject": {"email": "ana@example.com"},
                "purpose": "personalization",
                "status": "granted",
                "at": "2026-03-01T00:00:00Z",
                "expires_at": "2026-03-01T01:00:00Z",
                "source": "app",
                "proof": "receipt-9",
                "explicit": true,
                "special_categories": ["health"]
            })
        );
        let back: ConsentEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
        let bad = json!({"subject": {"email": "ANA@x.org"}, "purpose": "marketing", "status": "granted",
            "at": "2026-03-01T00:00:00Z", "source": "app", "special_categories": ["health"]});
        let err = serde_json::from_value::<ConsentEvent>(bad).unwrap_err();
        assert!(err.to_string().contains("is not explicit"), "{err}");
        let key: SubjectKey =
            serde_json::from_value(json!({"phone": "+1 (415) 555-0100"})).unwrap();
        assert_eq!(key.to_string(), "phone:+14155550100");
        assert!(serde_json::from_value::<SubjectKey>(json!({"email": "nope"})).is_err());
    }

    #[test]
    fn decisions_serialise_with_their_reason_and_ledgers_round_trip() {
        let record = ana();
        let mut ledger = ConsentLedger::builder()
            .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
            .build()
            .unwrap();
        ledger.add(event(
            email("ana.silva@example.com"),
            Purpose::Marketing,
            ConsentStatus::Withdrawn,
            3,
        ));
        let d: Decision = ledger.decide(&record, &Purpose::Marketing, t(4));
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["purpose"], "marketing");
        assert_eq!(v["allowed"], false);
        assert_eq!(v["reason"]["kind"], "withdrawn");
        assert_eq!(v["reason"]["at"], "2026-03-01T00:03:00Z");
        assert_eq!(v["reason"]["event"]["status"], "withdrawn");
        let v = serde_json::to_value(ledger.decide(&record, &Purpose::Analytics, t(4))).unwrap();
        assert_eq!(
            v["reason"],
            json!({"kind": "lawful_basis", "basis": "legitimate_interests"})
        );

        let text = serde_json::to_string(&ledger).unwrap();
        assert!(text.starts_with(r#"{"policy":{"analytics":"legitimate_interests"},"events":["#));
        let back: ConsentLedger = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ledger);
        let conflicting = r#"{"policy": {"analytics": "contract", "Analytics ": "consent"}}"#;
        assert!(serde_json::from_str::<ConsentLedger>(conflicting).is_err());
    }
}

// ------------------------------------------------------------------- laws

fn purposes() -> Vec<Purpose> {
    vec![Purpose::Marketing, Purpose::Analytics, Purpose::Profiling]
}

/// A random event over a small space of keys, purposes and minutes, so that
/// ties and overlaps are common.
fn arb_event() -> impl Strategy<Value = ConsentEvent> {
    (
        0..keys().len(),
        0..purposes().len(),
        0..3u8,
        0..30i64,
        proptest::option::of(1..15i64),
        proptest::option::of(proptest::sample::subsequence(
            vec![SpecialCategory::Health, SpecialCategory::Biometric],
            0..=2,
        )),
        0..2u8,
    )
        .prop_map(|(k, p, s, at, expiry, explicit, src)| {
            let status = [
                ConsentStatus::Granted,
                ConsentStatus::Denied,
                ConsentStatus::Withdrawn,
            ][s as usize];
            let source = SourceId::new(["web", "crm"][src as usize]).unwrap();
            let mut b = ConsentEvent::builder(
                keys()[k].clone(),
                purposes()[p].clone(),
                status,
                t(at),
                source,
            );
            if status == ConsentStatus::Granted {
                if let Some(d) = expiry {
                    b = b.expires_at(t(at + d));
                }
                if let Some(cats) = explicit {
                    b = b.explicit(cats);
                }
            }
            b.build().unwrap()
        })
}

fn arb_categories() -> impl Strategy<Value = Vec<SpecialCategory>> {
    proptest::sample::subsequence(
        vec![SpecialCategory::Health, SpecialCategory::Biometric],
        0..=2,
    )
}

fn ledger_of(policy: &LedgerPolicy, events: &[ConsentEvent]) -> ConsentLedger {
    let mut l = ConsentLedger::with_policy(policy.clone());
    l.extend(events.iter().cloned());
    l
}

fn arb_policy() -> impl Strategy<Value = LedgerPolicy> {
    proptest::collection::vec((0..3usize, 0..LawfulBasis::ALL.len()), 0..3).prop_map(|pairs| {
        let mut seen = std::collections::BTreeMap::new();
        for (p, b) in pairs {
            seen.entry(p).or_insert(LawfulBasis::ALL[b]);
        }
        LedgerPolicy::new(seen.into_iter().map(|(p, b)| (purposes()[p].clone(), b))).unwrap()
    })
}

/// Is there a grant for `purpose` covering Ana dated in `(after, upto]`?
fn grant_between(events: &[ConsentEvent], purpose: &Purpose, after: i64, upto: i64) -> bool {
    let record = ana();
    events.iter().any(|e| {
        e.status() == ConsentStatus::Granted
            && e.purpose() == purpose
            && e.subject().covers(&record)
            && e.at() > t(after)
            && e.at() <= t(upto)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn insertion_order_never_changes_a_decision(
        events in proptest::collection::vec(arb_event(), 0..24)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        policy in arb_policy(),
        cats in arb_categories(),
    ) {
        let (a, b) = events;
        let la = ledger_of(&policy, &a);
        let mut rev = a.clone();
        rev.reverse();
        let lb = ledger_of(&policy, &b);
        let lc = ledger_of(&policy, &rev);
        prop_assert_eq!(&la, &lb);
        let record = ana();
        for p in purposes() {
            for m in 0..50 {
                let da = la.decide_special(&record, &p, t(m), &cats);
                prop_assert_eq!(&da, &lb.decide_special(&record, &p, t(m), &cats));
                prop_assert_eq!(&da, &lc.decide_special(&record, &p, t(m), &cats));
            }
        }
        for k in keys() {
            let ea: Vec<_> = la.events_for(&k).collect();
            let eb: Vec<_> = lb.events_for(&k).collect();
            prop_assert_eq!(ea, eb);
        }
    }

    #[test]
    fn a_withdrawal_denies_from_its_time_until_a_later_grant(
        events in proptest::collection::vec(arb_event(), 0..16),
        key in 0..6usize,
        p in 0..3usize,
        at in 0..30i64,
    ) {
        let purpose = purposes()[p].clone();
        let mut events = events;
        events.push(event(keys()[key].clone(), purpose.clone(), ConsentStatus::Withdrawn, at));
        let ledger = ledger_of(&LedgerPolicy::default(), &events);
        let record = ana();
        for s in at..50 {
            if grant_between(&events, &purpose, at, s) {
                break;
            }
            let d = ledger.decide(&record, &purpose, t(s));
            prop_assert!(!d.is_allowed(), "allowed at {} after withdrawal at {}: {:?}", s, at, d);
        }
    }

    #[test]
    fn an_event_dated_after_the_question_never_changes_the_answer(
        events in proptest::collection::vec(arb_event(), 0..16),
        later in arb_event(),
        policy in arb_policy(),
        cats in arb_categories(),
        p in 0..3usize,
        at in 0..40i64,
    ) {
        let purpose = purposes()[p].clone();
        let before = ledger_of(&policy, &events);
        let mut after = before.clone();
        after.add(later.clone());
        let record = ana();
        if later.at() > t(at) {
            prop_assert_eq!(
                before.decide_special(&record, &purpose, t(at), &cats),
                after.decide_special(&record, &purpose, t(at), &cats)
            );
        }
    }

    #[test]
    fn without_events_or_a_basis_everything_is_denied(
        word in "[a-z][a-z_ ]{0,20}",
        m in -100_000i64..100_000,
        other in proptest::collection::vec(arb_event(), 0..8),
    ) {
        let purpose: Purpose = word.parse().unwrap();
        // Events that name only Bob, or other purposes, leave Ana with nothing.
        let bob = email("bob@example.com");
        let unrelated: Vec<_> = other
            .into_iter()
            .filter(|e| e.subject() == &bob || e.purpose() != &purpose)
            .collect();
        let ledger = ledger_of(&LedgerPolicy::default(), &unrelated);
        let d = ledger.decide(&ana(), &purpose, t(m));
        prop_assert!(!d.is_allowed());
        prop_assert_eq!(d.reason(), &Reason::NoConsent);
    }

    #[test]
    fn expiry_is_honoured(
        events in proptest::collection::vec(arb_event(), 0..16),
        policy in arb_policy(),
        cats in arb_categories(),
        p in 0..3usize,
        at in 0..50i64,
        start in 0..30i64,
        len in 1..20i64,
    ) {
        let purpose = purposes()[p].clone();
        let record = ana();
        // Any decision by consent rests on a grant unexpired at the time.
        let ledger = ledger_of(&policy, &events);
        let d = ledger.decide_special(&record, &purpose, t(at), &cats);
        if let Reason::Consent { event } = d.reason() {
            prop_assert!(event.is_live_grant_at(t(at)));
            prop_assert!(event.at() <= t(at));
        }
        // A lone grant allows exactly within [start, start + len).
        let mut alone = ConsentLedger::new();
        alone.add(
            ConsentEvent::builder(keys()[0].clone(), purpose.clone(), ConsentStatus::Granted, t(start), SourceId::new("web").unwrap())
                .expires_at(t(start + len))
                .build()
                .unwrap(),
        );
        let allowed = alone.allowed(&record, &purpose, t(at));
        prop_assert_eq!(allowed, at >= start && at < start + len);
        if at >= start + len {
            let d = alone.decide(&record, &purpose, t(at));
            prop_assert!(matches!(d.reason(), Reason::Expired { .. }), "{:?}", d);
        }
    }

    #[test]
    fn special_categories_are_never_allowed_by_a_non_consent_basis(
        events in proptest::collection::vec(arb_event(), 0..16),
        basis in 0..LawfulBasis::ALL.len(),
        cats in arb_categories().prop_filter("some category", |c| !c.is_empty()),
        p in 0..3usize,
        at in 0..50i64,
    ) {
        let policy = LedgerPolicy::new(purposes().into_iter().map(|p| (p, LawfulBasis::ALL[basis]))).unwrap();
        let ledger = ledger_of(&policy, &events);
        let purpose = purposes()[p].clone();
        let d = ledger.decide_special(&ana(), &purpose, t(at), &cats);
        prop_assert!(!matches!(d.reason(), Reason::LawfulBasis { .. }), "{:?}", d);
        if d.is_allowed() {
            let Reason::Consent { event } = d.reason() else {
                return Err(TestCaseError::fail("allowed without consent"));
            };
            prop_assert!(event.is_explicit());
            prop_assert!(event.covers_categories(&cats));
            prop_assert!(event.is_live_grant_at(t(at)));
        }
        // The same ledger with no events denies them all.
        let empty = ConsentLedger::with_policy(policy);
        prop_assert!(!empty.decide_special(&ana(), &purpose, t(at), &cats).is_allowed());
    }

    #[test]
    fn arbitrary_words_never_panic(word in "\\PC{0,40}") {
        let _ = word.parse::<Purpose>();
        let _ = word.parse::<LawfulBasis>();
        let _ = word.parse::<SpecialCategory>();
        if let Ok(p) = word.parse::<Purpose>() {
            prop_assert_eq!(p.as_str().parse::<Purpose>().unwrap(), p.clone());
            prop_assert_eq!(p.canonical(), p);
        }
    }
}

/// Fuzzing the JSON forms of consent: generated text that reaches the
/// crate's own checks (well-formed shapes with odd values, mutated valid
/// events) as well as plain noise.
#[cfg(feature = "serde")]
mod fuzz {
    use super::*;
    use proptest::test_runner::{Config, TestRunner};
    use serde_json::{json, Value};

    /// A JSON value that is sometimes right for a field and often not.
    fn leaf() -> BoxedStrategy<Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,24}".prop_map(Value::from),
            proptest::sample::select(vec![
                "marketing",
                "Analytics",
                "third-party sharing",
                "granted",
                "denied",
                "withdrawn",
                "health",
                "biometric",
                "consent",
                "contract",
                "crm",
                "web",
                "ana.silva@example.com",
                "ANA@EXAMPLE.COM",
                "no-at-sign",
                "+36 1 555 0199",
                "12",
                "idfa",
                "salesforce",
                "",
                " ",
                "\u{7}",
                "2026-03-01T00:05:00Z",
                "2026-02-30T00:00:00Z",
                "signed form",
            ])
            .prop_map(Value::from),
        ]
        .boxed()
    }

    fn time() -> BoxedStrategy<Value> {
        prop_oneof![
            4 => (-5..40i64).prop_map(|m| json!(t(m).to_rfc3339())),
            1 => leaf(),
        ]
        .boxed()
    }

    fn subject() -> BoxedStrategy<Value> {
        prop_oneof![
            leaf().prop_map(|v| json!({ "email": v })),
            leaf().prop_map(|v| json!({ "phone": v })),
            leaf().prop_map(|v| json!({ "record": v })),
            (leaf(), leaf())
                .prop_map(|(s, v)| json!({ "external_id": { "system": s, "value": v } })),
            (leaf(), leaf()).prop_map(|(k, v)| json!({ "device_id": { "kind": k, "value": v } })),
            leaf(),
            (leaf(), leaf()).prop_map(|(a, b)| json!({ "email": a, "phone": b })),
        ]
        .boxed()
    }

    /// An event-shaped object: each field absent, plausible or odd, plus at
    /// times a field the shape does not have.
    fn event_value() -> BoxedStrategy<Value> {
        let categories = proptest::collection::vec(leaf(), 0..3).prop_map(Value::from);
        (
            proptest::option::weighted(0.95, subject()),
            proptest::option::weighted(0.95, leaf()),
            proptest::option::weighted(0.95, leaf()),
            proptest::option::weighted(0.95, time()),
            proptest::option::weighted(0.3, time()),
            proptest::option::weighted(0.95, leaf()),
            proptest::option::weighted(0.3, leaf()),
            proptest::option::weighted(0.3, leaf()),
            proptest::option::weighted(0.3, categories),
            proptest::option::weighted(0.05, leaf()),
        )
            .prop_map(|(su, pu, st, at, ex, so, pr, xp, sc, extra)| {
                let mut m = serde_json::Map::new();
                let fields = [
                    ("subject", su),
                    ("purpose", pu),
                    ("status", st),
                    ("at", at),
                    ("expires_at", ex),
                    ("source", so),
                    ("proof", pr),
                    ("explicit", xp),
                    ("special_categories", sc),
                    ("surprise", extra),
                ];
                for (k, v) in fields {
                    if let Some(v) = v {
                        m.insert(k.to_owned(), v);
                    }
                }
                Value::Object(m)
            })
            .boxed()
    }

    /// A valid event's JSON with one character inserted, removed or replaced.
    fn mutated() -> BoxedStrategy<String> {
        (arb_event(), any::<usize>(), 0..3u8, any::<char>())
            .prop_map(|(e, at, op, c)| {
                let mut chars: Vec<char> = serde_json::to_string(&e).unwrap().chars().collect();
                let i = at % (chars.len() + 1);
                match op {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ if i < chars.len() => chars[i] = c,
                    _ => chars.push(c),
                }
                chars.into_iter().collect()
            })
            .boxed()
    }

    /// Text for one of the three consent types.
    pub(super) fn consent_json() -> BoxedStrategy<String> {
        let ledger = (
            proptest::option::of(prop_oneof![
                leaf(),
                (leaf(), leaf()).prop_map(|(p, b)| json!({ "analytics": b, "marketing": p })),
            ]),
            proptest::collection::vec(event_value(), 0..4),
        )
            .prop_map(|(policy, events)| {
                let mut m = serde_json::Map::new();
                if let Some(p) = policy {
                    m.insert("policy".to_owned(), p);
                }
                m.insert("events".to_owned(), Value::from(events));
                Value::Object(m).to_string()
            });
        prop_oneof![
            4 => event_value().prop_map(|v| v.to_string()),
            1 => subject().prop_map(|v| v.to_string()),
            2 => ledger,
            2 => mutated(),
            1 => "\\PC{0,80}",
        ]
        .boxed()
    }

    /// What became of one input.
    #[derive(Debug, Default)]
    pub(super) struct Tally {
        pub(super) accepted: usize,
        /// Well-formed JSON whose content the crate refused.
        pub(super) refused: usize,
        /// Not JSON at all.
        pub(super) malformed: usize,
    }

    /// Feeds `text` to the three types: an accepted value must pass the same
    /// checks as one built in code and round-trip to equal JSON; a refusal
    /// must be a data error when the text is JSON, a syntax error otherwise.
    pub(super) fn check(text: &str, tally: &mut Tally) -> Result<(), TestCaseError> {
        let well_formed = serde_json::from_str::<Value>(text).is_ok();
        let shown: String = text.chars().take(200).collect();
        let mut refused = |err: serde_json::Error| -> Result<(), TestCaseError> {
            prop_assert!(!err.to_string().is_empty());
            if well_formed {
                // JSON the shape refuses: the crate's own checks spoke (or
                // serde_json's enum reader, which calls a `null` where a word
                // belongs a syntax error); it never ran out of input.
                prop_assert!(err.is_data() || err.is_syntax(), "{:?} for {}", err, shown);
                tally.refused += 1;
            } else {
                // Reading stops at the first problem, which may be a field
                // before the broken syntax; never an I/O error.
                prop_assert!(!err.is_io(), "{:?} for {}", err, shown);
                tally.malformed += 1;
            }
            Ok(())
        };
        match serde_json::from_str::<ConsentEvent>(text) {
            Ok(e) => {
                // The builder applies the rules in code; it must agree.
                let mut b = ConsentEvent::builder(
                    e.subject().clone(),
                    e.purpose().clone(),
                    e.status(),
                    e.at(),
                    e.source().clone(),
                );
                if let Some(x) = e.expires_at() {
                    b = b.expires_at(x);
                }
                if let Some(p) = e.proof() {
                    b = b.proof(p.as_str());
                }
                if e.is_explicit() {
                    b = b.explicit(e.special_categories().iter().copied());
                }
                prop_assert_eq!(b.build().map_err(|e| e.to_string()), Ok(e.clone()));
                round_trip(&e)?;
                tally.accepted += 1;
            }
            Err(err) => refused(err)?,
        }
        match serde_json::from_str::<ConsentLedger>(text) {
            Ok(l) => {
                round_trip(&l)?;
                tally.accepted += 1;
            }
            Err(err) => refused(err)?,
        }
        match serde_json::from_str::<SubjectKey>(text) {
            Ok(k) => {
                round_trip(&k)?;
                tally.accepted += 1;
            }
            Err(err) => refused(err)?,
        }
        Ok(())
    }

    fn round_trip<T>(x: &T) -> Result<(), TestCaseError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let json = serde_json::to_string(x).unwrap();
        let back: T = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("{e} for own output {json}")))?;
        prop_assert_eq!(&back, x);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
        Ok(())
    }

    /// Runs `cases` inputs and returns the tally.
    pub(super) fn campaign(cases: u32) -> Tally {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let tally = std::cell::RefCell::new(Tally::default());
        runner
            .run(&consent_json(), |text| {
                check(&text, &mut tally.borrow_mut())
            })
            .unwrap();
        tally.into_inner()
    }
}

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn arbitrary_json_is_accepted_valid_or_refused_with_a_typed_error(
        text in fuzz::consent_json(),
        e in arb_event(),
    ) {
        fuzz::check(&text, &mut fuzz::Tally::default())?;
        let json = serde_json::to_string(&e).unwrap();
        let back: ConsentEvent = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, e);
    }
}

/// The generated inputs reach the crate: some are accepted, some refused
/// for their content, some refused as malformed.
#[cfg(feature = "serde")]
#[test]
fn consent_fuzz_inputs_reach_every_outcome() {
    let tally = fuzz::campaign(600);
    assert!(
        tally.accepted >= 20 && tally.refused >= 100 && tally.malformed >= 20,
        "{tally:?}"
    );
}

/// Oversized consent JSON is refused with a typed error, quickly.
#[cfg(feature = "serde")]
#[test]
fn consent_json_of_100_kb_is_refused_or_read_quickly() {
    let start = std::time::Instant::now();
    let long = "x".repeat(100 * 1024);
    let deep = "[".repeat(100 * 1024);
    let texts = [
        format!(
            r#"{{"subject":{{"email":"a@b.co"}},"purpose":"marketing","status":"granted","at":"2026-03-01T00:00:00Z","source":"crm","proof":"{long}"}}"#
        ),
        format!(
            r#"{{"subject":{{"record":"{long}"}},"purpose":"marketing","status":"granted","at":"2026-03-01T00:00:00Z","source":"crm"}}"#
        ),
        format!(
            r#"{{"subject":{{"email":"a@b.co"}},"purpose":"{long}","status":"granted","at":"2026-03-01T00:00:00Z","source":"crm"}}"#
        ),
        format!(r#"{{"events":{deep}"#),
        long.clone(),
    ];
    let mut tally = fuzz::Tally::default();
    for text in &texts {
        fuzz::check(text, &mut tally).unwrap();
    }
    assert!(tally.refused + tally.malformed >= 9, "{tally:?}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

/// A long fuzzing campaign for CI: `cargo test --test integration -- --ignored fuzz_consent_campaign`.
#[cfg(feature = "serde")]
#[test]
#[ignore = "long campaign; run in CI with --ignored"]
fn fuzz_consent_campaign() {
    let tally = fuzz::campaign(100_000);
    assert!(
        tally.accepted > 0 && tally.refused > 0 && tally.malformed > 0,
        "{tally:?}"
    );
}

#[test]
fn public_types_are_send_sync_and_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<Purpose>();
    check::<LawfulBasis>();
    check::<SpecialCategory>();
    check::<SubjectKey>();
    check::<ConsentStatus>();
    check::<ConsentEvent>();
    check::<custodia::consent::ConsentEventBuilder>();
    check::<ConsentLedger>();
    check::<custodia::consent::ConsentLedgerBuilder>();
    check::<LedgerPolicy>();
    check::<custodia::consent::Decision>();
    check::<Reason>();
    check::<custodia::consent::EventsFor<'static>>();
}

#[test]
fn decisions_explain_themselves_in_words() {
    let record = ana();
    let mut ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()
        .unwrap();
    assert_eq!(
        ledger
            .decide(&record, &Purpose::Marketing, t(0))
            .to_string(),
        "marketing denied: no consent on record"
    );
    assert_eq!(
        ledger
            .decide(&record, &Purpose::Analytics, t(0))
            .to_string(),
        "analytics allowed: lawful basis legitimate_interests"
    );
    ledger.add(grant(Purpose::Marketing, 1));
    assert_eq!(
        ledger.decide(&record, &Purpose::Marketing, t(2)).to_string(),
        "marketing allowed: consent granted at 2026-03-01T00:01:00+00:00 by email:ana.silva@example.com (source web)"
    );
    ledger.add(event(
        email("ana.silva@example.com"),
        Purpose::Marketing,
        ConsentStatus::Withdrawn,
        3,
    ));
    assert_eq!(
        ledger
            .decide(&record, &Purpose::Marketing, t(3))
            .to_string(),
        "marketing denied: consent withdrawn at 2026-03-01T00:03:00+00:00"
    );
    let d = ledger.decide_special(
        &record,
        &Purpose::Analytics,
        t(3),
        &[SpecialCategory::Health, SpecialCategory::Genetic],
    );
    assert_eq!(d.to_string(), "analytics denied: no consent on record");
    ledger.add(grant(Purpose::Analytics, 4));
    let d = ledger.decide_special(
        &record,
        &Purpose::Analytics,
        t(4),
        &[SpecialCategory::Health, SpecialCategory::Genetic],
    );
    assert_eq!(
        d.to_string(),
        "analytics denied: no explicit consent covering genetic, health"
    );
}

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn a_ledgers_json_does_not_depend_on_insertion_order(
        events in proptest::collection::vec(arb_event(), 0..24)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        policy in arb_policy(),
    ) {
        let (a, b) = events;
        let ja = serde_json::to_string(&ledger_of(&policy, &a)).unwrap();
        let jb = serde_json::to_string(&ledger_of(&policy, &b)).unwrap();
        prop_assert_eq!(&ja, &jb);
        let back: ConsentLedger = serde_json::from_str(&ja).unwrap();
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), ja);
    }
}
