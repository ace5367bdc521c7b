//! Fitting benchmarks: one million customers simulated from a BG/NBD and a
//! Pareto/NBD process (CDNOW-like parameters, a fixed seed), fitted by
//! maximum likelihood; and a Gamma-Gamma fit of the simulated repeat buyers'
//! spend.
//!
//! The cohort mirrors CDNOW: first purchases spread over 12 weeks, observation
//! to week 39, purchase times on whole days (in weeks), so customers with the
//! same history share a summary and the fit sums over distinct summaries.
//!
//! Group `clv_read` reads the simulated BG/NBD cohort as a summary CSV (one
//! million rows, held in memory): `summary_csv` streams it through
//! [`SummaryCsv`]; the baseline `split_strings` is the way `examples/clv.rs`
//! read it before, one owned `String` per field, then `str::parse`.
//!
//! Run: `cargo bench --bench clv -- --warm-up-time 1 --measurement-time 5`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use custodia::clv::{BgNbd, Fit, GammaGamma, ParetoNbd, RfmSummary, Summaries, SummaryCsv};

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

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }

    /// Gamma(shape, rate) by Marsaglia and Tsang (2000), boosted for shape < 1.
    fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform();
            return self.gamma(shape + 1.0, rate) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v / rate;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        x / (x + self.gamma(b, 1.0))
    }
}

/// Returns a customer's age `T` in weeks (first purchase on one of the first 84 days).
fn age(rng: &mut Rng) -> f64 {
    let first_day = (rng.uniform() * 84.0).floor();
    (273.0 - first_day) / 7.0
}

/// Rounds a time in weeks down to a whole day.
fn day(t: f64) -> f64 {
    (t * 7.0).floor() / 7.0
}

/// Simulates a purchase stream of rate `lambda` up to `end`, stopping after
/// each purchase with probability `p` (BG/NBD) and at `death` (Pareto/NBD).
fn history(rng: &mut Rng, lambda: f64, p: f64, death: f64, end: f64) -> (u32, f64) {
    let (mut x, mut last, mut t) = (0u32, 0.0, 0.0);
    let stop = death.min(end);
    loop {
        t += rng.exponential(lambda);
        if t > stop {
            break;
        }
        x += 1;
        last = t;
        if rng.uniform() < p {
            break;
        }
    }
    (x, day(last))
}

fn simulate_bg_nbd(seed: u64) -> Summaries {
    let mut rng = Rng(seed);
    let (r, alpha, a, b) = (0.2426, 4.4135, 0.7929, 2.4258);
    (0..CUSTOMERS)
        .map(|_| {
            let t = age(&mut rng);
            let lambda = rng.gamma(r, alpha);
            let p = rng.beta(a, b);
            let (x, tx) = history(&mut rng, lambda, p, f64::INFINITY, t);
            RfmSummary::new(x, tx.min(t), t).expect("simulated summaries are valid")
        })
        .collect()
}

fn simulate_pareto_nbd(seed: u64) -> Summaries {
    let mut rng = Rng(seed);
    let (r, alpha, s, beta) = (0.5533, 10.578, 0.6062, 11.667);
    (0..CUSTOMERS)
        .map(|_| {
            let t = age(&mut rng);
            let lambda = rng.gamma(r, alpha);
            let mu = rng.gamma(s, beta);
            let death = rng.exponential(mu);
            let (x, tx) = history(&mut rng, lambda, 0.0, death, t);
            RfmSummary::new(x, tx.min(t), t).expect("simulated summaries are valid")
        })
        .collect()
}

/// Adds Gamma-Gamma spend (p 6.25, q 3.74, γ 15.44) to the repeat buyers.
fn with_spend(data: &Summaries, seed: u64) -> Summaries {
    let mut rng = Rng(seed);
    let (p, q, gamma) = (6.2488, 3.7446, 15.4477);
    data.iter()
        .map(|(s, _)| {
            if s.frequency() == 0 {
                return *s;
            }
            let nu = rng.gamma(q, gamma);
            let total: f64 = (0..s.frequency()).map(|_| rng.gamma(p, nu)).sum();
            let mean = ((total / f64::from(s.frequency())) * 100.0).round() / 100.0;
            s.with_monetary(mean.max(0.01))
                .expect("simulated spend is valid")
        })
        .collect()
}

