//! Fit buy-till-you-die models and score customers from the command line.
//!
//! Three modes:
//!
//! ```text
//! # Fit a model to a summary CSV (columns by name: frequency, recency, T,
//! # monetary_value; for bgbb: frequency, recency, periods and optional weights)
//! # and write {"model", "customers", "parameters", "log_likelihood", "fit_seconds"}.
//! cargo run --release --example clv -- --summary FILE.csv --model bgnbd|mbgnbd|pareto|bgbb|gammagamma [--out params.json]
//!
//! # Calibration/holdout check on a CSV with frequency_cal, recency_cal, T_cal,
//! # frequency_holdout, duration_holdout: fits on the calibration columns and
//! # prints expected vs actual holdout purchases and the churn-score AUC as JSON.
//! cargo run --release --example clv -- --holdout FILE.csv --model bgnbd|mbgnbd|pareto
//!
//! # From a transaction log (columns: a customer id column named customer,
//! # customer_id or id; date as YYYY-MM-DD; optional amount or sales) to
//! # per-customer predictions as CSV: expected purchases, P(alive), the
//! # probability of buying within the horizon, and CLV (BG/NBD or Pareto/NBD
//! # with Gamma-Gamma spend).
//! cargo run --release --example clv -- --transactions FILE.csv --model bgnbd|pareto \
//!     --observation-end 1997-09-30 [--period day|week|month] [--horizon 52] [--discount 0.0] [--out predictions.csv]
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use chrono::NaiveDate;
use custodia::clv::{
    roc_auc, summarize, BgBb, BgNbd, Clv, ClvEstimator, DiscountRate, Fit, FitReport, GammaGamma,
    MbgNbd, ParetoNbd, Period, Periods, RfmSummary, Summaries, SummaryCsv, Transaction,
    TransactionModel,
};

type AnyResult<T> = Result<T, Box<dyn Error>>;

/// A CSV file read into named columns (no quoting: the data sets are numeric).
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &str) -> AnyResult<Table> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines
            .next()
            .ok_or_else(|| format!("{path} is empty"))?
            .split(',')
            .map(|h| h.trim().trim_matches('"').to_owned())
            .collect();
        let rows = lines
            .map(|l| {
                l.split(',')
                    .map(|v| v.trim().trim_matches('"').to_owned())
                    .collect()
            })
            .collect();
        Ok(Table { header, rows })
    }

    fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h == n))
    }

    fn require(&self, names: &[&str]) -> AnyResult<usize> {
        self.column(names)
            .ok_or_else(|| format!("missing column {}", names.join(" or ")).into())
    }

    fn number(row: &[String], col: usize) -> AnyResult<f64> {
        let v = row.get(col).ok_or("short row")?;
        Ok(v.parse::<f64>().map_err(|e| format!("{v:?}: {e}"))?)
    }
}

fn count(v: f64) -> AnyResult<u32> {
    if v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
        Ok(v as u32)
    } else {
        Err(format!("count {v} is not a whole non-negative number").into())
    }
}

/// Reads a summary CSV for `model`, streaming it through [`SummaryCsv`]
/// (exact numbers, errors that name the line and column).
fn read_summaries(path: &str, model: &str) -> AnyResult<Summaries> {
    let file = File::open(path).map_err(|e| format!("reading {path}: {e}"))?;
    let reader = SummaryCsv::new(BufReader::with_capacity(1 << 16, file))
        .map_err(|e| e.context(format_args!("reading {path}")))?;
    if model == "gammagamma" && !reader.has_monetary() {
        return Err("gammagamma needs a monetary_value column".into());
    }
    Ok(reader
        .read_all()
        .map_err(|e| e.context(format_args!("reading {path}")))?)
}

fn fit_transaction_model(model: &str, data: &Summaries) -> AnyResult<Box<dyn TransactionModel>> {
    Ok(match model {
        "bgnbd" => Box::new(BgNbd::params().fit(data)?),
        "mbgnbd" => Box::new(MbgNbd::params().fit(data)?),
        "pareto" => Box::new(ParetoNbd::params().fit(data)?),
        "bgbb" => Box::new(BgBb::params().fit(data)?),
        other => return Err(format!("unknown transaction model {other:?}").into()),
    })
}

