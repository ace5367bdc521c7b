//! Resolves source records read from Parquet or CSV with DataFusion and
//! writes their clusters; optionally compares with the in-process resolver.
//!
//! ```text
//! # Write ROWS synthetic people (custodia's test generator) as Parquet:
//! # columns `record` (the source record's JSON) and `truth` (the person).
//! cargo run --release -p custodia-datafusion --example resolve_parquet -- synth 1000000 people.parquet
//!
//! # Resolve a Parquet or CSV file with a `record` column; write
//! # `record_id,cluster_id` as CSV into OUT_DIR.
//! cargo run --release -p custodia-datafusion --example resolve_parquet -- \
//!     resolve people.parquet OUT_DIR [--model model.json] [--truth truth] [--compare] [--phases]
//! ```
//!
//! Without `--model`, a model is trained in-process on the records first
//! (`Resolver::train`) and saved as `OUT_DIR/model.json`; the plan then
//! applies it. With `--truth COLUMN`, pairwise precision, recall and F1
//! against that column are printed. With `--compare`, the in-process
//! resolver (`Resolver::resolve_normalized`, same model) runs too: the
//! program prints both times, their ratio, both F1 scores, and fails when
//! the clusters differ. With `--phases`, the plan's steps (`prepare`,
//! `block_links`, `components`) first run one at a time and each one's time
//! is printed.

#[path = "../../tests/identity/synth.rs"]
#[allow(unreachable_pub)]
mod synth;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use custodia::identity::{MatchModel, ResolveParams, Resolver};
use custodia::model::SourceRecord;
use custodia_datafusion::resolve::ResolvePlan;
use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::*;

type BoxError = Box<dyn std::error::Error>;

fn synth_file(rows: usize, out: &str) -> Result<(), BoxError> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("record", DataType::Utf8, false),
        Field::new("truth", DataType::Utf8, false),
    ]));
    let file = std::fs::File::create(out)?;
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None)?;
    let people = synth::generate(rows, 0.3, 1);
    for chunk in people.chunks(65_536) {
        let mut json = Vec::with_capacity(chunk.len());
        for row in chunk {
            json.push(serde_json::to_string(&synth::to_source_record(row))?);
        }
        let truth: Vec<&str> = chunk.iter().map(|r| r.truth.as_str()).collect();
        w.write(&RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(json)),
                Arc::new(StringArray::from(truth)),
            ],
        )?)?;
    }
    w.close()?;
    eprintln!("wrote {} records to {out}", people.len());
    Ok(())
}

/// Pairwise precision, recall and F1 of `predicted` against `truth`
/// (both record id → label).
fn pairwise(
    truth: &HashMap<String, String>,
    predicted: &HashMap<String, String>,
) -> (f64, f64, f64) {
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
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1)
}

async fn read(ctx: &SessionContext, path: &str) -> Result<DataFrame, BoxError> {
    Ok(if path.ends_with(".csv") {
        ctx.read_csv(path, CsvReadOptions::new()).await?
    } else {
        ctx.read_parquet(path, ParquetReadOptions::default())
            .await?
    })
}

fn strings(batches: &[RecordBatch], a: usize, b: usize) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for batch in batches {
        let text = |k: usize| {
            datafusion::arrow::compute::cast(batch.column(k), &DataType::Utf8)
                .map(|c| c.as_string::<i32>().clone())
        };
        if let (Ok(x), Ok(y)) = (text(a), text(b)) {
            for i in 0..batch.num_rows() {
                if x.is_valid(i) && y.is_valid(i) {
                    out.insert(x.value(i).to_owned(), y.value(i).to_owned());
                }
            }
        }
    }
    out
}

