//! Score a CSV of feedback texts.
//!
//! ```text
//! cargo run --release --example sentiment -- --input FILE.csv --lang en \
//!     [--lexicon FILE] [--train TRAIN.csv] [--split NAME] [--train-split NAME] \
//!     [--rules language|none] --out scores.csv
//! ```
//!
//! - `--input` is a CSV with a header holding `id` and `text` (other columns
//!   are ignored); `--split NAME` keeps only rows whose `split` column is NAME.
//! - `--lang` is an ISO 639 code or BCP 47 tag (`en`, `pt-BR`, `ind`); English and Portuguese have bundled
//!   lexicons, other languages need `--lexicon` or `--train`.
//! - `--lexicon FILE` loads a lexicon: VADER format when a line has four
//!   tab-separated fields, `token<TAB>score` otherwise; it is rescaled to ±4.
//! - `--train TRAIN.csv` learns a lexicon from labelled rows (`human_mean` in
//!   −1..=1, or a `label` column of pos/neu/neg), optionally only the rows whose
//!   `split` is `--train-split NAME`; with `--lexicon` too, the learned words
//!   are added to the loaded ones.
//! - `--rules none` scores the plain sum of the tokens' lexicon valences
//!   (lower-cased exact matches, no negation, boosters, contrast, caps,
//!   punctuation or stemming), normalised as VADER does: the baseline every
//!   rule must beat. The default, `--rules language`, uses the language's rules.
//! - `--out` receives `id,score` with the compound score in −1..=1.
//!
//! Rows stream through: one reused record in, one buffered writer out (see
//! `support/example_csv.rs`), so 100,000 rows take about as long as scoring
//! them. Rows without an `id` or `text` field are counted on stderr.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::process::ExitCode;

use custodia::sentiment::{
    LabelledText, Language, Lexicon, LexiconInducer, LexiconScorer, SentimentScorer, TextTokenizer,
    Tokenizer,
};

#[path = "support/example_csv.rs"]
mod example_csv;

/// The plain lexicon sum: each token's lower-cased lexicon valence (an
/// emoticon's as written first), summed and normalised to `s / sqrt(s² + 15)`.
fn plain_sum(lexicon: &Lexicon, text: &str) -> f64 {
    let mut sum = 0.0;
    for token in TextTokenizer::new().tokens(text) {
        let v = lexicon
            .get(token.text())
            .or_else(|| lexicon.get(&token.text().to_lowercase()));
        sum += v.unwrap_or(0.0);
    }
    sum / (sum * sum + 15.0).sqrt()
}

/// The training rows of a labelled CSV: text and label in −1..=1.
fn read_labelled(path: &str, split: Option<&str>) -> Result<Vec<(String, f64)>, String> {
    let file = fs::File::open(path).map_err(|e| format!("reading {path}: {e}"))?;
    let mut rd = example_csv::reader(file);
    let header = rd.headers().map_err(|e| format!("{path}: {e}"))?.clone();
    let cols = example_csv::Columns::find(&header).map_err(|e| format!("{path}: {e}"))?;
    let mut record = csv::StringRecord::new();
    let mut out = Vec::new();
    while rd
        .read_record(&mut record)
        .map_err(|e| format!("{path}: {e}"))?
    {
        if !in_split(&record, cols, split) {
            continue;
        }
        if let (Some(text), Some(label)) = (record.get(cols.text), label_of(&record, cols)) {
            out.push((text.to_owned(), label));
        }
    }
    Ok(out)
}

fn in_split(record: &csv::StringRecord, cols: example_csv::Columns, split: Option<&str>) -> bool {
    split.is_none_or(|s| cols.split.and_then(|c| record.get(c)) == Some(s))
}

fn label_of(record: &csv::StringRecord, cols: example_csv::Columns) -> Option<f64> {
    match cols.label.and_then(|c| record.get(c)) {
        Some("pos") => return Some(1.0),
        Some("neg") => return Some(-1.0),
        Some("neu") => return Some(0.0),
        _ => {}
    }
    let m: f64 = record.get(cols.human_mean?)?.trim().parse().ok()?;
    // Ratings on VADER's −4..+4 scale are brought to −1..=1.
    Some(if m.abs() > 1.0 {
        (m / 4.0).clamp(-1.0, 1.0)
    } else {
        m
    })
}

