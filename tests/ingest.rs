//! Segment-spec ingest: the mapping, error paths, nothing dropped, no panics.
#![cfg(feature = "serde")]

use custodia::ingest::Ingestor;
use custodia::model::*;
use proptest::prelude::*;
use serde_json::{json, Value as Json};

fn ingest(message: Json) -> custodia::Result<SourceRecord> {
    Ingestor::new("test")?.record(&message)
}

fn path(p: &str) -> FieldPath {
    FieldPath::new(p).unwrap()
}

#[test]
fn the_quickstart_sample_ingests_completely() {
    let mut total = 0;
    for (file, expected) in [
        ("crm", 12),
        ("web", 15),
        ("shop", 14),
        ("support", 5),
        ("surveys", 9),
    ] {
        let text = std::fs::read_to_string(format!("examples/data/{file}.json")).unwrap();
        let records = Ingestor::new(file).unwrap().batch(&text).unwrap();
        assert_eq!(records.len(), expected, "{file}");
        total += records.len();
    }
    assert_eq!(total, 55);
}

#[test]
fn identify_traits_land_in_the_typed_sections() {
    let r = ingest(json!({
        "type": "identify", "messageId": "m1", "userId": 42, "anonymousId": "a-1",
        "timestamp": "2026-03-01T10:00:00+07:00",
        "traits": {
            "firstName": "Budi", "lastName": "Santoso", "name": "Budi Santoso",
            "email": "budi@example.co.id", "phone": "+62 812 3456 7890",
            "birthday": "1992-07-30", "gender": "Laki-laki", "title": "Manajer",
            "address": {"street": "Jl. Sudirman 1", "city": "Jakarta", "state": "DKI",
                        "postalCode": "10110", "country": "id", "rt_rw": "003/005"},
            "company": {"name": "PT Maju", "industry": "Retail", "employee_count": 85, "plan": "gold"},
            "interests": ["badminton", "kopi"], "language": "id-ID", "timezone": "Asia/Jakarta",
            "favoriteColor": "biru"
        }
    }))
    .unwrap();
    assert_eq!(r.id().as_str(), "m1");
    assert_eq!(r.observed_at().to_rfc3339(), "2026-03-01T03:00:00+00:00");
    let id = r.identity();
    assert_eq!(
        id.external_ids,
        vec![ExternalId::new("test/user_id", "42").unwrap()]
    );
    assert_eq!(id.device_ids[0].kind, DeviceIdKind::AnonymousId);
    assert_eq!(id.names[0].full.as_ref().unwrap().as_str(), "Budi Santoso");
    assert_eq!(id.addresses[0].lines[0].as_str(), "Jl. Sudirman 1");
    assert_eq!(r.demographic().gender, Some(Gender::Male));
    assert_eq!(r.demographic().language.as_ref().unwrap().as_str(), "id-ID");
    let first = |p: &str| r.first(&path(p));
    assert_eq!(first("geographic.country"), Some(Value::Text("ID")));
    assert_eq!(
        first("geographic.time_zone"),
        Some(Value::Text("Asia/Jakarta"))
    );
    assert_eq!(first("job.title"), Some(Value::Text("Manajer")));
    assert_eq!(first("business.employee_count"), Some(Value::Int(85)));
    assert_eq!(
        first("demographic.birth_date"),
        Some(Value::Date(
            chrono::NaiveDate::from_ymd_opt(1992, 7, 30).unwrap()
        ))
    );
    // Unread traits and unread parts of address and company are kept.
    assert_eq!(first("attributes.favoriteColor"), Some(Value::Text("biru")));
    assert_eq!(first("attributes.company.plan"), Some(Value::Text("gold")));
    assert_eq!(
        first("attributes.address.rt_rw"),
        Some(Value::Text("003/005"))
    );
    assert!(
        !r.has(&path("attributes.company.name")),
        "read parts are not repeated"
    );
    assert_eq!(r.personal().interests.len(), 2);
}

