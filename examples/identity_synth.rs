//! Writes a synthetic population of people with known truth as CSV, for
//! timing and checking `examples/resolve.rs` at scale.
//!
//! ```text
//! cargo run --release --example identity_synth -- ROWS OUT.csv [SEED] [--generator a|b|households]
//! cargo run --release --example resolve -- OUT.csv --out clusters.csv --truth cluster_id
//! ```
//!
//! Three generators share one CSV header, so `examples/resolve.rs` reads
//! the output of each:
//! - `a` (the default, `tests/identity/synth.rs`, shared with the tests and
//!   the bench) mixes English, Portuguese, Indonesian and Hungarian names,
//!   corrupts duplicates (typos, nicknames, swapped names, missing fields,
//!   moves, new emails, phone formats, mistyped dates) and plants hard
//!   negatives (households, twins, common names, generic values);
//! - `b` (`tests/identity/synth_b.rs`) has another error model: seven name
//!   cultures, four sources with their own habits, keyboard, OCR and
//!   phonetic errors, diminutives, initials, impossible dates, email and
//!   phone variants;
//! - `households` (`tests/identity/households.rs`) is mostly hard
//!   negatives: families at one address, twins, Jr/Sr, namesakes and junk
//!   values, next to duplicates that must link.
//!
//! `docs/identity.md` says which seed of each is held out of tuning.

#[path = "../tests/identity/households.rs"]
mod households;
#[path = "../tests/identity/synth.rs"]
mod synth;
#[path = "../tests/identity/synth_b.rs"]
mod synth_b;

use std::process::ExitCode;

fn run() -> Result<(), String> {
    let usage = "usage: identity_synth ROWS OUT.csv [SEED] [--generator a|b|households]";
    let mut positional = Vec::new();
    let mut generator = "a".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--generator" {
            generator = args.next().ok_or(usage)?;
        } else if let Some(g) = arg.strip_prefix("--generator=") {
            g.clone_into(&mut generator);
        } else {
            positional.push(arg);
        }
    }
    let mut positional = positional.into_iter();
    let rows: usize = positional
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or(usage)?;
    let out = positional.next().ok_or(usage)?;
    let seed: u64 = match positional.next() {
        Some(s) => s.parse().map_err(|_| format!("bad seed {s:?}; {usage}"))?,
        None => 1,
    };
    let data = match generator.as_str() {
        "a" => synth::generate(rows, 0.3, seed),
        "b" => synth_b::generate(rows, seed),
        "households" => households::generate(rows, seed),
        other => return Err(format!("unknown generator {other:?}; {usage}")),
    };
    let mut w = csv::Writer::from_path(&out).map_err(|e| format!("{out}: {e}"))?;
    w.write_record(synth::HEADER).map_err(|e| e.to_string())?;
    for row in &data {
        w.write_record(row.fields()).map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())?;
    eprintln!("wrote {} rows to {out}", data.len());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
