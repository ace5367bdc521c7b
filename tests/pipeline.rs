//! The pipeline facade: incremental equals batch, stable person ids,
//! erasure, purchases and feedback of a person.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use custodia::clv::{summarize, Period};
use custodia::consent::{ConsentLedger, LawfulBasis, Purpose, SubjectKey};
use custodia::error::ErrorKind;
use custodia::identity::{MatchModel, ResolveParams, Resolver, Training};
use custodia::model::{
    Currency, EmailAddress, Event, EventId, EventKind, LanguageTag, Money, PersonName, RecordId,
    Review, SourceRecord, Transaction, TransactionKind,
};
use custodia::pipeline::{PersonId, Pipeline};
use proptest::prelude::*;

use crate::identity::synth;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn ledger() -> ConsentLedger {
    ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()
        .unwrap()
}

fn pipeline() -> Pipeline {
    Pipeline::builder().ledger(ledger()).build().unwrap()
}

/// A record of Ana Silva (or another given name) with one email.
fn person(id: &str, given: &str, email: &str) -> SourceRecord {
    let mut b = SourceRecord::builder(id, "crm", at()).unwrap();
    b.identity()
        .names
        .push(PersonName::from_parts(Some(given), Some("Silva")).unwrap());
    b.identity().emails.push(EmailAddress::new(email).unwrap());
    b.build().unwrap()
}

/// A record holding two emails and no name: the bridge between two
/// persons.
fn bridge(id: &str, a: &str, b: &str) -> SourceRecord {
    let mut r = SourceRecord::builder(id, "web", at()).unwrap();
    for e in [a, b] {
        r.identity().emails.push(EmailAddress::new(e).unwrap());
    }
    r.build().unwrap()
}

fn partition(p: &Pipeline) -> BTreeSet<Vec<RecordId>> {
    p.persons()
        .into_iter()
        .map(|id| p.members(id).unwrap().to_vec())
        .collect()
}

#[test]
fn the_older_person_survives_a_merge_whatever_the_record_ids() {
    let mut p = pipeline();
    let first = p.insert(person("z-9", "Ana", "ana@example.pt")).unwrap();
    let second = p.insert(person("y-5", "Rita", "rita@example.com")).unwrap();
    assert_eq!(first.created().len(), 1);
    assert_eq!(second.created().len(), 1);
    let (old, young) = (first.created()[0], second.created()[0]);
    assert!(old < young);
    assert_eq!(p.person_count(), 2);
    // "a-0" sorts before both, and joins them together.
    let joined = p
        .insert(bridge("a-0", "ana@example.pt", "rita@example.com"))
        .unwrap();
    assert_eq!(p.person_count(), 1, "{:?}", joined);
    assert!(joined.created().is_empty());
    assert_eq!(joined.merged().len(), 1);
    assert_eq!(joined.merged()[0].absorbed(), young);
    assert_eq!(joined.merged()[0].survivor(), old);
    assert_eq!(joined.changed(), [old]);
    assert_eq!(p.person_of(young), Some(old));
    assert_eq!(p.person_of(old), Some(old));
    assert_eq!(p.persons(), [old]);
    assert_eq!(p.members(young).unwrap().len(), 3);
    for id in ["a-0", "y-5", "z-9"] {
        assert_eq!(p.person_of_record(&RecordId::new(id).unwrap()), Some(old));
    }
    // An unrelated record changes no one else.
    let other = p.insert(person("m-1", "Rui", "rui@example.pt")).unwrap();
    assert_eq!(other.changed(), other.created());
    assert_eq!(p.person_of(young), Some(old));
}

