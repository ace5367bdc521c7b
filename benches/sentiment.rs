//! Benchmarks of the `sentiment` module: English sentences scored per second
//! on one core, and `explain` against `score` on one 400 KB text.
//!
//! Baseline, measured in the same run: a plain lexicon sum in the style of a
//! straightforward port (split on whitespace, strip punctuation, allocate a
//! lower-case `String` per word, look it up in a std `HashMap` with SipHash,
//! normalise the sum) — no rules at all.
//!
//! `sentiment_csv_100k` times the whole path of `examples/sentiment.rs`
//! (read 100,000 CSV rows, score, write `id,score`) against scoring the same
//! texts alone, in the same run: their ratio is what the CSV I/O costs.
//!
//! ```text
//! cargo bench --bench sentiment -- --warm-up-time 1 --measurement-time 3
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::io::Write;

use criterion::{criterion_main, Criterion, Throughput};
use custodia::sentiment::{Language, Lexicon, LexiconScorer, SentimentScorer, Stemming};

/// Tweet-length customer feedback, with the features the rules look at.
const SENTENCES: [&str; 16] = [
    "The support team was great, they fixed my issue in minutes!",
    "Delivery was late again and nobody answered my emails :(",
    "Not bad at all, but the app crashes when I open the settings.",
    "I LOVE the new design, it's so much easier to use.",
    "The checkout page is kind of confusing and the prices are too high.",
    "Thanks for the quick refund 👍",
    "Worst experience ever. Never ordering from you again!!!",
    "It's ok. Nothing special, nothing terrible.",
    "The product arrived damaged and the box was soaking wet.",
    "Really happy with my purchase, would definitely recommend to friends.",
    "Why does the tracking link never work??",
    "Customer service was friendly but couldn't solve the problem.",
    "Great value for money, the quality is excellent :)",
    "I waited on hold for an hour, absolutely ridiculous.",
    "The new update is fine I guess, a few bugs here and there.",
    "Amazing!!! Best coffee in town, the staff are lovely.",
];

fn naive_scorer(lexicon: &Lexicon) -> HashMap<String, f64> {
    lexicon.iter().map(|(w, v)| (w.to_owned(), v)).collect()
}

fn naive_score(lexicon: &HashMap<String, f64>, text: &str) -> f64 {
    let sum: f64 = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| c.is_ascii_punctuation())
                .to_lowercase()
        })
        .filter_map(|w| lexicon.get(&w).copied())
        .sum();
    sum / (sum * sum + 15.0).sqrt()
}

/// Sentences per second: the English scorer as `LexiconScorer::english()`
/// builds it, the same with the stem fallback, its explanation, and the naive
/// baseline.
pub fn throughput(c: &mut Criterion) {
    // Loaded from the bundled file directly, so the bench builds with any features.
    let lexicon = Lexicon::from_vader(include_str!("../data/sentiment/vader_en.txt"))
        .expect("the bundled VADER lexicon parses");
    let naive = naive_scorer(&lexicon);
    // Configured as `LexiconScorer::english()` is: exact matching, since the
    // VADER lexicon lists inflected forms itself.
    let scorer = LexiconScorer::params(Language::English)
        .lexicon(lexicon.clone())
        .stemming(Stemming::Off)
        .build()
        .expect("the English scorer builds");
    // With the stem fallback, as for a lemma lexicon.
    let stemming = LexiconScorer::params(Language::English)
        .lexicon(lexicon)
        .stemming(Stemming::Language)
        .build()
        .expect("the English scorer builds");
    let mut group = c.benchmark_group("sentiment_en");
    group.throughput(Throughput::Elements(SENTENCES.len() as u64));
    group.bench_function("lexicon_scorer", |b| {
        b.iter(|| {
            for s in SENTENCES {
                black_box(scorer.score(black_box(s)));
            }
        });
    });
    group.bench_function("lexicon_scorer_with_stemming", |b| {
        b.iter(|| {
            for s in SENTENCES {
                black_box(stemming.score(black_box(s)));
            }
        });
    });
    group.bench_function("baseline_naive_sum", |b| {
        b.iter(|| {
            for s in SENTENCES {
                black_box(naive_score(&naive, black_box(s)));
            }
        });
    });
    group.bench_function("explain", |b| {
        b.iter(|| {
            for s in SENTENCES {
                black_box(scorer.explain(black_box(s)));
            }
        });
    });
    group.finish();
}

