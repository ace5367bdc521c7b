//! Resolves source records read from Parquet on a Ballista cluster and
//! checks the clusters against the in-process resolver's (feature
//! `ballista`).
//!
//! ```text
//! # A scheduler and executors (see ballista_scheduler.rs, ballista_executor.rs),
//! # then synthetic people as Parquet (resolve_parquet's synth mode):
//! cargo run -p custodia-datafusion --example resolve_parquet -- synth 3000 /tmp/people.parquet
//! cargo run -p custodia-datafusion --features ballista --example resolve_ballista -- \
//!     df://127.0.0.1:50050 /tmp/people.parquet OUT_DIR [--truth truth]
//! ```
//!
//! The records are read in-process, a model is trained on them
//! (`Resolver::train`) and they are resolved in-process
//! (`Resolver::resolve_normalized`). Then `ResolvePlan` runs with the same
//! model in a session connected to the scheduler: the plan's queries run on
//! the executors, its label-propagation loop on this client (one set of
//! distributed queries per round). The clusters are written as
//! `OUT_DIR/clusters.csv` (`record_id,cluster_id`); the program fails when
//! they differ from the in-process resolver's for any record.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::time::Instant;

use custodia::identity::{ResolveParams, Resolver};
use custodia::model::SourceRecord;
use custodia_datafusion::resolve::ResolvePlan;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::*;

type BoxError = Box<dyn std::error::Error>;

fn strings(batches: &[RecordBatch]) -> Result<HashMap<String, String>, BoxError> {
    let mut out = HashMap::new();
    for batch in batches {
        let a = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let b = datafusion::arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
        let (a, b) = (a.as_string::<i32>(), b.as_string::<i32>());
        for i in 0..batch.num_rows() {
            if a.is_valid(i) && b.is_valid(i) {
                out.insert(a.value(i).to_owned(), b.value(i).to_owned());
            }
        }
    }
    Ok(out)
}

/// Pairwise F1 of `predicted` against `truth` (record id → label).
fn pairwise_f1(truth: &HashMap<String, String>, predicted: &HashMap<String, String>) -> f64 {
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let mut both: HashMap<(&str, &str), u64> = HashMap::new();
    let (mut by_truth, mut by_pred): (HashMap<&str, u64>, HashMap<&str, u64>) =
        (HashMap::new(), HashMap::new());
    for (id, c) in predicted {
        let Some(t) = truth.get(id) else { continue };
        *both.entry((c.as_str(), t.as_str())).or_default() += 1;
        *by_truth.entry(t.as_str()).or_default() += 1;
        *by_pred.entry(c.as_str()).or_default() += 1;
    }
    let tp: u64 = both.values().map(|n| pairs(*n)).sum();
    let p: u64 = by_pred.values().map(|n| pairs(*n)).sum();
    let t: u64 = by_truth.values().map(|n| pairs(*n)).sum();
    let precision = if p == 0 { 1.0 } else { tp as f64 / p as f64 };
    let recall = if t == 0 { 1.0 } else { tp as f64 / t as f64 };
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

async fn run(args: &[String]) -> Result<(), BoxError> {
    let usage = "usage: resolve_ballista df://HOST:PORT IN.parquet OUT_DIR [--truth COLUMN]";
    let (url, input, out_dir) = match args {
        [u, i, o, ..] => (u.as_str(), i.as_str(), o.as_str()),
        _ => return Err(usage.into()),
    };
    let truth_column = match &args[3..] {
        [] => None,
        [flag, c] if flag == "--truth" => Some(c.clone()),
        _ => return Err(usage.into()),
    };
    // The executors read the file themselves: give them an absolute path.
    let input = std::fs::canonicalize(input)?;
    let input = input.to_str().ok_or("the input path is not UTF-8")?;
    std::fs::create_dir_all(out_dir)?;

    // In-process: read, train, resolve.
    let local = SessionContext::new();
    let mut cols = vec![col("record")];
    if let Some(tc) = &truth_column {
        cols.push(col(tc.as_str()));
    }
    let batches = local
        .read_parquet(input, ParquetReadOptions::default())
        .await?
        .select(cols)?
        .collect()
        .await?;
    let mut records: Vec<SourceRecord> = Vec::new();
    let mut truth = HashMap::new();
    for b in &batches {
        let r = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)?;
        let r = r.as_string::<i32>();
        let t = match truth_column {
            Some(_) => Some(datafusion::arrow::compute::cast(
                b.column(1),
                &DataType::Utf8,
            )?),
            None => None,
        };
        for i in 0..b.num_rows() {
            if r.is_valid(i) {
                let record: SourceRecord = serde_json::from_str(r.value(i))?;
                if let Some(t) = &t {
                    truth.insert(
                        record.id().as_str().to_owned(),
                        t.as_string::<i32>().value(i).to_owned(),
                    );
                }
                records.push(record);
            }
        }
    }
    let params = ResolveParams::default();
    let resolver = Resolver::new(params.clone())?;
    let normalized = resolver.normalize(&records)?;
    let model = resolver.train(&normalized)?;
    let t = Instant::now();
    let want: HashMap<String, String> = resolver
        .resolve_normalized(normalized, model.clone())?
        .clustering()
        .assignments()
        .into_iter()
        .map(|(r, c)| (r.as_str().to_owned(), c.to_string()))
        .collect();
    let local_secs = t.elapsed().as_secs_f64();
    eprintln!(
        "in-process resolver: {} records in {} clusters, {local_secs:.1} s",
        want.len(),
        want.values().collect::<HashSet<_>>().len()
    );

    // On the cluster.
    let t = Instant::now();
    let ctx = custodia_datafusion::ballista::remote_context(url)?;
    let plan = ResolvePlan::new(params, model)?;
    let clusters = plan
        .resolve(
            ctx.read_parquet(input, ParquetReadOptions::default())
                .await?,
            "record",
        )
        .await?
        .collect()
        .await?;
    let ballista_secs = t.elapsed().as_secs_f64();
    let got = strings(&clusters)?;
    let mut csv = String::from("record_id,cluster_id\n");
    let mut rows: Vec<(&String, &String)> = got.iter().collect();
    rows.sort();
    for (r, c) in rows {
        csv.push_str(&format!("{},{}\n", csv_field(r), csv_field(c)));
    }
    let out = format!("{out_dir}/clusters.csv");
    std::fs::write(&out, csv)?;
    eprintln!(
        "Ballista ({url}): {} records in {} clusters, {ballista_secs:.1} s (written to {out})",
        got.len(),
        got.values().collect::<HashSet<_>>().len()
    );
    if !truth.is_empty() {
        eprintln!(
            "pairwise F1 against {}: in-process {:.4}, Ballista {:.4}",
            truth_column.as_deref().unwrap_or_default(),
            pairwise_f1(&truth, &want),
            pairwise_f1(&truth, &got)
        );
    }
    if want != got {
        let differ = want.iter().filter(|(k, v)| got.get(*k) != Some(*v)).count()
            + got.keys().filter(|k| !want.contains_key(*k)).count();
        return Err(format!("the clusters differ for {differ} records").into());
    }
    eprintln!("clusters identical ({} records)", want.len());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