#[test]
fn an_identical_copy_changes_nothing_and_a_replacement_changes_its_person() {
    let mut p = pipeline();
    let ana = p
        .insert(person("crm-1", "Ana", "ana@example.pt"))
        .unwrap()
        .created()[0];
    let copy = p.insert(person("crm-1", "Ana", "ana@example.pt")).unwrap();
    assert_eq!(copy, Default::default());
    let replaced = p.insert(person("crm-1", "Ana", "ana@other.pt")).unwrap();
    assert_eq!(replaced.changed(), [ana]);
    assert!(replaced.created().is_empty());
    assert_eq!(p.len(), 1);
}

#[test]
fn erasure_removes_persons_splits_bridges_and_keeps_copies_out() {
    let mut p = pipeline();
    p.insert(person("z-9", "Ana", "ana@example.pt")).unwrap();
    p.insert(person("y-5", "Rita", "rita@example.com")).unwrap();
    let old = p.persons()[0];
    let bridge_record = bridge("a-0", "ana@example.pt", "rita@example.com");
    p.insert(bridge_record.clone()).unwrap();
    assert_eq!(p.person_count(), 1);
    let rui = p
        .insert(person("m-1", "Rui", "rui@example.pt"))
        .unwrap()
        .created()[0];

    // Erase the bridge by its record id: the two parts come apart; the part
    // holding the earliest record ("z-9") keeps the id.
    let erased = p
        .erase(
            &SubjectKey::record(RecordId::new("a-0").unwrap()),
            "request",
        )
        .unwrap();
    assert_eq!(erased.receipt().records(), [RecordId::new("a-0").unwrap()]);
    assert_eq!(p.person_count(), 3);
    assert_eq!(erased.changes().created().len(), 1);
    let part = erased.changes().created()[0];
    assert_eq!(
        p.person_of_record(&RecordId::new("z-9").unwrap()),
        Some(old)
    );
    assert_eq!(
        p.person_of_record(&RecordId::new("y-5").unwrap()),
        Some(part)
    );
    // The same as a fresh pipeline of the remaining records.
    let mut fresh = pipeline();
    fresh
        .extend([
            person("z-9", "Ana", "ana@example.pt"),
            person("y-5", "Rita", "rita@example.com"),
            person("m-1", "Rui", "rui@example.pt"),
        ])
        .unwrap();
    assert_eq!(partition(&p), partition(&fresh));
    // A re-ingested copy is refused.
    let again = p.insert(bridge_record).unwrap();
    assert_eq!(again.refused(), [RecordId::new("a-0").unwrap()]);
    assert_eq!(p.person_count(), 3);

    // Rui's only record goes: so does Rui.
    let gone = p
        .erase(
            &SubjectKey::email(&EmailAddress::new("rui@example.pt").unwrap()),
            "request",
        )
        .unwrap();
    assert_eq!(gone.changes().removed(), [rui]);
    assert_eq!(p.person_of(rui), None);
    let err = p.profile(rui, &Purpose::Analytics, at()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        format!("person {rui} is unknown or erased")
    );
}

#[test]
fn erasure_forgets_trained_records_and_tolerates_later_ones() {
    let rows = synth::generate(700, 0.4, 3);
    let records: Vec<SourceRecord> = rows.iter().map(synth::to_source_record).collect();
    let (first, later) = records.split_at(600);
    // Few records: let a few hundred candidate pairs train.
    let params = ResolveParams::default()
        .training(custodia::identity::TrainParams::default().min_training_pairs(50));
    let (mut p, changes) = Pipeline::builder()
        .ledger(ledger())
        .resolve_params(params.clone())
        .train_on(first.to_vec())
        .unwrap();
    assert_eq!(changes.created().len(), p.person_count());
    assert!(matches!(p.model().training(), Training::Unlabelled { .. }));
    p.extend(later.to_vec()).unwrap();
    let before = p.model().clone();
    // The store alone cannot erase a later record with the trained model:
    // the model never counted its values.
    let late = SubjectKey::record(later[0].id().clone());
    let (mut store, mut index, mut model) =
        (p.store().clone(), p.index().clone(), p.model().clone());
    let err = store
        .erase_everywhere(&late, "request", &mut index, &mut model)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    // Through the pipeline: a record the model was trained on, then one
    // that came later.
    for r in [&first[0], &later[0]] {
        let subject = SubjectKey::record(r.id().clone());
        let erased = p.erase(&subject, "request").unwrap();
        assert!(erased.receipt().records().contains(r.id()));
    }
    assert_ne!(p.model(), &before, "the trained record was forgotten");
    // What is left equals a fresh batch of the remaining records with the
    // same frozen model.
    let rest: Vec<SourceRecord> = records
        .iter()
        .filter(|r| p.store().record(r.id()).is_some())
        .cloned()
        .collect();
    assert_eq!(rest.len(), records.len() - 2);
    let mut fresh = Pipeline::builder()
        .ledger(ledger())
        .resolve_params(params)
        .model(before.clone())
        .build()
        .unwrap();
    fresh.extend(rest).unwrap();
    assert_eq!(partition(&p), partition(&fresh));
}

