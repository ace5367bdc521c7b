//! The resolution plan gives the in-process resolver's clusters.

use std::collections::BTreeMap;

use custodia::identity::{ResolveParams, Resolver};
use custodia_datafusion::resolve::ResolvePlan;
use datafusion::arrow::array::AsArray;

use crate::common::{record_table, session, synth_records};

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
    for b in &out {
        let (r, c) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            let prev = got.insert(r.value(i).to_owned(), c.value(i).to_owned());
            assert!(prev.is_none(), "record {} assigned twice", r.value(i));
        }
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
