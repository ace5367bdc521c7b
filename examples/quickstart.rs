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

use std::collections::BTreeMap;

use custodia::ingest::Ingestor;
use custodia::model::{Currency, EventKind, FieldAccess, FieldPath, SourceRecord, Value};

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
    for (source, json) in SOURCES {
        let ingestor = Ingestor::new(source)?.default_currency(Currency::new("EUR")?);
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

    // 3. Behaviour: events by name, revenue per currency, and the feedback
    //    customers wrote (which sentiment scoring will read).
    println!("\n== 3. Events");
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut revenue: BTreeMap<String, i64> = BTreeMap::new();
    let mut feedback = Vec::new();
    for r in &records {
        for e in r.events() {
            *by_name.entry(e.name().to_owned()).or_default() += 1;
            if let EventKind::Transaction(t) = e.kind() {
                *revenue
                    .entry(t.amount().currency().to_string())
                    .or_default() += t.signed_amount().minor();
            }
            if let Some(text) = e.feedback_text() {
                feedback.push((e.at(), e.name().to_owned(), text.to_owned()));
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
    println!("\n== 4. Feedback to score");
    feedback.sort();
    for (at, name, text) in &feedback {
        println!("  {} {:<16} {text}", at.format("%Y-%m-%d"), name);
    }

    // 5. Everything a source sent beyond the typed sections is kept.
    println!("\n== 5. Custom attributes kept");
    for r in &records {
        for (key, value) in r.attributes() {
            if key != "context" {
                println!("  {:<8} {:<10} {key} = {value}", r.source(), r.id());
            }
        }
    }
    Ok(())
}