fn order(id: &str, day: u32, minor: i64, kind: TransactionKind) -> Event {
    let t = Transaction::new(
        id,
        kind,
        Money::from_minor(minor, Currency::new("EUR").unwrap()),
        vec![],
    )
    .unwrap();
    Event::new(
        EventId::new(id).unwrap(),
        Utc.with_ymd_and_hms(2026, 2, day, 10, 0, 0).unwrap(),
        EventKind::Transaction(t),
    )
}

#[test]
fn a_person_gives_purchases_for_clv_and_feedback_with_language() {
    let mut p = pipeline();
    let mut crm = SourceRecord::builder("crm-1", "crm", at()).unwrap();
    crm.identity()
        .names
        .push(PersonName::from_parts(Some("Ana"), Some("Silva")).unwrap());
    crm.identity()
        .emails
        .push(EmailAddress::new("ana@example.pt").unwrap());
    crm.demographic().language = Some(LanguageTag::new("pt-PT").unwrap());
    let mut shop = SourceRecord::builder("shop-1", "shop", at()).unwrap();
    shop.identity()
        .names
        .push(PersonName::from_parts(Some("Ana"), Some("Silva")).unwrap());
    shop.identity()
        .emails
        .push(EmailAddress::new("ana@example.pt").unwrap());
    shop.event(order("o-1", 2, 1999, TransactionKind::Purchase));
    shop.event(order("o-2", 9, 500, TransactionKind::Purchase));
    shop.event(order("o-3", 10, 500, TransactionKind::Refund));
    let review = Review::new(None, Some("Entrega rápida, adorei!"), None).unwrap();
    shop.event(Event::new(
        EventId::new("rv-1").unwrap(),
        Utc.with_ymd_and_hms(2026, 2, 12, 10, 0, 0).unwrap(),
        EventKind::Review(review),
    ));
    let mut en = SourceRecord::builder("web-1", "web", at()).unwrap();
    en.identity()
        .emails
        .push(EmailAddress::new("ana@example.pt").unwrap());
    en.demographic().language = Some(LanguageTag::new("en").unwrap());
    let review = Review::new(None, Some("Great service"), None).unwrap();
    en.event(Event::new(
        EventId::new("rv-2").unwrap(),
        Utc.with_ymd_and_hms(2026, 2, 11, 10, 0, 0).unwrap(),
        EventKind::Review(review),
    ));
    p.extend([
        crm.build().unwrap(),
        shop.build().unwrap(),
        en.build().unwrap(),
    ])
    .unwrap();
    assert_eq!(p.person_count(), 1);
    let ana = p.persons()[0];

    let eur = Currency::new("EUR").unwrap();
    let purchases = p.purchases(ana, &Purpose::Analytics, at(), eur).unwrap();
    assert_eq!(purchases.len(), 2, "the refund is not a purchase");
    assert!(purchases.iter().all(|t| t.customer() == ana.to_string()));
    let end = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    let summary = summarize(&purchases, Period::Day, end).unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].summary().frequency(), 1);
    assert_eq!(summary[0].summary().monetary(), 5.0);
    let by_currency = p
        .purchases_by_currency(ana, &Purpose::Analytics, at())
        .unwrap();
    assert_eq!(by_currency.len(), 1);
    assert_eq!(by_currency[&eur], purchases);
    let usd = Currency::new("USD").unwrap();
    assert_eq!(
        p.purchases(ana, &Purpose::Analytics, at(), usd)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );

    let feedback = p.feedback(ana, &Purpose::Analytics, at()).unwrap();
    let got: Vec<(&str, Option<&str>, &str)> = feedback
        .iter()
        .map(|f| {
            (
                f.text(),
                f.language().map(LanguageTag::as_str),
                f.record().as_str(),
            )
        })
        .collect();
    // The English review carries its record's language; the shop record
    // has none, so its review takes the person's surviving language.
    assert_eq!(got[0], ("Great service", Some("en"), "web-1"));
    assert_eq!(got[1].0, "Entrega rápida, adorei!");
    assert_eq!(got[1].2, "shop-1");
    let survived = p
        .profile(ana, &Purpose::Analytics, at())
        .unwrap()
        .field(&"demographic.language".parse().unwrap())
        .map(|s| s.value().to_string());
    assert_eq!(got[1].1.map(str::to_owned), survived);
    assert!(feedback[0].at() < feedback[1].at());

    // Without a lawful basis, nothing flows: consent filters what a person
    // gives.
    let none = p.purchases(ana, &Purpose::Marketing, at(), eur).unwrap();
    assert!(none.is_empty());
    assert!(p
        .feedback(ana, &Purpose::Marketing, at())
        .unwrap()
        .is_empty());
}

