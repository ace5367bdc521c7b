//! Score a CSV of feedback texts.
//!
//! ```text
//! cargo run --release --example sentiment -- --input FILE.csv --lang en \
//!     [--lexicon FILE] [--train TRAIN.csv] [--split NAME] [--train-split NAME] --out scores.csv
//! ```
//!
//! - `--input` is a CSV with a header holding `id` and `text` (other columns
//!   are ignored); `--split NAME` keeps only rows whose `split` column is NAME.
//! - `--lang` is an ISO 639-1 code; English and Portuguese have bundled
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

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::process::ExitCode;

use custodia::sentiment::{
    LabelledText, Language, Lexicon, LexiconInducer, LexiconScorer, SentimentScorer, TextTokenizer,
    Tokenizer,
};

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

/// Splits CSV text (RFC 4180 quoting) into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Rows of a CSV file as maps from column name to value.
fn read_table(path: &str) -> Result<Vec<HashMap<String, String>>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    let mut rows = parse_csv(&text).into_iter();
    let header = rows.next().ok_or_else(|| format!("{path}: empty file"))?;
    Ok(rows
        .filter(|r| r.len() > 1)
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect())
}

fn in_split(row: &HashMap<String, String>, split: Option<&str>) -> bool {
    split.is_none_or(|s| row.get("split").map(String::as_str) == Some(s))
}

fn label_of(row: &HashMap<String, String>) -> Option<f64> {
    match row.get("label").map(String::as_str) {
        Some("pos") => return Some(1.0),
        Some("neg") => return Some(-1.0),
        Some("neu") => return Some(0.0),
        _ => {}
    }
    let m: f64 = row.get("human_mean")?.parse().ok()?;
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
        let rows = read_table(path)?;
        let examples: Vec<LabelledText<'_>> = rows
            .iter()
            .filter(|r| in_split(r, args.train_split.as_deref()))
            .filter_map(|r| LabelledText::new(r.get("text")?, label_of(r)?).ok())
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
    // 3. Score every input row.
    let rows = read_table(&args.input)?;
    let mut out = String::from("id,score\n");
    let mut n = 0;
    for row in rows.iter().filter(|r| in_split(r, args.split.as_deref())) {
        let (Some(id), Some(text)) = (row.get("id"), row.get("text")) else {
            continue;
        };
        let score = match &plain {
            Some(lexicon) => plain_sum(lexicon, text),
            None => scorer.score(text).compound(),
        };
        out.push_str(&format!("{id},{score:.6}\n"));
        n += 1;
    }
    fs::File::create(&args.out)?.write_all(out.as_bytes())?;
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
