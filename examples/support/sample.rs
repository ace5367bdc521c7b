//! The quickstart's customers and the months before them, through the
//! pipeline: what the insights report (`examples/insights.rs`) and its
//! charts (`examples/charts.rs`) both start from, so that both read the very
//! same persons, profiles and purchases.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use custodia::clv::Transaction;
use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
use custodia::ingest::Ingestor;
use custodia::model::{Currency, FieldAccess, FieldPath, SourceId, SourceRecord, Value};
use custodia::pipeline::{PersonId, Pipeline};
use custodia::UnifiedProfile;

/// Each source's messages, embedded so the examples run anywhere: first
/// the quickstart's, then the months before them.
const SOURCES: &[(&str, &str)] = &[
    ("crm", include_str!("../data/crm.json")),
    ("web", include_str!("../data/web.json")),
    ("shop", include_str!("../data/shop.json")),
    ("support", include_str!("../data/support.json")),
    ("surveys", include_str!("../data/surveys.json")),
    ("shop", include_str!("../data/history/shop.json")),
    ("surveys", include_str!("../data/history/surveys.json")),
    ("web", include_str!("../data/history/web.json")),
    ("support", include_str!("../data/history/support.json")),
];

/// Euros per unit of each currency the customers paid in (fixed for the
/// examples). RFM compares spend across customers, so it needs one
/// currency; the pipeline never converts on its own.
const EUR_PER_UNIT: &[(&str, f64)] = &[
    ("EUR", 1.0),
    ("USD", 0.92),
    ("GBP", 1.17),
    ("BRL", 0.17),
    ("HUF", 0.0025),
    ("IDR", 0.000_056),
];

/// The time the report is as of: the first instant of April 2026, so March
/// is the last complete month. Nothing in the examples reads a clock.
pub(crate) fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
        .single()
        .expect("a valid time")
}

/// The pipeline, built as the quickstart builds it: one shared account id
/// space, analytics on legitimate interests.
pub(crate) fn pipeline() -> custodia::Result<Pipeline> {
    let accounts = SourceId::new("accounts")?;
    let mut records: Vec<SourceRecord> = Vec::new();
    for (source, json) in SOURCES {
        let ingestor = Ingestor::new(source)?
            .default_currency(Currency::new("EUR")?)
            .id_space(accounts.clone());
        records.extend(ingestor.batch(json)?);
    }
    let ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()?;
    let (pipeline, _) = Pipeline::builder().ledger(ledger).train_on(records)?;
    Ok(pipeline)
}

/// Each person's analytics profile as of `as_of`.
pub(crate) fn profiles(
    pipeline: &Pipeline,
    as_of: DateTime<Utc>,
) -> custodia::Result<BTreeMap<PersonId, UnifiedProfile>> {
    let mut profiles = BTreeMap::new();
    for person in pipeline.persons() {
        profiles.insert(
            person,
            pipeline.profile(person, &Purpose::Analytics, as_of)?,
        );
    }
    Ok(profiles)
}

/// The market a person lives in, from their profile's country: the groups
/// of the survey report.
pub(crate) fn market(profile: &UnifiedProfile) -> custodia::Result<&'static str> {
    let country = match profile.first(&FieldPath::new("geographic.country")?) {
        Some(Value::Text(t)) => t,
        _ => "?",
    };
    Ok(match country {
        "BR" | "US" => "Americas",
        "ID" => "Asia",
        "?" => "unknown",
        _ => "Europe",
    })
}

/// Every person's purchases (refunds do not count) in euros, keyed by the
/// person's id. Purchases in a currency without a rate are left out, and
/// `skipped` is told of each such person and currency.
pub(crate) fn purchases_in_eur(
    pipeline: &Pipeline,
    persons: impl IntoIterator<Item = PersonId>,
    as_of: DateTime<Utc>,
    mut skipped: impl FnMut(PersonId, &str),
) -> custodia::Result<Vec<Transaction>> {
    let rates: BTreeMap<&str, f64> = EUR_PER_UNIT.iter().copied().collect();
    let mut purchases = Vec::new();
    for person in persons {
        for (currency, bought) in
            pipeline.purchases_by_currency(person, &Purpose::Analytics, as_of)?
        {
            let code = currency.to_string();
            let Some(rate) = rates.get(code.as_str()) else {
                skipped(person, &code);
                continue;
            };
            for t in bought {
                purchases.push(Transaction::new(t.customer(), t.at(), t.amount() * rate)?);
            }
        }
    }
    Ok(purchases)
}