#[test]
fn bad_parameters_are_errors() {
    let err = Pipeline::builder()
        .resolve_params(ResolveParams::default().link_probability(1.5))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
}

fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut out = items.to_vec();
    let mut s = seed | 1;
    for i in (1..out.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out.swap(i, (s % (i as u64 + 1)) as usize);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Records inserted one at a time or in batches, in any order, give the
    /// partition and profiles of one batch, and that partition is the batch
    /// resolution's; every issued person id stays resolvable, to an older
    /// or equal id.
    #[test]
    fn incremental_equals_batch(
        seed in any::<u64>(),
        n in 5usize..70,
        cuts in proptest::collection::vec(0usize..100, 0..6),
        replace in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let rows = synth::generate(n, 0.5, seed);
        let first: Vec<SourceRecord> = rows.iter().map(synth::to_source_record).collect();
        // Some records arrive twice: first as another row's content under
        // their id, then as themselves (a replacement).
        let mut early: Vec<SourceRecord> = Vec::new();
        for (k, i) in replace.iter().enumerate() {
            let target = i.get(&first);
            let other = &first[(i.index(first.len()) + k + 1) % first.len()];
            let mut b = SourceRecord::builder(target.id().as_str(), "synth", at()).unwrap();
            *b.identity() = other.identity().clone();
            *b.demographic() = other.demographic().clone();
            if early.iter().all(|e| e.id() != target.id()) {
                early.push(b.build().unwrap());
            }
        }
        let records = first;
        let params = ResolveParams::default().blocking(
            custodia::identity::BlockingParams::default().max_block_size(6),
        );
        let build = || {
            Pipeline::builder()
                .ledger(ledger())
                .resolve_params(params.clone())
                .build()
                .unwrap()
        };
        let mut batch = build();
        batch.extend(records.clone()).unwrap();

        let order = shuffled(&records, seed ^ 0x9e37);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (order.len() + 1)).collect();
        cuts.push(0);
        cuts.push(order.len());
        cuts.sort_unstable();
        let mut incremental = build();
        let mut issued: BTreeSet<PersonId> = BTreeSet::new();
        issued.extend(incremental.extend(early).unwrap().created().iter().copied());
        for w in cuts.windows(2) {
            let changes = incremental.extend(order[w[0]..w[1]].to_vec()).unwrap();
            issued.extend(changes.created().iter().copied());
            for m in changes.merged() {
                prop_assert!(m.survivor() < m.absorbed());
            }
            for id in &issued {
                let live = incremental.person_of(*id);
                prop_assert!(live.is_some_and(|l| l <= *id), "{} resolves to {:?}", id, live);
            }
        }
        prop_assert_eq!(partition(&incremental), partition(&batch));

        // The batch resolution with the same (standard) model.
        let resolver = Resolver::new(params.clone()).unwrap();
        let model = MatchModel::standard().with_link_probability(0.5).unwrap();
        let resolution = resolver
            .resolve_normalized(resolver.normalize(&records).unwrap(), model)
            .unwrap();
        let reference: BTreeSet<Vec<RecordId>> = resolution
            .clustering()
            .clusters()
            .iter()
            .map(|c| c.members().to_vec())
            .collect();
        prop_assert_eq!(partition(&batch), reference);

        let by_first = |p: &Pipeline| -> BTreeMap<RecordId, _> {
            p.persons()
                .into_iter()
                .map(|id| {
                    (
                        p.members(id).unwrap()[0].clone(),
                        p.profile(id, &Purpose::Analytics, at() + Duration::days(1)).unwrap(),
                    )
                })
                .collect()
        };
        prop_assert_eq!(by_first(&incremental), by_first(&batch));
    }

    /// Erasing a subject leaves the partition a fresh pipeline of the
    /// remaining records gives.
    #[test]
    fn erasure_equals_a_fresh_batch(seed in any::<u64>(), n in 5usize..50, pick in any::<prop::sample::Index>()) {
        let rows = synth::generate(n, 0.5, seed);
        let records: Vec<SourceRecord> = rows.iter().map(synth::to_source_record).collect();
        let mut p = pipeline();
        p.extend(records.clone()).unwrap();
        let target = pick.get(&records);
        let erased = p.erase(&SubjectKey::record(target.id().clone()), "request").unwrap();
        prop_assert!(erased.receipt().records().contains(target.id()));
        let rest: Vec<SourceRecord> = records
            .iter()
            .filter(|r| p.store().record(r.id()).is_some())
            .cloned()
            .collect();
        let mut fresh = pipeline();
        fresh.extend(rest).unwrap();
        prop_assert_eq!(partition(&p), partition(&fresh));
        let mut live = 0;
        for c in erased.changes().changed() {
            prop_assert!(p.person_of(*c) == Some(*c));
            live += 1;
        }
        prop_assert!(live + erased.changes().removed().len() >= 1);
    }

    /// Any run of inserts, replacements and erasures leaves the partition
    /// and profiles that one batch of the records still held gives, and
    /// every issued id resolves to nothing or to an older-or-equal live
    /// person.
    #[test]
    fn any_run_of_inserts_and_erasures_equals_a_fresh_batch(
        seed in any::<u64>(),
        n in 5usize..40,
        ops in proptest::collection::vec((0u8..4, any::<prop::sample::Index>()), 1..30),
    ) {
        let rows = synth::generate(n, 0.6, seed);
        let pool: Vec<SourceRecord> = rows.iter().map(synth::to_source_record).collect();
        let mut p = pipeline();
        let mut issued: BTreeSet<PersonId> = BTreeSet::new();
        for (op, i) in ops {
            let r = i.get(&pool);
            let changes = if op == 0 && p.store().record(r.id()).is_some() {
                p.erase(&SubjectKey::record(r.id().clone()), "request")
                    .unwrap()
                    .changes()
                    .clone()
            } else {
                p.insert(r.clone()).unwrap()
            };
            issued.extend(changes.created().iter().copied());
            for gone in changes.removed() {
                prop_assert_eq!(p.person_of(*gone), None);
            }
            for id in &issued {
                if let Some(live) = p.person_of(*id) {
                    prop_assert!(live <= *id);
                    prop_assert!(p.persons().contains(&live));
                }
            }
        }
        let held: Vec<SourceRecord> = pool
            .iter()
            .filter(|r| p.store().record(r.id()).is_some())
            .cloned()
            .collect();
        let mut fresh = pipeline();
        fresh.extend(held).unwrap();
        prop_assert_eq!(partition(&p), partition(&fresh));
        for person in p.persons() {
            let first = p.members(person).unwrap()[0].clone();
            let other = fresh.person_of_record(&first).unwrap();
            prop_assert_eq!(
                p.profile(person, &Purpose::Analytics, at()).unwrap(),
                fresh.profile(other, &Purpose::Analytics, at()).unwrap()
            );
        }
    }
}