#[test]
fn context_fills_location_and_devices_and_keeps_the_rest() {
    let r = ingest(json!({
        "type": "track", "event": "Signed Up", "messageId": "m2",
        "timestamp": "2026-03-01T10:00:00Z", "anonymousId": "a-9",
        "context": {
            "ip": "192.0.2.1", "locale": "pt-BR", "timezone": "America/Sao_Paulo",
            "location": {"city": "Recife", "country": "Brazil", "latitude": -8.05, "longitude": -34.9},
            "device": {"id": "dev-1", "advertisingId": "AD-1", "type": "android", "manufacturer": "Samsung", "model": "SM-A546"},
            "os": {"name": "Android", "version": "15"},
            "traits": {"email": "maria@example.com.br", "vip": true}
        },
        "properties": {"plan": "free"}
    }))
    .unwrap();
    let kinds: Vec<_> = r
        .identity()
        .device_ids
        .iter()
        .map(|d| d.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        [
            DeviceIdKind::AnonymousId,
            DeviceIdKind::Device,
            DeviceIdKind::Gaid
        ]
    );
    assert_eq!(
        r.personal().devices[0].os.as_ref().unwrap().as_str(),
        "Android 15"
    );
    assert_eq!(r.geographic().coordinates.unwrap().latitude(), -8.05);
    assert_eq!(r.identity().emails[0].as_str(), "maria@example.com.br");
    assert_eq!(r.first(&path("attributes.vip")), Some(Value::Bool(true)));
    assert_eq!(
        r.first(&path("attributes.context.ip")),
        Some(Value::Text("192.0.2.1"))
    );
    // "Brazil" is read by name into the typed field, not left in the
    // attributes.
    assert_eq!(
        r.geographic().country.map(|c| c.to_string()),
        Some("BR".into())
    );
    assert_eq!(r.first(&path("attributes.context.location.country")), None);
    let e = &r.events()[0];
    assert_eq!(e.name(), "Signed Up");
    // A name shared by two countries is not guessed: kept as written.
    let r = ingest(json!({
        "type": "identify", "messageId": "m3", "userId": "u-3",
        "timestamp": "2026-03-01T10:00:00Z",
        "context": {"location": {"country": "Korea"}}
    }))
    .unwrap();
    assert_eq!(r.geographic().country, None);
    assert_eq!(
        r.first(&path("attributes.context.location.country")),
        Some(Value::Text("Korea"))
    );
    assert_eq!(e.first(&path("properties.plan")), Some(Value::Text("free")));
}

#[test]
fn semantic_events_become_typed_events() {
    let track = |event: &str, props: Json| {
        ingest(json!({"type": "track", "event": event, "userId": "u",
                      "timestamp": "2026-03-01T10:00:00Z", "properties": props}))
        .unwrap()
    };
    let r = track(
        "Order Completed",
        json!({"order_id": "o1", "currency": "eur", "coupon": "X",
               "products": [{"sku": "A", "name": "Fone", "price": 19.9, "quantity": 2},
                            {"product_id": "B", "price": 5}]}),
    );
    let e = &r.events()[0];
    let EventKind::Transaction(t) = e.kind() else {
        panic!("{:?}", e.kind())
    };
    assert_eq!(
        t.amount().to_string(),
        "44.80 EUR",
        "summed from the products"
    );
    assert_eq!(t.items().len(), 2);
    assert_eq!(
        e.properties().get("coupon"),
        Some(&AttributeValue::from("X"))
    );

    let cases = [
        (
            "Order Refunded",
            json!({"order_id": "o1", "total": 3}),
            "refund",
        ),
        (
            "Email Link Clicked",
            json!({"campaign_name": "c", "link_url": "https://x.example"}),
            "email_clicked",
        ),
        ("Unsubscribed", json!({}), "email_unsubscribed"),
        (
            "Ticket Solved",
            json!({"ticket_id": "t", "satisfaction": 5}),
            "ticket_resolved",
        ),
        ("Feature Used", json!({"feature": "export"}), "feature_used"),
        (
            "NPS Submitted",
            json!({"score": 9, "comment": "bom"}),
            "survey_answered",
        ),
        (
            "Product Reviewed",
            json!({"rating": 4.5, "review_body": "ok"}),
            "review",
        ),
        (
            "Product Shared",
            json!({"share_via": "whatsapp"}),
            "social_share",
        ),
        ("Button Clicked", json!({"label": "Buy"}), "click"),
        ("Custom Thing", json!({"x": 1}), "Custom Thing"),
    ];
    for (event, props, name) in cases {
        assert_eq!(track(event, props).events()[0].name(), name, "{event}");
    }
    let r = ingest(json!({"type": "page", "name": "Home", "category": "Docs", "timestamp": "2026-03-01T10:00:00Z",
                          "properties": {"url": "https://x.example/", "path": "/", "utm": "a"}}))
    .unwrap();
    let e = &r.events()[0];
    assert_eq!(e.first(&path("path")), Some(Value::Text("/")));
    assert_eq!(
        e.first(&path("properties.category")),
        Some(Value::Text("Docs"))
    );
    assert_eq!(e.first(&path("properties.utm")), Some(Value::Text("a")));
    let r = ingest(json!({"type": "group", "groupId": "g1", "userId": "u", "timestamp": "2026-03-01T10:00:00Z",
                          "traits": {"name": "Acme", "employees": 12, "website": "acme.example", "plan": "pro"}}))
    .unwrap();
    assert_eq!(r.business().firmographics.employee_count, Some(12));
    assert_eq!(
        r.first(&path("business.domain")),
        Some(Value::Text("acme.example"))
    );
    assert_eq!(r.first(&path("attributes.plan")), Some(Value::Text("pro")));
    let r = ingest(json!({"type": "alias", "previousId": "anon", "userId": "u", "timestamp": "2026-03-01T10:00:00Z"})).unwrap();
    assert_eq!(r.identity().external_ids.len(), 2);
}

