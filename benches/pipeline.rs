//! Benchmarks of the pipeline facade: 10 000 records inserted one at a
//! time against the same records in one batch, both through
//! `Pipeline::extend`, with the same trained model.
//!
//! ```text
//! cargo bench --bench pipeline -- --warm-up-time 1 --measurement-time 10
//! ```
//!
//! The batch is the baseline: the ratio is what resolving and regrouping
//! record by record costs over resolving them all at once (the results are
//! the same, which the `pipeline` tests check). `index_only_batch_10k`
//! adds the same records to a bare `ResolutionIndex`: the facade's own cost
//! (the store, its clusters, person ids) is the batch's excess over it.

#[path = "../tests/identity/synth.rs"]
mod synth;

use criterion::{criterion_main, BatchSize, Criterion, Throughput};
use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
use custodia::identity::{ResolutionIndex, ResolveParams, Resolver};
use custodia::model::SourceRecord;
use custodia::pipeline::Pipeline;

const ROWS: usize = 10_000;

fn pipeline(c: &mut Criterion) {
    let rows = synth::generate(ROWS, 0.3, 42);
    let records: Vec<SourceRecord> = rows.iter().map(synth::to_source_record).collect();
    let resolver = Resolver::new(ResolveParams::default()).expect("default parameters are valid");
    let normalized = resolver.normalize(&records).expect("ids are unique");
    let model = resolver.train(&normalized).expect("the population trains");
    let empty = || {
        let ledger = ConsentLedger::builder()
            .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
            .build()
            .expect("a valid ledger");
        Pipeline::builder()
            .ledger(ledger)
            .model(model.clone())
            .build()
            .expect("valid parameters")
    };

    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("batch_10k_baseline", |b| {
        b.iter_batched(
            || (empty(), records.clone()),
            |(mut p, rs)| {
                p.extend(rs).expect("inserts");
                p.person_count()
            },
            BatchSize::LargeInput,
        )
    });
    // What the facade adds to the index alone: the store, its clusters and
    // the person ids.
    g.bench_function("index_only_batch_10k", |b| {
        b.iter_batched(
            || records.clone(),
            |rs| {
                let mut index = ResolutionIndex::new(ResolveParams::default(), model.clone())
                    .expect("valid parameters");
                index.add(&rs).expect("inserts");
                index.len()
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("one_at_a_time_10k", |b| {
        b.iter_batched(
            || (empty(), records.clone()),
            |(mut p, rs)| {
                for r in rs {
                    p.insert(r).expect("inserts");
                }
                p.person_count()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

// The macro defines an undocumented public function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::pipeline);
}
use group::benches;
criterion_main!(benches);
