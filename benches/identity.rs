//! Benchmarks of the `identity` module: normalise, block, score and
//! cluster on a synthetic population, each step on its own.
//!
//! ```text
//! cargo bench --bench identity -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The clustering group measures plain connected components over the same
//! links as a baseline, so the ratio is the cost of the guards; the whole
//! resolution is measured through the separate steps and through
//! `Resolver::train_and_resolve`, which shares blocking and comparisons; a
//! batch of four records, too few to train on, is measured against handing
//! the resolver the standard model it falls back to.

#[path = "../tests/identity/synth.rs"]
mod synth;

use criterion::{criterion_main, BatchSize, Criterion, Throughput};
use custodia::identity::{
    block, cluster, normalize_record, score_pairs, MatchModel, Matcher, NormalizeParams,
    ResolveParams, Resolver, RuleBlocker,
};

const ROWS: usize = 20_000;

fn identity(c: &mut Criterion) {
    let rows = synth::generate(ROWS, 0.3, 42);
    let records: Vec<_> = rows.iter().map(synth::to_source_record).collect();
    let params = ResolveParams::default();
    let resolver = Resolver::new(params.clone()).expect("default parameters are valid");
    let normalized = resolver.normalize(&records).expect("ids are unique");
    let model = resolver.train(&normalized).expect("the population trains");
    let blocker = RuleBlocker::new(params.blocking_params(), model.generic().clone());
    let candidates = block(&normalized, &blocker, params.blocking_params()).expect("valid");
    let scored = score_pairs(&normalized, &candidates, &model).expect("valid");

    let mut g = c.benchmark_group("identity");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records.len() as u64));
    let np = NormalizeParams::default();
    g.bench_function("normalize_20k", |b| {
        b.iter(|| {
            records
                .iter()
                .map(|r| normalize_record(r, &np))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("block_20k", |b| {
        b.iter(|| block(&normalized, &blocker, params.blocking_params()).map(|c| c.pairs().len()))
    });
    g.throughput(Throughput::Elements(candidates.pairs().len() as u64));
    g.bench_function("score_candidates", |b| {
        b.iter(|| score_pairs(&normalized, &candidates, &model).map(|s| s.len()))
    });
    g.bench_function("cluster_guarded", |b| {
        b.iter(|| {
            cluster(&normalized, &scored, &model, params.cluster_params())
                .map(|c| c.clusters().len())
        })
    });
    // Baseline: connected components over the same links, no guards.
    let threshold = model.link_weight();
    g.bench_function("cluster_connected_components_baseline", |b| {
        b.iter_batched(
            || (0..normalized.len() as u32).collect::<Vec<u32>>(),
            |mut parent| {
                fn find(p: &mut [u32], mut x: u32) -> u32 {
                    while p[x as usize] != x {
                        p[x as usize] = p[p[x as usize] as usize];
                        x = p[x as usize];
                    }
                    x
                }
                for s in scored.iter().filter(|s| s.weight >= threshold) {
                    let (a, b) = (find(&mut parent, s.a), find(&mut parent, s.b));
                    if a != b {
                        parent[a as usize] = b;
                    }
                }
                parent.len()
            },
            BatchSize::LargeInput,
        )
    });
    // The whole resolution after normalising: the pure steps one by one
    // (training blocks and compares its samples, resolving blocks and
    // compares again) against `train_and_resolve`, which blocks once and
    // compares each candidate once.
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("resolve_20k_steps", |b| {
        b.iter_batched(
            || normalized.clone(),
            |n| {
                let model = resolver.train(&n).expect("the population trains");
                resolver
                    .resolve_normalized(n, model)
                    .map(|r| r.clustering().clusters().len())
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("resolve_20k_train_and_resolve", |b| {
        b.iter_batched(
            || normalized.clone(),
            |n| {
                resolver
                    .train_and_resolve(n)
                    .map(|r| r.clustering().clusters().len())
            },
            BatchSize::LargeInput,
        )
    });
    // A batch too small to train on: the resolver falls back to the
    // standard model; the baseline hands it that model directly, so the
    // ratio is what deciding not to train costs.
    let few = &records[..4];
    g.throughput(Throughput::Elements(few.len() as u64));
    g.bench_function("resolve_4_records", |b| {
        b.iter(|| {
            resolver
                .resolve(few)
                .map(|r| r.clustering().clusters().len())
        })
    });
    g.bench_function("resolve_4_records_standard_model_baseline", |b| {
        b.iter(|| {
            let n = resolver.normalize(few).expect("ids are unique");
            resolver
                .resolve_normalized(n, MatchModel::standard())
                .map(|r| r.clustering().clusters().len())
        })
    });
    g.finish();
}

// The macro defines an undocumented public function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::identity);
}
use group::benches;
criterion_main!(benches);