#[test]
fn purchases_in_two_currencies_are_kept_apart_not_mixed() {
    let mut p = pipeline();
    let mut b = SourceRecord::builder("shop-1", "shop", at()).unwrap();
    b.identity()
        .emails
        .push(EmailAddress::new("ana@example.pt").unwrap());
    b.event(order("o-1", 2, 1999, TransactionKind::Purchase));
    let usd = Transaction::new(
        "o-2",
        TransactionKind::Purchase,
        Money::from_minor(700, Currency::new("USD").unwrap()),
        vec![],
    )
    .unwrap();
    b.event(Event::new(
        EventId::new("o-2").unwrap(),
        Utc.with_ymd_and_hms(2026, 2, 3, 10, 0, 0).unwrap(),
        EventKind::Transaction(usd),
    ));
    let ana = p.insert(b.build().unwrap()).unwrap().created()[0];
    let eur = Currency::new("EUR").unwrap();
    let err = p
        .purchases(ana, &Purpose::Analytics, at(), eur)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let by = p
        .purchases_by_currency(ana, &Purpose::Analytics, at())
        .unwrap();
    let amounts: Vec<(String, Vec<f64>)> = by
        .iter()
        .map(|(c, ts)| (c.to_string(), ts.iter().map(|t| t.amount()).collect()))
        .collect();
    assert_eq!(
        amounts,
        [
            ("EUR".to_owned(), vec![19.99]),
            ("USD".to_owned(), vec![7.0])
        ]
    );
}

