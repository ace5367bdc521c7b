//! Benchmarks of profile derivation: every profile of a store, and one
//! profile again after a new record.
//!
//! ```text
//! MERGE_BENCH_CLUSTERS=1000000 cargo bench --bench merge -- \
//!     --warm-up-time 1 --measurement-time 5 --sample-size 10
//! ```
//!
//! `MERGE_BENCH_CLUSTERS` sets the number of clusters (three records
//! each); the default of 20 000 keeps a plain run short. The baseline clones
//! every record once, the least any derivation that copies values out must
//! touch.
#![allow(missing_docs)]

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custodia::consent::{
    ConsentEvent, ConsentLedger, ConsentStatus, LawfulBasis, Purpose, SubjectKey,
};
use custodia::merge::{ProfileStore, SurvivorshipPolicy};
use custodia::model::{
    CountryCode, EmailAction, EmailAddress, EmailEvent, Event, EventId, EventKind, RecordId,
    SourceId, SourceRecord, Text,
};

const COUNTRIES: [&str; 4] = ["PT", "ES", "DE", "FR"];
const CITIES: [&str; 4] = ["Lisboa", "Madrid", "Berlin", "Paris"];
const SOURCES: [&str; 3] = ["crm", "shop", "web"];

fn t(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
        + Duration::hours(hours)
}

/// Record `k` (0, 1 or 2) of cluster `c`: an email shared within the
/// cluster, a country, a city, and one email event on every third record.
fn record(c: usize, k: usize) -> SourceRecord {
    let id = format!("c{c:07}-{k}");
    let mut b = SourceRecord::builder(&id, SOURCES[k], t((c % 500 + k) as i64)).expect("valid");
    let email = format!("person{c}@example.com");
    b.identity()
        .emails
        .push(EmailAddress::new(&email).expect("valid"));
    if k == 1 {
        b.identity()
            .emails
            .push(EmailAddress::new(&format!("p{c}@work.example")).expect("valid"));
    }
    b.geographic().country = Some(CountryCode::new(COUNTRIES[(c + k) % 4]).expect("valid"));
    b.geographic().city = Some(Text::new(CITIES[(c * 3 + k) % 4]).expect("valid"));
    if k == 2 {
        let mut e = EmailEvent::new(EmailAction::Opened);
        e.campaign = Some(Text::new("spring").expect("valid"));
        b.event(Event::new(
            EventId::new(&format!("ev-{c}")).expect("valid"),
            t((c % 500) as i64),
            EventKind::Email(e),
        ));
    }
    b.build().expect("valid")
}