fn json_parameters(params: &[(&str, f64)]) -> serde_json::Value {
    serde_json::Value::Object(
        params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
            .collect(),
    )
}

fn fit_mode(path: &str, model: &str) -> AnyResult<serde_json::Value> {
    let data = read_summaries(path, model)?;
    let start = Instant::now();
    let (params, ll, customers, report) = if model == "gammagamma" {
        let m = GammaGamma::params().fit(&data)?;
        let customers = m.report().map_or(0.0, |r| r.customers());
        (
            m.parameters(),
            m.log_likelihood(&data),
            customers,
            m.report().cloned(),
        )
    } else {
        let (m, report) = fit_with_report(model, &data)?;
        (
            m.parameters(),
            m.log_likelihood(&data),
            data.customers() as f64,
            report,
        )
    };
    let seconds = start.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "model": model,
        "customers": customers,
        "parameters": json_parameters(&params),
        "log_likelihood": ll,
        "fit_seconds": seconds,
        "iterations": report.as_ref().map(|r| r.iterations()),
        "evaluations": report.as_ref().map(|r| r.evaluations()),
        "gradient_norm": report.as_ref().map(|r| r.gradient_norm()),
        "rows": report.as_ref().map(|r| r.rows()),
        "standard_errors": report.as_ref().and_then(|r| r.standard_errors()).map(|se| {
            json_parameters(&params.iter().zip(se).map(|((k, _), v)| (*k, *v)).collect::<Vec<_>>())
        }),
        "warnings": report.as_ref().map_or(Vec::new(), |r| r.warnings().iter().map(ToString::to_string).collect()),
    }))
}

/// Fits a transaction model and returns it with its fit report.
fn fit_with_report(
    model: &str,
    data: &Summaries,
) -> AnyResult<(Box<dyn TransactionModel>, Option<FitReport>)> {
    Ok(match model {
        "bgnbd" => {
            let m = BgNbd::params().fit(data)?;
            let r = m.report().cloned();
            (Box::new(m), r)
        }
        "mbgnbd" => {
            let m = MbgNbd::params().fit(data)?;
            let r = m.report().cloned();
            (Box::new(m), r)
        }
        "pareto" => {
            let m = ParetoNbd::params().fit(data)?;
            let r = m.report().cloned();
            (Box::new(m), r)
        }
        "bgbb" => {
            let m = BgBb::params().fit(data)?;
            let r = m.report().cloned();
            (Box::new(m), r)
        }
        other => return Err(format!("unknown transaction model {other:?}").into()),
    })
}

fn holdout_mode(path: &str, model: &str) -> AnyResult<serde_json::Value> {
    let table = Table::read(path)?;
    let (f, r, t) = (
        table.require(&["frequency_cal"])?,
        table.require(&["recency_cal"])?,
        table.require(&["T_cal"])?,
    );
    let (fh, dh) = (
        table.require(&["frequency_holdout"])?,
        table.require(&["duration_holdout"])?,
    );
    let mut cal = Vec::new();
    let mut bought = Vec::new();
    let mut actual = 0.0;
    let mut duration = 0.0;
    for row in &table.rows {
        cal.push(RfmSummary::new(
            count(Table::number(row, f)?)?,
            Table::number(row, r)?,
            Table::number(row, t)?,
        )?);
        let h = Table::number(row, fh)?;
        bought.push(h > 0.0);
        actual += h;
        duration = Table::number(row, dh)?;
    }
    let data: Summaries = cal.iter().copied().collect();
    let start = Instant::now();
    let m = fit_transaction_model(model, &data)?;
    let seconds = start.elapsed().as_secs_f64();
    let horizon = Periods::new(duration)?;
    let expected: f64 = cal
        .iter()
        .map(|s| m.conditional_expected_purchases(s, horizon))
        .sum();
    let within: Vec<f64> = cal
        .iter()
        .map(|s| m.probability_of_purchase_within(s, horizon).value())
        .collect();
    let alive: Vec<f64> = cal.iter().map(|s| m.probability_alive(s).value()).collect();
    Ok(serde_json::json!({
        "model": model,
        "customers": cal.len(),
        "parameters": json_parameters(&m.parameters()),
        "log_likelihood": m.log_likelihood(&data),
        "fit_seconds": seconds,
        "holdout_duration": duration,
        "expected_holdout_purchases": expected,
        "actual_holdout_purchases": actual,
        "auc_purchase_within_holdout": roc_auc(&within, &bought)?,
        "auc_probability_alive": roc_auc(&alive, &bought)?,
    }))
}

