//! The RFM aggregate gives custodia's summaries however rows are spread.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use custodia::clv::{summarize, Period, Transaction};
use datafusion::arrow::array::{
    Array, AsArray, Date32Array, Float64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema, UInt32Type};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::Partitioning;
use datafusion::prelude::*;
use proptest::prelude::*;

use crate::common::session;

type Row = (u8, u16, u32); // customer, day offset, amount

fn epoch_day(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

async fn engine(
    rows: &[Row],
    end: NaiveDate,
    period: &str,
) -> BTreeMap<String, (u32, f64, f64, f64)> {
    let ctx = session();
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Utf8, false),
        Field::new("at", DataType::Date32, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let batches: Vec<RecordBatch> = rows
        .chunks(7)
        .map(|c| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from_iter_values(
                        c.iter().map(|r| format!("c{}", r.0)),
                    )),
                    Arc::new(Date32Array::from_iter_values(
                        c.iter().map(|r| epoch_day(start) + i32::from(r.1)),
                    )),
                    Arc::new(Float64Array::from_iter_values(
                        c.iter().map(|r| f64::from(r.2)),
                    )),
                ],
            )
            .unwrap()
        })
        .collect();
    let rfm = ctx.udaf("custodia_rfm").unwrap();
    let out = ctx
        .read_batches(batches)
        .unwrap()
        .repartition(Partitioning::RoundRobinBatch(4))
        .unwrap()
        .aggregate(
            vec![col("customer")],
            vec![rfm
                .call(vec![
                    col("at"),
                    col("amount"),
                    lit(ScalarValue::Date32(Some(epoch_day(end)))),
                    lit(period),
                ])
                .alias("rfm")],
        )
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut got = BTreeMap::new();
    for b in &out {
        let c = b.column(0).as_string::<i32>();
        let s = b.column(1).as_struct();
        for i in 0..b.num_rows() {
            if s.is_null(i) {
                continue;
            }
            got.insert(
                c.value(i).to_owned(),
                (
                    s.column(0).as_primitive::<UInt32Type>().value(i),
                    s.column(1).as_primitive::<Float64Type>().value(i),
                    s.column(2).as_primitive::<Float64Type>().value(i),
                    s.column(3).as_primitive::<Float64Type>().value(i),
                ),
            );
        }
    }
    got
}

use datafusion::scalar::ScalarValue;

