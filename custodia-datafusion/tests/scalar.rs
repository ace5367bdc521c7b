//! Scalar UDFs give what custodia's functions give, NULL for NULL, and a
//! clear error for bad JSON.

use std::sync::Arc;

use custodia::clv::TransactionModel;
use custodia::clv::{BgNbd, Clv, ClvEstimator, DiscountRate, GammaGamma, Periods, RfmSummary};
use custodia::identity::{
    normalize_email, normalize_phone, Blocker, BlockingParams, MatchModel, Matcher,
    NormalizeParams, ResolveParams, Resolver, RuleBlocker,
};
use custodia::sentiment::{LexiconScorer, SentimentScorer};
use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema, UInt64Type, UInt8Type};
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::*;
use proptest::prelude::*;

use crate::common::{session, synth_records};

/// Runs `f(args)` over a one-column table of `values` and returns the batch.
async fn run(ctx: &SessionContext, values: Vec<Option<String>>, call: Expr) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(values))]).unwrap();
    let out = ctx
        .read_batch(batch)
        .unwrap()
        .select(vec![call.alias("out")])
        .unwrap()
        .collect()
        .await
        .unwrap();
    datafusion::arrow::compute::concat_batches(&out[0].schema(), &out).unwrap()
}

fn f(ctx: &SessionContext, name: &str, args: Vec<Expr>) -> Expr {
    ctx.udf(name).unwrap().call(args)
}

#[tokio::test]
async fn normalisers_match_custodia_and_keep_nulls() {
    let ctx = session();
    let emails = vec![
        Some("Bill.Smith@GMAIL.com".to_owned()),
        None,
        Some("no at sign".to_owned()),
    ];
    let b = run(
        &ctx,
        emails,
        f(&ctx, "custodia_normalize_email", vec![col("x")]),
    )
    .await;
    let e = b.column(0).as_string::<i32>();
    assert_eq!(e.value(0), "billsmith@gmail.com");
    assert!(e.is_null(1));
    assert!(e.is_null(2));

    let phones = vec![Some("(415) 555-2671".to_owned()), None];
    let call = f(&ctx, "custodia_normalize_phone", vec![col("x"), lit("US")]);
    let b = run(&ctx, phones, call).await;
    let p = b.column(0).as_string::<i32>();
    assert_eq!(
        Some(p.value(0).to_owned()),
        normalize_phone("(415) 555-2671", "US")
    );
    assert_eq!(p.value(0), "+14155552671");
    assert!(p.is_null(1));

    let dates = vec![
        Some("03/02/1980".to_owned()),
        Some("not a date".to_owned()),
        None,
    ];
    let call = f(
        &ctx,
        "custodia_parse_date",
        vec![col("x"), lit("month_first")],
    );
    let b = run(&ctx, dates, call).await;
    let d = b
        .column(0)
        .as_primitive::<datafusion::arrow::datatypes::Date32Type>();
    // 1980-03-02 is 3713 days after 1970-01-01.
    assert_eq!(d.value(0), 3713);
    assert!(d.is_null(1) && d.is_null(2));

    let call = f(
        &ctx,
        "custodia_normalize_name",
        vec![lit("Dr. José"), col("x")],
    );
    let b = run(&ctx, vec![Some("da Silva".to_owned())], call).await;
    let s = b.column(0).as_struct();
    assert_eq!(s.column(0).as_string::<i32>().value(0), "jose");
    assert_eq!(s.column(1).as_string::<i32>().value(0), "da silva");
}

