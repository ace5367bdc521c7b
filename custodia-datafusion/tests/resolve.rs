//! The resolution plan gives the in-process resolver's clusters.

use std::collections::BTreeMap;

use custodia::identity::{ResolveParams, Resolver};
use custodia_datafusion::resolve::ResolvePlan;
use datafusion::arrow::array::AsArray;

use crate::common::{record_table, session, synth_records, text_column};

async fn plan_assignments(
    params: &ResolveParams,
    model: custodia::identity::MatchModel,
    records: &[custodia::model::SourceRecord],
    batch: usize,
) -> BTreeMap<String, String> {
    let ctx = session();
    let plan = ResolvePlan::new(params.clone(), model).unwrap();
    let out = plan
        .resolve(record_table(&ctx, records, batch), "record")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut got = BTreeMap::new();
    for (r, c) in text_column(&out, 0).into_iter().zip(text_column(&out, 1)) {
        let (r, c) = (r.expect("a record id"), c.expect("a cluster id"));
        let prev = got.insert(r.clone(), c);
        assert!(prev.is_none(), "record {r} assigned twice");
    }
    got
}

fn in_process(
    resolver: &Resolver,
    records: &[custodia::model::SourceRecord],
    model: custodia::identity::MatchModel,
) -> BTreeMap<String, String> {
    let normalized = resolver.normalize(records).unwrap();
    let resolution = resolver.resolve_normalized(normalized, model).unwrap();
    resolution
        .clustering()
        .assignments()
        .into_iter()
        .map(|(r, c)| (r.as_str().to_owned(), c.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_equals_in_process_resolution_on_synthetic_people() {
    let records = synth_records(3_000, 7);
    let params = ResolveParams::default();
    let resolver = Resolver::new(params.clone()).unwrap();
    let model = resolver
        .train(&resolver.normalize(&records).unwrap())
        .unwrap();
    let want = in_process(&resolver, &records, model.clone());
    // Small batches: records meet their matches across batches.
    let got = plan_assignments(&params, model, &records, 257).await;
    assert_eq!(got.len(), records.len());
    let merged = want
        .values()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(
        merged < records.len() * 9 / 10,
        "the data must hold duplicates"
    );
    assert_eq!(got, want);
}

/// The records of generator `a` with their source set to `crm` or `web`
/// by turns, so that linkage across sources has pairs to find.
fn two_sources(n: usize, seed: u64) -> Vec<custodia::model::SourceRecord> {
    synth_records(n, seed)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut v = serde_json::to_value(r).unwrap();
            v["source"] = serde_json::Value::from(if i % 2 == 0 { "crm" } else { "web" });
            serde_json::from_value(v).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_links_equal_the_links_of_the_pair_list() {
    let records = synth_records(1_500, 11);
    // Small blocks: many are dropped, so a pair's block is often not the
    // one of its smallest key.
    let params = ResolveParams::default()
        .blocking(custodia::identity::BlockingParams::default().max_block_size(4));
    let resolver = Resolver::new(params.clone()).unwrap();
    let normalized = resolver.normalize(&records).unwrap();
    let model = resolver.train(&normalized).unwrap();
    let resolution = resolver
        .resolve_normalized(normalized, model.clone())
        .unwrap();
    assert!(resolution.blocking_stats().oversized_blocks > 10);

    let ctx = session();
    let plan = ResolvePlan::new(params, model).unwrap();
    let links_of = |batches: Vec<datafusion::arrow::record_batch::RecordBatch>| {
        let mut out = std::collections::BTreeSet::new();
        for b in &batches {
            let (a, bb) = (
                b.column(0).as_string::<i32>(),
                b.column(1).as_string::<i32>(),
            );
            let w = b
                .column(2)
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            for i in 0..b.num_rows() {
                let fresh = out.insert((
                    a.value(i).to_owned(),
                    bb.value(i).to_owned(),
                    w.value(i).to_bits(),
                ));
                assert!(fresh, "link {}-{} found twice", a.value(i), bb.value(i));
            }
        }
        out
    };
    let table = record_table(&ctx, &records, 300);
    let prepared = plan.prepare(table, "record").unwrap();
    let by_block = links_of(
        plan.block_links(prepared)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    let normalized = plan
        .normalize(record_table(&ctx, &records, 300), "record")
        .unwrap();
    let pairs = plan.candidate_pairs(normalized.clone()).unwrap();
    let by_pairs = links_of(
        plan.links(normalized, pairs)
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    assert!(by_pairs.len() > 100, "{} links", by_pairs.len());
    assert_eq!(by_block, by_pairs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_equals_in_process_linkage_across_sources_with_small_blocks() {
    let records = two_sources(2_000, 5);
    let params = ResolveParams::default().blocking(
        custodia::identity::BlockingParams::default()
            .max_block_size(5)
            .scope(custodia::identity::PairScope::AcrossSources),
    );
    let resolver = Resolver::new(params.clone()).unwrap();
    let model = resolver
        .train(&resolver.normalize(&records).unwrap())
        .unwrap();
    let want = in_process(&resolver, &records, model.clone());
    let got = plan_assignments(&params, model, &records, 331).await;
    let merged = want
        .values()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(
        merged < records.len() * 19 / 20,
        "linkage must merge records"
    );
    assert_eq!(got, want);
}

/// Preparing reads each record once: the physical plan calls the
/// preparing function in one place (the optimiser once copied it into the
/// filter and into each field's extraction, five calls per record), and a
/// NULL record is left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_calls_the_function_once_per_record_and_skips_nulls() {
    use std::sync::Arc;

    use datafusion::arrow::array::{RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    let records = synth_records(20, 3);
    let mut json: Vec<Option<String>> = records
        .iter()
        .map(|r| Some(serde_json::to_string(r).unwrap()))
        .collect();
    json.insert(7, None);
    let schema = Arc::new(Schema::new(vec![Field::new(
        "record",
        DataType::Utf8,
        true,
    )]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(json))]).unwrap();
    let ctx = session();
    let params = ResolveParams::default();
    let resolver = Resolver::new(params.clone()).unwrap();
    let model = resolver
        .train(&resolver.normalize(&records).unwrap())
        .unwrap();
    let plan = ResolvePlan::new(params, model).unwrap();
    let prepared = plan
        .prepare(ctx.read_batch(batch).unwrap(), "record")
        .unwrap();

    let physical = prepared
        .clone()
        .explain(false, false)
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text: String = text_column(&physical, 0)
        .into_iter()
        .zip(text_column(&physical, 1))
        .filter(|(kind, _)| kind.as_deref() == Some("physical_plan"))
        .filter_map(|(_, plan)| plan)
        .collect();
    assert!(!text.is_empty(), "no physical plan");
    assert_eq!(
        text.matches("custodia_prepare_record(").count(),
        1,
        "the function is called in more than one place:\n{}",
        text.chars().take(2_000).collect::<String>()
    );

    let ids = text_column(&prepared.collect().await.unwrap(), 0);
    let want: Vec<Option<String>> = records
        .iter()
        .map(|r| Some(r.id().as_str().to_owned()))
        .collect();
    assert_eq!(ids, want);
}

/// A block finds its members' records by id, so two records with one id
/// are refused, not paired with each other's blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_records_with_one_id_are_refused() {
    let mut records = synth_records(30, 4);
    let mut copy = serde_json::to_value(&records[3]).unwrap();
    copy["id"] = serde_json::to_value(records[9].id()).unwrap();
    records.push(serde_json::from_value(copy).unwrap());
    let params = ResolveParams::default();
    let resolver = Resolver::new(params.clone()).unwrap();
    let model = resolver
        .train(&resolver.normalize(&records[..30]).unwrap())
        .unwrap();
    let plan = ResolvePlan::new(params, model).unwrap();
    let ctx = session();
    let err = plan
        .resolve(record_table(&ctx, &records, 8), "record")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("share the id") && text.contains(records[9].id().as_str()),
        "{text}"
    );
}
