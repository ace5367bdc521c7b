//! The custodia pipeline on a small, realistic sample.
//!
//! Twelve customers in Portugal, Brazil, Indonesia, Hungary, the US, the UK,
//! Germany and Spain, seen by five sources: CRM rows, web and app sign-ups
//! and behaviour, webshop orders, support tickets, and survey answers and
//! reviews. Every source speaks Segment-spec JSON (`examples/data/`).
//!
//! Run it with `cargo run --release --example quickstart`.

// An example's job is to print what it found.
#![allow(clippy::print_stdout)]

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use custodia::clv::{summarize, BgNbd, Period, Periods, TransactionModel};
use custodia::consent::{
    ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, SubjectKey,
};
use custodia::identity::Matcher;
use custodia::ingest::Ingestor;
use custodia::merge::FieldSelection;
use custodia::model::{
    Currency, EventKind, ExternalId, FieldAccess, FieldPath, RecordId, SourceId, SourceRecord,
    Value,
};
use custodia::pipeline::Pipeline;
use custodia::segment::Segment;
use custodia::sentiment::{
    AggregateParams, Language, LexiconScorer, SentimentScorer, SentimentSummary,
};
use custodia::UnifiedProfile;

/// Each source's messages, embedded so the example runs anywhere.
const SOURCES: &[(&str, &str)] = &[
    ("crm", include_str!("data/crm.json")),
    ("web", include_str!("data/web.json")),
    ("shop", include_str!("data/shop.json")),
    ("support", include_str!("data/support.json")),
    ("surveys", include_str!("data/surveys.json")),
];

