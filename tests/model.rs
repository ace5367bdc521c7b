//! The model: validation messages, JSON shape, round trips and field access.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia::error::ErrorKind;
use custodia::model::*;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

/// A record with every section and every kind of event filled in.
pub(crate) fn full_record() -> SourceRecord {
    let eur = Currency::new("EUR").unwrap();
    let observed = at(2026, 3, 31);
    let mut b = SourceRecord::builder("crm-1", "crm", observed).unwrap();
    let id = b.identity();
    id.names.push(
        PersonName::from_parts(Some("Ödön"), Some("Nagy"))
            .unwrap()
            .with_full("Nagy Ödön")
            .unwrap(),
    );
    id.emails
        .push(EmailAddress::new("odon@example.hu").unwrap());
    id.phones.push(PhoneNumber::new("+36 30 123 4567").unwrap());
    let mut addr = PostalAddress::default();
    addr.lines.push(Text::new("Váci utca 12").unwrap());
    addr.city = Some(Text::new("Budapest").unwrap());
    addr.postal_code = Some(Text::new("1051").unwrap());
    addr.country = Some(CountryCode::new("HU").unwrap());
    id.addresses.push(addr);
    id.national_ids.push(
        NationalId::new(
            NationalIdKind::parse("tax id").unwrap(),
            Some(CountryCode::new("HU").unwrap()),
            "8123456789",
        )
        .unwrap(),
    );
    id.device_ids
        .push(DeviceId::new(DeviceIdKind::AnonymousId, "anon-1").unwrap());
    id.external_ids
        .push(ExternalId::new("salesforce", "003A").unwrap());

    let d = b.demographic();
    d.birth = Some(Birth::Date(NaiveDate::from_ymd_opt(1983, 9, 5).unwrap()));
    d.gender = Some(Gender::parse("male").unwrap());
    d.education = Some(Education::parse("master").unwrap());
    d.marital_status = Some(MaritalStatus::parse("married").unwrap());
    d.household_size = Some(HouseholdSize::new(3).unwrap());
    d.income = Some(
        IncomeBand::new(
            Money::parse("30000", eur).unwrap(),
            Some(Money::parse("45000", eur).unwrap()),
        )
        .unwrap(),
    );
    d.credit_tier = Some(CreditTier::parse("good").unwrap());
    d.language = Some(LanguageTag::new("hu-HU").unwrap());

    let g = b.geographic();
    g.country = Some(CountryCode::new("HU").unwrap());
    g.region = Some(Text::new("Budapest").unwrap());
    g.city = Some(Text::new("Budapest").unwrap());
    g.postal_code = Some(Text::new("1051").unwrap());
    g.coordinates = Some(Coordinates::new(47.4925, 19.0513).unwrap());
    g.time_zone = Some(TimeZoneName::new("Europe/Budapest").unwrap());

    let f = &mut b.business().firmographics;
    f.company = Some(Text::new("Nagy és Társa Kft.").unwrap());
    f.industry = Some(Text::new("Consulting").unwrap());
    f.industry_code = Some(IndustryCode::new(IndustryScheme::Nace, "M70.22").unwrap());
    f.employee_count = Some(9);
    f.customer_count = Some(140);
    f.annual_revenue = Some(Money::parse("1200000", eur).unwrap());
    f.net_worth = Some(Money::parse("350000.50", eur).unwrap());
    f.domain = Some(DomainName::new("nagy.example.hu").unwrap());
    let j = &mut b.business().job;
    j.employer = Some(Text::new("Nagy és Társa Kft.").unwrap());
    j.title = Some(Text::new("Ügyvezető").unwrap());
    j.seniority = Some(Seniority::parse("owner").unwrap());
    j.decision_level = Some(DecisionLevel::parse("decision maker").unwrap());

    let p = b.personal();
    p.interests.insert(Text::new("opera").unwrap());
    p.hobbies.insert(Text::new("sailing").unwrap());
    p.sports_teams.insert(Text::new("Ferencváros").unwrap());
    p.preferred_channels
        .insert(Channel::parse("email").unwrap());
    let mut device = Device::new(DeviceKind::parse("mobile").unwrap());
    device.os = Some(Text::new("Android 15").unwrap());
    p.devices.push(device);
    p.preferences
        .insert("newsletter", AttributeValue::from("weekly"))
        .unwrap();
    p.attitudes
        .insert(
            "price_sensitivity",
            AttributeValue::Float(Finite::new(0.8).unwrap()),
        )
        .unwrap();

    b.attributes()
        .insert("plan", AttributeValue::from("pro"))
        .unwrap();
    b.attributes()
        .insert("tags", AttributeValue::List(vec!["a".into(), "b".into()]))
        .unwrap();

    let t = |d: u32| at(2026, 3, d);
    let eid = |s: &str| EventId::new(s).unwrap();
    let mut page = PageView::default();
    page.url = Some(Text::new("https://shop.example/p").unwrap());
    page.title = Some(Text::new("Pricing").unwrap());
    b.event(Event::new(eid("e01"), t(1), EventKind::PageView(page)));
    let mut screen = ScreenView::default();
    screen.name = Some(Text::new("Checkout").unwrap());
    b.event(Event::new(eid("e02"), t(2), EventKind::ScreenView(screen)));
    let mut click = Click::default();
    click.target = Some(Text::new("buy-button").unwrap());
    b.event(Event::new(eid("e03"), t(3), EventKind::Click(click)));
    let mut email = EmailEvent::new(EmailAction::Opened);
    email.campaign = Some(Text::new("spring").unwrap());
    b.event(Event::new(eid("e04"), t(4), EventKind::Email(email)));
    let mut social = SocialEngagement::new(SocialAction::Share);
    social.network = Some(Text::new("facebook").unwrap());
    b.event(Event::new(eid("e05"), t(5), EventKind::Social(social)));
    let mut ticket = SupportInteraction::new(SupportAction::TicketResolved);
    ticket.ticket_id = Some(Text::new("T-1").unwrap());
    ticket.channel = Some(Channel::parse("chat").unwrap());
    ticket.satisfaction = Some(Csat::new(4).unwrap());
    b.event(Event::new(eid("e06"), t(6), EventKind::Support(ticket)));
    b.event(Event::new(
        eid("e07"),
        t(7),
        EventKind::AppUsage(AppUsage::FeatureUsed {
            feature: Text::new("export").unwrap(),
        }),
    ));
    let item = LineItem::new(
        Some("SKU-1"),
        Some("Hangszóró"),
        2,
        Money::parse("24.99", eur).unwrap(),
    )
    .unwrap();
    let order = Transaction::new(
        "ORD-1",
        TransactionKind::Purchase,
        Money::parse("49.98", eur).unwrap(),
        vec![item],
    )
    .unwrap();
    let mut props = Attributes::new();
    props
        .insert("coupon", AttributeValue::from("SPRING"))
        .unwrap();
    b.event(Event::new(eid("e08"), t(8), EventKind::Transaction(order)).with_properties(props));
    let answer = SurveyAnswer::builder("nps-q1")
        .nps(Nps::new(7).unwrap())
        .effort(EffortScore::new(5).unwrap())
        .csat(Csat::new(4).unwrap())
        .comment("Jó termék, de drága.")
        .unwrap()
        .build()
        .unwrap();
    b.event(Event::new(eid("e09"), t(9), EventKind::Survey(answer)));
    let review = Review::new(
        Some(Rating::new(4.5, 5).unwrap()),
        Some("Nagyon jó"),
        Some("SKU-1"),
    )
    .unwrap();
    b.event(Event::new(eid("e10"), t(10), EventKind::Review(review)));
    b.event(Event::new(
        eid("e11"),
        t(11),
        EventKind::Custom(CustomEvent::new("Plan Upgraded").unwrap()),
    ));
    b.build().unwrap()
}