#[test]
fn malformed_messages_name_the_json_path() {
    let ts = "2026-03-01T10:00:00Z";
    let cases = [
        (json!([1]), "$: expected an object, found an array"),
        (json!({"timestamp": ts}), "$.type: is missing"),
        (json!({"type": "identify"}), "$.timestamp: is missing"),
        (
            json!({"type": "identify", "timestamp": "yesterday"}),
            "$.timestamp: \"yesterday\" is not an RFC 3339 timestamp",
        ),
        (
            json!({"type": "shout", "timestamp": ts}),
            "$.type: \"shout\" is not a message type (identify, track, page, screen, group, alias)",
        ),
        (
            json!({"type": "identify", "timestamp": ts, "traits": {"email": ["a"]}}),
            "$.traits.email: expected a string, found an array",
        ),
        (
            json!({"type": "track", "timestamp": ts}),
            "$.event: is missing",
        ),
        (
            json!({"type": "track", "event": "Order Completed", "timestamp": ts, "properties": {"total": 1}}),
            "$.properties.order_id: is missing",
        ),
        (
            json!({"type": "track", "event": "Order Completed", "timestamp": ts, "properties": {"order_id": "o", "total": 1.005}}),
            "$.properties.total: amount 1.005 has more decimals than USD's 2",
        ),
        (
            json!({"type": "track", "event": "Order Completed", "timestamp": ts, "properties": {"order_id": "o", "total": 1, "currency": "XXX"}}),
            "$.properties.currency: currency \"XXX\" is not an active ISO 4217 code",
        ),
        (
            json!({"type": "track", "event": "Survey Answered", "timestamp": ts, "properties": {"nps": 7.5}}),
            "$.properties.nps: expected a whole number, found 7.5",
        ),
        (
            json!({"type": "track", "event": "Survey Answered", "timestamp": ts, "properties": {}}),
            "$.properties.nps: survey answer score or comment is missing",
        ),
        (
            json!({"type": "track", "event": "Feature Used", "timestamp": ts, "properties": {}}),
            "$.properties.feature: is missing",
        ),
        (
            json!({"type": "alias", "timestamp": ts}),
            "$.previousId: is missing",
        ),
    ];
    for (message, expected) in cases {
        let err = ingest(message.clone()).unwrap_err();
        assert_eq!(
            err.kind(),
            custodia::error::ErrorKind::InvalidInput,
            "{message}"
        );
        assert!(
            err.to_string().starts_with(expected),
            "{message}\n  got: {err}\n want: {expected}"
        );
    }
    let err = Ingestor::new("t").unwrap().batch(r#"{"batch": [{"type": "identify", "timestamp": "2026-03-01T10:00:00Z"}, {"type": true, "timestamp": "2026-03-01T10:00:00Z"}]}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "$.batch[1].type: expected a string, found a boolean"
    );
    let err = Ingestor::new("t").unwrap().message("{").unwrap_err();
    assert!(err.to_string().starts_with("$: not valid JSON"), "{err}");
}

#[test]
fn a_message_without_id_gets_the_same_derived_id_every_time() {
    let m = json!({"type": "track", "event": "x", "timestamp": "2026-03-01T10:00:00Z"});
    let a = ingest(m.clone()).unwrap();
    let b = ingest(m).unwrap();
    assert_eq!(a.id(), b.id());
    assert_eq!(a.id().as_str().len(), 36);
}

