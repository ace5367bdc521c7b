//! Benchmarks of the `insights` analyses at one million rows.
//!
//! - `survey_1m`: one million survey answers (two years, twelve groups, three
//!   sources, every answer with NPS, most with CES and CSAT), monthly metrics
//!   per group and source with intervals and trends.
//! - `cohort_1m`: one million customers with three activity rows each on
//!   average (two years), monthly cohorts and retention curves.
//!
//! Each group has a baseline measured in the same run: one pass over the
//! same rows summing a score and a timestamp, the least any analysis of the
//! rows must do.
//!
//! Run: `cargo bench --bench insights -- --warm-up-time 1 --measurement-time 5`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]
// A bench over fixed, valid data: a failing unwrap is a broken bench.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use custodia::insights::cohort::{cohorts, Acquisition, CohortParams};
use custodia::insights::survey::{survey_metrics, Split, SurveyParams, SurveyRow};
use custodia::model::{Csat, EffortScore, Nps};

const ROWS: usize = 1_000_000;
const TWO_YEARS: i64 = 2 * 365 * 86_400;

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

fn survey_rows() -> Vec<SurveyRow<u8, u16>> {
    let mut rng = Rng(15);
    (0..ROWS)
        .map(|_| {
            let at = start() + chrono::Duration::seconds(rng.below(TWO_YEARS as u64) as i64);
            let mut row = SurveyRow::new(at, rng.below(3) as u8, rng.below(12) as u16)
                .nps(Nps::new(rng.below(11) as i64).unwrap());
            if rng.below(4) > 0 {
                row = row.effort(EffortScore::new(1 + rng.below(7) as i64).unwrap());
            }
            if rng.below(4) > 0 {
                row = row.csat(Csat::new(1 + rng.below(5) as i64).unwrap());
            }
            row
        })
        .collect()
}

fn activity_rows() -> Vec<(u64, DateTime<Utc>)> {
    let mut rng = Rng(8);
    let mut rows = Vec::with_capacity(3 * ROWS);
    for customer in 0..ROWS as u64 {
        let first = rng.below(TWO_YEARS as u64) as i64;
        // 1 to 5 rows, 3 on average, after the first.
        for _ in 0..1 + rng.below(5) {
            let later = first + rng.below((TWO_YEARS - first) as u64 + 1) as i64;
            rows.push((customer, start() + chrono::Duration::seconds(later)));
        }
    }
    rows
}

pub fn survey(c: &mut Criterion) {
    let rows = survey_rows();
    let as_of = start() + chrono::Duration::seconds(TWO_YEARS);
    let params = SurveyParams::default().split(Split::GroupAndSource);
    let mut group = c.benchmark_group("survey_1m");
    group.sample_size(10);
    group.bench_function("baseline_sum", |b| {
        b.iter(|| {
            let mut sum = 0i64;
            for r in black_box(&rows) {
                sum += r.at().timestamp() + i64::from(*r.group()) + i64::from(*r.source());
            }
            sum
        })
    });
    group.bench_function("survey_metrics", |b| {
        b.iter(|| survey_metrics(black_box(&rows), &params, as_of).unwrap())
    });
    group.finish();
}

pub fn cohort(c: &mut Criterion) {
    let rows = activity_rows();
    let as_of = start() + chrono::Duration::seconds(TWO_YEARS);
    let params = CohortParams::default();
    let mut group = c.benchmark_group("cohort_1m");
    group.sample_size(10);
    group.bench_function("baseline_sum", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for (customer, at) in black_box(&rows) {
                sum = sum.wrapping_add(customer ^ at.timestamp() as u64);
            }
            sum
        })
    });
    group.bench_function("cohorts", |b| {
        b.iter(|| cohorts(black_box(&rows), Acquisition::FirstActivity, &params, as_of).unwrap())
    });
    group.finish();
}

criterion_group!(benches, survey, cohort);
criterion_main!(benches);