#[test]
fn the_issue_examples_are_refused_with_field_and_value() {
    let cases: Vec<(custodia::Error, &str)> = vec![
        (
            EmailAddress::new("ana.example.com").unwrap_err(),
            "email \"ana.example.com\" has no @",
        ),
        (Nps::new(11).unwrap_err(), "nps 11 is out of range 0..=10"),
        (
            Coordinates::new(91.0, 0.0).unwrap_err(),
            "latitude 91 is out of range -90..=90",
        ),
        (
            Currency::new("XYZ").unwrap_err(),
            "currency \"XYZ\" is not an active ISO 4217 code",
        ),
    ];
    for (err, message) in cases {
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn a_birth_date_after_the_observation_is_set_aside_not_the_record() {
    let mut b = SourceRecord::builder("r1", "crm", at(2026, 1, 1)).unwrap();
    b.identity()
        .emails
        .push(EmailAddress::new("ana@example.com").unwrap());
    b.demographic().birth = Some(Birth::Date(NaiveDate::from_ymd_opt(5932, 6, 29).unwrap()));
    let r = b.build().unwrap();
    assert_eq!(r.identity().emails[0].as_str(), "ana@example.com");
    assert_eq!(r.demographic().birth, None);
    assert_eq!(r.quality_notes().len(), 1);
    let note = &r.quality_notes()[0];
    assert_eq!(note.field().as_str(), "demographic.birth_date");
    assert_eq!(note.value(), "5932-06-29");
    assert_eq!(
        note.reason(),
        "birth date 5932-06-29 is after the observation at 2026-01-01 12:00:00 UTC"
    );
    assert!(note.event().is_none());
    // Building again keeps the note and adds none.
    let again = r.clone().into_builder().build().unwrap();
    assert_eq!(again, r);
}

#[test]
fn late_and_duplicate_events_are_set_aside_whole() {
    let eur = Currency::new("EUR").unwrap();
    let order = |minor| {
        EventKind::Transaction(
            Transaction::new(
                "o",
                TransactionKind::Purchase,
                Money::from_minor(minor, eur),
                vec![],
            )
            .unwrap(),
        )
    };
    let mut b = SourceRecord::builder("r1", "shop", at(2026, 1, 1)).unwrap();
    let late = Event::new(EventId::new("e").unwrap(), at(2026, 1, 2), order(1));
    b.event(late.clone());
    let r = b.build().unwrap();
    assert!(r.events().is_empty());
    assert_eq!(r.quality_notes().len(), 1);
    let note = &r.quality_notes()[0];
    assert_eq!(note.field().as_str(), "events");
    assert_eq!(note.value(), "e");
    assert_eq!(
        note.reason(),
        "event \"e\" at 2026-01-02 12:00:00 UTC is after the observation at 2026-01-01 12:00:00 UTC"
    );
    assert_eq!(note.event(), Some(&late));

    // The later copy of a repeated id is set aside, whatever the order added.
    let first = Event::new(EventId::new("e").unwrap(), at(2025, 1, 2), order(1));
    let second = Event::new(EventId::new("e").unwrap(), at(2025, 1, 3), order(2));
    for events in [
        [first.clone(), second.clone()],
        [second.clone(), first.clone()],
    ] {
        let mut b = SourceRecord::builder("r1", "shop", at(2026, 1, 1)).unwrap();
        for e in events {
            b.event(e);
        }
        let r = b.build().unwrap();
        assert_eq!(r.events(), std::slice::from_ref(&first));
        assert_eq!(r.quality_notes().len(), 1);
        assert_eq!(
            r.quality_notes()[0].reason(),
            "event id \"e\" appears twice"
        );
        assert_eq!(r.quality_notes()[0].event(), Some(&second));
    }
}

#[test]
fn events_are_kept_in_time_order_whatever_the_insertion_order() {
    let r = full_record();
    // Rebuild with the events in reverse: the built record must be identical.
    let mut b = SourceRecord::builder("crm-1", "crm", r.observed_at()).unwrap();
    *b.identity() = r.identity().clone();
    *b.demographic() = r.demographic().clone();
    *b.geographic() = r.geographic().clone();
    *b.business() = r.business().clone();
    *b.personal() = r.personal().clone();
    *b.attributes() = r.attributes().clone();
    for e in r.events().iter().rev() {
        b.event(e.clone());
    }
    assert_eq!(b.build().unwrap(), r);
}

#[test]
fn every_schema_path_reads_a_value_from_a_full_record() {
    let r = full_record();
    // A birth is a date or an age band, so the age band paths read from a
    // second record.
    let mut b = r.clone().into_builder();
    b.demographic().birth = Some(Birth::AgeBand(AgeBand::new(25, Some(34)).unwrap()));
    let banded = b.build().unwrap();
    let schema = SourceRecord::schema();
    for spec in schema.fields() {
        let mut values = Vec::new();
        r.visit(spec.path(), &mut |v| values.push(v.field_type()));
        banded.visit(spec.path(), &mut |v| values.push(v.field_type()));
        assert!(!values.is_empty(), "{} read nothing", spec.path());
        for ty in values {
            assert_eq!(ty, spec.field_type(), "{}", spec.path());
        }
    }
    for prefix in [
        "attributes.plan",
        "personal.preference.newsletter",
        "personal.attitude.price_sensitivity",
    ] {
        assert!(r.has(&FieldPath::new(prefix).unwrap()), "{prefix}");
    }
    let tags = FieldPath::new("attributes.tags").unwrap();
    let mut n = 0;
    r.visit(&tags, &mut |_| n += 1);
    assert_eq!(n, 2, "each element of a list is one value");
}

#[test]
fn every_declared_event_field_reads_a_value() {
    let r = full_record();
    let schema = SourceRecord::schema();
    let mut seen = 0;
    r.visit_events(&mut |e| {
        let Some(spec) = schema.event(e.name()) else {
            assert_eq!(
                e.name(),
                "Plan Upgraded",
                "only custom events are undeclared"
            );
            return;
        };
        seen += 1;
        for field in spec.fields() {
            // Optional parts the fixture leaves empty are allowed to be missing;
            // what is read must have the declared type.
            e.visit(field.path(), &mut |v| {
                assert_eq!(
                    v.field_type(),
                    field.field_type(),
                    "{}.{}",
                    e.name(),
                    field.path()
                );
            });
        }
        assert!(e.has(&FieldPath::new("at").unwrap()));
    });
    assert_eq!(seen, 10);
    let purchase = &r.events()[7];
    assert_eq!(purchase.name(), "purchase");
    let eur = Currency::new("EUR").unwrap();
    assert_eq!(
        purchase.first(&FieldPath::new("amount").unwrap()),
        Some(Value::Money(Money::from_minor(4998, eur)))
    );
    assert_eq!(
        purchase.first(&FieldPath::new("item_count").unwrap()),
        Some(Value::Int(2))
    );
    assert_eq!(
        purchase.first(&FieldPath::new("properties.coupon").unwrap()),
        Some(Value::Text("SPRING"))
    );
}

#[cfg(feature = "serde")]
mod json {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn json_shape_of_a_full_record_is_frozen() {
        let json = serde_json::to_string_pretty(&full_record()).unwrap();
        insta::assert_snapshot!(json, @r#"
        {
          "version": 1,
          "id": "crm-1",
          "source": "crm",
          "observed_at": "2026-03-31T12:00:00Z",
          "identity": {
            "names": [
              {
                "given": "Ödön",
                "family": "Nagy",
                "full": "Nagy Ödön"
              }
            ],
            "emails": [
              "odon@example.hu"
            ],
            "phones": [
              "+36 30 123 4567"
            ],
            "addresses": [
              {
                "lines": [
                  "Váci utca 12"
                ],
                "city": "Budapest",
                "postal_code": "1051",
                "country": "HU"
              }
            ],
            "national_ids": [
              {
                "kind": "tax",
                "country": "HU",
                "value": "8123456789"
              }
            ],
            "device_ids": [
              {
                "kind": "anonymous_id",
                "value": "anon-1"
              }
            ],
            "external_ids": [
              {
                "system": "salesforce",
                "value": "003A"
              }
            ]
          },
          "demographic": {
            "birth": {
              "date": "1983-09-05"
            },
            "gender": "male",
            "education": "master",
            "marital_status": "married",
            "household_size": 3,
            "income": {
              "min": {
                "minor": 3000000,
                "currency": "EUR"
              },
              "max": {
                "minor": 4500000,
                "currency": "EUR"
              }
            },
            "credit_tier": "good",
            "language": "hu-HU"
          },
          "geographic": {
            "country": "HU",
            "region": "Budapest",
            "city": "Budapest",
            "postal_code": "1051",
            "coordinates": {
              "latitude": 47.4925,
              "longitude": 19.0513
            },
            "time_zone": "Europe/Budapest"
          },
          "business": {
            "firmographics": {
              "company": "Nagy és Társa Kft.",
              "industry": "Consulting",
              "industry_code": {
                "scheme": "nace",
                "code": "M70.22"
              },
              "employee_count": 9,
              "customer_count": 140,
              "annual_revenue": {
                "minor": 120000000,
                "currency": "EUR"
              },
              "net_worth": {
                "minor": 35000050,
                "currency": "EUR"
              },
              "domain": "nagy.example.hu"
            },
            "job": {
              "employer": "Nagy és Társa Kft.",
              "title": "Ügyvezető",
              "seniority": "owner",
              "decision_level": "decision_maker"
            }
          },
          "personal": {
            "interests": [
              "opera"
            ],
            "hobbies": [
              "sailing"
            ],
            "sports_teams": [
              "Ferencváros"
            ],
            "preferred_channels": [
              "email"
            ],
            "devices": [
              {
                "kind": "mobile",
                "os": "Android 15"
              }
            ],
            "preferences": {
              "newsletter": "weekly"
            },
            "attitudes": {
              "price_sensitivity": 0.8
            }
          },
          "events": [
            {
              "id": "e01",
              "at": "2026-03-01T12:00:00Z",
              "type": "page_view",
              "url": "https://shop.example/p",
              "title": "Pricing"
            },
            {
              "id": "e02",
              "at": "2026-03-02T12:00:00Z",
              "type": "screen_view",
              "name": "Checkout"
            },
            {
              "id": "e03",
              "at": "2026-03-03T12:00:00Z",
              "type": "click",
              "target": "buy-button"
            },
            {
              "id": "e04",
              "at": "2026-03-04T12:00:00Z",
              "type": "email",
              "action": "opened",
              "campaign": "spring"
            },
            {
              "id": "e05",
              "at": "2026-03-05T12:00:00Z",
              "type": "social",
              "action": "share",
              "network": "facebook"
            },
            {
              "id": "e06",
              "at": "2026-03-06T12:00:00Z",
              "type": "support",
              "action": "ticket_resolved",
              "ticket_id": "T-1",
              "channel": "chat",
              "satisfaction": 4
            },
            {
              "id": "e07",
              "at": "2026-03-07T12:00:00Z",
              "type": "app_usage",
              "action": "feature_used",
              "feature": "export"
            },
            {
              "id": "e08",
              "at": "2026-03-08T12:00:00Z",
              "type": "transaction",
              "order_id": "ORD-1",
              "kind": "purchase",
              "amount": {
                "minor": 4998,
                "currency": "EUR"
              },
              "items": [
                {
                  "sku": "SKU-1",
                  "name": "Hangszóró",
                  "quantity": 2,
                  "unit_price": {
                    "minor": 2499,
                    "currency": "EUR"
                  }
                }
              ],
              "properties": {
                "coupon": "SPRING"
              }
            },
            {
              "id": "e09",
              "at": "2026-03-09T12:00:00Z",
              "type": "survey",
              "survey_id": "nps-q1",
              "nps": 7,
              "effort": 5,
              "csat": 4,
              "comment": "Jó termék, de drága."
            },
            {
              "id": "e10",
              "at": "2026-03-10T12:00:00Z",
              "type": "review",
              "rating": {
                "value": 4.5,
                "scale": 5
              },
              "text": "Nagyon jó",
              "product": "SKU-1"
            },
            {
              "id": "e11",
              "at": "2026-03-11T12:00:00Z",
              "type": "custom",
              "name": "Plan Upgraded"
            }
          ],
          "attributes": {
            "plan": "pro",
            "tags": [
              "a",
              "b"
            ]
          }
        }
        "#);
    }

    #[test]
    fn full_record_round_trips() {
        let r = full_record();
        let json = serde_json::to_string(&r).unwrap();
        let back: SourceRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn deserialising_checks_the_same_rules() {
        let base = serde_json::to_value(full_record()).unwrap();
        let cases: &[(&str, serde_json::Value, &str)] = &[
            ("/events/8/nps", 11.into(), "nps 11 is out of range 0..=10"),
            (
                "/geographic/coordinates/latitude",
                91.0.into(),
                "latitude 91 is out of range -90..=90",
            ),
            (
                "/identity/emails/0",
                "nope".into(),
                "email \"nope\" has no @",
            ),
            (
                "/version",
                2.into(),
                "record version 2 is not the supported version 1",
            ),
            (
                "/events/7/amount/currency",
                "EURO".into(),
                "currency \"EURO\" is not an active ISO 4217 code",
            ),
        ];
        for (pointer, value, message) in cases {
            let mut json = base.clone();
            *json
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("{pointer}")) = value.clone();
            let err = serde_json::from_value::<SourceRecord>(json).unwrap_err();
            assert!(err.to_string().contains(message), "{pointer}: {err}");
        }
        let mut json = base.clone();
        json.as_object_mut()
            .unwrap()
            .insert("surprise".into(), 1.into());
        assert!(serde_json::from_value::<SourceRecord>(json).is_err());
    }

    #[test]
    fn quality_notes_have_a_frozen_shape_and_round_trip() {
        let observed = at(2026, 1, 1);
        let mut b = SourceRecord::builder("r1", "crm", observed).unwrap();
        let err = EmailAddress::new("ana.example.com").unwrap_err();
        b.set_aside(
            FieldPath::new("identity.email").unwrap(),
            "ana.example.com",
            &err,
        );
        b.demographic().birth = Some(Birth::Date(NaiveDate::from_ymd_opt(5932, 6, 29).unwrap()));
        b.event(Event::new(
            EventId::new("late").unwrap(),
            at(2026, 1, 2),
            EventKind::Email(EmailEvent::new(EmailAction::Opened)),
        ));
        let r = b.build().unwrap();
        let json = serde_json::to_value(&r).unwrap();
        insta::assert_json_snapshot!(json["quality_notes"], @r#"
        [
          {
            "field": "identity.email",
            "reason": "email \"ana.example.com\" has no @",
            "value": "ana.example.com"
          },
          {
            "field": "demographic.birth_date",
            "reason": "birth date 5932-06-29 is after the observation at 2026-01-01 12:00:00 UTC",
            "value": "5932-06-29"
          },
          {
            "event": {
              "action": "opened",
              "at": "2026-01-02T12:00:00Z",
              "id": "late",
              "type": "email"
            },
            "field": "events",
            "reason": "event \"late\" at 2026-01-02 12:00:00 UTC is after the observation at 2026-01-01 12:00:00 UTC",
            "value": "late"
          }
        ]
        "#);
        let back: SourceRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        // A record without notes writes no `quality_notes` key.
        let plain = serde_json::to_value(full_record()).unwrap();
        assert!(plain.get("quality_notes").is_none());
    }

    #[test]
    fn json_written_before_notes_still_reads_and_sets_a_late_birth_aside() {
        let json = r#"{"version": 1, "id": "r1", "source": "crm",
            "observed_at": "2026-01-01T00:00:00Z",
            "identity": {"emails": ["ana@example.com"]},
            "demographic": {"birth": {"date": "5932-06-29"}}}"#;
        let r: SourceRecord = serde_json::from_str(json).unwrap();
        assert_eq!(r.identity().emails[0].as_str(), "ana@example.com");
        assert_eq!(r.demographic().birth, None);
        assert_eq!(r.quality_notes()[0].value(), "5932-06-29");
    }

    fn text() -> impl Strategy<Value = String> {
        "[A-Za-zÀ-ÿ0-9][A-Za-zÀ-ÿ0-9 .'-]{0,12}"
            .prop_map(|s| s.trim().to_owned())
            .prop_filter("not blank", |s| !s.is_empty())
    }

    fn attribute() -> impl Strategy<Value = AttributeValue> {
        let leaf = prop_oneof![
            Just(AttributeValue::Null),
            any::<bool>().prop_map(AttributeValue::Bool),
            any::<i64>().prop_map(AttributeValue::Int),
            (-1e12f64..1e12)
                .prop_filter("fraction", |x| x.fract() != 0.0)
                .prop_map(|x| AttributeValue::Float(Finite::new(x).unwrap())),
            text().prop_map(AttributeValue::Text),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::List),
                prop::collection::btree_map(text(), inner, 0..4).prop_map(AttributeValue::Map),
            ]
        })
    }

    prop_compose! {
        fn record()(
            id in "[a-z]{1,8}-[0-9]{1,4}",
            secs in 1_600_000_000i64..1_800_000_000,
            given in proptest::option::of(text()),
            family in text(),
            email in "[a-z]{1,8}@[a-z]{1,8}\\.(com|hu|pt|co\\.id)",
            country in prop::sample::select(vec!["PT", "BR", "ID", "HU", "US", "DE"]),
            gender in prop::sample::select(vec!["female", "male", "non-binary", "Two-Spirit"]),
            lat in -90.0f64..=90.0, lon in -180.0f64..=180.0,
            minor in 0i64..10_000_000,
            currency in prop::sample::select(vec!["EUR", "BRL", "IDR", "HUF", "JPY", "KWD"]),
            nps in 0i64..=10,
            interests in prop::collection::btree_set(text(), 0..4),
            attrs in prop::collection::btree_map("[a-zA-Z_ ]{1,10}", attribute(), 0..4),
            n_events in 0usize..6,
        ) -> SourceRecord {
            let observed = Utc.timestamp_opt(secs, 0).unwrap();
            let mut b = SourceRecord::builder(&id, "gen", observed).unwrap();
            b.identity().names.push(PersonName::from_parts(given.as_deref(), Some(&family)).unwrap());
            b.identity().emails.push(EmailAddress::new(&email).unwrap());
            b.geographic().country = Some(CountryCode::new(country).unwrap());
            b.geographic().coordinates = Some(Coordinates::new(lat, lon).unwrap());
            b.demographic().gender = Some(Gender::parse(gender).unwrap());
            for i in interests {
                b.personal().interests.insert(Text::new(&i).unwrap());
            }
            for (k, v) in attrs {
                b.attributes().insert(k, v).unwrap();
            }
            let cur = Currency::new(currency).unwrap();
            for i in 0..n_events {
                let at = observed - chrono::Duration::hours(i as i64);
                let kind = match i % 3 {
                    0 => EventKind::Transaction(Transaction::new(&format!("o{i}"), TransactionKind::Purchase,
                        Money::from_minor(minor, cur), vec![]).unwrap()),
                    1 => EventKind::Survey(SurveyAnswer::builder("s").nps(Nps::new(nps).unwrap()).build().unwrap()),
                    _ => EventKind::Email(EmailEvent::new(EmailAction::Clicked)),
                };
                b.event(Event::new(EventId::new(&format!("e{i}")).unwrap(), at, kind));
            }
            b.build().unwrap()
        }
    }

    /// The events a record shows through `visit_events` that `query`
    /// selects, as `(name, at)` in order.
    fn selected_by_filter(
        r: &SourceRecord,
        query: &EventQuery<'_>,
    ) -> Vec<(String, DateTime<Utc>)> {
        let mut out = Vec::new();
        r.visit_events(&mut |e| {
            if query.selects(e.name(), e.at()) {
                out.push((e.name().to_owned(), e.at()));
            }
        });
        out
    }

    proptest! {
        #[test]
        fn event_queries_show_exactly_the_selected_events(
            r in record(),
            name in prop::sample::select(vec!["purchase", "survey_answered", "email_clicked", "page_view"]),
            from_hours in proptest::option::of(-2i64..8),
            to_hours in -2i64..8,
        ) {
            let observed = r.observed_at();
            let query = EventQuery::new(
                name,
                from_hours.map(|h| observed - chrono::Duration::hours(h)),
                observed - chrono::Duration::hours(to_hours),
            );
            let mut shown = Vec::new();
            r.visit_events_matching(&query, &mut |e| shown.push((e.name().to_owned(), e.at())));
            prop_assert_eq!(shown, selected_by_filter(&r, &query));
        }

        #[test]
        fn any_valid_record_round_trips_through_json(r in record()) {
            let json = serde_json::to_string(&r).unwrap();
            let back: SourceRecord = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &r);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
    }

    /// A raw field: often valid, often not, sometimes long.
    fn raw() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,8}@[a-z]{1,8}\\.com",
            "\\+?[0-9 ]{0,16}",
            ".{0,24}",
            "[a-z@ ]{0,12}".prop_map(|s| s.repeat(2000)),
        ]
    }

    proptest! {
        #[test]
        fn a_record_never_fails_for_a_field_and_keeps_every_value(
            email in raw(),
            phone in raw(),
            given in raw(),
            country in raw(),
            birth_days in -100_000i64..1_500_000,
            event_hours in prop::collection::vec((-48i64..48, 0u8..3), 0..6),
        ) {
            let observed = at(2026, 1, 1);
            let mut b = SourceRecord::builder("r1", "crm", observed).unwrap();
            let mut expected_notes = Vec::new();
            match EmailAddress::new(&email) {
                Ok(e) => b.identity().emails.push(e),
                Err(e) => {
                    b.set_aside(FieldPath::new("identity.email").unwrap(), email.clone(), &e);
                    expected_notes.push(("identity.email", email.clone()));
                }
            }
            match PhoneNumber::new(&phone) {
                Ok(p) => b.identity().phones.push(p),
                Err(e) => {
                    b.set_aside(FieldPath::new("identity.phone").unwrap(), phone.clone(), &e);
                    expected_notes.push(("identity.phone", phone.clone()));
                }
            }
            match PersonName::from_parts(Some(&given), None) {
                Ok(n) => b.identity().names.push(n),
                Err(e) => {
                    b.set_aside(FieldPath::new("identity.given_name").unwrap(), given.clone(), &e);
                    expected_notes.push(("identity.given_name", given.clone()));
                }
            }
            match CountryCode::new(&country) {
                Ok(c) => b.geographic().country = Some(c),
                Err(e) => {
                    b.set_aside(FieldPath::new("geographic.country").unwrap(), country.clone(), &e);
                    expected_notes.push(("geographic.country", country.clone()));
                }
            }
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(birth_days);
            b.demographic().birth = Some(Birth::Date(birth));
            let late_birth = birth > observed.date_naive();
            if late_birth {
                expected_notes.push(("demographic.birth_date", birth.to_string()));
            }
            let events: Vec<Event> = event_hours
                .iter()
                .map(|(h, id)| Event::new(
                    EventId::new(&format!("e{id}")).unwrap(),
                    observed + chrono::Duration::hours(*h),
                    EventKind::Email(EmailEvent::new(EmailAction::Opened)),
                ))
                .collect();
            for e in &events {
                b.event(e.clone());
            }

            let r = b.build();
            prop_assert!(r.is_ok(), "{:?}", r.err());
            let r = r.unwrap();
            // Valid values in place.
            prop_assert_eq!(r.identity().emails.len() + r.identity().phones.len()
                + r.identity().names.len() + usize::from(r.geographic().country.is_some())
                + usize::from(r.demographic().birth.is_some()) + expected_notes.len(),
                5);
            // Invalid ones as notes, as given, in the order set aside.
            let field_notes: Vec<(&str, String)> = r
                .quality_notes()
                .iter()
                .filter(|n| n.event().is_none())
                .map(|n| (n.field().as_str(), n.value().to_owned()))
                .collect();
            prop_assert_eq!(field_notes, expected_notes);
            // Every event is kept, in place or in a note.
            let mut all: Vec<Event> = r.events().to_vec();
            all.extend(r.quality_notes().iter().filter_map(|n| n.event().cloned()));
            prop_assert_eq!(all.len(), events.len());
            for e in &events {
                prop_assert!(all.contains(e));
            }
            prop_assert!(r.events().iter().all(|e| e.at() <= observed));
        }
    }
}

