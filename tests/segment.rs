//! Segment integration tests: the data-driven corpus in `testdata/segment`,
//! the builder, catalogs, computed values, membership changes and limits.

// Fixture helpers outside #[test] fns unwrap too: a broken fixture is a failing test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia::error::ErrorKind;
use custodia::model::{
    Cardinality, Currency, EventAccess, FieldAccess, FieldPath, FieldType, Money, Schema,
    SourceRecord, Value,
};
use custodia::segment::builder::{
    aggregate, all, any, count, exists, field, in_segment, not, now_minus,
};
use custodia::segment::{
    AggFn, Catalog, CompiledSegment, Computed, Duration, Membership, Segment, Truth, MAX_NESTING,
    MAX_TEXT_LEN,
};
use serde_json::Value as Json;

/// A value as the test profiles store it.
#[derive(Clone, Debug)]
enum Stored {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDate),
    Ts(DateTime<Utc>),
    Money(Money),
}

impl Stored {
    fn value(&self) -> Value<'_> {
        match self {
            Stored::Bool(b) => Value::Bool(*b),
            Stored::Int(i) => Value::Int(*i),
            Stored::Float(x) => Value::Float(*x),
            Stored::Text(t) => Value::Text(t),
            Stored::Date(d) => Value::Date(*d),
            Stored::Ts(t) => Value::Timestamp(*t),
            Stored::Money(m) => Value::Money(*m),
        }
    }
}

fn ts(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn stored(json: &Json) -> Vec<Stored> {
    match json {
        Json::Bool(b) => vec![Stored::Bool(*b)],
        Json::Number(n) => vec![match n.as_i64() {
            Some(i) => Stored::Int(i),
            None => Stored::Float(n.as_f64().unwrap()),
        }],
        Json::String(s) => vec![Stored::Text(s.clone())],
        Json::Array(items) => items.iter().flat_map(stored).collect(),
        Json::Object(o) => {
            let (k, v) = o.iter().next().unwrap();
            let v = v.as_str().unwrap();
            vec![match k.as_str() {
                "date" => Stored::Date(v.parse().unwrap()),
                "ts" => Stored::Ts(ts(v)),
                "money" => {
                    let (amount, code) = v.split_once(' ').unwrap();
                    Stored::Money(Money::parse(amount, Currency::new(code).unwrap()).unwrap())
                }
                other => panic!("unknown value kind {other}"),
            }]
        }
        Json::Null => vec![],
    }
}

fn fields(json: &Json) -> BTreeMap<String, Vec<Stored>> {
    json.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), stored(v)))
        .collect()
}

/// A profile read from JSON: fields by path, and events.
#[derive(Debug, Default)]
struct Profile {
    fields: BTreeMap<String, Vec<Stored>>,
    events: Vec<TestEvent>,
}

#[derive(Debug)]
struct TestEvent {
    name: String,
    at: DateTime<Utc>,
    fields: BTreeMap<String, Vec<Stored>>,
}

impl FieldAccess for Profile {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        for v in self.fields.get(path.as_str()).into_iter().flatten() {
            visit(v.value());
        }
    }
    fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
        for e in &self.events {
            visit(e);
        }
    }
}

impl FieldAccess for TestEvent {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        for v in self.fields.get(path.as_str()).into_iter().flatten() {
            visit(v.value());
        }
    }
}