fn in_process(
    rows: &[Row],
    end: NaiveDate,
    period: Period,
) -> BTreeMap<String, (u32, f64, f64, f64)> {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let txs: Vec<Transaction> = rows
        .iter()
        .map(|r| {
            Transaction::new(
                format!("c{}", r.0),
                start + chrono::TimeDelta::days(i64::from(r.1)),
                f64::from(r.2),
            )
            .unwrap()
        })
        .collect();
    summarize(&txs, period, end)
        .unwrap()
        .into_iter()
        .map(|c| {
            let s = c.summary();
            (
                c.customer().to_owned(),
                (s.frequency(), s.recency(), s.age(), s.monetary()),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn rfm_aggregate_equals_summarize(
        rows in proptest::collection::vec((0u8..6, 0u16..400, 0u32..500), 1..120),
        period in prop::sample::select(vec![("day", Period::Day), ("week", Period::Week), ("month", Period::Month)]),
    ) {
        let end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let got = rt.block_on(engine(&rows, end, period.0));
        prop_assert_eq!(got, in_process(&rows, end, period.1));
    }
}

#[tokio::test]
async fn a_bad_period_is_an_error() {
    let ctx = session();
    let rfm = ctx.udaf("custodia_rfm").unwrap();
    let err = ctx
        .read_empty()
        .unwrap()
        .aggregate(
            vec![],
            vec![rfm.call(vec![
                lit("2026-01-01"),
                lit(1.0),
                lit("2026-02-01"),
                lit("year"),
            ])],
        )
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("custodia_rfm") && err.contains("\"year\""),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unified_profiles_equal_custodia_derive_whatever_the_partitioning() {
    use custodia::consent::{ConsentLedger, LawfulBasis, Purpose};
    use custodia::identity::{ResolveParams, Resolver};
    use custodia::merge::{SurvivorshipPolicy, UnifiedProfile};

    let records = crate::common::synth_records(600, 11);
    let resolver = Resolver::new(ResolveParams::default()).unwrap();
    let resolution = resolver.resolve(&records).unwrap();
    let ledger = ConsentLedger::builder()
        .basis(Purpose::Analytics, LawfulBasis::LegitimateInterests)
        .build()
        .unwrap();
    // Microseconds are the engine's time resolution.
    let at = chrono::DateTime::from_timestamp_micros(1_780_000_000_123_456).unwrap();
    let by_id: std::collections::HashMap<&str, &custodia::model::SourceRecord> =
        records.iter().map(|r| (r.id().as_str(), r)).collect();
    let mut want = BTreeMap::new();
    let (mut cluster_col, mut record_col) = (Vec::new(), Vec::new());
    for c in resolution.clustering().clusters() {
        let members: Vec<&custodia::model::SourceRecord> =
            c.members().iter().map(|m| by_id[m.as_str()]).collect();
        let p = UnifiedProfile::derive(
            c.id(),
            members.iter().copied(),
            &ledger,
            &SurvivorshipPolicy::default(),
            &Purpose::Analytics,
            at,
        )
        .unwrap();
        want.insert(c.id().to_string(), serde_json::to_string(&p).unwrap());
        for m in &members {
            cluster_col.push(c.id().to_string());
            record_col.push(serde_json::to_string(m).unwrap());
            // A repeated record counts once: merge is idempotent.
            if m.id().as_str().ends_with('7') {
                cluster_col.push(c.id().to_string());
                record_col.push(serde_json::to_string(m).unwrap());
            }
        }
    }
    assert!(want.len() < records.len(), "some clusters merge records");
    // Rows in reverse order, in small batches over four partitions.
    cluster_col.reverse();
    record_col.reverse();
    let schema = Arc::new(Schema::new(vec![
        Field::new("cluster", DataType::Utf8, false),
        Field::new("record", DataType::Utf8, false),
    ]));
    let batches: Vec<RecordBatch> = cluster_col
        .chunks(13)
        .zip(record_col.chunks(13))
        .map(|(c, r)| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(c.to_vec())),
                    Arc::new(StringArray::from(r.to_vec())),
                ],
            )
            .unwrap()
        })
        .collect();
    let ctx = session();
    let udaf = ctx.udaf("custodia_unified_profile").unwrap();
    let ledger_json = serde_json::to_string(&ledger).unwrap();
    let out = ctx
        .read_batches(batches)
        .unwrap()
        .repartition(Partitioning::RoundRobinBatch(4))
        .unwrap()
        .aggregate(
            vec![col("cluster")],
            vec![udaf
                .call(vec![
                    col("record"),
                    lit(ledger_json.as_str()),
                    lit(Purpose::Analytics.to_string()),
                    lit(ScalarValue::TimestampMicrosecond(
                        Some(at.timestamp_micros()),
                        None,
                    )),
                ])
                .alias("profile")],
        )
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut got = BTreeMap::new();
    for b in &out {
        let (c, p) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            got.insert(c.value(i).to_owned(), p.value(i).to_owned());
        }
    }
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "cluster {k}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn pattern_counts_count_every_pattern_once_per_pair(
        patterns in proptest::collection::vec(proptest::collection::vec(0u8..3, 3), 1..200),
    ) {
        use datafusion::arrow::array::{ListBuilder, UInt8Builder};
        use datafusion::arrow::datatypes::UInt64Type;
        let mut want: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for p in &patterns {
            *want.entry(p.clone()).or_default() += 1;
        }
        let batches: Vec<RecordBatch> = patterns
            .chunks(9)
            .map(|chunk| {
                let mut b = ListBuilder::new(UInt8Builder::new());
                for p in chunk {
                    b.values().append_slice(p);
                    b.append(true);
                }
                b.append(false); // a NULL pair is not counted
                RecordBatch::try_from_iter(vec![("levels", Arc::new(b.finish()) as _)]).unwrap()
            })
            .collect();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let got = rt.block_on(async {
            let ctx = session();
            let udaf = ctx.udaf("custodia_pattern_counts").unwrap();
            ctx.read_batches(batches)
                .unwrap()
                .repartition(Partitioning::RoundRobinBatch(4))
                .unwrap()
                .aggregate(vec![], vec![udaf.call(vec![col("levels")])])
                .unwrap()
                .collect()
                .await
                .unwrap()
        });
        let list = got[0].column(0).as_list::<i32>().value(0);
        let entries = list.as_struct();
        let levels = entries.column(0).as_list::<i32>();
        let counts = entries.column(1).as_primitive::<UInt64Type>();
        let mut seen = BTreeMap::new();
        for i in 0..entries.len() {
            let l = levels.value(i);
            seen.insert(l.as_primitive::<datafusion::arrow::datatypes::UInt8Type>().values().to_vec(), counts.value(i));
        }
        prop_assert_eq!(seen, want);
    }
}