/// The English scorer as `LexiconScorer::english()` builds it: the VADER
/// lexicon, exact matching.
fn english_scorer() -> LexiconScorer {
    let lexicon = Lexicon::from_vader(include_str!("../data/sentiment/vader_en.txt"))
        .expect("the bundled VADER lexicon parses");
    LexiconScorer::params(Language::English)
        .lexicon(lexicon)
        .stemming(Stemming::Off)
        .build()
        .expect("the English scorer builds")
}

/// One 400 KB text (the sentences repeated): `explain` against `score` in
/// the same run. Both are linear in the text, so their ratio stays the same
/// at any length; `explain` costs more only for building the contributions.
pub fn long_text(c: &mut Criterion) {
    let scorer = english_scorer();
    let mut text = String::new();
    while text.len() < 400 * 1024 {
        for s in SENTENCES {
            text.push_str(s);
            text.push(' ');
        }
    }
    let mut group = c.benchmark_group("sentiment_en_400kb");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("score", |b| {
        b.iter(|| black_box(scorer.score(black_box(&text))));
    });
    group.bench_function("explain", |b| {
        b.iter(|| black_box(scorer.explain(black_box(&text))));
    });
    group.finish();
}

// The example's own CSV reader and writer; the bench uses a part of them.
#[allow(dead_code)]
#[path = "../examples/support/example_csv.rs"]
mod example_csv;

/// 100,000 rows of `id,customer,text` in memory, with the quoting real
/// exports have (commas, doubled quotes, line breaks inside fields).
fn csv_100k() -> Vec<u8> {
    let mut out = Vec::with_capacity(8 << 20);
    out.extend_from_slice(b"id,customer,text\n");
    for i in 0..100_000usize {
        let s = SENTENCES[i % SENTENCES.len()];
        let quoted = s.replace('"', "\"\"");
        let tail = if i % 97 == 0 {
            "\nSecond line, with a comma."
        } else {
            ""
        };
        writeln!(out, "r{i},c{},\"{quoted}{tail}\"", i % 7919).expect("writing to a Vec");
    }
    out
}

/// The example's whole path on 100k rows against scoring alone.
pub fn csv_100k_whole_path(c: &mut Criterion) {
    let scorer = english_scorer();
    let input = csv_100k();
    let texts: Vec<String> = {
        let mut rd = example_csv::reader(input.as_slice());
        rd.records()
            .map(|r| r.expect("the generated CSV reads")[2].to_owned())
            .collect()
    };
    let mut group = c.benchmark_group("sentiment_csv_100k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("whole_path", |b| {
        b.iter(|| {
            let mut rd = example_csv::reader(black_box(input.as_slice()));
            let header = rd.headers().expect("a header").clone();
            let cols = example_csv::Columns::find(&header).expect("id and text columns");
            let mut out = example_csv::ScoreWriter::new(Vec::with_capacity(2 << 20))
                .expect("writing to a Vec");
            let mut record = csv::StringRecord::new();
            while rd
                .read_record(&mut record)
                .expect("the generated CSV reads")
            {
                let score = scorer.score(&record[cols.text]).compound();
                out.write(&record[cols.id], score)
                    .expect("writing to a Vec");
            }
            black_box(out.finish().expect("writing to a Vec"))
        });
    });
    group.bench_function("scoring_only", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(scorer.score(black_box(t)));
            }
        });
    });
    group.finish();
}

mod harness {
    //! criterion's generated entry points.
    #![allow(missing_docs)] // the macros generate undocumented functions
    use super::{csv_100k_whole_path, long_text, throughput};
    criterion::criterion_group!(benches, throughput, long_text, csv_100k_whole_path);
}

criterion_main!(harness::benches);
