//! Shared helpers: tables of source records and query shortcuts.

use std::sync::Arc;

use custodia::model::SourceRecord;
use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{DataFrame, SessionContext};

/// A session with every custodia function registered.
pub(crate) fn session() -> SessionContext {
    let ctx = SessionContext::new();
    custodia_datafusion::register(&ctx);
    ctx
}

/// A table with one column `record` holding each record's JSON, split into
/// batches of `batch` rows.
pub(crate) fn record_table(
    ctx: &SessionContext,
    records: &[SourceRecord],
    batch: usize,
) -> DataFrame {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "record",
        DataType::Utf8,
        true,
    )]));
    let batches: Vec<RecordBatch> = records
        .chunks(batch.max(1))
        .map(|chunk| {
            let json: Vec<String> = chunk
                .iter()
                .map(|r| serde_json::to_string(r).unwrap())
                .collect();
            RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(json))]).unwrap()
        })
        .collect();
    ctx.read_batches(batches).unwrap()
}

/// The synthetic records of generator `a`.
pub(crate) fn synth_records(n: usize, seed: u64) -> Vec<SourceRecord> {
    crate::synth::generate(n, 0.3, seed)
        .iter()
        .map(crate::synth::to_source_record)
        .collect()
}

/// The text of column `column` in every batch, in order (NULL as `None`).
pub(crate) fn text_column(
    batches: &[datafusion::arrow::record_batch::RecordBatch],
    column: usize,
) -> Vec<Option<String>> {
    use datafusion::arrow::array::{Array, AsArray};
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column(column).as_string::<i32>();
            (0..b.num_rows()).map(move |i| c.is_valid(i).then(|| c.value(i).to_owned()))
        })
        .collect()
}
