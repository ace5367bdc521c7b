//! RFM scores and segments: from records through the pipeline to segment
//! expressions that read `rfm.*` next to a profile's own fields.

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodia::clv;
use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
use custodia::error::ErrorKind;
use custodia::insights::rfm::{
    self, extend_schema, values_from_transactions, RfmFields, RfmScore, RfmScorer, RfmSegment,
    RfmValues,
};
use custodia::merge::UnifiedProfile;
use custodia::model::{
    CountryCode, Currency, EmailAddress, Event, EventId, EventKind, FieldAccess, FieldPath, Money,
    SourceRecord, Transaction, TransactionKind,
};
use custodia::pipeline::Pipeline;
use custodia::Segment;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn eur() -> Currency {
    Currency::new("EUR").unwrap()
}

/// A shop record of `id` with `purchases` orders, the last `last_days_ago`
/// days before now and a week apart, adding up to `total` euros (every
/// order but the last is 1.00).
fn shopper(id: &str, purchases: u32, last_days_ago: i64, total: i64) -> SourceRecord {
    let mut b = SourceRecord::builder(id, "webshop", now()).unwrap();
    b.identity()
        .emails
        .push(EmailAddress::new(&format!("{id}@example.pt")).unwrap());
    b.geographic().country = Some(CountryCode::new("PT").unwrap());
    for i in 0..purchases {
        let amount = if i == 0 {
            total - i64::from(purchases - 1)
        } else {
            1
        };
        let order = Transaction::new(
            &format!("{id}-o{i}"),
            TransactionKind::Purchase,
            Money::parse(&amount.to_string(), eur()).unwrap(),
            vec![],
        )
        .unwrap();
        let at = now() - Duration::days(last_days_ago + 7 * i64::from(i));
        b.event(Event::new(
            EventId::new(&format!("{id}-e{i}")).unwrap(),
            at,
            EventKind::Transaction(order),
        ));
    }
    b.build().unwrap()
}

/// Five shoppers with distinct recency, frequency and spend, so each
/// dimension puts one customer in each quintile (n = 5: scores 1 to 5 in
/// value order).
fn five() -> Vec<(SourceRecord, &'static str)> {
    vec![
        // 3 days, 9 orders, 640: 555 champions.
        (shopper("ana", 9, 3, 640), "555"),
        // 210 days (R 2 of 5), 7 orders (F 4), 510 (M 4): FM 4, at risk.
        (shopper("bia", 7, 210, 510), "244"),
        // 400 days, 1 order, 12: 111 lost.
        (shopper("caio", 1, 400, 12), "111"),
        // 30 days (R 4), 2 orders (F 2), 40 (M 2): potential loyalist.
        (shopper("duda", 2, 30, 40), "422"),
        // 90 days (R 3), 3 orders, 80: 333 need attention.
        (shopper("eva", 3, 90, 80), "333"),
    ]
}

