//! Writes a synthetic population of people with known truth as CSV, for
//! timing and checking `examples/resolve.rs` at scale.
//!
//! ```text
//! cargo run --release --example identity_synth -- ROWS OUT.csv [SEED]
//! cargo run --release --example resolve -- OUT.csv --out clusters.csv --truth cluster_id
//! ```
//!
//! The generator (in `tests/identity/synth.rs`, shared with the tests and
//! the bench) mixes English, Portuguese, Indonesian and Hungarian names,
//! corrupts duplicates (typos, nicknames, swapped names, missing fields,
//! moves, new emails, phone formats, mistyped dates) and plants hard
//! negatives (households, twins, common names, generic values).

#[path = "../tests/identity/synth.rs"]
mod synth;

use std::process::ExitCode;

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: identity_synth ROWS OUT.csv [SEED]";
    let rows: usize = args.next().and_then(|n| n.parse().ok()).ok_or(usage)?;
    let out = args.next().ok_or(usage)?;
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let data = synth::generate(rows, 0.3, seed);
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