impl EventAccess for TestEvent {
    fn name(&self) -> &str {
        &self.name
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

fn profile(json: &Json) -> Profile {
    let mut events: Vec<TestEvent> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| TestEvent {
            name: e["name"].as_str().unwrap().to_owned(),
            at: ts(e["at"].as_str().unwrap()),
            fields: fields(&e["fields"]),
        })
        .collect();
    events.sort_by_key(|e| e.at);
    Profile {
        fields: fields(&json["fields"]),
        events,
    }
}

fn load(name: &str) -> Json {
    let path = format!("{}/testdata/segment/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn truth_name(t: Truth) -> &'static str {
    match t {
        Truth::True => "true",
        Truth::False => "false",
        Truth::Unknown => "unknown",
    }
}

#[test]
fn corpus() {
    let fixture = load("profiles.json");
    let now = ts(fixture["now"].as_str().unwrap());
    let profiles: BTreeMap<String, Profile> = fixture["profiles"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), profile(v)))
        .collect();
    let cases = load("cases.json");
    let schema = SourceRecord::schema();
    let mut failures = Vec::new();
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let text = case["expr"].as_str().unwrap();
        let outcome = Segment::parse(text).map(|s| {
            let compiled = s.compile(schema);
            (s, compiled)
        });
        if let Some(want) = case.get("error") {
            let err = match outcome {
                Ok((_, Ok(_))) => {
                    failures.push(format!("{name}: expected an error, compiled fine"));
                    continue;
                }
                Ok((_, Err(e))) | Err(e) => e,
            };
            let kind = err.kind().as_str();
            if kind != want["kind"].as_str().unwrap() {
                failures.push(format!("{name}: kind {kind}, want {}", want["kind"]));
            }
            if err.to_string() != want["message"].as_str().unwrap() {
                failures.push(format!("{name}: message {:?}", err.to_string()));
            }
            let span = err.span().map(|s| vec![s.start, s.end]);
            let want_span: Option<Vec<usize>> = want
                .get("span")
                .map(|s| serde_json::from_value(s.clone()).unwrap());
            if span != want_span {
                failures.push(format!("{name}: span {span:?}, want {want_span:?}"));
            }
            assert_eq!(err.input(), Some(text), "{name}: the error keeps the text");
            continue;
        }
        let (segment, compiled) = match outcome {
            Ok(x) => x,
            Err(e) => {
                failures.push(format!("{name}: {}", e.diagnostic()));
                continue;
            }
        };
        let printed = segment.to_string();
        let want_print = case.get("print").and_then(Json::as_str).unwrap_or(text);
        if printed != want_print {
            failures.push(format!("{name}: printed {printed:?}"));
        }
        let reparsed = Segment::parse(&printed).unwrap();
        assert_eq!(reparsed, segment, "{name}: parse(print(ast)) == ast");
        assert_eq!(reparsed.to_string(), printed, "{name}: printing is stable");
        let Some(results) = case.get("results") else {
            continue;
        };
        let compiled = match compiled {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: {}", e.diagnostic()));
                continue;
            }
        };
        for (who, want) in results.as_object().unwrap() {
            let got = truth_name(compiled.evaluate_at(&profiles[who], now));
            if got != want.as_str().unwrap() {
                failures.push(format!("{name}: {who} is {got}, want {want}"));
            }
            assert_eq!(
                compiled.matches_at(&profiles[who], now),
                got == "true",
                "{name}: matches is true exactly for True"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn small_schema() -> Schema {
    Schema::builder()
        .field("country", FieldType::Text, Cardinality::One, "country")
        .unwrap()
        .field("age", FieldType::Int, Cardinality::One, "age")
        .unwrap()
        .open_prefix("attributes")
        .unwrap()
        .event(
            "purchase",
            "a purchase",
            &[("amount", FieldType::Money, Cardinality::One, "amount")],
            &["properties"],
        )
        .unwrap()
        .build()
}

fn with_fields(pairs: &[(&str, Stored)]) -> Profile {
    Profile {
        fields: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), vec![v.clone()]))
            .collect(),
        events: Vec::new(),
    }
}

#[test]
fn builder_makes_the_parsed_tree() {
    let eur = Currency::new("EUR").unwrap();
    let built = any([
        all([
            field("geographic.country").unwrap().is_in(["DE", "AT"]),
            not(exists("geographic.city").unwrap()),
            count("email_opened")
                .filter(field("campaign").unwrap().eq("spring"))
                .within(Duration::days(14).unwrap())
                .ge(2),
        ])
        .unwrap(),
        aggregate(AggFn::Sum, "purchase", "amount")
            .unwrap()
            .within(Duration::days(90).unwrap())
            .gt(Money::parse("100", eur).unwrap()),
        field("record.observed_at")
            .unwrap()
            .ge(now_minus(Duration::hours(36).unwrap())),
        in_segment("vip"),
    ])
    .unwrap();
    let text = r#"geographic.country in ["DE", "AT"] and not exists(geographic.city)
        and count(email_opened where campaign = "spring" within 14d) >= 2
        or sum(purchase.amount within 90d) > 100 EUR
        or record.observed_at >= now - 36h or in_segment("vip")"#;
    let parsed = Segment::parse(text).unwrap();
    assert_eq!(parsed.expr(), &built);
    assert_eq!(Segment::from_expr(built.clone()), parsed);
    assert_eq!(Segment::parse(&built.to_string()).unwrap().expr(), &built);
    assert!(all([]).is_err());
    assert!(aggregate(AggFn::Count, "purchase", "amount").is_err());
    assert!(Duration::days(-1).is_err());
    assert!(Duration::weeks(i64::MAX).is_err());
}