/// Arbitrary JSON, biased toward the keys and shapes ingest reads.
fn arb_json() -> impl Strategy<Value = Json> {
    let key = prop::sample::select(vec![
        "type",
        "event",
        "timestamp",
        "userId",
        "messageId",
        "traits",
        "properties",
        "context",
        "email",
        "phone",
        "address",
        "country",
        "company",
        "birthday",
        "age",
        "gender",
        "products",
        "price",
        "quantity",
        "total",
        "currency",
        "order_id",
        "nps",
        "rating",
        "location",
        "device",
        "latitude",
        "name",
        "firstName",
        "interests",
        "os",
        "x",
        "",
    ]);
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Json::from),
        prop::sample::select(vec![
            "identify",
            "track",
            "page",
            "screen",
            "group",
            "alias",
            "Order Completed",
            "Survey Answered",
            "2026-03-01T10:00:00Z",
            "1990-01-01",
            "a@b.co",
            "EUR",
            "PT",
            "",
            "\u{0}",
            "ios",
        ])
        .prop_map(Json::from),
        "\\PC{0,12}".prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8).prop_map(|m| Json::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_json_never_panics(message in arb_json()) {
        let _ = ingest(message.clone());
        let _ = Ingestor::new("t").unwrap().batch(&message.to_string());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}") {
        let _ = Ingestor::new("t").unwrap().message(&text);
    }

    #[test]
    fn unknown_traits_and_properties_are_never_dropped(
        traits in prop::collection::btree_map("[a-z]{3,8}_x", any::<i64>(), 0..6),
        props in prop::collection::btree_map("[a-z]{3,8}_y", "[a-z ]{0,8}", 0..6),
    ) {
        let r = ingest(json!({"type": "identify", "timestamp": "2026-03-01T10:00:00Z", "traits": traits.clone()})).unwrap();
        for (k, v) in &traits {
            prop_assert_eq!(r.attributes().get(k), Some(&AttributeValue::Int(*v)));
        }
        let r = ingest(json!({"type": "track", "event": "Order Completed", "timestamp": "2026-03-01T10:00:00Z",
                               "properties": {"order_id": "o", "total": 1, "extra": props.clone()}})).unwrap();
        let kept = r.events()[0].properties().get("extra").cloned();
        let expected = AttributeValue::Map(props.iter().map(|(k, v)| (k.clone(), AttributeValue::from(v.as_str()))).collect());
        prop_assert_eq!(kept, Some(expected));
    }
}

#[test]
fn a_bad_trait_or_property_is_set_aside_not_the_message() {
    let ts = "2026-03-01T10:00:00Z";
    // (message, the typed value that survives, field, value and reason of the note)
    let cases = [
        (json!({"type": "identify", "timestamp": ts, "traits": {"email": 5, "phone": "+1 555 0100"}}),
            "identity.email", "5", "$.traits.email: email \"5\" has no @"),
        (json!({"type": "identify", "timestamp": ts, "traits": {"birthday": "30/07/1992", "phone": "+1 555 0100"}}),
            "demographic.birth_date", "30/07/1992", "$.traits.birthday: birthday \"30/07/1992\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"),
        (json!({"type": "identify", "timestamp": ts, "traits": {"birthday": "5932-06-29", "phone": "+1 555 0100"}}),
            "demographic.birth_date", "5932-06-29", "birth date 5932-06-29 is after the observation at 2026-03-01 10:00:00 UTC"),
        (json!({"type": "identify", "timestamp": ts, "traits": {"phone": "+1 555 0100"}, "context": {"location": {"latitude": 91, "longitude": 0}}}),
            "geographic.coordinates", "91,0", "$.context.location.latitude: latitude 91 is out of range -90..=90"),
    ];
    for (message, field, value, reason) in cases {
        let r = ingest(message.clone()).unwrap();
        assert_eq!(r.identity().phones.len(), 1, "{message}");
        assert_eq!(r.quality_notes().len(), 1, "{message}");
        let note = &r.quality_notes()[0];
        assert_eq!(
            (note.field().as_str(), note.value(), note.reason()),
            (field, value, reason)
        );
    }
    // An out-of-range NPS is set aside; the survey's other answers stay.
    let r = ingest(
        json!({"type": "track", "event": "Survey Answered", "timestamp": ts,
        "properties": {"nps": 11, "comment": "ok"}}),
    )
    .unwrap();
    assert!(matches!(r.events()[0].kind(), EventKind::Survey(_)));
    assert_eq!(
        r.quality_notes()[0].reason(),
        "$.properties.nps: nps 11 is out of range 0..=10"
    );
    // With no answer left, the event is kept as a custom event, named as sent.
    let r = ingest(
        json!({"type": "track", "event": "Survey Answered", "timestamp": ts,
        "properties": {"nps": 11}}),
    )
    .unwrap();
    assert_eq!(r.events()[0].name(), "Survey Answered");
    assert_eq!(r.quality_notes()[0].value(), "11");
    // A 100 KB name is set aside whole, and the email is kept.
    let long = "x".repeat(100_000);
    let r = ingest(json!({"type": "identify", "timestamp": ts,
        "traits": {"firstName": long, "email": "ana@example.com"}}))
    .unwrap();
    assert_eq!(r.identity().emails.len(), 1);
    if r.quality_notes().is_empty() {
        assert_eq!(
            r.identity().names[0]
                .given
                .as_ref()
                .map(|t| t.as_str().len()),
            Some(100_000)
        );
    } else {
        assert_eq!(r.quality_notes()[0].value(), long);
    }
}
fn message_text(text: &str) -> custodia::Result<SourceRecord> {
    Ingestor::new("test")?.message(text)
}

