//! custodia's functions and [`ResolvePlan`] on
//! [Ballista](https://datafusion.apache.org/ballista/), DataFusion's
//! distributed engine (feature `ballista`, off by default).
//!
//! Ballista ships plans between processes as protobuf: a client sends a
//! logical plan to the scheduler, the scheduler plans it and sends the
//! stages' physical plans to its executors. A function travels by its name
//! only, so each process must know custodia's functions by name:
//!
//! - the **scheduler** decodes and plans logical plans in a session built by
//!   [`scheduler_session`] (Ballista's default session with every custodia
//!   function registered); [`scheduler_config`] sets it, and
//!   [`LogicalCodec`], on a scheduler bound to 127.0.0.1;
//! - each **executor** decodes physical plans with [`function_registry`]
//!   (Ballista's default functions and custodia's); [`executor_config`]
//!   sets it on an executor bound to 127.0.0.1;
//! - the **client** ([`remote_context`]) registers the functions in its
//!   session and encodes its plans with [`LogicalCodec`].
//!
//! # What runs where in [`ResolvePlan`]
//!
//! [`ResolvePlan::resolve`] holds some steps' results in memory
//! (`DataFrame::cache`: the normalised records, the links and, each round,
//! the component labels) and runs its label-propagation loop as one query
//! per round. On a Ballista session the loop runs on the client; each
//! cached step is one distributed query (normalising and blocking,
//! scoring, each round's joins and aggregations, clustering per component
//! all run on the executors) whose result is collected to the client as an
//! in-memory table. Ballista's own codec cannot encode an in-memory table,
//! so [`LogicalCodec`] does: the table's batches travel inside the next
//! plan, from the client through the scheduler to the executors. This
//! suits record sets whose intermediate tables fit in the client's memory
//! and in a plan message (the helpers here raise Ballista's 16 MiB message
//! limits to [`MAX_MESSAGE_SIZE`]).
//!
//! # Examples
//!
//! The registry an executor decodes plans with knows custodia's functions,
//! and an in-memory table goes through the codec and back:
//!
//! ```
//! use std::sync::Arc;
//! use custodia_datafusion::ballista::{function_registry, LogicalCodec};
//! use datafusion::arrow::array::{Int64Array, RecordBatch};
//! use datafusion::arrow::datatypes::{DataType, Field, Schema};
//! use datafusion::catalog::TableProvider;
//! use datafusion::datasource::MemTable;
//! use datafusion::execution::{FunctionRegistry, TaskContext};
//! use datafusion_proto::logical_plan::LogicalExtensionCodec;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = function_registry()?;
//! assert!(registry.udf("custodia_match_weight").is_ok());
//! assert!(registry.udaf("custodia_unified_profile").is_ok());
//!
//! let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))])?;
//! let table: Arc<dyn TableProvider> = Arc::new(MemTable::try_new(schema.clone(), vec![vec![batch.clone()]])?);
//! let codec = LogicalCodec::default();
//! let mut buf = Vec::new();
//! codec.try_encode_table_provider(&"t".into(), table, &mut buf)?;
//! let back = codec.try_decode_table_provider(&buf, &"t".into(), schema, &TaskContext::default())?;
//! let back = back.downcast_ref::<MemTable>().ok_or("not an in-memory table")?;
//! assert_eq!(*back.batches[0].try_read()?, vec![batch]);
//! # Ok(())
//! # }
//! ```
//!
//! [`ResolvePlan`]: crate::resolve::ResolvePlan
//! [`ResolvePlan::resolve`]: crate::resolve::ResolvePlan::resolve

use std::sync::Arc;