#[tokio::test]
async fn bad_arguments_are_execution_errors_naming_the_function() {
    let ctx = session();
    let call = f(
        &ctx,
        "custodia_match_weight",
        vec![lit("{not a model"), col("x"), col("x")],
    );
    let df = ctx
        .read_batch(
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)])),
                vec![Arc::new(StringArray::from(vec!["{}"]))],
            )
            .unwrap(),
        )
        .unwrap()
        .select(vec![call])
        .unwrap();
    let err = df.collect().await.unwrap_err().to_string();
    assert!(err.contains("custodia_match_weight"), "{err}");
    assert!(err.contains("match model"), "{err}");

    let call = f(&ctx, "custodia_normalize_record", vec![col("x")]);
    let df = ctx.read_empty().unwrap();
    let err = df
        .select(vec![call.clone()])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    // No column `x` in an empty table: refused when planning.
    assert!(!err.is_empty());
    let b = ctx
        .read_batch(
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)])),
                vec![Arc::new(StringArray::from(vec!["[1, 2]"]))],
            )
            .unwrap(),
        )
        .unwrap()
        .select(vec![call])
        .unwrap()
        .collect()
        .await;
    let err = b.unwrap_err().to_string();
    assert!(err.contains("source record"), "{err}");

    let call = f(&ctx, "custodia_sentiment", vec![col("x"), lit("xx")]);
    let df = ctx
        .read_batch(
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)])),
                vec![Arc::new(StringArray::from(vec!["fine"]))],
            )
            .unwrap(),
        )
        .unwrap()
        .select(vec![call])
        .unwrap();
    let err = df.collect().await.unwrap_err().to_string();
    assert!(err.contains("\"xx\""), "{err}");
}

#[tokio::test]
async fn identity_functions_match_custodia() {
    let ctx = session();
    let records = synth_records(400, 3);
    let resolver = Resolver::new(ResolveParams::default()).unwrap();
    let normalized = resolver.normalize(&records).unwrap();
    let model = resolver.train(&normalized).unwrap();
    let model_json = serde_json::to_string(&model).unwrap();
    let json: Vec<Option<String>> = records
        .iter()
        .map(|r| Some(serde_json::to_string(r).unwrap()))
        .collect();

    // Normalising in the engine gives custodia's normalised records.
    let call = f(&ctx, "custodia_normalize_record", vec![col("x")]);
    let b = run(&ctx, json, call).await;
    let s = b.column(0).as_struct();
    let ids = s.column(0).as_string::<i32>();
    let texts = s.column(2).as_string::<i32>();
    let mut engine: Vec<custodia::identity::NormalizedRecord> = (0..b.num_rows())
        .map(|i| serde_json::from_str(texts.value(i)).unwrap())
        .collect();
    for (i, r) in engine.iter().enumerate() {
        assert_eq!(ids.value(i), r.id().as_str());
    }
    engine.sort_by(|a, b| a.id().cmp(b.id()));
    assert_eq!(engine, normalized);

    // Key hashes, levels and weights of neighbouring records.
    let blocker = RuleBlocker::new(&BlockingParams::default(), model.generic().clone());
    let texts: Vec<Option<String>> = normalized
        .iter()
        .map(|r| Some(serde_json::to_string(r).unwrap()))
        .collect();
    let call = f(
        &ctx,
        "custodia_block_keys",
        vec![col("x"), lit(model_json.as_str())],
    );
    let b = run(&ctx, texts.clone(), call).await;
    let lists = b.column(0).as_list::<i32>();
    for (i, r) in normalized.iter().enumerate() {
        let mut want = Vec::new();
        blocker.key_hashes(r, &mut want);
        let got: Vec<u64> = lists
            .value(i)
            .as_primitive::<UInt64Type>()
            .values()
            .to_vec();
        assert_eq!(got, want);
    }
    let shifted: Vec<Option<String>> = texts.iter().skip(1).chain(texts.first()).cloned().collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("x", DataType::Utf8, true),
        Field::new("y", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(texts.clone())),
            Arc::new(StringArray::from(shifted)),
        ],
    )
    .unwrap();
    let m = lit(model_json.as_str());
    let out = ctx
        .read_batch(batch)
        .unwrap()
        .select(vec![
            f(
                &ctx,
                "custodia_match_weight",
                vec![m.clone(), col("x"), col("y")],
            ),
            f(
                &ctx,
                "custodia_comparison_levels",
                vec![m, col("y"), col("x")],
            ),
        ])
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut row = 0;
    for b in &out {
        let w = b.column(0).as_primitive::<Float64Type>();
        let l = b.column(1).as_list::<i32>();
        for i in 0..b.num_rows() {
            let (x, y) = (&normalized[row], &normalized[(row + 1) % normalized.len()]);
            assert_eq!(w.value(i), model.score(x, y).weight());
            let (lo, hi) = if y.id() < x.id() { (y, x) } else { (x, y) };
            let levels: Vec<u8> = l.value(i).as_primitive::<UInt8Type>().values().to_vec();
            assert_eq!(levels, model.levels(lo, hi).to_vec());
            row += 1;
        }
    }
    assert_eq!(row, normalized.len());

    // The normalisation parameters travel as JSON too.
    let params = serde_json::to_string(&NormalizeParams::default().default_country("GB")).unwrap();
    let call = f(
        &ctx,
        "custodia_normalize_record",
        vec![col("x"), lit(params)],
    );
    let b = run(&ctx, vec![None], call).await;
    assert!(b.column(0).is_null(0));
    assert!(MatchModel::standard().link_weight().is_finite());
}