fn transactions_mode(
    path: &str,
    model: &str,
    period: Period,
    end: NaiveDate,
    horizon: Periods,
    discount: DiscountRate,
) -> AnyResult<String> {
    let table = Table::read(path)?;
    let c = table.require(&["customer", "customer_id", "id"])?;
    let d = table.require(&["date"])?;
    let a = table.column(&["amount", "sales"]);
    let mut log = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let date_text = row.get(d).ok_or("short row")?;
        // Accept "YYYY-MM-DD" and "YYYY-MM-DD hh:mm:ss".
        let date = NaiveDate::parse_from_str(&date_text[..date_text.len().min(10)], "%Y-%m-%d")?;
        let amount = match a {
            Some(a) => Table::number(row, a)?,
            None => 0.0,
        };
        log.push(Transaction::new(row[c].clone(), date, amount)?);
    }
    let customers = summarize(&log, period, end)?;
    let data: Summaries = customers.iter().map(|c| *c.summary()).collect();
    let fitted = fit_transaction_model(model, &data)?;
    // Spend needs amounts; without them (or without enough repeat buyers)
    // the CLV column is left empty.
    let spend = match a {
        Some(_) => GammaGamma::params().fit(&data).ok(),
        None => None,
    };
    let (value, plain) = match spend {
        Some(spend) => (Some(Clv::new(fitted, spend)), None),
        None => (None, Some(fitted)),
    };
    let transactions: &dyn TransactionModel = match (&value, &plain) {
        (Some(v), _) => v.transactions(),
        (None, Some(p)) => p,
        (None, None) => return Err("no model".into()),
    };
    let mut out = String::from(
        "customer,frequency,recency,T,expected_purchases,p_alive,p_purchase_within,clv\n",
    );
    for c in &customers {
        let s = c.summary();
        let clv = value
            .as_ref()
            .map_or(f64::NAN, |v| v.clv(s, horizon, discount));
        writeln!(
            out,
            "{},{},{},{},{:.6},{:.6},{:.6},{:.4}",
            c.customer(),
            s.frequency(),
            s.recency(),
            s.age(),
            transactions.conditional_expected_purchases(s, horizon),
            transactions.probability_alive(s).value(),
            transactions
                .probability_of_purchase_within(s, horizon)
                .value(),
            clv
        )?;
    }
    Ok(out)
}

fn main() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts: HashMap<&str, &str> = HashMap::new();
    let mut i = 0;
    while i < args.len() {
        let key = args[i]
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {:?}", args[i]))?;
        let value = args
            .get(i + 1)
            .ok_or_else(|| format!("--{key} needs a value"))?;
        opts.insert(key, value);
        i += 2;
    }
    let model = opts.get("model").copied().unwrap_or("bgnbd");
    let output = if let Some(path) = opts.get("summary") {
        serde_json::to_string_pretty(&fit_mode(path, model)?)? + "\n"
    } else if let Some(path) = opts.get("holdout") {
        serde_json::to_string_pretty(&holdout_mode(path, model)?)? + "\n"
    } else if let Some(path) = opts.get("transactions") {
        let period = match opts.get("period").copied().unwrap_or("day") {
            "day" => Period::Day,
            "week" => Period::Week,
            "month" => Period::Month,
            other => return Err(format!("unknown period {other:?}").into()),
        };
        let end = NaiveDate::parse_from_str(
            opts.get("observation-end")
                .ok_or("--observation-end is required")?,
            "%Y-%m-%d",
        )?;
        let horizon = Periods::new(opts.get("horizon").map_or(Ok(52.0), |v| v.parse())?)?;
        let discount = DiscountRate::new(opts.get("discount").map_or(Ok(0.0), |v| v.parse())?)?;
        transactions_mode(path, model, period, end, horizon, discount)?
    } else {
        return Err("give --summary, --holdout or --transactions (see the example's docs)".into());
    };
    match opts.get("out") {
        Some(path) => std::fs::write(path, output)?,
        None => std::io::Write::write_all(&mut std::io::stdout(), output.as_bytes())?,
    }
    Ok(())
}