#[test]
fn catalog_inlines_named_segments_and_refuses_cycles() {
    let schema = small_schema();
    let mut catalog = Catalog::new();
    catalog
        .insert("adult", Segment::parse("age >= 18").unwrap())
        .unwrap();
    catalog
        .insert(
            "german_adult",
            Segment::parse("in_segment(\"adult\") and country = \"DE\"").unwrap(),
        )
        .unwrap();
    let compiled = catalog.compile_named("german_adult", &schema).unwrap();
    let now = at(2026, 1, 1);
    let p = |age: i64, c: &str| {
        with_fields(&[
            ("age", Stored::Int(age)),
            ("country", Stored::Text(c.into())),
        ])
    };
    assert!(compiled.matches_at(&p(30, "DE"), now));
    assert!(!compiled.matches_at(&p(12, "DE"), now));
    assert!(!compiled.matches_at(&p(30, "FR"), now));

    // A misspelt reference gets a suggestion and a caret.
    let err = catalog
        .compile(&Segment::parse("in_segment(\"adlut\")").unwrap(), &schema)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert_eq!(
        err.diagnostic(),
        "unknown segment \"adlut\"; did you mean \"adult\"?\n  in_segment(\"adlut\")\n  ^^^^^^^^^^^^^^^^^^^"
    );

    // Cycles, direct and indirect.
    catalog
        .insert("self", Segment::parse("in_segment(\"self\")").unwrap())
        .unwrap();
    let err = catalog.compile_named("self", &schema).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Type);
    assert_eq!(
        err.to_string(),
        "in segment \"self\": segment \"self\" refers to itself through self -> self"
    );
    catalog
        .insert(
            "a",
            Segment::parse("age > 1 and in_segment(\"b\")").unwrap(),
        )
        .unwrap();
    catalog
        .insert("b", Segment::parse("not in_segment(\"c\")").unwrap())
        .unwrap();
    catalog
        .insert("c", Segment::parse("in_segment(\"a\") or age < 5").unwrap())
        .unwrap();
    let err = catalog.compile_named("a", &schema).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Type);
    assert!(
        err.to_string()
            .ends_with("segment \"a\" refers to itself through a -> b -> c -> a"),
        "{err}"
    );
    // A diamond (two references to one segment) is not a cycle.
    catalog
        .insert(
            "diamond",
            Segment::parse("in_segment(\"adult\") or in_segment(\"german_adult\")").unwrap(),
        )
        .unwrap();
    assert!(catalog.compile_named("diamond", &schema).is_ok());

    // Errors inside a referenced segment say where they are.
    catalog
        .insert("broken", Segment::parse("agee > 1").unwrap())
        .unwrap();
    let err = catalog
        .compile(&Segment::parse("in_segment(\"broken\")").unwrap(), &schema)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "in segment \"broken\": unknown field \"agee\" in the profile schema; did you mean \"age\"?"
    );
    assert_eq!(err.input(), Some("agee > 1"));
    assert!(catalog
        .insert("", Segment::parse("age > 1").unwrap())
        .is_err());
    assert!(catalog
        .insert(&"x".repeat(200), Segment::parse("age > 1").unwrap())
        .is_err());
}