fn main() -> custodia::Result<()> {
    // 1. Ingest: every message becomes a typed, validated source record.
    let mut records: Vec<SourceRecord> = Vec::new();
    println!("== 1. Ingest (Segment-spec JSON -> source records)");
    // Ids are issued per source, so by default `userId` "u-001" of the CRM
    // and of the shop would be different ids (`crm/user_id`,
    // `shop/user_id`). Here all five sources sign customers in through one
    // account service, so they declare that shared id space.
    let accounts = SourceId::new("accounts")?;
    for (source, json) in SOURCES {
        let ingestor = Ingestor::new(source)?
            .default_currency(Currency::new("EUR")?)
            .id_space(accounts.clone());
        let batch = ingestor.batch(json)?;
        let events: usize = batch.iter().map(|r| r.events().len()).sum();
        println!(
            "  {source:<8} {:>3} records, {events:>3} events",
            batch.len()
        );
        records.extend(batch);
    }

    // Bad input is a typed error naming the JSON path, never a panic.
    let bad = r#"{"type": "track", "event": "Survey Answered", "userId": "u-003",
                 "timestamp": "2026-03-10T10:00:00Z", "properties": {"nps": 11}}"#;
    if let Err(err) = Ingestor::new("surveys")?.message(bad) {
        println!("  rejected: {err}");
    }

    // 2. What the records hold, read through the same field paths that
    //    segment expressions use.
    println!("\n== 2. Customers (CRM records, by field path)");
    let path = |p: &str| FieldPath::new(p);
    let (name, country, lang, company) = (
        path("identity.full_name")?,
        path("geographic.country")?,
        path("demographic.language")?,
        path("business.company")?,
    );
    let (given, family) = (path("identity.given_name")?, path("identity.family_name")?);
    for r in records.iter().filter(|r| r.source().as_str() == "crm") {
        let text = |p: &FieldPath| match r.first(p) {
            Some(Value::Text(t)) => t.to_owned(),
            _ => String::new(),
        };
        let who = match text(&name) {
            n if !n.is_empty() => n,
            _ => format!("{} {}", text(&given), text(&family)),
        };
        println!(
            "  {:<18} {:<2} {:<6} {}",
            who,
            text(&country),
            text(&lang),
            text(&company)
        );
    }

    // 2b. Identity resolution: which records are the same person. Web
    //     sign-ups spell names and emails differently from the CRM; orders,
    //     tickets and surveys carry only the pipeline's user id.
    //
    //     The pipeline holds everything from here on: the resolution index,
    //     the consent ledger and the profile store. It trains a match model
    //     on this first batch and resolves it; records inserted later are
    //     resolved against these, and each person keeps its id as it grows.
    //     Analytics rests on legitimate interests; marketing needs consent
    //     (recorded in section 7).
    println!("\n== 2b. Identity resolution");
    let ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()?;
    let (mut pipeline, resolved) = Pipeline::builder()
        .ledger(ledger)
        .train_on(records.clone())?;
    println!(
        "  {} records -> {} people",
        pipeline.len(),
        resolved.created().len()
    );
    for person in pipeline.persons() {
        let members = pipeline.members(person)?;
        if members.len() < 2 {
            continue;
        }
        let ids: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
        println!("  {person:<5} {}", ids.join(" + "));
        if let [a, b, ..] = members {
            let index = pipeline.index();
            if let (Some(ra), Some(rb)) = (index.record(a), index.record(b)) {
                let why = pipeline.model().explain(ra, rb);
                println!("    {a} ~ {b}: {:.1} bits, rule {:?}", why.weight, why.rule);
            }
        }
    }

    // 3. Behaviour: events by name, revenue per currency, and the feedback
    //    customers wrote (which sentiment scoring will read).
    println!("\n== 3. Events");
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut revenue: BTreeMap<String, i64> = BTreeMap::new();
    for r in &records {
        for e in r.events() {
            *by_name.entry(e.name().to_owned()).or_default() += 1;
            if let EventKind::Transaction(t) = e.kind() {
                *revenue
                    .entry(t.amount().currency().to_string())
                    .or_default() += t.signed_amount().minor();
            }
        }
    }
    for (name, n) in &by_name {
        println!("  {name:<20} {n:>3}");
    }
    println!("  net revenue by currency (minor units):");
    for (currency, minor) in &revenue {
        let money = custodia::model::Money::from_minor(*minor, Currency::new(currency)?);
        println!("    {money}");
    }
    // 4. Sentiment of what customers wrote, in their own language. Tags
    //    such as `pt-BR` name their language; English and Portuguese
    //    lexicons are bundled, other languages bring their own lexicon (or
    //    learn one from labelled feedback).
    println!("\n== 4. Feedback sentiment (compound score in [-1, 1])");
    //    Each person's feedback comes with the language of the record that
    //    carried it (or the person's own), read from the person's analytics
    //    profile: consent decides what flows.
    let now = Utc
        .with_ymd_and_hms(2026, 3, 31, 0, 0, 0)
        .single()
        .expect("a valid time");
    let mut scorers: BTreeMap<Language, LexiconScorer> = BTreeMap::new();
    let english = LexiconScorer::english()?;
    let mut scored: BTreeMap<_, Vec<_>> = BTreeMap::new();
    let mut latest = None;
    for person in pipeline.persons() {
        for said in pipeline.feedback(person, &Purpose::Analytics, now)? {
            let (name, text) = (said.event(), said.text());
            latest = latest.max(Some(said.at()));
            let tag = said.language().map_or("?", |t| t.as_str());
            let Ok(lang) = tag.parse::<Language>() else {
                println!("   (unknown language {tag:?}) {person:<5} {name:<16} {text}");
                continue;
            };
            if !lang.has_bundled_lexicon() {
                println!("   (no bundled lexicon: bring one) {tag} {person:<5} {name:<16} {text}");
                continue;
            }
            let scorer = match scorers.entry(lang) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(LexiconScorer::params(lang).build()?),
            };
            let score = scorer.score(text).compound();
            scored.entry(person).or_default().push((said.at(), score));
            println!("  {score:+.3} {tag:<5} {person:<5} {name:<16} {text}");
        }
    }
    let strongest =
        english.explain("The speaker arrived with a cracked grille. Really disappointed.");
    println!("  why the speaker ticket is negative:");
    for c in strongest
        .contributions()
        .iter()
        .filter(|c| c.valence() != 0.0)
    {
        println!("    {:<14} {:+.2} {:?}", c.token(), c.valence(), c.rules());
    }
    if let Some(at) = latest {
        for (person, scores) in scored.iter().filter(|(_, s)| s.len() > 1) {
            let summary = SentimentSummary::from_scores(scores, at, AggregateParams::default())?;
            let fields: Vec<String> = summary
                .fields()
                .iter()
                .map(|(k, v)| format!("{k}={v:.3}"))
                .collect();
            println!("  {person}: {}", fields.join(" "));
        }
    }

    // 5. Churn and repeat purchases from each customer's orders. Twelve
    //    customers are too few to fit a model, so this loads parameters saved
    //    from a fit on a larger cohort (BG/NBD, weeks; the CDNOW fit).
    println!("\n== 5. Repeat purchases and churn (BG/NBD, weeks)");
    let model = BgNbd::from_parameters(0.2426, 4.4135, 0.7929, 2.4258)?;
    let end = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("a valid date");
    let quarter = Periods::new(13.0)?;
    //    Each person's purchases, from all of their records (web, shop,
    //    support), summarised per currency they paid in.
    for person in pipeline.persons() {
        let paid = pipeline.purchases_by_currency(person, &Purpose::Analytics, now)?;
        for (currency, purchases) in &paid {
            for customer in summarize(purchases, Period::Week, end)? {
                let s = customer.summary();
                println!(
                    "  {person:<5} {currency}: {} repeat purchase(s), P(alive) {:.2}, P(buys in next 13 weeks) {:.2}",
                    s.frequency(),
                    model.probability_alive(s).value(),
                    model.probability_of_purchase_within(s, quarter).value(),
                );
            }
        }
    }

    // 6. Audiences as text: parsed, checked against the record schema
    //    (unknown fields and type errors are caught before anything runs),
    //    then evaluated at an explicit time.
    println!("\n== 6. Segments (at 2026-03-31)");
    let audiences = [
        (
            "detractors",
            "count(survey_answered where nps <= 6 within 90d) >= 1",
        ),
        (
            "eur_buyers",
            "count(purchase where amount >= 50 EUR within 60d) >= 1",
        ),
        (
            "iberian_leads",
            r#"attributes.lifecycle_stage = "lead" and geographic.country in ["PT", "BR", "ES"]"#,
        ),
        (
            "upgraded_to_pro",
            r#"count("Plan Upgraded" where properties.to = "pro" within 90d) >= 1"#,
        ),
        (
            "hungarian_or_indonesian",
            r#"demographic.language starts_with "hu" or demographic.language starts_with "id""#,
        ),
    ];
    for (name, text) in audiences {
        let segment = Segment::parse(text)?.compile(SourceRecord::schema())?;
        let members: Vec<&str> = records
            .iter()
            .filter(|r| segment.matches_at(*r, now))
            .map(|r| r.id().as_str())
            .collect();
        println!("  {name:<24} {}", members.join(", "));
    }
    let typo = Segment::parse(r#"geographic.contry = "DE""#)?.compile(SourceRecord::schema());
    if let Err(err) = typo {
        println!(
            "  a typo is caught before evaluation:\n{}",
            err.diagnostic()
        );
    }

    // 7. Consent: may a record's data be used for a purpose at a time? Lena
    //    (u-009) granted marketing consent in January and unsubscribed on
    //    12 February; analytics rests on legitimate interests.
    println!("\n== 7. Consent (Lena Müller's CRM record)");
    let lena_id = RecordId::new("crm-009")?;
    let key = SubjectKey::external_id(ExternalId::new("accounts/user_id", "u-009")?);
    let centre = SourceId::new("preference-centre")?;
    let day = |m: u32, d: u32| {
        Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0)
            .single()
            .expect("a valid time")
    };
    let ledger = pipeline.ledger_mut();
    ledger.add(
        ConsentEvent::builder(
            key.clone(),
            Purpose::Marketing,
            ConsentStatus::Granted,
            day(1, 13),
            centre.clone(),
        )
        .proof("double opt-in 2026-01-13")
        .build()?,
    );
    ledger.add(
        ConsentEvent::builder(
            key,
            Purpose::Marketing,
            ConsentStatus::Withdrawn,
            day(2, 12),
            centre,
        )
        .build()?,
    );
    for (purpose, at) in [
        (Purpose::Marketing, day(2, 1)),
        (Purpose::Marketing, day(3, 1)),
        (Purpose::Analytics, day(3, 1)),
        (Purpose::Advertising, day(3, 1)),
    ] {
        let lena = pipeline
            .store()
            .record(&lena_id)
            .expect("the sample has Lena's CRM record");
        println!(
            "  {}: {}",
            at.format("%Y-%m-%d"),
            pipeline.ledger().decide(lena, &purpose, at)
        );
    }

    // 8. Unified profiles: each person's records merged for a purpose at a
    //    time, every value with the record, source, time and rule behind it.
    //    Only records whose own consent covers the purpose contribute.
    println!("\n== 8. Unified profiles (Lena, from the ledger above)");
    let lena = pipeline
        .person_of_record(&lena_id)
        .expect("Lena's record is held");
    let profile = pipeline.profile(lena, &Purpose::Analytics, day(3, 1))?;
    // Ready for activation: emails and phones de-duplicated by their normal
    // form, with a primary one and a display name chosen by documented rules.
    let none = "-";
    println!(
        "  display name: {}; primary email: {}; primary phone: {}",
        profile.display_name().unwrap_or(none),
        profile.primary_email().unwrap_or(none),
        profile.primary_phone().unwrap_or(none)
    );
    for (path, survived) in profile.fields().take(5) {
        let p = survived.provenance();
        println!(
            "  {path} = {}  ({}, {}, {})",
            survived.value(),
            p.record(),
            p.source(),
            p.rule()
        );
    }
    // She withdrew marketing consent on 12 February: the marketing export
    // loses what her consent covered from then on; the analytics view, on
    // legitimate interests, keeps everything. Exports can ask for only the
    // fields they need.
    let all = FieldSelection::All;
    let contact = FieldSelection::only(["identity.email", "geographic.country"])?;
    for (purpose, at) in [
        (Purpose::Marketing, day(2, 1)),
        (Purpose::Marketing, day(3, 1)),
        (Purpose::Analytics, day(3, 1)),
    ] {
        let view = pipeline.view_for(lena, &purpose, at, &all)?;
        let minimal = pipeline.view_for(lena, &purpose, at, &contact)?;
        println!(
            "  {purpose:<9} export at {}: {} fields, {} events; contact-only export: {} fields",
            at.format("%Y-%m-%d"),
            view.fields().count(),
            view.events().len(),
            minimal.fields().count()
        );
    }
    // Audiences evaluate over unified profiles as over records.
    let spenders =
        Segment::parse("count(purchase within 90d) >= 2")?.compile(UnifiedProfile::schema())?;
    let profiles = pipeline.store().derive_all(&Purpose::Analytics, now);
    let repeat = profiles
        .iter()
        .filter(|p| spenders.matches_at(*p, now))
        .count();
    println!(
        "  {} people, {repeat} with two or more purchases in 90 days",
        profiles.len()
    );

    // A wrong link, undone: the split part is exactly what it was before.
    // Links and splits by hand act on a profile store directly; here on a
    // copy of the pipeline's, which keeps following identity resolution.
    let mut store = pipeline.store().clone();
    let (ana, joao) = (RecordId::new("crm-001")?, RecordId::new("crm-002")?);
    let ana_cluster = store.cluster_of(&ana).expect("stored");
    let ana_part = store.members(ana_cluster).unwrap_or_default().to_vec();
    let before = store.profile(ana_cluster, &Purpose::Analytics, now)?;
    let wrong = store.link(&ana, &joao, "merged by hand by mistake")?;
    let (part, rest) = store.split(wrong, &ana_part, "the link was wrong")?;
    let after = store.profile(part, &Purpose::Analytics, now)?;
    println!(
        "  wrong link {ana} + {joao} undone: {} and {} records again, profile unchanged: {}",
        store.members(part).map_or(0, <[_]>::len),
        store.members(rest).map_or(0, <[_]>::len),
        after == before
    );

    // Right to be forgotten: every record carrying u-012 goes (from the
    // store, the resolution index and the trained model), a receipt says
    // what was removed, and a tombstone keeps re-ingested copies out.
    let forgotten = SubjectKey::external_id(ExternalId::new("accounts/user_id", "u-012")?);
    let crm_012 = RecordId::new("crm-012")?;
    let copy = pipeline.store().record(&crm_012).cloned().expect("stored");
    let gone = pipeline.person_of_record(&crm_012).expect("stored");
    let erasure = pipeline.erase(&forgotten, "erasure request 2026-03-30")?;
    let receipt = erasure.receipt();
    println!(
        "  erased {} records ({} fields, {} events), person {gone} removed: {}; re-ingesting crm-012 refused: {}",
        receipt.records().len(),
        receipt.fields(),
        receipt.events(),
        erasure.changes().removed() == [gone],
        pipeline.insert(copy)?.refused() == [crm_012]
    );
    let audit = pipeline.store().audit();
    println!(
        "  audit log: {} events; the last: {}",
        audit.len(),
        serde_json::to_string(audit.last().expect("events were logged")).unwrap_or_default()
    );

    // 9. Everything a source sent beyond the typed sections is kept.
    println!("\n== 9. Custom attributes kept");
    for r in &records {
        for (key, value) in r.attributes() {
            if key != "context" {
                println!("  {:<8} {:<10} {key} = {value}", r.source(), r.id());
            }
        }
    }
    Ok(())
}
