//! The resolution plan against the in-process resolver on the same
//! records and model, in the same run.
//!
//! ```text
//! cargo bench -p custodia-datafusion --bench resolve -- --warm-up-time 1 --measurement-time 20
//! ```
//!
//! `plan_20k` resolves 20,000 synthetic records from their JSON with
//! [`ResolvePlan`] on a two-partition session; `in_process_20k` normalises
//! the same records (already read) and resolves them with
//! `Resolver::resolve_normalized`. Both apply one model, trained beforehand.
//! The ratio of the two times is the plan's overhead; the plan also reads
//! each record's JSON, which the in-process side is spared.

#[path = "../../tests/identity/synth.rs"]
#[allow(unreachable_pub)]
mod synth;

use std::sync::Arc;

use criterion::{criterion_main, Criterion, Throughput};
use custodia::identity::{ResolveParams, Resolver};
use custodia_datafusion::resolve::ResolvePlan;
use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{SessionConfig, SessionContext};

const ROWS: usize = 20_000;

fn resolve(c: &mut Criterion) {
    let records: Vec<_> = synth::generate(ROWS, 0.3, 42)
        .iter()
        .map(synth::to_source_record)
        .collect();
    let params = ResolveParams::default();
    let resolver = Resolver::new(params.clone()).expect("default parameters are valid");
    let model = resolver
        .train(&resolver.normalize(&records).expect("ids are unique"))
        .expect("the population trains");
    let schema = Arc::new(Schema::new(vec![Field::new(
        "record",
        DataType::Utf8,
        false,
    )]));
    let batches: Vec<RecordBatch> = records
        .chunks(8192)
        .map(|chunk| {
            let json: Vec<String> = chunk
                .iter()
                .map(|r| serde_json::to_string(r).expect("records serialise"))
                .collect();
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(StringArray::from(json))])
                .expect("one column of text")
        })
        .collect();
    let plan = ResolvePlan::new(params, model.clone()).expect("default parameters are valid");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");

    let mut g = c.benchmark_group("resolve");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("plan_20k", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let ctx =
                    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
                custodia_datafusion::register(&ctx);
                let table = ctx
                    .read_batches(batches.clone())
                    .expect("batches share a schema");
                let clusters = plan.resolve(table, "record").await.expect("the plan runs");
                let out = clusters.collect().await.expect("the plan runs");
                out.iter().map(RecordBatch::num_rows).sum::<usize>()
            })
        })
    });
    g.bench_function("in_process_20k", |b| {
        b.iter(|| {
            let normalized = resolver.normalize(&records).expect("ids are unique");
            resolver
                .resolve_normalized(normalized, model.clone())
                .expect("the model applies")
                .clustering()
                .assignments()
                .len()
        })
    });
    g.finish();
}

// The macro defines an undocumented public function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::resolve);
}
use group::benches;
criterion_main!(benches);
