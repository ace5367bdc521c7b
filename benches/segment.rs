//! Benchmarks of the `segment` module: a compiled five-clause expression with
//! an event-window aggregate over 1M in-memory profiles, against the same
//! condition written by hand as Rust closures, in the same run.
//!
//! Run: `cargo bench --bench segment -- --warm-up-time 1 --measurement-time 10`
//!
//! Passes of the segment:
//! - `compiled_bound`: `CompiledSegment::at(now)` then `SegmentAt::bind` to
//!   the profile type, the way to evaluate a batch;
//! - `compiled`: `CompiledSegment::at(now)`, generic over any `FieldAccess`;
//! - `compiled_matches_at`: `CompiledSegment::matches_at`, which also works
//!   out the window start for every profile.
//!
//! Baselines:
//! - `closure_direct`: reads the profile struct's fields directly (the floor
//!   any interpreter is measured against);
//! - `closure_field_access`: the same closure, reading through the
//!   `FieldAccess` seam (`first`, `visit_events_matching`) with paths built
//!   once, as a program would write it over data it only knows through the
//!   trait.
//!
//! The profile type's `FieldAccess` adapter overrides `first` and
//! `visit_events_matching`, as the trait's documentation recommends for
//! types evaluated in bulk; both compiled segments and the second closure
//! use them.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput};
use custodia::model::{
    Cardinality, Currency, EventAccess, EventQuery, FieldAccess, FieldPath, FieldType, Money,
    Schema, Value,
};
use custodia::segment::Segment;

/// How many profiles, unless `SEGMENT_BENCH_PROFILES` says otherwise (for
/// quick runs, or under a profiler).
const PROFILES: usize = 1_000_000;

fn profile_count() -> usize {
    std::env::var("SEGMENT_BENCH_PROFILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(PROFILES)
}

const COUNTRIES: [&str; 8] = ["DE", "AT", "CH", "FR", "PT", "US", "ID", "BR"];
const PLANS: [&str; 4] = ["free", "team", "business", "enterprise"];

/// The expression under test: five clauses, the last an event-window
/// aggregate over money.
const EXPRESSION: &str = r#"geographic.country in ["DE", "AT", "CH", "FR"]
    and demographic.age >= 30
    and attributes.plan != "free"
    and attributes.score > 0.25
    and sum(purchase.amount within 90d) > 100 EUR"#;

#[derive(Debug)]
struct BenchEvent {
    purchase: bool,
    at: DateTime<Utc>,
    amount: Money,
}

#[derive(Debug)]
struct BenchProfile {
    country: &'static str,
    age: i64,
    plan: &'static str,
    score: f64,
    events: Vec<BenchEvent>,
}

/// The adapter a program writes once for its own profile type: `visit`
/// and `visit_events` are required; `first` and `visit_events_matching`
/// are the overrides `FieldAccess` documents for speed.
impl FieldAccess for BenchProfile {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        if let Some(v) = self.first(path) {
            visit(v);
        }
    }

    fn first<'s>(&'s self, path: &FieldPath) -> Option<Value<'s>> {
        match path.as_str() {
            "geographic.country" => Some(Value::Text(self.country)),
            "demographic.age" => Some(Value::Int(self.age)),
            "attributes.plan" => Some(Value::Text(self.plan)),
            "attributes.score" => Some(Value::Float(self.score)),
            _ => None,
        }
    }

    fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
        for e in &self.events {
            visit(e);
        }
    }

    fn visit_events_matching<'s>(
        &'s self,
        query: &EventQuery<'_>,
        visit: &mut dyn FnMut(&'s dyn EventAccess),
    ) {
        // The events are sorted by time, and few: a scan that stops at the
        // end of the window beats a binary search for its start.
        for e in &self.events {
            if e.at > query.to() {
                break;
            }
            if query.selects(e.name(), e.at) {
                visit(e);
            }
        }
    }
}

impl FieldAccess for BenchEvent {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        if let Some(v) = self.first(path) {
            visit(v);
        }
    }

    fn first<'s>(&'s self, path: &FieldPath) -> Option<Value<'s>> {
        (self.purchase && path.as_str() == "amount").then_some(Value::Money(self.amount))
    }
}