#[test]
fn pipeline_profiles_are_segmented_on_their_rfm() {
    let ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()
        .unwrap();
    let mut p = Pipeline::builder().ledger(ledger).build().unwrap();
    let cases = five();
    p.extend(cases.iter().map(|(r, _)| r.clone())).unwrap();
    let persons = p.persons();
    assert_eq!(persons.len(), 5);

    // Purchases of every person, then RFM values as of today.
    let mut log: Vec<clv::Transaction> = Vec::new();
    for &person in &persons {
        log.extend(
            p.purchases(person, &Purpose::Analytics, now(), eur())
                .unwrap(),
        );
    }
    let values = values_from_transactions(&log, now().date_naive()).unwrap();
    assert_eq!(values.len(), 5);
    let only: Vec<RfmValues> = values.iter().map(|(_, v)| *v).collect();
    let scores = rfm::score(&only).unwrap();

    let schema = extend_schema(UnifiedProfile::schema()).unwrap();
    let compile = |text: &str| Segment::parse(text).unwrap().compile(&schema).unwrap();
    let at_risk = compile("rfm.segment = \"at_risk\" and rfm.monetary >= 4");
    let best = compile("rfm.score = 555 and count(purchase) >= 9 and geographic.country = \"PT\"");

    let mut seen = Vec::new();
    for &person in &persons {
        let profile = p.profile(person, &Purpose::Analytics, now()).unwrap();
        let key = person.to_string();
        let i = values.iter().position(|(c, _)| *c == key).unwrap();
        let score = scores[i];
        let email = profile
            .first(&FieldPath::new("identity.email").unwrap())
            .and_then(|v| v.as_text().map(str::to_owned))
            .unwrap();
        let name = email.split('@').next().unwrap().to_owned();
        let (_, want) = cases.iter().find(|(r, _)| r.id().as_str() == name).unwrap();
        assert_eq!(score.to_string(), *want, "{name}");

        let with = RfmFields::new(&profile, score);
        assert_eq!(at_risk.matches_at(&with, now()), name == "bia", "{name}");
        assert_eq!(best.matches_at(&with, now()), name == "ana", "{name}");
        // Without its score the profile has no rfm.* fields: never a match.
        assert!(!at_risk.matches_at(&profile, now()));
        seen.push((name, score.segment()));
    }
    seen.sort();
    use RfmSegment::{AtRisk, Champions, Lost, NeedAttention, PotentialLoyalist};
    let segments: Vec<RfmSegment> = seen.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        segments,
        [Champions, AtRisk, Lost, PotentialLoyalist, NeedAttention]
    );
}

#[test]
fn source_records_read_rfm_next_to_their_fields() {
    let schema = extend_schema(SourceRecord::schema()).unwrap();
    let segment = Segment::parse(
        "geographic.country = \"PT\" and rfm.recency >= 4 and rfm.fm <= 2 and rfm.segment in [\"new\", \"promising\"]",
    )
    .unwrap()
    .compile(&schema)
    .unwrap();
    let record = shopper("ana", 1, 2, 30);
    let new = RfmScore::new(5, 1, 1).unwrap();
    let promising = RfmScore::new(4, 1, 1).unwrap();
    // F 1, M 2: FM ⌈1.5⌉ = 2, a potential loyalist at R 4.
    let potential = RfmScore::new(4, 1, 2).unwrap();
    assert_eq!(new.segment(), RfmSegment::New);
    assert_eq!(promising.segment(), RfmSegment::Promising);
    assert_eq!(potential.segment(), RfmSegment::PotentialLoyalist);
    assert!(segment.matches_at(&RfmFields::new(&record, new), now()));
    assert!(segment.matches_at(&RfmFields::new(&record, promising), now()));
    assert!(!segment.matches_at(&RfmFields::new(&record, potential), now()));
    // Unknown rfm paths are refused at compile time, with the schema's help.
    let err = Segment::parse("rfm.segmnt = \"lost\"")
        .unwrap()
        .compile(&schema)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    // The extended schema keeps the record's own.
    assert_eq!(
        schema.fields().len(),
        SourceRecord::schema().fields().len() + 6
    );
}

#[test]
fn one_population_scores_another() {
    // Fit on last year's ten customers (spend 10, 20, …, 100: two per
    // quintile, cut points 30, 50, 70, 90), score this year's.
    let last_year: Vec<RfmValues> = (1..=10)
        .map(|i| RfmValues::new(f64::from(i), 1, f64::from(10 * i)).unwrap())
        .collect();
    let scorer = RfmScorer::fit(&last_year).unwrap();
    assert_eq!(scorer.monetary_thresholds(), [30.0, 50.0, 70.0, 90.0]);
    let score = |m: f64| scorer.score(&RfmValues::new(1.0, 1, m).unwrap()).monetary();
    assert_eq!(
        [5.0, 29.99, 30.0, 65.0, 90.0, 1e9].map(score),
        [1, 1, 2, 3, 5, 5]
    );
}