use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::BallistaLogicalExtensionCodec;
use ballista_executor::executor_process::ExecutorProcessConfig;
use ballista_scheduler::config::SchedulerConfig;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamDecoder;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::datasource::MemTable;
use datafusion::error::Result as DfResult;
use datafusion::execution::context::SessionState;
use datafusion::execution::{SessionStateBuilder, TaskContext};
use datafusion::logical_expr::{
    AggregateUDF, Extension, HigherOrderUDF, LogicalPlan, ScalarUDF, WindowUDF,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;

/// The largest plan or result message the helpers here let Ballista's
/// processes send and accept: 256 MiB (Ballista's default is 16 MiB), as
/// in-memory tables travel inside plans.
pub const MAX_MESSAGE_SIZE: u32 = 256 * 1024 * 1024;

/// The prefix of an in-memory table encoded by [`LogicalCodec`].
const MEM_TABLE_TAG: &[u8] = b"custodia.memtable.v1\0";

/// Returns the session a Ballista scheduler plans a client's queries in:
/// Ballista's default session for `config`, with every custodia function
/// registered (as [`crate::register_with`] does).
///
/// It has the signature of Ballista's `SessionBuilder`, for
/// `SchedulerConfig::with_override_session_builder`.
///
/// # Errors
///
/// What building the session or registering a function returns.
pub fn scheduler_session(config: SessionConfig) -> DfResult<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(config)?;
    crate::register_with(&mut state)?;
    Ok(state)
}

/// Returns the function registry a Ballista executor decodes physical plans
/// with: Ballista's default functions and every custodia function.
///
/// # Errors
///
/// What registering a function returns.
pub fn function_registry() -> DfResult<BallistaFunctionRegistry> {
    let mut custodia = SessionStateBuilder::new().build();
    crate::register_with(&mut custodia)?;
    let mut registry = BallistaFunctionRegistry::default();
    registry
        .scalar_functions
        .extend(custodia.scalar_functions().clone());
    registry
        .aggregate_functions
        .extend(custodia.aggregate_functions().clone());
    Ok(registry)
}

/// Returns the configuration of a Ballista scheduler listening on
/// `127.0.0.1:port` that knows custodia's functions ([`scheduler_session`])
/// and decodes in-memory tables ([`LogicalCodec`]); its message limits are
/// [`MAX_MESSAGE_SIZE`].
///
/// Start it with `ballista_scheduler::cluster::BallistaCluster::new_from_config`
/// and `ballista_scheduler::scheduler_process::start_server`, as the
/// example `ballista_scheduler` does.
pub fn scheduler_config(port: u16) -> SchedulerConfig {
    let mut config = SchedulerConfig {
        bind_host: "127.0.0.1".to_owned(),
        external_host: "127.0.0.1".to_owned(),
        bind_port: port,
        grpc_server_max_decoding_message_size: MAX_MESSAGE_SIZE,
        grpc_server_max_encoding_message_size: MAX_MESSAGE_SIZE,
        grpc_client_max_message_size: MAX_MESSAGE_SIZE,
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(Arc::new(scheduler_session));
    config.override_logical_codec = Some(Arc::new(LogicalCodec::default()));
    config
}

/// Returns the configuration of a Ballista executor on 127.0.0.1 that
/// serves Arrow Flight on `flight_port` and gRPC on `grpc_port`, registers
/// with the scheduler at `127.0.0.1:scheduler_port`, and knows custodia's
/// functions ([`function_registry`]); its message limits are
/// [`MAX_MESSAGE_SIZE`]. Its shuffle files go to a temporary directory
/// unless its `work_dir` is set.
///
/// Start it with `ballista_executor::executor_process::start_executor_process`,
/// as the example `ballista_executor` does.
///
/// # Errors
///
/// What [`function_registry`] returns.
pub fn executor_config(
    scheduler_port: u16,
    flight_port: u16,
    grpc_port: u16,
) -> DfResult<ExecutorProcessConfig> {
    Ok(ExecutorProcessConfig {
        bind_host: "127.0.0.1".to_owned(),
        external_host: Some("127.0.0.1".to_owned()),
        port: flight_port,
        grpc_port,
        scheduler_host: "127.0.0.1".to_owned(),
        scheduler_port,
        grpc_max_decoding_message_size: MAX_MESSAGE_SIZE,
        grpc_max_encoding_message_size: MAX_MESSAGE_SIZE,
        override_function_registry: Some(Arc::new(function_registry()?)),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        ..ExecutorProcessConfig::default()
    })
}

/// Returns the scheduler address Ballista's client connects to for a URL
/// `df://HOST:PORT` (or `http://HOST:PORT`).
///
/// # Errors
///
/// [`DataFusionError::Configuration`] for another scheme, or a missing
/// host or port.
pub fn scheduler_url(url: &str) -> DfResult<String> {
    let rest = url
        .strip_prefix("df://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            DataFusionError::Configuration(format!(
                "a scheduler URL is df://HOST:PORT, not {url:?}"
            ))
        })?;
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty()
                && !host.contains(['/', '?', '#', '@'])
                && port.parse::<u16>().is_ok() =>
        {
            Ok(format!("http://{host}:{port}"))
        }
        _ => Err(DataFusionError::Configuration(format!(
            "a scheduler URL is df://HOST:PORT, not {url:?}"
        ))),
    }
}