/// `Debug` redacts personal values at the leaves, so no container prints
/// them; `Unredacted` prints them in full (#13).
mod redaction {
    use super::at;
    use chrono::NaiveDate;
    use custodia::consent::{
        ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, SubjectKey,
    };
    use custodia::identity::{
        normalize_record, NormalizeParams, ResolutionIndex, ResolveParams, Resolver,
    };
    use custodia::merge::SurvivorshipPolicy;
    use custodia::model::*;
    use custodia::UnifiedProfile;
    use proptest::prelude::*;

    /// Values of the record below and substrings of them that must not
    /// appear in redacted output (case-insensitive). None is a run of hex
    /// digits only, so no digest can contain one by chance.
    const SECRETS: &[&str] = &[
        "Genoveva",
        "Xylander",
        "quuxmail",
        "987 6543",
        "309876543",
        "Zwetschgenallee",
        "Quedlinburg",
        "SW1A",
        "827-44-1965",
        "827441965",
        "1961-07-23",
        "47.4979",
        "19.0402",
        "loyalty-XQ",
        "signed form G.X.",
        "ADID-QZ",
        "CRM-QZ",
    ];

    fn record(id: &str) -> SourceRecord {
        let mut b = SourceRecord::builder(id, "crm", at(2026, 3, 1)).unwrap();
        let i = b.identity();
        i.names.push(
            PersonName::from_parts(Some("Genoveva"), Some("Xylander"))
                .unwrap()
                .with_full("Genoveva Xylander")
                .unwrap(),
        );
        i.emails
            .push(EmailAddress::new("genoveva.xylander@quuxmail.example").unwrap());
        i.phones.push(PhoneNumber::new("+36 30 987 6543").unwrap());
        let mut addr = PostalAddress::default();
        addr.lines.push(Text::new("Zwetschgenallee 77").unwrap());
        addr.city = Some(Text::new("Quedlinburg").unwrap());
        addr.postal_code = Some(Text::new("SW1A 2AA").unwrap());
        i.addresses.push(addr);
        i.national_ids
            .push(NationalId::new(NationalIdKind::SocialSecurity, None, "827-44-1965").unwrap());
        i.device_ids
            .push(DeviceId::new(DeviceIdKind::Gaid, "ADID-QZ").unwrap());
        i.external_ids
            .push(ExternalId::new("salesforce", "CRM-QZ").unwrap());
        b.demographic().birth = Some(Birth::Date(NaiveDate::from_ymd_opt(1961, 7, 23).unwrap()));
        b.geographic().coordinates = Some(Coordinates::new(47.4979, 19.0402).unwrap());
        b.attributes()
            .insert("loyalty", AttributeValue::from("loyalty-XQ"))
            .unwrap();
        b.build().unwrap()
    }

