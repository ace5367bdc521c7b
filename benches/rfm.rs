//! RFM benchmarks at one million customers.
//!
//! Group `rfm_score`: quintile scores of 1M customers with many ties
//! (recency in whole days up to two years, 1–40 purchases, spend in cents):
//! `fit` learns the cut points (three sorts), `score` fits and scores every
//! customer; the baseline `sort_f64` clones and sorts the 1M spends once.
//!
//! Group `rfm_values`: RFM values of 1M customers from 3M purchases
//! (`values_from_transactions`); the baseline `clv_summarize` is
//! `clv::summarize` by day on the same purchases.
//!
//! Run: `cargo bench --bench rfm -- --warm-up-time 1 --measurement-time 5`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use chrono::{Duration, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use custodia::clv::{summarize, Period, Transaction};
use custodia::insights::rfm::{score, values_from_transactions, RfmScorer, RfmValues};

const CUSTOMERS: usize = 1_000_000;

/// SplitMix64: small, fast, and reproducible across platforms.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn population() -> Vec<RfmValues> {
    let mut rng = Rng(7);
    (0..CUSTOMERS)
        .map(|_| {
            let recency = rng.below(730) as f64;
            // Mostly few purchases, as in retail: 1 + a skewed count.
            let frequency = 1 + (rng.below(40) * rng.below(40) / 40) as u32;
            let spend = (rng.below(50_000) * u64::from(frequency)) as f64 / 100.0;
            RfmValues::new(recency, frequency, spend).expect("generated values are valid")
        })
        .collect()
}

fn purchases() -> (Vec<Transaction>, NaiveDate) {
    let mut rng = Rng(11);
    let end = NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid date");
    let mut log = Vec::with_capacity(3 * CUSTOMERS);
    for c in 0..CUSTOMERS {
        let customer = format!("c-{c:07}");
        for _ in 0..3 {
            let at = end - Duration::days(rng.below(730) as i64);
            let amount = rng.below(20_000) as f64 / 100.0;
            log.push(Transaction::new(customer.clone(), at, amount).expect("finite amount"));
        }
    }
    (log, end)
}

fn bench_score(c: &mut Criterion) {
    let values = population();
    let spends: Vec<f64> = values.iter().map(|v| v.monetary()).collect();
    let mut group = c.benchmark_group("rfm_score");
    group.sample_size(10);
    group.bench_function("sort_f64", |b| {
        b.iter(|| {
            let mut s = spends.clone();
            s.sort_unstable_by(f64::total_cmp);
            s
        })
    });
    group.bench_function("fit", |b| {
        b.iter(|| RfmScorer::fit(&values).expect("non-empty"))
    });
    group.bench_function("score", |b| b.iter(|| score(&values).expect("non-empty")));
    group.finish();
}

fn bench_values(c: &mut Criterion) {
    let (log, end) = purchases();
    let mut group = c.benchmark_group("rfm_values");
    group.sample_size(10);
    group.bench_function("clv_summarize", |b| {
        b.iter(|| summarize(&log, Period::Day, end).expect("finite sums"))
    });
    group.bench_function("values_from_transactions", |b| {
        b.iter(|| values_from_transactions(&log, end).expect("finite sums"))
    });
    group.finish();
}

criterion_group!(benches, bench_score, bench_values);
criterion_main!(benches);