fn order(total: &str) -> String {
    format!(
        r#"{{"type": "track", "event": "Order Completed", "timestamp": "2026-03-01T10:00:00Z",
            "messageId": "m", "properties": {{"order_id": "o", "total": {total}}}}}"#
    )
}

fn order_minor(r: &SourceRecord) -> i64 {
    match r.events()[0].kind() {
        EventKind::Transaction(t) => t.amount().minor(),
        other => panic!("not a transaction: {other:?}"),
    }
}

#[test]
fn amounts_are_read_exactly_from_the_json_text() {
    for fine in [
        "6000.005",
        "123456.785",
        "100000.001",
        "1000.005",
        "0.30000000000000004",
    ] {
        let err = message_text(&order(fine)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("$.properties.total: amount {fine} has more decimals than USD's 2")
        );
    }
    for (text, minor) in [
        ("6000.01", 600_001),
        ("1.5e2", 15_000),
        ("\"19.990\"", 1999),
        ("92233720368547758.07", i64::MAX),
    ] {
        assert_eq!(
            order_minor(&message_text(&order(text)).unwrap()),
            minor,
            "{text}"
        );
    }
    let err = message_text(&order("1e400")).unwrap_err();
    assert!(err.to_string().contains("64-bit"), "{err}");
}

#[test]
fn numeric_ids_are_read_exactly_from_the_json_text() {
    let user = |id: &str| {
        let r = message_text(&format!(
            r#"{{"type": "identify", "timestamp": "2026-03-01T10:00:00Z", "userId": {id},
                "messageId": {id}}}"#
        ))
        .unwrap();
        (
            r.identity().external_ids[0].value.to_string(),
            r.id().to_string(),
        )
    };
    let a = user("123456789012345678901234");
    let b = user("123456789012345678901235");
    assert_eq!(a.0, "123456789012345678901234");
    assert_eq!(b.0, "123456789012345678901235");
    assert_eq!(b.1, "123456789012345678901235");
    let r = message_text(
        r#"{"type": "track", "event": "Ticket Opened", "timestamp": "2026-03-01T10:00:00Z",
            "messageId": "m", "anonymousId": 98765432109876543210987,
            "properties": {"ticket_id": 12345678901234567890123, "big": 12345678901234567890123}}"#,
    )
    .unwrap();
    assert_eq!(
        r.identity().device_ids[0].value.as_str(),
        "98765432109876543210987"
    );
    let EventKind::Support(s) = r.events()[0].kind() else {
        panic!("not support")
    };
    assert_eq!(
        s.ticket_id.as_ref().map(|t| t.as_str()),
        Some("12345678901234567890123")
    );
    // A whole number beyond i64 stays exact text, not a rounded float.
    assert_eq!(
        r.events()[0]
            .properties()
            .get("big")
            .and_then(|v| v.as_text()),
        Some("12345678901234567890123")
    );
}