impl EventAccess for BenchEvent {
    fn name(&self) -> &str {
        if self.purchase {
            "purchase"
        } else {
            "email_opened"
        }
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

/// SplitMix64: a small deterministic generator, so every run sees the same
/// profiles.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn profiles(now: DateTime<Utc>) -> Vec<BenchProfile> {
    let eur = Currency::new("EUR").expect("EUR is active");
    let mut rng = Rng(0x5EED_5E67);
    (0..profile_count())
        .map(|_| {
            let n_events = rng.below(9) as usize;
            let mut events: Vec<BenchEvent> = (0..n_events)
                .map(|_| BenchEvent {
                    purchase: rng.below(3) != 0,
                    at: now - TimeDelta::seconds(rng.below(365 * 86_400) as i64),
                    amount: Money::from_minor(rng.below(12_000) as i64, eur),
                })
                .collect();
            events.sort_by_key(|e| e.at);
            BenchProfile {
                country: COUNTRIES[rng.below(COUNTRIES.len() as u64) as usize],
                age: 16 + rng.below(60) as i64,
                plan: PLANS[rng.below(PLANS.len() as u64) as usize],
                score: rng.below(1_000) as f64 / 1_000.0,
                events,
            }
        })
        .collect()
}

fn schema() -> Schema {
    Schema::builder()
        .field("geographic.country", FieldType::Text, Cardinality::One, "")
        .and_then(|b| b.field("demographic.age", FieldType::Int, Cardinality::One, ""))
        // The program knows its own attributes' types: declared, they are
        // checked at compile time and read as single values.
        .and_then(|b| b.field("attributes.plan", FieldType::Text, Cardinality::One, ""))
        .and_then(|b| b.field("attributes.score", FieldType::Float, Cardinality::One, ""))
        .and_then(|b| b.open_prefix("attributes"))
        .and_then(|b| {
            b.event(
                "purchase",
                "",
                &[("amount", FieldType::Money, Cardinality::One, "")],
                &[],
            )
        })
        .expect("valid schema")
        .build()
}

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let data = profiles(now);
    let compiled = Segment::parse(EXPRESSION)
        .and_then(|s| s.compile(&schema()))
        .expect("the bench expression compiles");
    let eur = Currency::new("EUR").expect("EUR is active");
    let threshold = Money::from_minor(10_000, eur);
    let window = now - TimeDelta::days(90);

    let direct = |p: &BenchProfile| {
        matches!(p.country, "DE" | "AT" | "CH" | "FR")
            && p.age >= 30
            && p.plan != "free"
            && p.score > 0.25
            && {
                let mut sum = 0_i64;
                for e in &p.events {
                    if e.purchase && e.at >= window && e.at <= now {
                        sum += e.amount.minor();
                    }
                }
                sum > threshold.minor()
            }
    };

    let paths = [
        "geographic.country",
        "demographic.age",
        "attributes.plan",
        "attributes.score",
        "amount",
    ]
    .map(|p| FieldPath::new(p).expect("valid path"));
    let through_trait = |p: &BenchProfile| {
        matches!(
            p.first(&paths[0]),
            Some(Value::Text("DE" | "AT" | "CH" | "FR"))
        ) && matches!(p.first(&paths[1]), Some(Value::Int(a)) if a >= 30)
            && matches!(p.first(&paths[2]), Some(Value::Text(t)) if t != "free")
            && matches!(p.first(&paths[3]), Some(Value::Float(s)) if s > 0.25)
            && {
                let mut sum = 0_i64;
                let query = EventQuery::new("purchase", Some(window), now);
                p.visit_events_matching(&query, &mut |e| {
                    if let Some(Value::Money(m)) = e.first(&paths[4]) {
                        if m.currency() == eur {
                            sum += m.minor();
                        }
                    }
                });
                sum > threshold.minor()
            }
    };