async fn resolve(args: &[String]) -> Result<(), BoxError> {
    let usage =
        "usage: resolve IN.(parquet|csv) OUT_DIR [--model M.json] [--truth COLUMN] [--compare] [--phases]";
    let (input, out_dir) = match args {
        [i, o, ..] => (i.as_str(), o.as_str()),
        _ => return Err(usage.into()),
    };
    let mut model_path = None;
    let mut truth_column = None;
    let mut compare = false;
    let mut phases = false;
    let mut rest = args[2..].iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--model" => model_path = Some(rest.next().ok_or(usage)?.clone()),
            "--truth" => truth_column = Some(rest.next().ok_or(usage)?.clone()),
            "--compare" => compare = true,
            "--phases" => phases = true,
            other => return Err(format!("unknown argument {other:?}; {usage}").into()),
        }
    }
    std::fs::create_dir_all(out_dir)?;
    let ctx = SessionContext::new();
    custodia_datafusion::register(&ctx);
    let params = ResolveParams::default();
    let resolver = Resolver::new(params.clone())?;

    // The in-process side needs the records in memory: for training without
    // a model, for the comparison, and for the truth labels.
    let need_records = model_path.is_none() || compare || truth_column.is_some();
    let mut records: Vec<SourceRecord> = Vec::new();
    let mut truth = HashMap::new();
    if need_records {
        let t = Instant::now();
        let mut cols = vec![col("record")];
        if let Some(tc) = &truth_column {
            cols.push(col(tc.as_str()));
        }
        let batches = read(&ctx, input).await?.select(cols)?.collect().await?;
        for b in &batches {
            let r = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)?;
            let r = r.as_string::<i32>();
            for i in 0..b.num_rows() {
                if r.is_valid(i) {
                    records.push(serde_json::from_str(r.value(i))?);
                }
            }
        }
        if truth_column.is_some() {
            let ids: Vec<String> = records.iter().map(|r| r.id().as_str().to_owned()).collect();
            let mut k = 0;
            for b in &batches {
                let tcol = datafusion::arrow::compute::cast(b.column(1), &DataType::Utf8)?;
                let tcol = tcol.as_string::<i32>();
                for i in 0..b.num_rows() {
                    if let Some(id) = ids.get(k) {
                        truth.insert(id.clone(), tcol.value(i).to_owned());
                    }
                    k += 1;
                }
            }
        }
        eprintln!(
            "read {} records in {:.1} s",
            records.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let model: MatchModel = match &model_path {
        Some(p) => serde_json::from_str(&std::fs::read_to_string(p)?)?,
        None => {
            let t = Instant::now();
            let model = resolver.train(&resolver.normalize(&records)?)?;
            std::fs::write(
                format!("{out_dir}/model.json"),
                serde_json::to_string(&model)?,
            )?;
            eprintln!(
                "trained a model in-process in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            model
        }
    };

    let plan = ResolvePlan::new(params, model.clone())?;
    if phases {
        time_phases(&plan, read(&ctx, input).await?).await?;
    }
    let t = Instant::now();
    let clusters = plan
        .resolve(read(&ctx, input).await?, "record")
        .await?
        .cache()
        .await?;
    clusters
        .clone()
        .write_csv(
            &format!("{out_dir}/clusters"),
            DataFrameWriteOptions::new(),
            None,
        )
        .await?;
    let plan_secs = t.elapsed().as_secs_f64();
    let got = strings(&clusters.collect().await?, 0, 1);
    eprintln!(
        "DataFusion plan: {} records in {} clusters, {plan_secs:.1} s (written to {out_dir}/clusters)",
        got.len(),
        got.values().collect::<std::collections::HashSet<_>>().len()
    );
    if !truth.is_empty() {
        let (p, r, f1) = pairwise(&truth, &got);
        eprintln!("DataFusion plan: pairwise precision {p:.4}, recall {r:.4}, F1 {f1:.4}");
    }
    if compare {
        let t = Instant::now();
        let resolution = resolver.resolve_normalized(resolver.normalize(&records)?, model)?;
        let secs = t.elapsed().as_secs_f64();
        let want: HashMap<String, String> = resolution
            .clustering()
            .assignments()
            .into_iter()
            .map(|(r, c)| (r.as_str().to_owned(), c.to_string()))
            .collect();
        eprintln!(
            "in-process resolver: {secs:.1} s; plan / in-process = {:.2}",
            plan_secs / secs
        );
        if !truth.is_empty() {
            let (p, r, f1) = pairwise(&truth, &want);
            eprintln!("in-process resolver: pairwise precision {p:.4}, recall {r:.4}, F1 {f1:.4}");
        }
        if want != got {
            let differ = want.iter().filter(|(k, v)| got.get(*k) != Some(*v)).count();
            return Err(format!("the clusters differ for {differ} records").into());
        }
        eprintln!("clusters identical");
    }
    Ok(())
}

/// Runs the plan's public steps one at a time, each held in memory before
/// the next, and prints the time of each: where the plan spends its time.
async fn time_phases(plan: &ResolvePlan, records: DataFrame) -> Result<(), BoxError> {
    let t = Instant::now();
    let prepared = plan.prepare(records, "record")?.cache().await?;
    let n = prepared.clone().count().await?;
    eprintln!(
        "phase prepare: {n} records in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let links = plan.block_links(prepared).await?.cache().await?;
    let n = links.clone().count().await?;
    eprintln!(
        "phase block_links: {n} links in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let components = plan.components(links).await?;
    let n = components.count().await?;
    eprintln!(
        "phase components: {n} records in components in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("synth") => match (args.get(1).and_then(|n| n.parse().ok()), args.get(2)) {
            (Some(n), Some(out)) => synth_file(n, out),
            _ => Err("usage: synth ROWS OUT.parquet".into()),
        },
        Some("resolve") => resolve(&args[1..]).await,
        _ => Err("usage: resolve_parquet synth ROWS OUT.parquet | resolve IN OUT_DIR [--model M] [--truth C] [--compare]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