#[test]
fn duplicate_keys_are_refused_with_their_path() {
    let err = message_text(
        r#"{"type": "identify", "timestamp": "2026-03-01T10:00:00Z",
            "traits": {"email": "ana@example.pt", "email": "rui@example.pt"}}"#,
    )
    .unwrap_err();
    assert_eq!(err.kind(), custodia::error::ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "$.traits.email: key \"email\" appears more than once in its object"
    );
    let err = Ingestor::new("t")
        .unwrap()
        .batch(r#"[{"type": "identify"}, {"type": "x", "type": "identify"}]"#)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "$[1].type: key \"type\" appears more than once in its object"
    );
}

#[test]
fn invisible_characters_in_emails_phones_and_ids_are_refused() {
    let ts = "2026-03-01T10:00:00Z";
    // A trait's bad value is set aside with a note naming the character;
    // the record keeps the rest.
    let traits = [
        ("email", "ana\u{202E}@example.pt", "$.traits.email: email"),
        ("phone", "+351\u{200B}210000000", "$.traits.phone: phone"),
    ];
    for (key, value, expected) in traits {
        let r =
            ingest(json!({"type": "identify", "timestamp": ts, "traits": {key: value}})).unwrap();
        assert!(r.identity().emails.is_empty() && r.identity().phones.is_empty());
        let [note] = r.quality_notes() else {
            panic!("{:?}", r.quality_notes())
        };
        assert_eq!(note.value(), value);
        assert!(note.reason().starts_with(expected), "{}", note.reason());
        assert!(
            note.reason().contains("invisible or control character U+"),
            "{}",
            note.reason()
        );
    }
    // An id names the record or its person: it cannot be set aside.
    let cases = [
        (
            json!({"type": "identify", "timestamp": ts, "userId": "u\u{2066}1"}),
            "$.userId: external id",
        ),
        (
            json!({"type": "identify", "timestamp": ts, "anonymousId": "a\u{FEFF}"}),
            "$.anonymousId: device id",
        ),
        (
            json!({"type": "identify", "timestamp": ts, "messageId": "m\u{200D}"}),
            "$.messageId: record id",
        ),
    ];
    for (message, expected) in cases {
        let err = ingest(message.clone()).unwrap_err();
        assert_eq!(err.kind(), custodia::error::ErrorKind::InvalidInput);
        assert!(err.to_string().starts_with(expected), "{err}");
        assert!(
            err.to_string()
                .contains("invisible or control character U+"),
            "{err}"
        );
    }
}

#[test]
fn issued_ids_are_scoped_to_their_source_unless_shared() {
    let ts = "2026-03-01T10:00:00Z";
    let systems = |ingestor: &Ingestor, message: Json| -> Vec<String> {
        let r = ingestor.record(&message).unwrap();
        r.identity()
            .external_ids
            .iter()
            .map(|e| e.system.to_string())
            .collect()
    };
    let crm = Ingestor::new("crm").unwrap();
    let shop = Ingestor::new("shop").unwrap();
    let user = json!({"type": "identify", "userId": "2", "timestamp": ts});
    let crm_ids = crm.record(&user).unwrap().identity().external_ids.clone();
    let shop_ids = shop.record(&user).unwrap().identity().external_ids.clone();
    assert_ne!(
        crm_ids, shop_ids,
        "user 2 of two sources must not be one id"
    );
    assert_eq!(systems(&crm, user.clone()), ["crm/user_id"]);
    let group = json!({"type": "group", "groupId": "g", "userId": "2", "timestamp": ts});
    assert_eq!(systems(&shop, group), ["shop/user_id", "shop/group_id"]);
    let alias = json!({"type": "alias", "previousId": "p", "userId": "2", "timestamp": ts});
    assert_eq!(systems(&shop, alias), ["shop/user_id", "shop/previous_id"]);
    // Declared sharing puts both sources' ids in one system.
    let login = SourceId::new("login").unwrap();
    let web = Ingestor::new("web").unwrap().id_space(login.clone());
    let app = Ingestor::new("app").unwrap().id_space(login);
    assert_eq!(systems(&web, user.clone()), ["login/user_id"]);
    assert_eq!(
        web.record(&user).unwrap().identity().external_ids,
        app.record(&user).unwrap().identity().external_ids
    );
}

// Stable-toolchain fuzzing: structured messages as raw JSON text, so that
// the generator can write what serde_json cannot (duplicate keys, lone
// surrogates, numbers beyond f64 and i64), up to about 100 KB each.

