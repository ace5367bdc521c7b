//! Segment profiles: parse audience expressions, check them against the
//! record schema, evaluate them at a fixed time, and watch membership change.
//!
//! Run: `cargo run --example segment_profiles`

// An example's job is to show its results.
#![allow(clippy::print_stdout)]

use chrono::{DateTime, TimeZone, Utc};
use custodia::model::{
    CountryCode, Currency, Event, EventId, EventKind, FieldPath, FieldType, Money, SourceRecord,
    Transaction, TransactionKind, Value,
};
use custodia::segment::{Catalog, Computed, Segment};

fn purchase(id: &str, at: DateTime<Utc>, amount: &str) -> custodia::Result<Event> {
    let eur = Currency::new("EUR")?;
    let order = Transaction::new(
        id,
        TransactionKind::Purchase,
        Money::parse(amount, eur)?,
        vec![],
    )?;
    Ok(Event::new(
        EventId::new(id)?,
        at,
        EventKind::Transaction(order),
    ))
}

fn main() -> custodia::Result<()> {
    let date = |m: u32, d: u32| {
        Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0)
            .single()
            .expect("the example's dates exist")
    };
    let day = |d: u32| date(3, d);
    let now = day(15);

    // Two customers: one who buys often in Germany, one who bought once in Portugal.
    let mut b = SourceRecord::builder("shop-1", "webshop", now)?;
    b.geographic().country = Some(CountryCode::new("DE")?);
    for (i, d) in [1, 5, 9, 14].into_iter().enumerate() {
        b.event(purchase(&format!("a-{i}"), day(d), "35.00")?);
    }
    let frequent = b.build()?;
    let mut b = SourceRecord::builder("shop-2", "webshop", now)?;
    b.geographic().country = Some(CountryCode::new("PT")?);
    b.event(purchase("b-0", day(2), "250.00")?);
    let occasional = b.build()?;

    // Named segments, and a churn probability the caller computes elsewhere.
    let mut catalog = Catalog::new();
    catalog.declare_computed("churn_probability", FieldType::Float)?;
    catalog.insert(
        "regular",
        Segment::parse("count(purchase within 30d) >= 3")?,
    )?;
    catalog.insert(
        "big_spender",
        Segment::parse("sum(purchase.amount within 90d) >= 100 EUR")?,
    )?;
    let win_back = Segment::parse(
        r#"in_segment("big_spender") and not in_segment("regular")
           and churn_probability > 0.5"#,
    )?;
    println!("win-back segment: {win_back}");
    let win_back = catalog.compile(&win_back, SourceRecord::schema())?;

    let churn = FieldPath::new("churn_probability")?;
    for (record, p) in [(&frequent, 0.1), (&occasional, 0.8)] {
        let values = [(churn.clone(), Value::Float(p))];
        let profile = Computed::new(record, &values);
        println!(
            "{}: win-back = {:?}",
            record.id(),
            win_back.evaluate_at(&profile, now)
        );
    }

    // Membership over time: the regular customer drops out of "regular" once
    // the 30-day window has moved past their purchases.
    let regular = catalog.compile_named("regular", SourceRecord::schema())?;
    let (later, much_later) = (date(4, 2), date(4, 20));
    println!(
        "{} in regular, {now} -> {later}: {:?}; -> {much_later}: {:?}",
        frequent.id(),
        regular.change_over(&frequent, now, later),
        regular.change_over(&frequent, later, much_later),
    );

    // Mistakes are caught before evaluation, with a caret under the problem.
    for text in [
        r#"geographic.contry = "DE""#,
        "sum(purchase.product within 30d) > 1",
        "count(purchase within 30 days) > 1",
    ] {
        let result = Segment::parse(text).and_then(|s| s.compile(SourceRecord::schema()));
        if let Err(err) = result {
            println!("\n{}", err.diagnostic());
        }
    }
    Ok(())
}