fn fits(c: &mut Criterion) {
    let bg = simulate_bg_nbd(7);
    let pareto = simulate_pareto_nbd(11);
    let spend = with_spend(&bg, 13);

    let bg_fit = BgNbd::params().fit(&bg).expect("BG/NBD fit");
    let report = bg_fit.report().expect("fitted");
    eprintln!(
        "BG/NBD on {} customers ({} distinct summaries): r {:.4} alpha {:.4} a {:.4} b {:.4}, {} iterations",
        CUSTOMERS,
        report.rows(),
        bg_fit.r(),
        bg_fit.alpha(),
        bg_fit.a(),
        bg_fit.b(),
        report.iterations()
    );
    let pareto_fit = ParetoNbd::params().fit(&pareto).expect("Pareto/NBD fit");
    let report = pareto_fit.report().expect("fitted");
    eprintln!(
        "Pareto/NBD on {} customers ({} distinct summaries): r {:.4} alpha {:.4} s {:.4} beta {:.4}, {} iterations",
        CUSTOMERS,
        report.rows(),
        pareto_fit.r(),
        pareto_fit.alpha(),
        pareto_fit.s(),
        pareto_fit.beta(),
        report.iterations()
    );
    let gg_fit = GammaGamma::params().fit(&spend).expect("Gamma-Gamma fit");
    let report = gg_fit.report().expect("fitted");
    eprintln!(
        "Gamma-Gamma on {} repeat buyers ({} distinct): p {:.4} q {:.4} gamma {:.4}, {} iterations",
        report.customers(),
        report.rows(),
        gg_fit.p(),
        gg_fit.q(),
        gg_fit.gamma(),
        report.iterations()
    );

    let mut group = c.benchmark_group("clv_fit_1m");
    group.sample_size(10);
    group.bench_function("bg_nbd", |b| {
        b.iter_batched(|| &bg, |d| BgNbd::params().fit(d), BatchSize::PerIteration)
    });
    group.bench_function("pareto_nbd", |b| {
        b.iter_batched(
            || &pareto,
            |d| ParetoNbd::params().fit(d),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("gamma_gamma", |b| {
        b.iter_batched(
            || &spend,
            |d| GammaGamma::params().fit(d),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Writes `data` as a summary CSV with an id column.
fn to_csv(data: &Summaries) -> String {
    use std::fmt::Write as _;
    let mut text = String::from("id,frequency,recency,T\n");
    for (i, (s, _)) in data.iter().enumerate() {
        writeln!(text, "{i},{},{},{}", s.frequency(), s.recency(), s.age())
            .expect("writing to a String cannot fail");
    }
    text
}

/// The previous reader of `examples/clv.rs`: the file as one string, split
/// into owned fields, then parsed.
fn read_split_strings(text: &str) -> Summaries {
    let owned = text.to_owned(); // stands for `read_to_string`
    let mut lines = owned.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_owned())
        .collect();
    let rows: Vec<Vec<String>> = lines
        .map(|l| {
            l.split(',')
                .map(|v| v.trim().trim_matches('"').to_owned())
                .collect()
        })
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect("a column");
    let (f, r, t) = (col("frequency"), col("recency"), col("T"));
    let num = |row: &[String], i: usize| row[i].parse::<f64>().expect("a number");
    rows.iter()
        .map(|row| RfmSummary::new(num(row, f) as u32, num(row, r), num(row, t)).expect("valid"))
        .collect()
}

fn reads(c: &mut Criterion) {
    let text = to_csv(&simulate_bg_nbd(7));
    let fast = SummaryCsv::new(text.as_bytes())
        .and_then(|r| r.read_all())
        .expect("simulated CSV reads");
    assert_eq!(fast, read_split_strings(&text), "both readers agree");
    eprintln!("summary CSV: {} rows, {} bytes", fast.len(), text.len());

    let mut group = c.benchmark_group("clv_read");
    group.sample_size(10);
    group.bench_function("summary_csv", |b| {
        b.iter(|| {
            SummaryCsv::new(text.as_bytes())
                .and_then(|r| r.read_all())
                .expect("simulated CSV reads")
        })
    });
    group.bench_function("split_strings", |b| b.iter(|| read_split_strings(&text)));
    group.finish();
}

criterion_group!(benches, reads, fits);
criterion_main!(benches);
