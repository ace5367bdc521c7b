//! Benchmarks of the model and of Segment-spec ingest.
//!
//! `ingest/*` reads the quickstart's 55 messages into source records; the
//! `serde_json::Value` parse of the same text is measured in the same run as
//! the baseline, so the ratio shows what mapping and validation cost on top
//! of parsing JSON at all. `record_json/*` serialises and deserialises
//! (with validation) the same records.
//!
//! Run with `cargo bench --bench model`.

// criterion_group! and criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custodia::ingest::Ingestor;
use custodia::model::SourceRecord;
use std::hint::black_box;

const SOURCES: &[(&str, &str)] = &[
    ("crm", include_str!("../examples/data/crm.json")),
    ("web", include_str!("../examples/data/web.json")),
    ("shop", include_str!("../examples/data/shop.json")),
    ("support", include_str!("../examples/data/support.json")),
    ("surveys", include_str!("../examples/data/surveys.json")),
];

fn ingest(c: &mut Criterion) {
    let ingestors: Vec<(Ingestor, &str)> = SOURCES
        .iter()
        .map(|(s, json)| (Ingestor::new(s).expect("valid source"), *json))
        .collect();
    let messages: u64 = ingestors
        .iter()
        .map(|(i, j)| i.batch(j).expect("sample ingests").len() as u64)
        .sum();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(messages));
    group.bench_function("baseline_serde_json_value_parse", |b| {
        b.iter(|| {
            for (_, json) in &ingestors {
                let v: serde_json::Value = serde_json::from_str(black_box(json)).expect("json");
                black_box(v);
            }
        })
    });
    group.bench_function("segment_spec_to_source_records", |b| {
        b.iter(|| {
            for (ingestor, json) in &ingestors {
                black_box(ingestor.batch(black_box(json)).expect("ingests"));
            }
        })
    });
    group.finish();
}

fn record_json(c: &mut Criterion) {
    let records: Vec<SourceRecord> = SOURCES
        .iter()
        .flat_map(|(s, json)| {
            Ingestor::new(s)
                .expect("valid source")
                .batch(json)
                .expect("sample ingests")
        })
        .collect();
    let text = serde_json::to_string(&records).expect("serialises");
    let mut group = c.benchmark_group("record_json");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("serialize", |b| {
        b.iter(|| black_box(serde_json::to_string(black_box(&records)).expect("serialises")))
    });
    group.bench_function("deserialize_and_validate", |b| {
        b.iter(|| {
            let back: Vec<SourceRecord> = serde_json::from_str(black_box(&text)).expect("reads");
            black_box(back)
        })
    });
    group.finish();
}

criterion_group!(benches, ingest, record_json);
criterion_main!(benches);