#[test]
fn a_large_input_one_record_at_a_time_equals_one_batch() {
    // About 2 000 records (well over 100 KB of source data) and a feedback
    // text near the model's 64 KB cap on one text.
    let rows = synth::generate(2000, 0.4, 7);
    let mut records: Vec<SourceRecord> = rows.iter().map(synth::to_source_record).collect();
    let long = "Entrega rápida. ".repeat(60_000 / 17);
    assert!(long.len() >= 59_000);
    let mut b = SourceRecord::builder("zz-long", "surveys", at()).unwrap();
    b.identity()
        .emails
        .push(EmailAddress::new("long@example.pt").unwrap());
    b.event(Event::new(
        EventId::new("rv-long").unwrap(),
        at(),
        EventKind::Review(Review::new(None, Some(&long), None).unwrap()),
    ));
    records.push(b.build().unwrap());
    let mut batch = pipeline();
    batch.extend(records.clone()).unwrap();
    let mut single = pipeline();
    for r in records.iter().rev() {
        single.insert(r.clone()).unwrap();
    }
    assert_eq!(partition(&single), partition(&batch));
    let person = single
        .person_of_record(&RecordId::new("zz-long").unwrap())
        .unwrap();
    let said = single.feedback(person, &Purpose::Analytics, at()).unwrap();
    assert_eq!(said.len(), 1);
    // Text trims the trailing space; nothing else changes.
    assert_eq!(said[0].text(), long.trim_end());
}