#[test]
fn a_large_population_fills_the_quintiles_evenly() {
    // 10 000 distinct spends: exactly 2 000 customers per score, from an
    // input of 200 KB (10 000 × 20 bytes) in one call.
    let values: Vec<RfmValues> = (0..10_000u32)
        .map(|i| RfmValues::new(f64::from(i % 97), 1 + i % 13, f64::from(i) * 0.5).unwrap())
        .collect();
    let scores = rfm::score(&values).unwrap();
    for s in 1..=5u8 {
        let n = scores.iter().filter(|x| x.monetary() == s).count();
        assert_eq!(n, 2_000, "score {s}");
    }
}

#[test]
fn transactions_of_a_customer_with_one_purchase() {
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 2, d).unwrap();
    let log = [
        clv::Transaction::new("solo", day(1), 25.0).unwrap(),
        clv::Transaction::new("many", day(10), 5.0).unwrap(),
        clv::Transaction::new("many", day(20), 5.0).unwrap(),
    ];
    let values = values_from_transactions(&log, day(28)).unwrap();
    // solo: 27 days, 1 purchase, 25 spent; many: 8 days, 2, 10.
    assert_eq!(values[1].0, "solo");
    let solo = values[1].1;
    assert_eq!(
        (solo.recency(), solo.frequency(), solo.monetary()),
        (27.0, 1, 25.0)
    );
    // n = 2: the better value scores 4, the worse 2.
    let scores = rfm::score(&[values[0].1, solo]).unwrap();
    assert_eq!(scores[1].to_string(), "224");
    assert_eq!(scores[0].to_string(), "442");
}

#[cfg(feature = "serde")]
#[test]
fn json_shapes_are_frozen_and_checked() {
    let scorer = RfmScorer::from_thresholds(&[90.0, 30.0], &[2.0, 3.0, 5.0, 8.0], &[50.5]).unwrap();
    insta::assert_json_snapshot!(scorer, @r#"
    {
      "recency": [
        90.0,
        30.0
      ],
      "frequency": [
        2.0,
        3.0,
        5.0,
        8.0
      ],
      "monetary": [
        50.5
      ]
    }
    "#);
    let back: RfmScorer = serde_json::from_str(&serde_json::to_string(&scorer).unwrap()).unwrap();
    assert_eq!(back, scorer);
    let bad = r#"{"recency": [30, 90], "frequency": [], "monetary": []}"#;
    assert!(serde_json::from_str::<RfmScorer>(bad).is_err());

    let score = RfmScore::new(2, 4, 5).unwrap();
    insta::assert_json_snapshot!(score, @r#"
    {
      "recency": 2,
      "frequency": 4,
      "monetary": 5
    }
    "#);
    assert!(
        serde_json::from_str::<RfmScore>(r#"{"recency": 6, "frequency": 1, "monetary": 1}"#)
            .is_err()
    );

    insta::assert_json_snapshot!(RfmSegment::CantLoseThem, @r#""cant_lose_them""#);
    let seg: RfmSegment = serde_json::from_str(r#""potential_loyalist""#).unwrap();
    assert_eq!(seg, RfmSegment::PotentialLoyalist);

    let values = RfmValues::new(3.0, 2, 99.5).unwrap();
    insta::assert_json_snapshot!(values, @r#"
    {
      "recency": 3.0,
      "frequency": 2,
      "monetary": 99.5
    }
    "#);
    assert!(
        serde_json::from_str::<RfmValues>(r#"{"recency": 3, "frequency": 0, "monetary": 1}"#)
            .is_err()
    );
}

#[test]
fn rfm_types_are_send_sync_unpin() {
    fn assert_auto<T: Send + Sync + Unpin>() {}
    assert_auto::<RfmValues>();
    assert_auto::<RfmScore>();
    assert_auto::<RfmScorer>();
    assert_auto::<RfmSegment>();
    assert_auto::<RfmFields<'static, SourceRecord>>();
    assert_auto::<RfmFields<'static, UnifiedProfile>>();
}