    /// Asserts that neither `{:?}` nor `{:#?}` of `value` holds a secret,
    /// and that `Unredacted` prints each of `shown` in full.
    fn assert_redacted<T: std::fmt::Debug>(value: &T, shown: &[&str]) {
        for text in [format!("{value:?}"), format!("{value:#?}")] {
            let lower = text.to_lowercase();
            for secret in SECRETS {
                assert!(
                    !lower.contains(&secret.to_lowercase()),
                    "{secret:?} leaks in {text}"
                );
            }
            assert!(text.contains("<redacted, "), "nothing redacted in {text}");
        }
        let full = format!("{:#?}", Unredacted(value)).to_lowercase();
        for value in shown {
            assert!(
                full.contains(&value.to_lowercase()),
                "{value:?} missing from {full}"
            );
        }
    }

    #[test]
    fn source_record_debug_redacts_every_section() {
        assert_redacted(
            &record("r-1"),
            &[
                "\"Genoveva\"",
                "genoveva.xylander@quuxmail.example",
                "+36 30 987 6543",
                "Zwetschgenallee 77",
                "827-44-1965",
                "1961-07-23",
                "47.4979",
                "loyalty-XQ",
                "ADID-QZ",
                "CRM-QZ",
            ],
        );
        // A value set aside is as personal as its field, and its reason
        // names it.
        let mut b = record("r-1").into_builder();
        b.set_aside(
            FieldPath::new("identity.email").unwrap(),
            "genoveva.xylander.at.quuxmail",
            "email \"genoveva.xylander.at.quuxmail\" has no @",
        );
        assert_redacted(&b.build().unwrap(), &["genoveva", "quuxmail"]);
        // The record's id and source stay readable for logs.
        let text = format!("{:?}", record("r-1"));
        assert!(text.contains("RecordId(\"r-1\")") && text.contains("SourceId(\"crm\")"));
    }

