//! Consent-aware merging, end to end: a customer withdraws marketing
//! consent, a wrong link is undone, a subject is erased.
//!
//! ```text
//! cargo run --example merge_profiles
//! ```

// An example reports to its reader on standard output.
#![allow(clippy::print_stdout)]

use chrono::{TimeZone, Utc};
use custodia::consent::{
    ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, SubjectKey,
};
use custodia::merge::{FieldSelection, InsertOutcome, ProfileStore, SurvivorshipPolicy};
use custodia::model::{EmailAddress, FieldPath, RecordId, SourceId, SourceRecord, Text};

fn main() -> custodia::Result<()> {
    let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
    let ana = EmailAddress::new("ana@example.com")?;
    let prefs = SourceId::new("preference-centre")?;

    // Analytics rests on legitimate interests; marketing needs consent, and
    // Ana gave it on the 1st.
    let mut ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()?;
    let key = SubjectKey::email(&ana);
    ledger.add(
        ConsentEvent::builder(
            key.clone(),
            Purpose::Marketing,
            ConsentStatus::Granted,
            day(1),
            prefs.clone(),
        )
        .build()?,
    );
    let mut store = ProfileStore::new(ledger, SurvivorshipPolicy::default());

    // Ana's CRM row and her web sign-up, plus Bruno's, which a matcher
    // wrongly linked to hers.
    let mut crm = SourceRecord::builder("crm-1", "crm", day(1))?;
    crm.identity().emails.push(ana.clone());
    crm.geographic().city = Some(Text::new("Lisboa")?);
    let mut web = SourceRecord::builder("web-7", "web", day(2))?;
    web.identity().emails.push(ana.clone());
    let mut bruno = SourceRecord::builder("web-9", "web", day(3))?;
    bruno
        .identity()
        .emails
        .push(EmailAddress::new("bruno@example.com")?);
    bruno.geographic().city = Some(Text::new("Porto")?);
    for r in [crm.build()?, web.build()?, bruno.build()?] {
        store.insert(r);
    }
    let (crm, web, bruno) = (
        RecordId::new("crm-1")?,
        RecordId::new("web-7")?,
        RecordId::new("web-9")?,
    );
    store.link(&crm, &web, "same email")?;
    let cluster = store.link(&crm, &bruno, "similar name")?;

    let city = FieldPath::new("geographic.city")?;
    let profile = store.profile(cluster, &Purpose::Analytics, day(5))?;
    let survived = profile.field(&city).expect("a city survives");
    println!(
        "city {} from {} ({})",
        survived.value(),
        survived.provenance().record(),
        survived.provenance().rule()
    );

    // 1. Ana withdraws marketing consent on the 9th.
    let only = FieldSelection::only(["identity.email", "geographic.city"])?;
    let before = store.view_for(cluster, &Purpose::Marketing, day(5), &only)?;
    store.ledger_mut().add(
        ConsentEvent::builder(
            key.clone(),
            Purpose::Marketing,
            ConsentStatus::Withdrawn,
            day(9),
            prefs,
        )
        .build()?,
    );
    let after = store.view_for(cluster, &Purpose::Marketing, day(10), &only)?;
    let analytics = store.view_for(cluster, &Purpose::Analytics, day(10), &only)?;
    println!(
        "marketing before: {} fields, after: {} fields",
        before.fields().count(),
        after.fields().count()
    );
    println!("analytics after: {} fields", analytics.fields().count());
    assert!(!before.is_empty() && after.is_empty() && !analytics.is_empty());

    // 2. Bruno's record was linked by mistake: split it off.
    let (ana_cluster, bruno_cluster) =
        store.split(cluster, &[crm.clone(), web.clone()], "wrong link")?;
    let ana_now = store.profile(ana_cluster, &Purpose::Analytics, day(10))?;
    println!(
        "ana's city after the split: {}",
        ana_now.field(&city).expect("kept").value()
    );
    assert_ne!(ana_cluster, bruno_cluster);

    // 3. Ana asks to be forgotten.
    let receipt = store.erase(&key, "GDPR Art. 17 request");
    println!(
        "erased {:?}: {} field values, {} events",
        receipt.records(),
        receipt.fields(),
        receipt.events()
    );
    let mut again = SourceRecord::builder("crm-1", "crm", day(11))?;
    again.identity().emails.push(ana);
    assert!(matches!(
        store.insert(again.build()?),
        InsertOutcome::Refused { .. }
    ));
    for e in store.audit() {
        println!("#{} {:?} ({})", e.sequence(), e.change(), e.reason());
    }
    Ok(())
}