#[test]
fn references_add_their_depth_to_the_limit() {
    let schema = small_schema();
    let mut catalog = Catalog::new();
    let deep = format!("{}age > 1", "not ".repeat(MAX_NESTING / 2 + 1));
    catalog
        .insert("half", Segment::parse(&deep).unwrap())
        .unwrap();
    assert!(catalog.compile_named("half", &schema).is_ok());
    let outer = format!("{}in_segment(\"half\")", "not ".repeat(MAX_NESTING / 2 + 1));
    let err = catalog
        .compile(&Segment::parse(&outer).unwrap(), &schema)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn computed_values_are_ordinary_fields() {
    let schema = small_schema();
    let mut catalog = Catalog::new();
    catalog.declare_computed("clv", FieldType::Float).unwrap();
    catalog
        .declare_computed("churn.probability", FieldType::Float)
        .unwrap();
    let segment = Segment::parse("clv > 500 and churn.probability >= 0.6").unwrap();
    // Without the declaration the field is unknown.
    assert_eq!(
        segment.compile(&schema).unwrap_err().kind(),
        ErrorKind::UnknownField
    );
    let compiled = catalog.compile(&segment, &schema).unwrap();
    let base = with_fields(&[("age", Stored::Int(40))]);
    let now = at(2026, 1, 1);
    let values = [
        (FieldPath::new("clv").unwrap(), Value::Float(812.5)),
        (
            FieldPath::new("churn.probability").unwrap(),
            Value::Float(0.7),
        ),
    ];
    assert_eq!(
        compiled.evaluate_at(&Computed::new(&base, &values), now),
        Truth::True
    );
    assert_eq!(compiled.evaluate_at(&base, now), Truth::Unknown);
    let values = [(FieldPath::new("clv").unwrap(), Value::Float(100.0))];
    assert_eq!(
        compiled.evaluate_at(&Computed::new(&base, &values), now),
        Truth::False
    );
    // A computed text compared with a number is unknown, not a panic.
    let values = [(FieldPath::new("clv").unwrap(), Value::Text("high"))];
    assert_eq!(
        compiled.evaluate_at(&Computed::new(&base, &values), now),
        Truth::Unknown
    );
}

#[test]
fn membership_changes_between_states_and_times() {
    let mut catalog = Catalog::new();
    catalog
        .declare_computed("sentiment", FieldType::Float)
        .unwrap();
    let negative = catalog
        .compile(
            &Segment::parse("sentiment < -0.3").unwrap(),
            &small_schema(),
        )
        .unwrap();
    let base = Profile::default();
    let now = at(2026, 1, 1);
    let calm = [(FieldPath::new("sentiment").unwrap(), Value::Float(0.4))];
    let angry = [(FieldPath::new("sentiment").unwrap(), Value::Float(-0.8))];
    let (calm, angry) = (Computed::new(&base, &calm), Computed::new(&base, &angry));
    assert_eq!(negative.change(&calm, &angry, now), Membership::Entered);
    assert_eq!(negative.change(&angry, &calm, now), Membership::Exited);
    assert_eq!(negative.change(&angry, &angry, now), Membership::Stayed);
    assert_eq!(negative.change(&calm, &calm, now), Membership::StayedOut);
    // Unknown counts as out.
    assert_eq!(negative.change(&base, &angry, now), Membership::Entered);
    assert!(Membership::Entered.is_change() && !Membership::Stayed.is_change());

    // Over time: a purchase leaves the 30-day window.
    let active = Segment::parse("count(purchase within 30d) >= 1")
        .unwrap()
        .compile(&small_schema())
        .unwrap();
    let eur = Currency::new("EUR").unwrap();
    let mut buyer = Profile::default();
    buyer.events.push(TestEvent {
        name: "purchase".into(),
        at: at(2026, 1, 10),
        fields: [(
            "amount".to_owned(),
            vec![Stored::Money(Money::from_minor(1000, eur))],
        )]
        .into_iter()
        .collect(),
    });
    assert_eq!(
        active.change_over(&buyer, at(2026, 1, 5), at(2026, 1, 11)),
        Membership::Entered
    );
    assert_eq!(
        active.change_over(&buyer, at(2026, 1, 11), at(2026, 2, 9)),
        Membership::Stayed
    );
    assert_eq!(
        active.change_over(&buyer, at(2026, 2, 9), at(2026, 2, 10)),
        Membership::Exited
    );
}

#[test]
fn source_records_evaluate_through_the_model_seam() {
    use custodia::model::{CountryCode, Event, EventId, EventKind, Transaction, TransactionKind};
    let now = at(2026, 3, 1);
    let eur = Currency::new("EUR").unwrap();
    let mut b = SourceRecord::builder("shop-1", "webshop", now).unwrap();
    b.geographic().country = Some(CountryCode::new("PT").unwrap());
    for (i, day) in [3_u32, 10, 20].into_iter().enumerate() {
        let id = format!("o-{i}");
        let order = Transaction::new(
            &id,
            TransactionKind::Purchase,
            Money::parse("45.00", eur).unwrap(),
            vec![],
        )
        .unwrap();
        b.event(Event::new(
            EventId::new(&id).unwrap(),
            at(2026, 2, day),
            EventKind::Transaction(order),
        ));
    }
    let record = b.build().unwrap();
    let schema = SourceRecord::schema();
    let check = |text: &str| {
        Segment::parse(text)
            .unwrap()
            .compile(schema)
            .unwrap()
            .evaluate_at(&record, now)
    };
    assert_eq!(check("geographic.country = \"PT\""), Truth::True);
    assert_eq!(check("count(purchase within 30d) = 3"), Truth::True);
    assert_eq!(check("count(purchase within 20d) = 2"), Truth::True);
    assert_eq!(check("sum(purchase.amount) = 135 EUR"), Truth::True);
    assert_eq!(
        check("avg(purchase.amount within 20d) = 45 EUR"),
        Truth::True
    );
    assert_eq!(
        check("first(purchase.at) = 2026-02-03T12:00:00Z"),
        Truth::True
    );
    assert_eq!(check("count(refund) = 0"), Truth::True);
    assert_eq!(check("attributes.anything = 1"), Truth::Unknown);
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for open in ["(", "not ", "not ("] {
        let close = if open.contains('(') { ")" } else { "" };
        let ok = format!(
            "{}x = 1{}",
            open.repeat(MAX_NESTING / 2),
            close.repeat(MAX_NESTING / 2)
        );
        assert!(Segment::parse(&ok).is_ok(), "{open}");
        let n = 10_000;
        let deep = format!("{}x = 1{}", open.repeat(n), close.repeat(n));
        let err = Segment::parse(&deep).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{open}");
        assert_eq!(
            err.to_string(),
            format!("expression nests deeper than the limit of {MAX_NESTING} levels")
        );
    }
    // Nested filters count too.
    let deep = format!(
        "count(purchase where {}amount > 1 EUR{}) > 0",
        "(not ".repeat(MAX_NESTING),
        ")".repeat(MAX_NESTING)
    );
    assert_eq!(
        Segment::parse(&deep).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
    // A builder-made tree deeper than the limit is refused by compile, and
    // still prints without overflowing.
    let mut e = field("age").unwrap().gt(1);
    for _ in 0..2_000 {
        e = not(e);
    }
    let segment = Segment::from_expr(e);
    assert_eq!(
        segment.compile(&small_schema()).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
    assert!(segment.to_string().ends_with("..."));
    // Long flat chains are not nesting.
    let flat = vec!["age > 1"; 5_000].join(" and ");
    let compiled = Segment::parse(&flat)
        .unwrap()
        .compile(&small_schema())
        .unwrap();
    assert!(compiled.matches_at(&with_fields(&[("age", Stored::Int(3))]), at(2026, 1, 1)));
    // Too much text.
    let long = format!("age > 1{}", " ".repeat(MAX_TEXT_LEN));
    assert_eq!(
        Segment::parse(&long).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
}

#[test]
fn errors_draw_a_caret_under_the_problem() {
    let schema = small_schema();
    let diag = |text: &str| match Segment::parse(text) {
        Err(e) => e.diagnostic(),
        Ok(s) => s
            .compile(&schema)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.diagnostic()),
    };
    assert_eq!(
        diag("country = \"DE\" and age >= \"x\""),
        "cannot compare int with text using >=\n  country = \"DE\" and age >= \"x\"\n                     ^^^^^^^^^^"
    );
    assert_eq!(
        diag("count(purchase where amout > 1 EUR) > 0"),
        "unknown field \"amout\" in purchase events; did you mean \"amount\"?\n  count(purchase where amout > 1 EUR) > 0\n                       ^^^^^"
    );
    assert_eq!(
        diag("sum(purchase.amount within 30d) >= 10"),
        "cannot compare money with int using >=: write the amount with its currency, such as 100 EUR\n  sum(purchase.amount within 30d) >= 10\n  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
    );
    assert_eq!(
        diag("país = 1 and"),
        "unexpected character 'í'\n  país = 1 and\n    ^"
    );
}

#[test]
fn evaluation_is_deterministic_in_the_injected_clock() {
    let compiled = Segment::parse("attributes.renewal <= now + 1w")
        .unwrap()
        .compile(&small_schema())
        .unwrap();
    let p = with_fields(&[(
        "attributes.renewal",
        Stored::Date(NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()),
    )]);
    assert!(!compiled.matches_at(&p, at(2026, 1, 1)));
    assert!(compiled.matches_at(&p, at(2026, 1, 3)));
    assert_eq!(compiled.as_str(), "attributes.renewal <= now + 1w");
}

#[test]
fn public_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<Segment>();
    check::<CompiledSegment>();
    check::<Catalog>();
    check::<Truth>();
    check::<Membership>();
    check::<custodia::segment::Expr>();
    check::<custodia::segment::builder::Term>();
    check::<Computed<'static, Profile>>();
}

#[test]
fn hand_made_trees_are_checked_too() {
    use custodia::segment::Expr;
    let schema = small_schema();
    let empty = Segment::from_expr(Expr::And(vec![]));
    assert_eq!(
        empty.compile(&schema).unwrap_err().to_string(),
        "and needs at least two operands, found 0"
    );
    let one = Segment::from_expr(Expr::Or(vec![field("age").unwrap().gt(1)]));
    assert_eq!(
        one.compile(&schema).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let negated_membership =
        Segment::from_expr(Expr::Not(Box::new(field("age").unwrap().is_in([1_i64, 2]))));
    assert!(negated_membership.compile(&schema).is_ok());
    // Matching on trees from outside the crate.
    let parsed = Segment::parse("not (age > 1 or country = \"DE\")").unwrap();
    let Expr::Not(inner) = parsed.expr() else {
        panic!("not")
    };
    assert!(matches!(&**inner, Expr::Or(xs) if xs.len() == 2));
}

#[test]
fn custom_events_are_counted_by_their_quoted_name() {
    use custodia::model::{
        AttributeValue, Attributes, CustomEvent, Event, EventId, EventKind, SourceRecord,
    };
    let now = at(2026, 3, 31);
    let mut props = Attributes::new();
    props.insert("to", AttributeValue::from("pro")).unwrap();
    let upgraded = Event::new(
        EventId::new("e1").unwrap(),
        at(2026, 3, 20),
        EventKind::Custom(CustomEvent::new("Plan Upgraded").unwrap()),
    )
    .with_properties(props);
    let mut b = SourceRecord::builder("r1", "app", now).unwrap();
    b.event(upgraded);
    let record = b.build().unwrap();

    let text = r#"count("Plan Upgraded" where properties.to = "pro" within 30d) >= 1"#;
    let segment = Segment::parse(text).unwrap();
    assert_eq!(segment.to_string(), text, "quoted names print back quoted");
    assert_eq!(Segment::parse(&segment.to_string()).unwrap(), segment);
    let compiled = segment.compile(SourceRecord::schema()).unwrap();
    assert!(compiled.matches_at(&record, now));
    let older = Segment::parse(r#"count("Plan Upgraded" within 5d) >= 1"#)
        .unwrap()
        .compile(SourceRecord::schema())
        .unwrap();
    assert!(!older.matches_at(&record, now));

    let err = Segment::parse(r#"sum("Plan Upgraded" within 5d) > 1"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert!(
        err.to_string()
            .contains("count(\"Plan Upgraded\") counts it"),
        "{err}"
    );
    // A schema without open events still refuses names it does not know.
    let err = Segment::parse(r#"count("Plan Upgraded") >= 1"#)
        .unwrap()
        .compile(&small_schema())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
}

#[test]
fn errors_inside_custom_events_name_them_as_custom() {
    use custodia::model::SourceRecord;
    let err = Segment::parse(r#"count("Plan Upgraded" where plan = "pro") >= 1"#)
        .unwrap()
        .compile(SourceRecord::schema())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert!(err.to_string().contains("custom events"), "{err}");
}

#[test]
fn list_attributes_compare_with_each_of_their_values() {
    use custodia::model::AttributeValue;
    let now = at(2026, 3, 1);
    let mut b = SourceRecord::builder("r1", "crm", now).unwrap();
    b.attributes()
        .insert(
            "tags",
            AttributeValue::List(vec![
                AttributeValue::Text("trial".into()),
                AttributeValue::Text("vip".into()),
            ]),
        )
        .unwrap();
    let record = b.build().unwrap();
    let schema = SourceRecord::schema();
    for (text, expected) in [
        (r#"attributes.tags = "vip""#, Truth::True),
        (r#"attributes.tags = "trial""#, Truth::True),
        (r#"attributes.tags in ["gold", "vip"]"#, Truth::True),
        (r#"attributes.tags = "gold""#, Truth::False),
    ] {
        let segment = Segment::parse(text).unwrap().compile(schema).unwrap();
        assert_eq!(segment.evaluate_at(&record, now), expected, "{text}");
        let at_now = segment.at(now);
        assert_eq!(
            at_now.bind::<SourceRecord>().evaluate(&record),
            expected,
            "{text}"
        );
    }
}

/// Compiles `text` (parsed as the one thing the test checks) and returns the
/// error with the time it took.
fn compile_error(catalog: &Catalog, text: &str) -> (custodia::Error, std::time::Duration) {
    let started = std::time::Instant::now();
    let err = catalog
        .compile(&Segment::parse(text).unwrap(), SourceRecord::schema())
        .unwrap_err();
    (err, started.elapsed())
}

#[test]
fn long_unknown_names_are_reported_without_quadratic_suggestions() {
    let mut catalog = Catalog::new();
    for i in 0..2_000 {
        let name = format!("{}{i}", "a".repeat(120));
        catalog
            .insert(&name, Segment::parse("age > 1").unwrap())
            .unwrap();
    }
    let long = "a".repeat(60_000);
    for text in [
        format!("in_segment(\"{long}\")"),
        format!("count({long}) > 1"),
    ] {
        let (err, took) = compile_error(&catalog, &text);
        assert_eq!(err.kind(), ErrorKind::UnknownField);
        assert!(err.span().is_some());
        assert!(
            took < std::time::Duration::from_secs(3),
            "{}: {took:?}",
            &text[..20]
        );
    }
    // Near names are still suggested.
    let near = format!("in_segment(\"{}1x\")", "a".repeat(120));
    let (err, _) = compile_error(&catalog, &near);
    assert!(err.to_string().contains("did you mean"), "{err}");
}

#[test]
fn text_past_the_length_limit_is_pointed_at() {
    for filler in ["a", "é", "日"] {
        let text = format!("age > 1 or {}", filler.repeat(MAX_TEXT_LEN));
        let err = Segment::parse(&text).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        let span = err.span().unwrap();
        assert!(
            span.start <= MAX_TEXT_LEN && MAX_TEXT_LEN - span.start < 4,
            "{span:?}"
        );
        assert_eq!(span.end, text.len());
        assert!(text.is_char_boundary(span.start));
        assert!(err.diagnostic().contains('^'));
    }
}

// Stable-toolchain fuzzing: long, structured, hostile inputs through every
// step (parse, print and parse again, check, compile, evaluate, bind). The
// `fuzz_segment_campaign*` tests run the same properties on many more cases;
// CI runs them with `--ignored`.
mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration as Elapsed, Instant};

    /// The most a single case may take in a debug build: a guard against
    /// blow-ups, not a speed figure.
    const GUARD: Elapsed = Elapsed::from_secs(5);

    /// The longest text generated: past `MAX_TEXT_LEN`, to cover the refusal.
    const LONGEST: usize = 100 * 1024;

    fn now() -> DateTime<Utc> {
        at(2026, 3, 1)
    }

    /// Text repeated up to about `LONGEST` bytes.
    fn repeat_to(piece: &str, times: usize) -> String {
        piece.repeat(times.min(LONGEST / piece.len().max(1)))
    }

    /// Deep nesting: openers, a comparison, and the closers or not.
    fn nested() -> impl Strategy<Value = String> {
        let openers = prop::sample::select(vec![
            "(",
            "not ",
            "not (",
            "(not ",
            "count(purchase where ",
            "count(purchase where not ",
            "in_segment(",
        ]);
        (openers, 1..40_000_usize, prop::bool::ANY).prop_map(|(open, n, close)| {
            let closers: String = open.chars().filter(|c| *c == '(').map(|_| ')').collect();
            let tail = if close {
                repeat_to(&closers, n)
            } else {
                String::new()
            };
            format!("{}age > 1{tail}", repeat_to(open, n))
        })
    }

    /// One long atom in a small frame: identifiers, paths, strings, numbers,
    /// durations, money, dates, escapes.
    fn long_atom() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            ("age = ", "a", ""),
            ("", "a", " = 1"),
            ("", "ab.", "c = 1"),
            ("country = \"", "x", "\""),
            ("country = \"", "é\\n", "\""),
            ("country = \"", "\\u{1F600}", "\""),
            ("country = \"", "\\u{", "\""),
            ("country = \"", "\\", ""),
            ("age = ", "9", ""),
            ("age = -", "9", ""),
            ("age = 1.", "9", ""),
            ("age = 1e", "9", ""),
            ("age = 1e-", "9", ""),
            ("age > ", "9", " EUR"),
            ("age > 0.", "9", " JPY"),
            ("count(purchase within ", "9", "d) > 1"),
            ("age > now - ", "9", "w"),
            ("age = 2026-", "1", ""),
            ("age = 2026-01-01T", "1", "Z"),
            ("count(", "a", ") > 1"),
            ("count(\"", "a", "\") > 1"),
            ("in_segment(\"", "a", "\")"),
            ("country in [", "\"a\", ", "\"b\"]"),
            ("age in [", "1, ", "2]"),
            ("", "age > 1 or ", "age < 0"),
            ("", "age > 1 and ", "country ~= \"DE\""),
            ("", "!", ""),
            ("", "\"", ""),
            ("", " ", "age > 1"),
        ]);
        (atoms, 1..100_000_usize)
            .prop_map(|((head, body, tail), n)| format!("{head}{}{tail}", repeat_to(body, n)))
    }

    /// Long flat expressions made of valid pieces, which get through every
    /// step.
    fn flat() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "age > 1",
            "country = \"DE\"",
            "not exists(age)",
            "country starts_with \"D\"",
            "country contains \"E\"",
            "country ~= \"de\"",
            "count(purchase within 30d) >= 1",
            "sum(purchase.amount where amount > 1 EUR within 2w) < 100 EUR",
            "(age < 5 or country in [\"AT\", \"CH\"])",
            "attributes.plan = \"pro\"",
            "age >= now - 3d",
        ]);
        (
            prop::collection::vec(pieces, 1..3_000),
            prop::sample::select(vec![" and ", " or "]),
        )
            .prop_map(|(parts, sep)| parts.join(sep))
    }

    fn hostile_text() -> impl Strategy<Value = String> {
        prop_oneof![nested(), long_atom(), flat()]
    }

    /// Runs `text` through every step; no panic, a typed error with a span
    /// where parsing fails, a round trip where it succeeds, results that
    /// agree between the evaluation paths, all within [`GUARD`].
    fn probe_text(text: &str) -> Result<(), TestCaseError> {
        let started = Instant::now();
        let label = || {
            format!(
                "{}… ({} bytes)",
                &text[..text.floor_char_boundary_at(40)],
                text.len()
            )
        };
        match Segment::parse(text) {
            Err(err) => {
                prop_assert!(
                    matches!(err.kind(), ErrorKind::Syntax | ErrorKind::LimitExceeded),
                    "{}: {:?}",
                    label(),
                    err.kind()
                );
                let span = err.span();
                prop_assert!(span.is_some(), "{}: no span for {err}", label());
                let span = span.unwrap();
                prop_assert!(
                    span.start <= span.end && span.end <= text.len(),
                    "{}",
                    label()
                );
                prop_assert!(!err.diagnostic().is_empty());
            }
            Ok(segment) => {
                let printed = segment.to_string();
                let again = Segment::parse(&printed);
                if printed.len() <= MAX_TEXT_LEN {
                    prop_assert!(again.is_ok(), "{}: printed text does not parse", label());
                    prop_assert_eq!(&again.unwrap(), &segment);
                } else {
                    // The canonical text can be longer than the text read
                    // (`1 EUR` prints as `1.00 EUR`), past the limit.
                    prop_assert_eq!(again.unwrap_err().kind(), ErrorKind::LimitExceeded);
                }
                let profile = with_fields(&[
                    ("age", Stored::Int(30)),
                    ("country", Stored::Text("DE".to_owned())),
                ]);
                for schema in [&small_schema(), SourceRecord::schema()] {
                    match segment.compile(schema) {
                        Err(err) => prop_assert!(
                            matches!(
                                err.kind(),
                                ErrorKind::Type
                                    | ErrorKind::UnknownField
                                    | ErrorKind::LimitExceeded
                                    | ErrorKind::InvalidInput
                            ),
                            "{}: {:?}",
                            label(),
                            err.kind()
                        ),
                        Ok(compiled) => {
                            let t = compiled.evaluate_at(&profile, now());
                            let at_now = compiled.at(now());
                            prop_assert_eq!(at_now.evaluate(&profile), t);
                            prop_assert_eq!(at_now.bind::<Profile>().evaluate(&profile), t);
                        }
                    }
                }
            }
        }
        prop_assert!(
            started.elapsed() < GUARD,
            "{}: {:?}",
            label(),
            started.elapsed()
        );
        Ok(())
    }

    /// Where a text may be cut for a label.
    trait CharBoundary {
        fn floor_char_boundary_at(&self, at: usize) -> usize;
    }

    impl CharBoundary for str {
        fn floor_char_boundary_at(&self, at: usize) -> usize {
            (0..=at.min(self.len()))
                .rev()
                .find(|i| self.is_char_boundary(*i))
                .unwrap_or(0)
        }
    }

    /// A catalog as a reference graph: each segment `s{i}` is a leaf joined
    /// with references to any names, including itself, later segments
    /// (cycles) and names no segment has; or a long chain.
    fn catalog() -> impl Strategy<Value = Vec<String>> {
        let leaves = prop::sample::select(vec![
            "age > 1",
            "country = \"DE\"",
            "not exists(age)",
            "count(purchase within 30d) >= 1",
        ]);
        let graph = prop::collection::vec(
            (
                leaves,
                prop::collection::vec((0..10_usize, prop::bool::ANY, prop::bool::ANY), 0..6),
            ),
            1..8,
        )
        .prop_map(|segments| {
            segments
                .into_iter()
                .map(|(leaf, refs)| {
                    let mut text = leaf.to_owned();
                    for (target, or, negate) in refs {
                        let not = if negate { "not " } else { "" };
                        let op = if or { "or" } else { "and" };
                        text = format!("({text}) {op} {not}in_segment(\"s{target}\")");
                    }
                    text
                })
                .collect::<Vec<_>>()
        });
        // s0 is a leaf; each later one refers to the one below `refs` times.
        let chain = (1..120_usize, 1..4_usize, prop::bool::ANY).prop_map(|(len, refs, or)| {
            let op = if or { " or " } else { " and " };
            let mut segments = vec!["age > 1".to_owned()];
            for i in 1..len {
                segments.push(vec![format!("in_segment(\"s{}\")", i - 1); refs].join(op));
            }
            segments
        });
        prop_oneof![graph, chain]
    }

    fn probe_catalog(bodies: &[String]) -> Result<(), TestCaseError> {
        let started = Instant::now();
        let mut catalog = Catalog::new();
        for (i, body) in bodies.iter().enumerate() {
            catalog
                .insert(&format!("s{i}"), Segment::parse(body).unwrap())
                .unwrap();
        }
        let profile = with_fields(&[("age", Stored::Int(30))]);
        for i in 0..bodies.len() + 1 {
            let name = format!("s{i}");
            match catalog.compile_named(&name, &small_schema()) {
                Err(err) => prop_assert!(
                    matches!(
                        err.kind(),
                        ErrorKind::Type | ErrorKind::UnknownField | ErrorKind::LimitExceeded
                    ),
                    "{name}: {err}"
                ),
                Ok(compiled) => {
                    let t = compiled.evaluate_at(&profile, now());
                    let at_now = compiled.at(now());
                    prop_assert_eq!(at_now.evaluate(&profile), t);
                    prop_assert_eq!(at_now.bind::<Profile>().evaluate(&profile), t);
                    prop_assert_eq!(
                        compiled.change(&profile, &profile, now()).is_change(),
                        false
                    );
                }
            }
        }
        prop_assert!(started.elapsed() < GUARD, "{:?}", started.elapsed());
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn hostile_text_gives_typed_errors_or_round_trips(text in hostile_text()) {
            probe_text(&text)?;
        }

        #[test]
        fn reference_graphs_compile_or_fail_typed(bodies in catalog()) {
            probe_catalog(&bodies)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        #[ignore = "long campaign; CI runs it with --ignored"]
        fn fuzz_segment_campaign_text(text in hostile_text()) {
            probe_text(&text)?;
        }

        #[test]
        #[ignore = "long campaign; CI runs it with --ignored"]
        fn fuzz_segment_campaign_catalog(bodies in catalog()) {
            probe_catalog(&bodies)?;
        }
    }
}