    #[test]
    fn normalized_record_debug_redacts_its_packed_text() {
        let n = normalize_record(&record("r-1"), &NormalizeParams::default());
        assert_redacted(&n, &["genoveva", "xylander", "quuxmail", "zwetschgenallee"]);
        assert!(format!("{n:?}").contains("RecordId(\"r-1\")"));
    }

    #[test]
    fn unified_profile_debug_redacts_values_not_provenance() {
        let records = [record("r-1"), record("r-2")];
        let ledger = ConsentLedger::builder()
            .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
            .build()
            .unwrap();
        let profile = UnifiedProfile::derive(
            custodia::identity::ClusterId::for_smallest_member(records[0].id()),
            &records,
            &ledger,
            &SurvivorshipPolicy::default(),
            &Purpose::Analytics,
            at(2026, 3, 2),
        )
        .unwrap();
        assert!(!profile.is_empty());
        assert_redacted(
            &profile,
            &["Genoveva", "quuxmail", "loyalty-XQ", "1961-07-23"],
        );
        assert!(format!("{profile:?}").contains("RecordId(\"r-2\")"));
    }

    #[test]
    fn consent_event_and_ledger_debug_redact_subject_and_proof() {
        let email = EmailAddress::new("genoveva.xylander@quuxmail.example").unwrap();
        let phone = PhoneNumber::new("+36 30 987 6543").unwrap();
        let mut ledger = ConsentLedger::new();
        for (subject, shown) in [
            (SubjectKey::email(&email), "quuxmail"),
            (SubjectKey::phone(&phone), "+36309876543"),
        ] {
            let event = ConsentEvent::builder(
                subject,
                Purpose::Marketing,
                ConsentStatus::Granted,
                at(2026, 3, 1),
                SourceId::new("app").unwrap(),
            )
            .proof("signed form G.X. Genoveva Xylander")
            .build()
            .unwrap();
            assert_redacted(&event, &[shown, "signed form G.X."]);
            ledger.add(event);
        }
        assert_redacted(&ledger, &["quuxmail", "+36309876543"]);
    }