/// A JSON number as text: ordinary, huge, tiny, long or beyond `f64`.
fn fuzz_number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(|x| format!("{x:e}")),
        Just("123456789012345678901234567890".to_owned()),
        Just("1e400".to_owned()),
        Just("-1e-400".to_owned()),
        Just("6000.005".to_owned()),
        Just("-0".to_owned()),
        (1usize..20_000).prop_map(|n| format!("0.{}1", "0".repeat(n))),
        (1usize..20_000).prop_map(|n| format!("9{}", "9".repeat(n))),
        (1u64..u64::MAX).prop_map(|e| format!("1e{e}")),
    ]
}

/// A JSON string literal: plain, long, escaped, invisible, or with a
/// broken `\u` escape.
fn fuzz_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9@. +-]{0,12}".prop_map(|s| format!("{s:?}")),
        (1usize..100_000).prop_map(|n| format!("\"{}\"", "é".repeat(n / 2))),
        Just(r#""ana\u202e@example.pt""#.to_owned()),
        Just(r#""\ud800""#.to_owned()),
        Just(r#""\udc00\ud800""#.to_owned()),
        Just(r#""\ud83d\ude00""#.to_owned()),
        Just(r#""\u00""#.to_owned()),
        Just("\"2026-03-01T10:00:00Z\"".to_owned()),
    ]
}

/// Any JSON value as text, nesting up to `depth` more levels.
fn fuzz_value(depth: u32) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        fuzz_number(),
        fuzz_string(),
        Just("null".to_owned()),
        Just("true".to_owned()),
    ];
    leaf.prop_recursive(depth, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z]{1,6}|email|phone|userId|total", inner), 0..6).prop_map(
                |entries| {
                    let body: Vec<String> =
                        entries.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                    format!("{{{}}}", body.join(","))
                }
            ),
        ]
    })
}

/// A message of any type whose fields hold fuzzed values, sometimes with
/// a duplicate key or deep nesting spliced in.
fn fuzz_message() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just("identify"),
        Just("track"),
        Just("page"),
        Just("screen"),
        Just("group"),
        Just("alias"),
        Just("nonsense"),
    ];
    let event = prop_oneof![
        Just("Order Completed"),
        Just("Order Refunded"),
        Just("Survey Answered"),
        Just("Ticket Opened"),
        Just("Product Reviewed"),
        Just("Email Opened"),
        Just("Custom Thing"),
    ];
    let field = prop_oneof![
        Just("userId"),
        Just("anonymousId"),
        Just("groupId"),
        Just("previousId"),
        Just("messageId"),
        Just("name"),
    ];
    let trait_key = prop_oneof![
        Just("email"),
        Just("phone"),
        Just("firstName"),
        Just("address"),
        Just("company"),
        Just("birthday"),
        Just("age"),
        Just("interests"),
        Just("custom"),
    ];
    let prop_key = prop_oneof![
        Just("order_id"),
        Just("total"),
        Just("currency"),
        Just("products"),
        Just("nps"),
        Just("rating"),
        Just("ticket_id"),
        Just("extra"),
    ];
    (
        kind,
        event,
        prop::collection::vec((field, fuzz_value(2)), 0..4),
        prop::collection::vec((trait_key, fuzz_value(4)), 0..5),
        prop::collection::vec((prop_key, fuzz_value(4)), 0..5),
        0usize..4,
        0usize..300,
    )
        .prop_map(|(kind, event, fields, traits, props, mutation, depth)| {
            let obj = |entries: &[(&str, String)]| {
                let body: Vec<String> = entries.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                format!("{{{}}}", body.join(","))
            };
            let mut top: Vec<(&str, String)> = vec![
                ("type", format!("{kind:?}")),
                ("event", format!("{event:?}")),
                ("timestamp", "\"2026-03-01T10:00:00Z\"".to_owned()),
            ];
            top.extend(fields);
            top.push(("traits", obj(&traits)));
            top.push(("properties", obj(&props)));
            match mutation {
                1 => top.push(("type", "\"identify\"".to_owned())),
                2 => top.push((
                    "context",
                    format!("{}{}", "{\"a\":[".repeat(depth), "]}".repeat(depth)),
                )),
                _ => {}
            }
            obj(&top)
        })
}

