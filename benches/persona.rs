//! Persona benchmarks at one million customers.
//!
//! Group `persona`: 1M customers with four numeric features (recency,
//! frequency, monetary, mean sentiment) and two categorical ones (country,
//! RFM segment), drawn around four groups with noise (recent or lapsed,
//! big or small spenders, content or not).
//!
//! - `assign` (baseline): one pass of dissimilarities from every customer to
//!   the 4 fitted prototypes, with the preparation of rows
//!   (`PersonaModel::assign`);
//! - `fit_k4`: one fit at k = 4 with the default 3 seeded restarts;
//! - `fit_k2_8`: the default fit, choosing k in 2..=8 by silhouette on
//!   samples, then fitting the chosen k on every customer.
//!
//! Run: `cargo bench --bench persona -- --warm-up-time 1 --measurement-time 10`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use custodia::insights::persona::{PersonaData, PersonaParams};

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

    /// Roughly normal noise (sum of four uniforms), mean 0, sd ≈ 1.
    fn noise(&mut self) -> f64 {
        let s: f64 = (0..4)
            .map(|_| (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
            .sum();
        (s - 2.0) * 1.732
    }
}

fn population() -> PersonaData<u32> {
    let mut rng = Rng(3);
    // (recency, frequency, monetary, sentiment) centres of four groups.
    let centres = [
        (10.0, 15.0, 800.0, 0.5),
        (300.0, 15.0, 800.0, -0.5),
        (10.0, 2.0, 50.0, -0.5),
        (300.0, 2.0, 50.0, 0.5),
    ];
    let countries = ["PT", "ES", "FR", "DE", "IT"];
    let segments = ["champions", "loyal", "at_risk", "lost", "new"];
    let mut cols: [Vec<Option<f64>>; 4] = Default::default();
    let mut country = Vec::with_capacity(CUSTOMERS);
    let mut segment = Vec::with_capacity(CUSTOMERS);
    for _ in 0..CUSTOMERS {
        let g = rng.below(4) as usize;
        let (r, f, m, s) = centres[g];
        cols[0].push(Some((r * (1.0 + 0.15 * rng.noise())).max(0.0)));
        cols[1].push(Some((f * (1.0 + 0.15 * rng.noise())).max(1.0).round()));
        cols[2].push(Some((m * (1.0 + 0.15 * rng.noise())).max(0.0)));
        // One in fifty customers never answered a survey.
        cols[3].push((rng.below(50) != 0).then(|| s + 0.1 * rng.noise()));
        let c = if rng.below(3) == 0 {
            rng.below(5) as usize
        } else {
            g
        };
        country.push(Some(countries[c]));
        let c = if rng.below(4) == 0 {
            rng.below(5) as usize
        } else {
            g
        };
        segment.push(Some(segments[c]));
    }
    PersonaData::new((0..CUSTOMERS as u32).collect::<Vec<_>>())
        .numeric("recency", &cols[0])
        .and_then(|d| d.numeric("frequency", &cols[1]))
        .and_then(|d| d.numeric("monetary", &cols[2]))
        .and_then(|d| d.numeric("sentiment", &cols[3]))
        .and_then(|d| d.categorical("country", &country))
        .and_then(|d| d.categorical("segment", &segment))
        .expect("generated columns are valid")
}

fn bench_persona(c: &mut Criterion) {
    let data = population();
    let k4 = PersonaParams::default().k(4);
    let fitted = k4.fit(&data).expect("four groups");
    let mut group = c.benchmark_group("persona");
    group.sample_size(10);
    group.bench_function("assign", |b| {
        b.iter(|| fitted.model().assign(&data).expect("same columns"))
    });
    group.bench_function("fit_k4", |b| b.iter(|| k4.fit(&data).expect("four groups")));
    group.bench_function("fit_k2_8", |b| {
        b.iter(|| PersonaParams::default().fit(&data).expect("four groups"))
    });
    group.finish();
}

criterion_group!(benches, bench_persona);
criterion_main!(benches);
