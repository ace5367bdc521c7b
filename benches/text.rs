//! Benchmarks of key phrases (`insights::text`) and topics
//! (`insights::topic`) at one million short feedback texts.
//!
//! The texts are made from a fixed vocabulary: 5 to 14 words each (about
//! 70 bytes), content words drawn from a skewed distribution over 3,000
//! made-up words plus English stopwords, commas and a final full stop, over
//! twelve groups and 24 months (288 corpora), nine in ten in English and the
//! rest in Portuguese.
//!
//! - `baseline_tokenize`: the sentiment tokenizer over every text, counting
//!   tokens: the least any analysis of the words must do.
//! - `key_phrases`: the top 10 phrases of every group and month.
//! - `phrase_shifts`: rising and falling phrases between two months of
//!   every group (the other 22 months cost a period lookup per row).
//! - `topics`: up to 5 topics of every group and month (the defaults: a
//!   vocabulary of the 300 most frequent content terms per corpus).
//!
//! Run: `cargo bench --bench text -- --warm-up-time 1 --measurement-time 10`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]
// A bench over fixed, valid data: a failing unwrap is a broken bench.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use custodia::insights::text::{key_phrases, phrase_shifts, PhraseParams};
use custodia::insights::topic::{topics, TopicParams};
use custodia::insights::Granularity;
use custodia::sentiment::{Language, TextTokenizer, Tokenizer};

const ROWS: usize = 1_000_000;
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

type Row = (u16, DateTime<Utc>, Language, String);

fn rows() -> Vec<Row> {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "fa", "go", "hu", "pe", "qui", "ba",
        "zo",
    ];
    const STOP: [&str; 10] = [
        "the", "and", "was", "is", "a", "of", "to", "it", "very", "but",
    ];
    let vocabulary: Vec<String> = (0..3000u64)
        .map(|i| {
            let mut w = String::new();
            let mut k = i;
            for _ in 0..3 {
                w.push_str(SYLLABLES[(k % 16) as usize]);
                k /= 16;
            }
            w
        })
        .collect();
    let mut rng = Rng(5);
    (0..ROWS)
        .map(|_| {
            let words = 5 + rng.below(10);
            let mut text = String::with_capacity(96);
            for i in 0..words {
                if i > 0 {
                    text.push_str(if rng.below(8) == 0 { ", " } else { " " });
                }
                if rng.below(3) == 0 {
                    text.push_str(STOP[rng.below(10) as usize]);
                } else {
                    // Skewed: the product of two uniforms favours small ids.
                    let id = rng.below(3000) * rng.below(3000) / 3000;
                    text.push_str(&vocabulary[id as usize]);
                }
            }
            text.push('.');
            let language = if rng.below(10) == 0 {
                Language::Portuguese
            } else {
                Language::English
            };
            let at = start() + chrono::Duration::seconds(rng.below(TWO_YEARS) as i64);
            (rng.below(12) as u16, at, language, text)
        })
        .collect()
}

pub fn text(c: &mut Criterion) {
    let rows = rows();
    let params = PhraseParams::default().granularity(Granularity::Month);
    let from = Granularity::Month.period_of(start()).unwrap();
    let to = from.offset(12).unwrap();
    let mut group = c.benchmark_group("text_1m");
    group.sample_size(10);
    group.bench_function("baseline_tokenize", |b| {
        let tokenizer = TextTokenizer::new();
        b.iter(|| {
            let mut n = 0usize;
            for (_, _, _, text) in black_box(&rows) {
                n += tokenizer.tokens(text).count();
            }
            n
        })
    });
    group.bench_function("key_phrases", |b| {
        b.iter(|| key_phrases(black_box(&rows), &params).unwrap())
    });
    group.bench_function("phrase_shifts", |b| {
        b.iter(|| phrase_shifts(black_box(&rows), &params, from, to).unwrap())
    });
    let topic_params = TopicParams::default().granularity(Granularity::Month);
    group.bench_function("topics", |b| {
        b.iter(|| topics(black_box(&rows), &topic_params).unwrap())
    });
    group.finish();
}

criterion_group!(benches, text);
criterion_main!(benches);