struct Args {
    input: String,
    lang: Language,
    lexicon: Option<String>,
    train: Option<String>,
    split: Option<String>,
    train_split: Option<String>,
    plain: bool,
    out: String,
}

fn parse_args() -> Result<Args, String> {
    let mut map: HashMap<String, String> = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        map.insert(flag.trim_start_matches('-').to_owned(), value);
    }
    let need = |k: &str| {
        map.get(k)
            .cloned()
            .ok_or_else(|| format!("--{k} is required"))
    };
    Ok(Args {
        input: need("input")?,
        lang: need("lang")?
            .parse()
            .map_err(|e: custodia::Error| e.to_string())?,
        lexicon: map.get("lexicon").cloned(),
        train: map.get("train").cloned(),
        split: map.get("split").cloned(),
        train_split: map.get("train-split").cloned(),
        plain: match map.get("rules").map(String::as_str) {
            None | Some("language") => false,
            Some("none") => true,
            Some(other) => return Err(format!("--rules is `language` or `none`, not {other:?}")),
        },
        out: need("out")?,
    })
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    // 1. The lexicon: a file, a learned one, both, or the bundled one.
    let mut lexicon = match &args.lexicon {
        Some(path) => {
            let text = fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
            let vader = text
                .lines()
                .next()
                .is_some_and(|l| l.split('\t').count() >= 4);
            let lexicon = if vader {
                Lexicon::from_vader(&text)?
            } else {
                Lexicon::from_tsv(&text)?
            };
            Some(lexicon.rescaled(4.0)?)
        }
        None => None,
    };
    if let Some(path) = &args.train {
        // 2. Learn a lexicon from labelled rows.
        let rows = read_labelled(path, args.train_split.as_deref())?;
        let examples: Vec<LabelledText<'_>> = rows
            .iter()
            .filter_map(|(text, label)| LabelledText::new(text, *label).ok())
            .collect();
        let learned = LexiconInducer::params(args.lang)
            .build()?
            .induce(&examples)?;
        eprintln!(
            "learned {} entries from {} texts",
            learned.len(),
            examples.len()
        );
        lexicon = Some(match lexicon {
            Some(mut base) => {
                for (word, valence) in learned.iter() {
                    if base.get(word).is_none() {
                        base.insert(word, valence)?;
                    }
                }
                base
            }
            None => learned,
        });
    }
    let mut params = LexiconScorer::params(args.lang);
    let plain = match (args.plain, &lexicon) {
        (false, _) => None,
        (true, Some(l)) => Some(l.clone()),
        (true, None) => Some(
            Lexicon::bundled(args.lang).ok_or_else(|| format!("no lexicon for {}", args.lang))?,
        ),
    };
    if let Some(lexicon) = lexicon {
        params = params.lexicon(lexicon);
    }
    let scorer = params.build()?;
    // 3. Score every input row, streaming: read a record, score, write.
    let input = &args.input;
    let file = fs::File::open(input).map_err(|e| format!("reading {input}: {e}"))?;
    let mut rd = example_csv::reader(file);
    let header = rd.headers().map_err(|e| format!("{input}: {e}"))?.clone();
    let cols = example_csv::Columns::find(&header).map_err(|e| format!("{input}: {e}"))?;
    let out = fs::File::create(&args.out).map_err(|e| format!("{}: {e}", args.out))?;
    let mut out = example_csv::ScoreWriter::new(out)?;
    let mut record = csv::StringRecord::new();
    let (mut n, mut short) = (0usize, 0usize);
    while rd
        .read_record(&mut record)
        .map_err(|e| format!("{input}: {e}"))?
    {
        if !in_split(&record, cols, args.split.as_deref()) {
            continue;
        }
        let (Some(id), Some(text)) = (record.get(cols.id), record.get(cols.text)) else {
            short += 1;
            continue;
        };
        let score = match &plain {
            Some(lexicon) => plain_sum(lexicon, text),
            None => scorer.score(text).compound(),
        };
        out.write(id, score)?;
        n += 1;
    }
    out.finish()?.flush()?;
    if short > 0 {
        eprintln!("{short} rows lacked an id or text field and were not scored");
    }
    eprintln!("scored {n} texts into {}", args.out);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