    // The three must agree before their speed means anything.
    let expected = data.iter().filter(|p| direct(p)).count();
    assert_eq!(data.iter().filter(|p| through_trait(p)).count(), expected);
    assert_eq!(
        data.iter().filter(|p| compiled.matches_at(*p, now)).count(),
        expected
    );
    let at_now = compiled.at(now);
    assert_eq!(data.iter().filter(|p| at_now.matches(*p)).count(), expected);
    let bound = at_now.bind::<BenchProfile>();
    assert_eq!(data.iter().filter(|p| bound.matches(p)).count(), expected);
    assert!(
        expected > data.len() / 50,
        "the expression selects {expected} profiles"
    );

    let mut group = c.benchmark_group("segment_1m_profiles");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.len() as u64));
    group.bench_function("compiled", |b| {
        b.iter(|| {
            let at_now = compiled.at(now);
            black_box(&data)
                .iter()
                .filter(|p| at_now.matches(*p))
                .count()
        })
    });
    group.bench_function("compiled_bound", |b| {
        b.iter(|| {
            let at_now = compiled.at(now);
            let bound = at_now.bind::<BenchProfile>();
            black_box(&data).iter().filter(|p| bound.matches(p)).count()
        })
    });
    group.bench_function("compiled_matches_at", |b| {
        b.iter(|| {
            black_box(&data)
                .iter()
                .filter(|p| compiled.matches_at(*p, now))
                .count()
        })
    });
    group.bench_function("closure_direct", |b| {
        b.iter(|| black_box(&data).iter().filter(|p| direct(p)).count())
    });
    group.bench_function("closure_field_access", |b| {
        b.iter(|| black_box(&data).iter().filter(|p| through_trait(p)).count())
    });
    group.finish();

    // The machine is shared, so the groups above, measured one after the
    // other, can see different loads. Interleave the three passes and keep
    // each one's fastest round: the ratio of minima is what the code costs.
    // Where Linux reports it, also keep the time each pass spent on a CPU
    // (`/proc/thread-self/schedstat`), which leaves out the time other
    // programs held the cores.
    let rounds = std::env::var("SEGMENT_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    let mut wall = [f64::INFINITY; 4];
    let mut on_cpu = [f64::INFINITY; 4];
    for _ in 0..rounds {
        let at_now = compiled.at(now);
        let bound = at_now.bind::<BenchProfile>();
        let passes: [&dyn Fn() -> usize; 4] = [
            &|| black_box(&data).iter().filter(|p| bound.matches(p)).count(),
            &|| {
                black_box(&data)
                    .iter()
                    .filter(|p| at_now.matches(*p))
                    .count()
            },
            &|| black_box(&data).iter().filter(|p| direct(p)).count(),
            &|| black_box(&data).iter().filter(|p| through_trait(p)).count(),
        ];
        for (i, pass) in passes.into_iter().enumerate() {
            let cpu_start = cpu_seconds();
            let start = std::time::Instant::now();
            assert_eq!(pass(), expected);
            wall[i] = wall[i].min(start.elapsed().as_secs_f64());
            if let (Some(a), Some(b)) = (cpu_start, cpu_seconds()) {
                on_cpu[i] = on_cpu[i].min(b - a);
            }
        }
    }
    let report = |what: &str, t: [f64; 4]| {
        eprintln!(
            "{what}, minimum of {rounds} interleaved rounds: compiled_bound {:.1} ms, \
             compiled {:.1} ms, closure_direct {:.1} ms, closure_field_access {:.1} ms; \
             compiled_bound / direct = {:.2}, compiled / direct = {:.2}, \
             compiled_bound / field_access = {:.2}",
            t[0] * 1e3,
            t[1] * 1e3,
            t[2] * 1e3,
            t[3] * 1e3,
            t[0] / t[2],
            t[1] / t[2],
            t[0] / t[3],
        );
    };
    report("wall time", wall);
    if on_cpu.iter().all(|t| t.is_finite()) {
        report("time on a CPU", on_cpu);
    }
}

/// Returns the time this thread has spent on a CPU, where Linux reports it.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 * 1e-9)
}

fn main() {
    // Written out rather than through `criterion_main!`, whose generated
    // function has no doc comment for the crate's missing-docs lint.
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
