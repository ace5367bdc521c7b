//! Segments compiled to DataFusion expressions select what custodia's own
//! evaluation selects, and push down into Parquet scans.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia::model::{FieldAccess, FieldPath, Value};
use custodia::segment::Segment;
use custodia_datafusion::segment::{schema_of, SegmentFilter};
use custodia_datafusion::Error;
use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, TimeUnit};
use datafusion::prelude::*;
use proptest::prelude::*;

/// One row of the test table, readable by custodia's evaluator.
#[derive(Clone, Debug)]
struct Row {
    id: i64,
    a: Option<i64>,
    b: Option<f64>,
    c: Option<String>,
    d: Option<NaiveDate>,
    e: Option<bool>,
    t: Option<DateTime<Utc>>,
}

impl FieldAccess for Row {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        let v = match path.as_str() {
            "id" => Some(Value::Int(self.id)),
            "a" => self.a.map(Value::Int),
            "b" => self.b.map(Value::Float),
            "c" => self.c.as_deref().map(Value::Text),
            "d" => self.d.map(Value::Date),
            "e" => self.e.map(Value::Bool),
            "t" => self.t.map(Value::Timestamp),
            _ => None,
        };
        if let Some(v) = v {
            visit(v);
        }
    }
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("a", DataType::Int64, true),
        Field::new("b", DataType::Float64, true),
        Field::new("c", DataType::Utf8, true),
        Field::new("d", DataType::Date32, true),
        Field::new("e", DataType::Boolean, true),
        Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
    ]))
}

fn batch(rows: &[Row]) -> RecordBatch {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.id))),
        Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.a))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.b))),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| r.c.clone()))),
        Arc::new(Date32Array::from_iter(
            rows.iter()
                .map(|r| r.d.map(|d| (d - epoch).num_days() as i32)),
        )),
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| r.e))),
        Arc::new(
            TimestampMicrosecondArray::from_iter(
                rows.iter().map(|r| r.t.map(|t| t.timestamp_micros())),
            )
            .with_timezone("UTC"),
        ),
    ];
    RecordBatch::try_new(schema(), cols).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// The ids of the rows matching `text`, as DataFusion filters them.
async fn engine_ids(rows: &[Row], text: &str) -> Vec<i64> {
    let segment = Segment::parse(text).unwrap();
    let expr = SegmentFilter::new(&segment)
        .to_expr(&schema(), now())
        .unwrap();
    let ctx = SessionContext::new();
    let out = ctx
        .read_batch(batch(rows))
        .unwrap()
        .filter(expr)
        .unwrap()
        .select(vec![col("id")])
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut ids: Vec<i64> = out
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    ids.sort_unstable();
    ids
}

/// The ids of the rows matching `text`, as custodia evaluates them.
fn custodia_ids(rows: &[Row], text: &str) -> Vec<i64> {
    let compiled = Segment::parse(text)
        .unwrap()
        .compile(&schema_of(&schema()).unwrap())
        .unwrap();
    rows.iter()
        .filter(|r| compiled.matches_at(*r, now()))
        .map(|r| r.id)
        .collect()
}

fn rows_by_hand() -> Vec<Row> {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    vec![
        Row {
            id: 0,
            a: Some(3),
            b: Some(1.5),
            c: Some("DE".into()),
            d: day(2026, 2, 20),
            e: Some(true),
            t: Some(now() - chrono::TimeDelta::days(3)),
        },
        Row {
            id: 1,
            a: None,
            b: Some(-2.0),
            c: Some("de_x%".into()),
            d: None,
            e: Some(false),
            t: Some(now() - chrono::TimeDelta::days(40)),
        },
        Row {
            id: 2,
            a: Some(10),
            b: None,
            c: None,
            d: day(2020, 1, 1),
            e: None,
            t: None,
        },
    ]
}