/// Ingests one fuzzed message and checks the contract: no panic, a result
/// or a typed error naming a JSON path, and no blow-up in time.
fn check_fuzzed(text: &str) -> Result<(), TestCaseError> {
    let started = std::time::Instant::now();
    let ingestor = Ingestor::new("fuzz").unwrap();
    let one = ingestor.message(text);
    let batch = ingestor.batch(&format!("[{text},{text}]"));
    // A generous guard against quadratic blow-ups in a debug build.
    prop_assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{} bytes took {:?}",
        text.len(),
        started.elapsed()
    );
    if let Err(e) = &one {
        let shown = e.to_string();
        prop_assert!(shown.starts_with('$'), "no JSON path: {}", shown);
        prop_assert!(matches!(
            e.kind(),
            custodia::error::ErrorKind::InvalidInput | custodia::error::ErrorKind::LimitExceeded
        ));
    }
    if let Err(e) = &batch {
        prop_assert!(e.to_string().starts_with("$["), "no batch path: {}", e);
    }
    prop_assert_eq!(one.is_ok(), batch.is_ok());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fuzzed_messages_give_records_or_path_errors(text in fuzz_message()) {
        check_fuzzed(&text)?;
    }
}

proptest! {
    // Long campaigns for CI: `cargo test --test integration -- --ignored fuzz_ingest_campaign`.
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    #[test]
    #[ignore = "long fuzzing campaign; run with --ignored"]
    fn fuzz_ingest_campaign_messages(text in fuzz_message()) {
        check_fuzzed(&text)?;
    }

    #[test]
    #[ignore = "long fuzzing campaign; run with --ignored"]
    fn fuzz_ingest_campaign_values(value in fuzz_value(8)) {
        check_fuzzed(&value)?;
        check_fuzzed(&format!(
            r#"{{"type":"identify","timestamp":"2026-03-01T10:00:00Z","traits":{value},"userId":{value}}}"#
        ))?;
    }
}

#[test]
fn fuzz_corner_cases_name_their_path() {
    let big_total = format!(
        r#"{{"type":"track","event":"Order Completed","timestamp":"2026-03-01T10:00:00Z",
            "properties":{{"order_id":"o","total":1e{}}}}}"#,
        u64::MAX
    );
    let cases = [
        (
            big_total,
            "$.properties.total: amount 1e18446744073709551615 does not fit",
        ),
        (
            r#"{"type":"identify","timestamp":"2026-03-01T10:00:00Z","traits":{"name":"\ud800"}}"#
                .to_owned(),
            "$.traits.name: not valid JSON: lone UTF-16 surrogate",
        ),
        (
            format!(
                r#"{{"type":"identify","timestamp":"2026-03-01T10:00:00Z","context":{}}}"#,
                "[".repeat(50_000)
            ),
            "$.context",
        ),
    ];
    // A 100 KB name is set aside whole, with a note naming its path.
    let long = format!(
        r#"{{"type":"identify","timestamp":"2026-03-01T10:00:00Z","traits":{{"firstName":"{}"}}}}"#,
        "a".repeat(100_000)
    );
    let r = message_text(&long).unwrap();
    let [note] = r.quality_notes() else {
        panic!("{:?}", r.quality_notes())
    };
    assert!(note.reason().starts_with("$.traits.firstName: "));
    assert_eq!(note.value().len(), 100_000);
    for (text, expected) in cases {
        let started = std::time::Instant::now();
        let Err(err) = message_text(&text) else {
            panic!("accepted: {expected}")
        };
        assert!(err.to_string().starts_with(expected), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

#[test]
fn equal_user_ids_of_two_sources_are_different_accounts() {
    use custodia::identity::{normalize_record, NormalizeParams};
    let msg = r#"{"type": "identify", "userId": "2", "timestamp": "2026-03-01T10:00:00Z"}"#;
    let account = |ingestor: Ingestor| -> Vec<String> {
        let r = ingestor.message(msg).unwrap();
        let n = normalize_record(&r, &NormalizeParams::default());
        n.account_ids().map(str::to_owned).collect()
    };
    let crm = account(Ingestor::new("crm").unwrap());
    let shop = account(Ingestor::new("shop").unwrap());
    assert_eq!(crm, ["ext:crm/user_id:2"]);
    assert_eq!(shop, ["ext:shop/user_id:2"]);
    let login = SourceId::new("login").unwrap();
    let web = account(Ingestor::new("web").unwrap().id_space(login.clone()));
    let app = account(Ingestor::new("app").unwrap().id_space(login));
    assert_eq!(web, app);
}