    #[test]
    fn resolution_index_debug_redacts_records_model_and_keys() {
        let records: Vec<SourceRecord> = (1..=3).map(|i| record(&format!("r-{i}"))).collect();
        let resolver = Resolver::new(ResolveParams::default()).unwrap();
        let model = resolver
            .train(&resolver.normalize(&records).unwrap())
            .unwrap();
        let mut index = ResolutionIndex::new(ResolveParams::default(), model).unwrap();
        index.add(&records).unwrap();
        assert_redacted(&index, &["xylander", "quuxmail"]);
    }

    #[test]
    fn builders_show_the_kind_of_a_pending_error_not_its_value() {
        let b = SurveyAnswer::builder("Genoveva\u{7}Xylander");
        let text = format!("{b:?}");
        assert!(
            text.contains("InvalidInput") && !text.contains("Genoveva"),
            "{text}"
        );
        assert!(format!("{:?}", Unredacted(&b)).contains("Genoveva"));
    }

    /// The one shape of a redacted text leaf.
    fn check_shape(kind: &str, value: &str, debug: &str) -> Result<(), TestCaseError> {
        let prefix = format!("{kind}(<redacted, {} bytes, #", value.len());
        prop_assert!(debug.starts_with(&prefix), "{}", debug);
        let digest = &debug[prefix.len()..debug.len() - 2];
        prop_assert_eq!(digest.len(), 8);
        prop_assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
        prop_assert!(debug.ends_with(">)"));
        Ok(())
    }