#[tokio::test]
async fn hand_checked_segments() {
    let rows = rows_by_hand();
    let cases: &[(&str, &[i64])] = &[
        ("a >= 3", &[0, 2]),
        // A missing value is unknown, and so is its negation.
        ("not a >= 4", &[0]),
        ("not exists(a)", &[1]),
        (r#"c ~= "de""#, &[0]),
        (r#"c starts_with "de_""#, &[1]),
        (r#"c contains "%""#, &[1]),
        (r#"c ends_with "E""#, &[0]),
        ("t >= now - 7d", &[0]),
        ("d < 2021-01-01 or e = false", &[1, 2]),
        (r#"c in ["DE", "FR"] and b > 1"#, &[0]),
        ("a in []", &[]),
        ("not a in []", &[0, 2]),
    ];
    for (text, want) in cases {
        assert_eq!(engine_ids(&rows, text).await, *want, "{text}");
        assert_eq!(custodia_ids(&rows, text), *want, "{text} (custodia)");
    }
}

#[test]
fn constructs_without_columns_are_refused() {
    let refused = |text: &str| {
        let s = Segment::parse(text).unwrap();
        SegmentFilter::new(&s)
            .to_expr(&schema(), now())
            .unwrap_err()
    };
    // The schema check comes first: an unknown column is custodia's error.
    assert!(matches!(refused("zz = 1"), Error::Custodia(_)));
    assert!(matches!(
        refused(r#"in_segment("vip")"#),
        Error::Custodia(_) | Error::Unsupported(_)
    ));
    let s = Segment::parse("a = 1").unwrap();
    let mapped = SegmentFilter::new(&s).column("a", "b");
    // `a` read from column `b`, a float: still type-checks (int vs float).
    let e = mapped.to_expr(&schema(), now()).unwrap();
    assert_eq!(e.to_string(), "b = Int64(1)");
    let s = Segment::parse("count(purchase within 30d) >= 1").unwrap();
    let err = SegmentFilter::new(&s)
        .to_expr(&schema(), now())
        .unwrap_err();
    assert!(
        matches!(err, Error::Custodia(_) | Error::Unsupported(_)),
        "{err}"
    );
}

#[tokio::test]
async fn filters_push_down_into_parquet() {
    let dir = std::env::temp_dir().join(format!("custodia-df-seg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rows.parquet");
    // Two row groups: a in 0..100 and a in 100..200.
    let rows: Vec<Row> = (0..200)
        .map(|i| Row {
            id: i,
            a: Some(i),
            b: None,
            c: Some(if i < 100 { "AT" } else { "DE" }.into()),
            d: None,
            e: None,
            t: None,
        })
        .collect();
    let file = std::fs::File::create(&path).unwrap();
    let props = datafusion::parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .build();
    let mut w =
        datafusion::parquet::arrow::ArrowWriter::try_new(file, schema(), Some(props)).unwrap();
    w.write(&batch(&rows)).unwrap();
    w.close().unwrap();

    let ctx = SessionContext::new();
    let df = ctx
        .read_parquet(path.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    let segment = Segment::parse(r#"a >= 150 and c = "DE""#).unwrap();
    let arrow_schema: Schema = df.schema().as_arrow().clone();
    let expr = SegmentFilter::new(&segment)
        .to_expr(&arrow_schema, now())
        .unwrap();
    let df = df.filter(expr).unwrap();
    let plan = df.clone().create_physical_plan().await.unwrap();
    let shown = datafusion::physical_plan::displayable(plan.as_ref())
        .indent(true)
        .to_string();
    assert!(shown.contains("pruning_predicate"), "{shown}");
    assert_eq!(df.count().await.unwrap(), 50);
    std::fs::remove_dir_all(&dir).ok();
}

fn row_strategy() -> impl Strategy<Value = Row> {
    (
        proptest::option::of(-5i64..5),
        proptest::option::of(-3.0f64..3.0),
        proptest::option::of(prop::sample::select(vec![
            "DE", "de", "AT", "Ab%", "", "x_y",
        ])),
        proptest::option::of(0i64..20),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0i64..60),
    )
        .prop_map(|(a, b, c, d, e, t)| Row {
            id: 0,
            a,
            b,
            c: c.map(str::to_owned),
            d: d.map(|k| {
                NaiveDate::from_ymd_opt(2026, 2, 10).unwrap() + chrono::TimeDelta::days(k)
            }),
            e,
            t: t.map(|k| now() - chrono::TimeDelta::days(k)),
        })
}

fn predicate() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
            -5i64..5
        )
            .prop_map(|(op, v)| format!("a {op} {v}")),
        (prop::sample::select(vec!["<", ">="]), -3.0f64..3.0)
            .prop_map(|(op, v)| format!("b {op} {v:?}")),
        (
            prop::sample::select(vec!["=", "~=", "contains", "starts_with", "ends_with", "<"]),
            prop::sample::select(vec!["DE", "d", "%", "_", "A", ""])
        )
            .prop_map(|(op, v)| format!("c {op} {v:?}")),
        (prop::sample::select(vec!["<", ">="]), 0i64..20).prop_map(|(op, k)| {
            let d = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap() + chrono::TimeDelta::days(k);
            format!("d {op} {d}")
        }),
        any::<bool>().prop_map(|b| format!("e = {b}")),
        (0i64..60).prop_map(|k| format!("t >= now - {k}d")),
        (0i64..30).prop_map(|k| format!("d >= now - {k}d")),
        prop::sample::select(vec!["a", "b", "c", "d", "e", "t"])
            .prop_map(|f| format!("exists({f})")),
        proptest::collection::vec(-3i64..3, 0..3).prop_map(|xs| format!(
            "a in [{}]",
            xs.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        )),
    ]
}

fn segment_text() -> impl Strategy<Value = String> {
    predicate().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("({x} and {y})")),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("({x} or {y})")),
            inner.prop_map(|x| format!("not ({x})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn engine_selects_what_custodia_selects(
        mut rows in proptest::collection::vec(row_strategy(), 1..40),
        text in segment_text(),
    ) {
        for (i, r) in rows.iter_mut().enumerate() {
            r.id = i as i64;
        }
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let got = rt.block_on(engine_ids(&rows, &text));
        prop_assert_eq!(got, custodia_ids(&rows, &text), "{}", text);
    }
}