/// Returns a session whose queries run on the Ballista scheduler at `url`
/// (`df://HOST:PORT`), with every custodia function registered and plans
/// encoded by [`LogicalCodec`].
///
/// `DataFrame::cache` in this session runs the query on the cluster and
/// holds its result on the client as an in-memory table, which later plans
/// carry to the cluster (see the [module documentation](self)).
///
/// No connection is made until a query runs.
///
/// # Errors
///
/// What [`scheduler_url`] returns for a malformed URL, and what building
/// the session returns.
pub fn remote_context(url: &str) -> DfResult<SessionContext> {
    let config = SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::default()))
        .with_ballista_grpc_client_max_message_size(MAX_MESSAGE_SIZE as usize);
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .build()
        .upgrade_for_ballista(scheduler_url(url)?)?;
    // Ballista's cache node is not planned by its scheduler (and with its
    // default settings `cache` does nothing, so every round of the
    // components loop would run all the rounds before it again): without
    // a cache factory, `cache` collects to an in-memory table.
    let state = SessionStateBuilder::new_from_existing(state)
        .with_cache_factory(None)
        .build();
    let ctx = SessionContext::new_with_state(state);
    crate::register(&ctx);
    Ok(ctx)
}

/// A logical-plan codec for Ballista that also encodes in-memory tables
/// (`MemTable`, what `DataFrame::cache` makes), and hands everything else
/// to Ballista's codec (or the one given to [`LogicalCodec::new`]).
///
/// A table travels as a tag, its number of partitions and each partition
/// as a length-prefixed Arrow IPC stream. Decoding checks every length and
/// returns an error on malformed bytes (a panic inside Arrow's IPC decoder
/// included).
#[derive(Debug)]
pub struct LogicalCodec {
    inner: Arc<dyn LogicalExtensionCodec>,
}

impl Default for LogicalCodec {
    fn default() -> LogicalCodec {
        LogicalCodec::new(Arc::new(BallistaLogicalExtensionCodec::default()))
    }
}

impl LogicalCodec {
    /// Returns a codec encoding in-memory tables itself and everything else
    /// with `inner`.
    pub fn new(inner: Arc<dyn LogicalExtensionCodec>) -> LogicalCodec {
        LogicalCodec { inner }
    }
}

fn codec_error(detail: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Internal(format!("custodia in-memory table codec: {detail}"))
}

fn encode_mem_table(table: &MemTable, buf: &mut Vec<u8>) -> DfResult<()> {
    let schema = table.schema();
    buf.extend_from_slice(MEM_TABLE_TAG);
    buf.extend_from_slice(&(table.batches.len() as u64).to_le_bytes());
    for partition in &table.batches {
        let batches = partition
            .try_read()
            .map_err(|_| codec_error("a partition is being written"))?;
        let mut bytes = Vec::new();
        let mut writer = StreamWriter::try_new(&mut bytes, &schema)?;
        for batch in batches.iter() {
            writer.write(batch)?;
        }
        writer.finish()?;
        drop(writer);
        buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        buf.extend_from_slice(&bytes);
    }
    Ok(())
}

fn take_u64(rest: &mut &[u8]) -> DfResult<u64> {
    let (head, tail) = rest
        .split_first_chunk::<8>()
        .ok_or_else(|| codec_error("truncated"))?;
    *rest = tail;
    Ok(u64::from_le_bytes(*head))
}

fn decode_partition(chunk: &[u8], schema: &SchemaRef) -> DfResult<Vec<RecordBatch>> {
    // The push decoder reads only the bytes given: a corrupted length inside
    // a message is an error, not an allocation of that size.
    let mut decoder = StreamDecoder::new();
    let mut bytes = Buffer::from(chunk.to_vec());
    let mut batches = Vec::new();
    while let Some(batch) = decoder.decode(&mut bytes)? {
        batches.push(if batch.schema() == *schema {
            batch
        } else {
            batch.with_schema(schema.clone())?
        });
    }
    decoder.finish()?;
    Ok(batches)
}