    proptest! {
        #[test]
        fn leaf_debug_never_shows_the_value(
            text in "[^\\p{C}]{1,300}",
            local in "[a-z0-9._]{1,30}",
            domain in "[a-z]{1,20}\\.[a-z]{2,6}",
            digits in "[0-9]{6,15}",
        ) {
            if let Ok(t) = Text::new(&text) {
                check_shape("Text", t.as_str(), &format!("{t:?}"))?;
                prop_assert_eq!(format!("{:?}", Unredacted(&t)), format!("Text({:?})", t.as_str()));
                // Equal values have equal digests within a process.
                prop_assert_eq!(format!("{t:?}"), format!("{:?}", t.clone()));
            }
            let email = EmailAddress::new(&format!("{local}@{domain}")).unwrap();
            check_shape("EmailAddress", email.as_str(), &format!("{email:#?}"))?;
            prop_assert_eq!(
                format!("{:?}", Unredacted(&Some(email.clone()))),
                format!("Some(EmailAddress({:?}))", email.as_str())
            );
            let phone = PhoneNumber::new(&format!("+{digits}")).unwrap();
            check_shape("PhoneNumber", phone.as_str(), &format!("{phone:?}"))?;
            let attr = AttributeValue::from(text.as_str());
            let attr = format!("{attr:?}");
            prop_assert!(attr.starts_with("Text(<redacted, "), "{}", attr);
        }
    }

    #[test]
    fn long_values_are_redacted_in_constant_space() {
        let long = "Genoveva ".repeat(7_000);
        let t = Text::new(&long).unwrap();
        let text = format!("{t:?}");
        assert!(text.len() < 64 && !text.contains("Genoveva"), "{text}");
        assert_eq!(format!("{:?}", Unredacted(&t)).len(), t.as_str().len() + 8);
    }
}
