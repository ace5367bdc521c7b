//! Benchmarks of `insights::alert` at one million rows.
//!
//! - `sentiment_alerts`: one million sentiment scores of 250,000 customers
//!   (four each on average, over two years).
//! - `nps_alerts`: one million NPS answers of the same customers.
//! - `segment_sentiment_alerts`: the one million scores in 50 segments,
//!   monthly, with Welch intervals.
//!
//! The baseline, measured in the same run, is one sort of the same rows by
//! customer and time: every alert needs each customer's rows in time order,
//! so no alert function can do much better.
//!
//! Run: `cargo bench --bench alert -- --warm-up-time 1 --measurement-time 5`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]
// A bench over fixed, valid data: a failing unwrap is a broken bench.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use custodia::insights::alert::{
    nps_alerts, segment_sentiment_alerts, sentiment_alerts, AlertParams,
};
use custodia::model::Nps;

const ROWS: usize = 1_000_000;
const CUSTOMERS: u64 = 250_000;
const TWO_YEARS: u64 = 2 * 365 * 86_400;

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

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn rows() -> Vec<(u64, DateTime<Utc>, f64)> {
    let mut rng = Rng(6);
    (0..ROWS)
        .map(|_| {
            let at = start() + chrono::Duration::seconds(rng.below(TWO_YEARS) as i64);
            let score = rng.below(2001) as f64 / 1000.0 - 1.0;
            (rng.below(CUSTOMERS), at, score)
        })
        .collect()
}

/// Sorts references to the rows by key and time, as every alert does first.
fn sort_baseline<V>(rows: &[(u64, DateTime<Utc>, V)]) -> usize {
    let mut refs: Vec<_> = rows.iter().collect();
    refs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    refs.len()
}

pub fn customer(c: &mut Criterion) {
    let rows = rows();
    let answers: Vec<(u64, DateTime<Utc>, Nps)> = rows
        .iter()
        .map(|&(k, at, s)| (k, at, Nps::new(((s + 1.0) * 5.0).round() as i64).unwrap()))
        .collect();
    let as_of = start() + chrono::Duration::seconds(TWO_YEARS as i64);
    let params = AlertParams::default();
    let mut group = c.benchmark_group("alert_1m");
    group.sample_size(10);
    group.bench_function("baseline_sort", |b| {
        b.iter(|| sort_baseline(black_box(&rows)))
    });
    group.bench_function("sentiment_alerts", |b| {
        b.iter(|| sentiment_alerts(black_box(&rows), &params, as_of).unwrap())
    });
    group.bench_function("nps_alerts", |b| {
        b.iter(|| nps_alerts(black_box(&answers), &params, as_of).unwrap())
    });
    let segments: Vec<(u64, DateTime<Utc>, f64)> =
        rows.iter().map(|&(k, at, s)| (k % 50, at, s)).collect();
    group.bench_function("segment_sentiment_alerts", |b| {
        b.iter(|| segment_sentiment_alerts(black_box(&segments), &params, as_of).unwrap())
    });
    group.finish();
}

criterion_group!(benches, customer);
criterion_main!(benches);
