//! A consent ledger deciding what one customer's data may be used for.
//!
//! Ana signs up on the web, grants marketing consent in the preference
//! centre, later withdraws it from her phone app, and shares health data for
//! personalised plans under explicit consent. Analytics rests on legitimate
//! interests. The example prints each decision with its reason.
//!
//! Run it with `cargo run --example consent_ledger`.

// An example's job is to print what it found.
#![allow(clippy::print_stdout)]

use chrono::{DateTime, TimeZone, Utc};

use custodia::consent::{
    ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, SpecialCategory, SubjectKey,
};
use custodia::model::{DeviceId, DeviceIdKind, EmailAddress, SourceId, SourceRecord};

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn main() -> custodia::Result<()> {
    // The web sign-up knows Ana by email and by the app's device id.
    let mut b = SourceRecord::builder("web-104", "web", day(1))?;
    b.identity()
        .emails
        .push(EmailAddress::new("Ana.Silva@Example.com")?);
    b.identity()
        .device_ids
        .push(DeviceId::new(DeviceIdKind::Idfv, "5F2A-77C1")?);
    let ana = b.build()?;

    // Analytics rests on legitimate interests; everything else needs consent.
    let mut ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()?;

    // The preference centre knows her email; the app knows her device.
    let email = SubjectKey::email(&EmailAddress::new("ana.silva@example.com")?);
    let device = SubjectKey::device_id(DeviceId::new(DeviceIdKind::Idfv, "5F2A-77C1")?);
    let centre = SourceId::new("preference-centre")?;
    let app = SourceId::new("app")?;
    ledger.add(
        ConsentEvent::builder(
            email.clone(),
            Purpose::Marketing,
            ConsentStatus::Granted,
            day(2),
            centre.clone(),
        )
        .proof("form-v3/receipt-8812")
        .build()?,
    );
    ledger.add(
        ConsentEvent::builder(
            device,
            Purpose::Marketing,
            ConsentStatus::Withdrawn,
            day(9),
            app,
        )
        .build()?,
    );
    ledger.add(
        ConsentEvent::builder(
            email.clone(),
            Purpose::Personalization,
            ConsentStatus::Granted,
            day(3),
            centre,
        )
        .expires_at(day(28))
        .explicit([SpecialCategory::Health])
        .build()?,
    );

    let health = [SpecialCategory::Health];
    for at in [day(1), day(5), day(9), day(28)] {
        println!("{}", at.date_naive());
        for purpose in [Purpose::Marketing, Purpose::Analytics, Purpose::Advertising] {
            println!("  {}", ledger.decide(&ana, &purpose, at));
        }
        let plans = ledger.decide_special(&ana, &Purpose::Personalization, at, &health);
        println!("  {plans} (health data)");
    }

    println!("events naming {email}:");
    for e in ledger.events_for(&email) {
        println!("  {} {} {}", e.at().date_naive(), e.purpose(), e.status());
    }
    Ok(())
}