fn merge(c: &mut Criterion) {
    let clusters: usize = std::env::var("MERGE_BENCH_CLUSTERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let mut ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()
        .expect("valid");
    // Every tenth person granted marketing, so consent is decided for real.
    for i in (0..clusters).step_by(10) {
        let key = SubjectKey::email(
            &EmailAddress::new(&format!("person{i}@example.com")).expect("valid"),
        );
        ledger.add(
            ConsentEvent::builder(
                key,
                Purpose::Marketing,
                ConsentStatus::Granted,
                t(0),
                SourceId::new("prefs").expect("valid"),
            )
            .build()
            .expect("valid"),
        );
    }
    let mut records = Vec::with_capacity(clusters * 3);
    for i in 0..clusters {
        for k in 0..3 {
            records.push(record(i, k));
        }
    }
    let mut store = ProfileStore::new(ledger, SurvivorshipPolicy::default());
    for r in &records {
        store.insert(r.clone());
    }
    for i in 0..clusters {
        let a = RecordId::new(&format!("c{i:07}-0")).expect("valid");
        for k in 1..3 {
            let b = RecordId::new(&format!("c{i:07}-{k}")).expect("valid");
            store.link(&a, &b, "bench").expect("both present");
        }
    }
    let at = t(1000);

    let mut g = c.benchmark_group("merge");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function(format!("baseline_clone_{}_records", records.len()), |b| {
        b.iter(|| black_box(records.clone()).len())
    });
    // Derivation alone: the profiles are dropped outside the timing, as a
    // caller that keeps them would.
    g.bench_function(format!("derive_all_{clusters}_clusters"), |b| {
        b.iter_with_large_drop(|| store.derive_all(&Purpose::Analytics, at))
    });
    // The same, dropping the profiles inside the timing.
    g.bench_function(format!("derive_all_{clusters}_clusters_and_drop"), |b| {
        b.iter(|| store.derive_all(&Purpose::Analytics, at).len())
    });
    g.bench_function(format!("derive_all_{clusters}_clusters_marketing"), |b| {
        b.iter(|| store.derive_all(&Purpose::Marketing, at).len())
    });

    // One new record joins an existing three-record cluster and the
    // cluster's profile is derived again. `timed_all` times the insertion,
    // the link and the derivation; otherwise only the derivation. After each
    // iteration the record is split off again (not timed), so that clusters
    // keep their size however many iterations run.
    g.throughput(Throughput::Elements(1));
    let mut n = 0_usize;
    let mut rederive = |iters: u64, timed_all: bool| {
        let mut spent = std::time::Duration::ZERO;
        for _ in 0..iters {
            let target = n % clusters;
            n += 1;
            let begin = std::time::Instant::now();
            let mut nb = SourceRecord::builder(&format!("z{n:09}"), "web", t(900)).expect("valid");
            nb.geographic().city = Some(Text::new("Porto").expect("valid"));
            store.insert(nb.build().expect("valid"));
            let id = RecordId::new(&format!("z{n:09}")).expect("valid");
            let member = RecordId::new(&format!("c{target:07}-0")).expect("valid");
            let cluster = store
                .link(&member, &id, "new record")
                .expect("both present");
            let start = std::time::Instant::now();
            let profile = store
                .profile(cluster, &Purpose::Analytics, at)
                .expect("present");
            spent += if timed_all { begin } else { start }.elapsed();
            black_box(profile);
            store
                .split(cluster, std::slice::from_ref(&id), "bench reset")
                .expect("the new record is a member");
        }
        spent
    };
    g.bench_function("rederive_one_after_new_record", |b| {
        b.iter_custom(|iters| rederive(iters, false))
    });
    g.bench_function("insert_link_rederive_one", |b| {
        b.iter_custom(|iters| rederive(iters, true))
    });
    g.finish();
}

/// One cluster grown one record at a time (`link` of each new record to
/// the first), against a same-run baseline that only inserts the records.
/// Ids arrive in a scattered order, so each joins the middle of the sorted
/// member list. Near-linear linking keeps `grow_cluster_8000` near four
/// times `grow_cluster_2000` (quadratic would be sixteen).
fn link_growth(c: &mut Criterion) {
    let mut g = c.benchmark_group("merge_link_growth");
    g.sample_size(10);
    for n in [2_000_usize, 8_000] {
        let records: Vec<SourceRecord> = (0..n)
            .map(|i| {
                let id = format!("g{:07}", (i * 7_919) % n);
                SourceRecord::builder(&id, "crm", t(1))
                    .expect("valid")
                    .build()
                    .expect("valid")
            })
            .collect();
        let ledger = ConsentLedger::builder()
            .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
            .build()
            .expect("valid");
        let fill = || {
            let mut store = ProfileStore::new(ledger.clone(), SurvivorshipPolicy::default());
            for r in &records {
                store.insert(r.clone());
            }
            store
        };
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("baseline_insert_{n}"), |b| b.iter(|| fill().len()));
        g.bench_function(format!("grow_cluster_{n}"), |b| {
            b.iter(|| {
                let mut store = fill();
                let first = records[0].id();
                for r in &records[1..] {
                    store.link(first, r.id(), "grow").expect("both present");
                }
                store.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, merge, link_growth);
criterion_main!(benches);