fn decode_mem_table(mut rest: &[u8], schema: SchemaRef) -> DfResult<MemTable> {
    let count = take_u64(&mut rest)?;
    let mut partitions: Vec<Vec<RecordBatch>> = Vec::new();
    for _ in 0..count {
        let len = usize::try_from(take_u64(&mut rest)?)
            .ok()
            .filter(|n| *n <= rest.len())
            .ok_or_else(|| codec_error("a partition runs past the end"))?;
        let (chunk, tail) = rest.split_at(len);
        rest = tail;
        // Arrow's IPC decoder panics on some malformed schemas; such bytes
        // are an error here like any other malformed partition.
        let batches = std::panic::catch_unwind(|| decode_partition(chunk, &schema))
            .map_err(|_| codec_error("a partition is not an Arrow IPC stream"))??;
        partitions.push(batches);
    }
    if !rest.is_empty() {
        return Err(codec_error("bytes after the last partition"));
    }
    if partitions.is_empty() {
        partitions.push(Vec::new());
    }
    MemTable::try_new(schema, partitions)
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> DfResult<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> DfResult<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> DfResult<Arc<dyn TableProvider>> {
        match buf.strip_prefix(MEM_TABLE_TAG) {
            Some(rest) => Ok(Arc::new(decode_mem_table(rest, schema)?)),
            None => self
                .inner
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> DfResult<()> {
        match node.downcast_ref::<MemTable>() {
            Some(table) => encode_mem_table(table, buf),
            None => self.inner.try_encode_table_provider(table_ref, node, buf),
        }
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> DfResult<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> DfResult<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> DfResult<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_higher_order_function(
        &self,
        name: &str,
        buf: &[u8],
    ) -> DfResult<Arc<HigherOrderUDF>> {
        self.inner.try_decode_higher_order_function(name, buf)
    }

    fn try_encode_higher_order_function(
        &self,
        node: &HigherOrderUDF,
        buf: &mut Vec<u8>,
    ) -> DfResult<()> {
        self.inner.try_encode_higher_order_function(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> DfResult<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> DfResult<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::execution::FunctionRegistry;
    use proptest::prelude::*;

    fn table(parts: &[Vec<(i64, Option<&str>)>]) -> (SchemaRef, MemTable) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let partitions = parts
            .iter()
            .map(|rows| {
                if rows.is_empty() {
                    return Vec::new();
                }
                let n: Vec<i64> = rows.iter().map(|r| r.0).collect();
                let s: Vec<Option<&str>> = rows.iter().map(|r| r.1).collect();
                vec![RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(Int64Array::from(n)),
                        Arc::new(StringArray::from(s)),
                    ],
                )
                .expect("valid batch")]
            })
            .collect();
        let table = MemTable::try_new(schema.clone(), partitions).expect("valid table");
        (schema, table)
    }

    fn contents(t: &MemTable) -> Vec<Vec<RecordBatch>> {
        t.batches
            .iter()
            .map(|p| p.try_read().expect("unlocked").clone())
            .collect()
    }

    #[test]
    fn an_in_memory_table_survives_the_codec() {
        let (schema, t) = table(&[
            vec![(1, Some("a")), (2, None)],
            vec![],
            vec![(3, Some("ç"))],
        ]);
        let want = contents(&t);
        let codec = LogicalCodec::default();
        let mut buf = Vec::new();
        codec
            .try_encode_table_provider(&"t".into(), Arc::new(t), &mut buf)
            .expect("encodes");
        assert!(buf.starts_with(MEM_TABLE_TAG));
        let back = codec
            .try_decode_table_provider(&buf, &"t".into(), schema, &TaskContext::default())
            .expect("decodes");
        let back = back.downcast_ref::<MemTable>().expect("a MemTable");
        assert_eq!(contents(back), want);
    }

    #[test]
    fn truncated_or_padded_bytes_are_errors() {
        let (schema, t) = table(&[vec![(7, Some("x"))]]);
        let codec = LogicalCodec::default();
        let mut buf = Vec::new();
        codec
            .try_encode_table_provider(&"t".into(), Arc::new(t), &mut buf)
            .expect("encodes");
        let ctx = TaskContext::default();
        for cut in [MEM_TABLE_TAG.len(), MEM_TABLE_TAG.len() + 12, buf.len() - 1] {
            assert!(codec
                .try_decode_table_provider(&buf[..cut], &"t".into(), schema.clone(), &ctx)
                .is_err());
        }
        let mut padded = buf.clone();
        padded.push(0);
        assert!(codec
            .try_decode_table_provider(&padded, &"t".into(), schema, &ctx)
            .is_err());
    }

    #[test]
    fn the_registry_and_the_scheduler_session_know_every_function() {
        let registry = function_registry().expect("registry");
        let state = scheduler_session(SessionConfig::new()).expect("session");
        for f in crate::scalar::Function::ALL {
            let name = crate::scalar::udf(f).name().to_owned();
            assert!(registry.udf(&name).is_ok(), "{name}");
            assert!(state.udf(&name).is_ok(), "{name}");
        }
        for name in [
            crate::resolve::CLUSTER_COMPONENT,
            "abs", // one of Ballista's defaults stays
        ] {
            assert!(registry.udf(name).is_ok(), "{name}");
        }
        for name in [
            "custodia_rfm",
            "custodia_pattern_counts",
            "custodia_unified_profile",
            "count",
        ] {
            assert!(registry.udaf(name).is_ok(), "{name}");
            assert!(state.udaf(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn scheduler_urls() {
        assert_eq!(
            scheduler_url("df://127.0.0.1:50050").expect("valid"),
            "http://127.0.0.1:50050"
        );
        assert_eq!(
            scheduler_url("http://localhost:7/").expect("valid"),
            "http://localhost:7"
        );
        for bad in [
            "127.0.0.1:50050",
            "df://127.0.0.1",
            "df://:50050",
            "df://h:99999",
            "ftp://h:1",
            "df://a/b:1",
        ] {
            assert!(scheduler_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_remote_context_has_the_functions_and_no_cache_factory() {
        let ctx = remote_context("df://127.0.0.1:1").expect("context");
        assert!(ctx.udf("custodia_match_weight").is_ok());
        assert!(ctx.udaf("custodia_rfm").is_ok());
        assert!(ctx.state().cache_factory().is_none());
    }

    proptest! {
        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let (schema, _) = table(&[vec![]]);
            let mut buf = MEM_TABLE_TAG.to_vec();
            buf.extend_from_slice(&bytes);
            let _ = LogicalCodec::default().try_decode_table_provider(
                &buf, &"t".into(), schema, &TaskContext::default());
        }

        #[test]
        fn decoding_a_corrupted_table_never_panics(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        ) {
            let (schema, t) = table(&[vec![(1, Some("a")), (2, None)], vec![(3, Some("bc"))]]);
            let codec = LogicalCodec::default();
            let mut buf = Vec::new();
            codec.try_encode_table_provider(&"t".into(), Arc::new(t), &mut buf).expect("encodes");
            // Keep the tag and the partition count; corrupt what follows.
            let start = MEM_TABLE_TAG.len() + 8;
            for (at, byte) in edits {
                let i = start + at.index(buf.len() - start);
                buf[i] = byte;
            }
            let _ = codec.try_decode_table_provider(
                &buf, &"t".into(), schema, &TaskContext::default());
        }

        #[test]
        fn any_table_round_trips(
            parts in proptest::collection::vec(
                proptest::collection::vec((any::<i64>(), proptest::option::of("[a-z]{0,6}")), 0..5),
                1..4)
        ) {
            let rows: Vec<Vec<(i64, Option<&str>)>> = parts
                .iter()
                .map(|p| p.iter().map(|(n, s)| (*n, s.as_deref())).collect())
                .collect();
            let (schema, t) = table(&rows);
            let want = contents(&t);
            let codec = LogicalCodec::default();
            let mut buf = Vec::new();
            codec.try_encode_table_provider(&"t".into(), Arc::new(t), &mut buf).expect("encodes");
            let back = codec
                .try_decode_table_provider(&buf, &"t".into(), schema, &TaskContext::default())
                .expect("decodes");
            let back = back.downcast_ref::<MemTable>().expect("a MemTable");
            prop_assert_eq!(contents(back), want);
        }
    }
}