#[tokio::test]
async fn sentiment_and_clv_match_custodia() {
    let ctx = session();
    let texts = [
        "The app is GREAT, but delivery was slow :(",
        "not bad at all",
    ];
    let call = f(&ctx, "custodia_sentiment", vec![col("x")]);
    let b = run(
        &ctx,
        texts.iter().map(|t| Some((*t).to_owned())).collect(),
        call,
    )
    .await;
    let s = b.column(0).as_primitive::<Float64Type>();
    let scorer = LexiconScorer::english().unwrap();
    for (i, t) in texts.iter().enumerate() {
        assert_eq!(s.value(i), scorer.score(t).compound());
    }

    let bg = BgNbd::from_parameters(0.2426, 4.4135, 0.7929, 2.4258).unwrap();
    let gg = GammaGamma::from_parameters(6.2488, 3.7446, 15.4477).unwrap();
    let clv = Clv::new(bg.clone(), gg);
    let (bg_json, clv_json) = (
        serde_json::to_string(&bg).unwrap(),
        serde_json::to_string(&clv).unwrap(),
    );
    let out = ctx
        .read_empty()
        .unwrap()
        .select(vec![
            f(
                &ctx,
                "custodia_clv_p_alive",
                vec![lit(bg_json.as_str()), lit(2), lit(30.43), lit(38.86)],
            ),
            f(
                &ctx,
                "custodia_clv_expected_purchases",
                vec![
                    lit(bg_json.as_str()),
                    lit(2),
                    lit(30.43),
                    lit(38.86),
                    lit(52.0),
                ],
            ),
            f(
                &ctx,
                "custodia_clv",
                vec![
                    lit(clv_json.as_str()),
                    lit(2),
                    lit(30.43),
                    lit(38.86),
                    lit(22.35),
                    lit(52.0),
                    lit(0.002),
                ],
            ),
        ])
        .unwrap()
        .collect()
        .await
        .unwrap();
    let c = RfmSummary::new(2, 30.43, 38.86).unwrap();
    let year = Periods::new(52.0).unwrap();
    let v = |k: usize| out[0].column(k).as_primitive::<Float64Type>().value(0);
    assert_eq!(v(0), bg.probability_alive(&c).value());
    assert_eq!(v(1), bg.conditional_expected_purchases(&c, year));
    let c = c.with_monetary(22.35).unwrap();
    assert_eq!(v(2), clv.clv(&c, year, DiscountRate::new(0.002).unwrap()));
    assert!(v(0) > 0.0 && v(0) < 1.0);

    // A recency past the customer's age is refused, not made up.
    let err = ctx
        .read_empty()
        .unwrap()
        .select(vec![f(
            &ctx,
            "custodia_clv_p_alive",
            vec![lit(bg_json.as_str()), lit(2), lit(40.0), lit(38.0)],
        )])
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("custodia_clv_p_alive"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn email_udf_equals_the_core_normaliser(texts in proptest::collection::vec(".{0,40}", 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let ctx = session();
        let values: Vec<Option<String>> = texts.iter().cloned().map(Some).collect();
        let b = rt.block_on(run(&ctx, values, f(&ctx, "custodia_normalize_email", vec![col("x")])));
        let e = b.column(0).as_string::<i32>();
        for (i, t) in texts.iter().enumerate() {
            let got = e.is_valid(i).then(|| e.value(i).to_owned());
            prop_assert_eq!(got, normalize_email(t));
        }
    }
}
