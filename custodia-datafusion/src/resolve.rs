//! Identity resolution as a DataFusion plan.
//!
//! [`ResolvePlan`] runs custodia's resolution steps as relational
//! operations, so that an engine that spreads joins and aggregations over
//! machines can run them:
//!
//! 1. **prepare**: `custodia_prepare_record` reads each source record's
//!    JSON once and gives its id, source, normalised record (in its compact
//!    binary form, [`NormalizedRecord::write_bytes`]) and blocking-key
//!    hashes;
//! 2. **block**: the key hashes, unnested and grouped, give each block's
//!    size; the keys of blocks above the size limit are collected (custodia
//!    drops those blocks), and the records of the other blocks of two or
//!    more are grouped by key hash — equi-joins and aggregations on `u64`
//!    hashes;
//! 3. **score**: `custodia_score_block` scores the pairs of each block and
//!    keeps the links (weight at or above the model's link weight). A pair
//!    is scored only in the block of its smallest shared key that is not
//!    dropped, so each candidate pair is scored exactly once and no pair
//!    list is ever built;
//! 4. **components**: the connected components of the links, by iterated
//!    joins: each record takes the smallest label among itself and its
//!    neighbours, then its label's label, until nothing changes;
//! 5. **cluster**: per component, `custodia_cluster_component` runs
//!    custodia's guarded clustering on the component's records and links.
//!    A guard only reads the records of the two clusters a link would merge,
//!    and links never leave a component, so clustering each component apart
//!    gives exactly the clusters of clustering all records at once.
//!
//! The step-by-step methods [`ResolvePlan::normalize`],
//! [`ResolvePlan::candidate_pairs`] and [`ResolvePlan::links`] give the same
//! links with normalised records as JSON and an explicit pair list, for
//! plans that want to inspect the pairs.
//!
//! Records in no link are clusters of their own. The result has a row
//! `(record_id, cluster_id)` per record, equal to what
//! [`Resolver::resolve_normalized`](custodia::identity::Resolver::resolve_normalized)
//! gives for the same records and model.
//!
//! The model is trained beforehand (in-process on a sample, or loaded from
//! its JSON); the plan applies it.
//!
//! ```
//! use custodia::identity::{MatchModel, ResolveParams};
//! use custodia::model::{EmailAddress, SourceRecord};
//! use custodia_datafusion::resolve::ResolvePlan;
//! use datafusion::arrow::array::{RecordBatch, StringArray};
//! use datafusion::arrow::datatypes::{DataType, Field, Schema};
//! use datafusion::prelude::*;
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let at = chrono::DateTime::UNIX_EPOCH;
//! let mut json = Vec::new();
//! for (id, email) in [("a", "x@example.com"), ("b", "X@Example.com"), ("c", "y@example.com")] {
//!     let mut b = SourceRecord::builder(id, "crm", at)?;
//!     b.identity().emails.push(EmailAddress::new(email)?);
//!     json.push(serde_json::to_string(&b.build()?)?);
//! }
//! let schema = Arc::new(Schema::new(vec![Field::new("record", DataType::Utf8, true)]));
//! let batch = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(json))])?;
//!
//! let ctx = SessionContext::new();
//! custodia_datafusion::register(&ctx);
//! let plan = ResolvePlan::new(ResolveParams::default(), MatchModel::standard())?;
//! let clusters = plan.resolve(ctx.read_batch(batch)?, "record").await?;
//! assert_eq!(clusters.clone().count().await?, 3); // one row per record
//! let people = clusters.select(vec![col("cluster_id")])?.distinct()?.count().await?;
//! assert_eq!(people, 2); // a and b share an address
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use custodia::identity::{
    cluster, normalize_record, Blocker, BlockingParams, ClusterParams, MatchModel, Matcher,
    NormalizeParams, NormalizedRecord, PairScope, ResolveParams, RuleBlocker, ScoredPair,
};
use custodia::model::SourceRecord;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, Float64Builder, ListBuilder,
    StringBuilder, StructArray, StructBuilder, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type, UInt64Type};
use datafusion::common::JoinType;
use datafusion::error::Result as DfResult;
use datafusion::functions::core::expr_fn::{get_field, named_struct};
use datafusion::functions_aggregate::expr_fn::{array_agg, count, min};
use datafusion::logical_expr::{
    col, ident, lit, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::DataFrame;
use datafusion::scalar::ScalarValue;

use crate::args::{text, JsonCache, JsonRows};
use crate::error::{Error, Result};
use crate::scalar::{udf, Function};

/// The name of the per-component clustering function.
pub const CLUSTER_COMPONENT: &str = "custodia_cluster_component";

/// The most label-propagation rounds [`ResolvePlan`] runs by default.
pub const DEFAULT_MAX_ROUNDS: usize = 64;

/// Identity resolution of a table of source records with a trained model.
///
/// See the [module documentation](self) for the steps.
#[derive(Clone, Debug)]
pub struct ResolvePlan {
    params: ResolveParams,
    model: MatchModel,
    normalize_json: String,
    blocking_json: String,
    cluster_json: String,
    model_json: String,
    max_rounds: usize,
}

fn to_json<T: serde::Serialize>(value: &T, what: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Json {
        function: "ResolvePlan::new",
        what,
        detail: e.to_string(),
    })
}

impl ResolvePlan {
    /// Returns the plan of resolving with `model` under `params`
    /// (normalisation, blocking and clustering options; training options
    /// are not read).
    ///
    /// # Errors
    ///
    /// [`Error::Custodia`] when `params` are invalid.
    pub fn new(params: ResolveParams, model: MatchModel) -> Result<ResolvePlan> {
        custodia::identity::Resolver::new(params.clone())?;
        Ok(ResolvePlan {
            normalize_json: to_json(params.normalize_params(), "normalisation parameters")?,
            blocking_json: to_json(params.blocking_params(), "blocking parameters")?,
            cluster_json: to_json(params.cluster_params(), "clustering parameters")?,
            model_json: to_json(&model, "match model")?,
            params,
            model,
            max_rounds: DEFAULT_MAX_ROUNDS,
        })
    }

    /// Sets the most label-propagation rounds of the components step
    /// (default [`DEFAULT_MAX_ROUNDS`]); each round at least halves the
    /// longest distance from a record to its component's smallest id.
    #[must_use]
    pub fn max_rounds(mut self, rounds: usize) -> ResolvePlan {
        self.max_rounds = rounds;
        self
    }

    /// Returns the model's JSON, as the plan passes it to the functions.
    pub fn model_json(&self) -> &str {
        &self.model_json
    }

    /// Normalises the source records in column `column` (their JSON) of
    /// `records`: columns `id`, `source` and `record` (the normalised JSON).
    /// Rows whose record is NULL are left out.
    ///
    /// # Errors
    ///
    /// [`Error::DataFusion`] when the column is missing.
    pub fn normalize(&self, records: DataFrame, column: &str) -> Result<DataFrame> {
        let n = udf(Function::NormalizeRecord)
            .call(vec![col(column), lit(self.normalize_json.as_str())])
            .alias("n");
        Ok(records
            .select(vec![n])?
            .filter(col("n").is_not_null())?
            .select(vec![
                get_field(col("n"), "id").alias("id"),
                get_field(col("n"), "source").alias("source"),
                get_field(col("n"), "record").alias("record"),
            ])?)
    }

    /// Returns the distinct candidate pairs `(a_id, b_id)`, `a_id < b_id`,
    /// of normalised records (as [`ResolvePlan::normalize`] gives them).
    ///
    /// # Errors
    ///
    /// [`Error::DataFusion`] when planning fails.
    pub fn candidate_pairs(&self, normalized: DataFrame) -> Result<DataFrame> {
        let keys = normalized
            .select(vec![
                col("id"),
                col("source"),
                udf(Function::BlockKeys)
                    .call(vec![
                        col("record"),
                        lit(self.model_json.as_str()),
                        lit(self.blocking_json.as_str()),
                    ])
                    .alias("key"),
            ])?
            .unnest_columns(&["key"])?
            .filter(col("key").is_not_null())?;
        let limit = self.params.blocking_params().block_size_limit() as i64;
        let kept_blocks = keys
            .clone()
            .aggregate(vec![col("key")], vec![count(lit(1)).alias("size")])?
            .filter(col("size").lt_eq(lit(limit)))?
            .select(vec![col("key").alias("kept_key")])?;
        let kept = keys.join(kept_blocks, JoinType::Inner, &["key"], &["kept_key"], None)?;
        let side = |p: &str| -> Result<DataFrame> {
            Ok(kept.clone().select(vec![
                col("id").alias(format!("{p}_id")),
                col("source").alias(format!("{p}_source")),
                col("key").alias(format!("{p}_key")),
            ])?)
        };
        let mut on = col("a_id").lt(col("b_id"));
        if self.params.blocking_params().pair_scope() == PairScope::AcrossSources {
            on = on.and(col("a_source").not_eq(col("b_source")));
        }
        Ok(side("a")?
            .join(
                side("b")?,
                JoinType::Inner,
                &["a_key"],
                &["b_key"],
                Some(on),
            )?
            .select(vec![col("a_id"), col("b_id")])?
            .distinct()?)
    }

    /// Scores candidate pairs and keeps the links: `(a_id, b_id, weight)`.
    ///
    /// # Errors
    ///
    /// [`Error::DataFusion`] when planning fails.
    pub fn links(&self, normalized: DataFrame, pairs: DataFrame) -> Result<DataFrame> {
        let side = |p: &str| -> Result<DataFrame> {
            Ok(normalized.clone().select(vec![
                col("id").alias(format!("{p}_rid")),
                col("record").alias(format!("{p}_record")),
            ])?)
        };
        let weight = udf(Function::MatchWeight).call(vec![
            lit(self.model_json.as_str()),
            col("a_record"),
            col("b_record"),
        ]);
        Ok(pairs
            .join(side("a")?, JoinType::Inner, &["a_id"], &["a_rid"], None)?
            .join(side("b")?, JoinType::Inner, &["b_id"], &["b_rid"], None)?
            .select(vec![col("a_id"), col("b_id"), weight.alias("weight")])?
            .filter(col("weight").gt_eq(lit(self.model.link_weight())))?)
    }

    /// Returns the connected components of `links`: `(v, label)` for every
    /// record in a link, `label` being its component's smallest record id.
    ///
    /// # Errors
    ///
    /// [`Error::Argument`] when the components need more rounds than
    /// [`ResolvePlan::max_rounds`] allows; [`Error::DataFusion`] when a
    /// round fails.
    pub async fn components(&self, links: DataFrame) -> Result<DataFrame> {
        let edges = links
            .clone()
            .select(vec![col("a_id").alias("src"), col("b_id").alias("dst")])?
            .union(links.select(vec![col("b_id").alias("src"), col("a_id").alias("dst")])?)?
            .cache()
            .await?;
        let mut labels = edges
            .clone()
            .aggregate(vec![col("src")], vec![min(col("dst")).alias("m")])?
            .select(vec![
                col("src").alias("v"),
                datafusion::functions::core::expr_fn::least(vec![col("src"), col("m")])
                    .alias("label"),
            ])?
            .cache()
            .await?;
        for _ in 0..self.max_rounds {
            // Each record takes the smallest label of its neighbours...
            let spread = edges
                .clone()
                .join(labels.clone(), JoinType::Inner, &["src"], &["v"], None)?
                .select(vec![col("dst").alias("v"), col("label")])?
                .union(labels.clone())?
                .aggregate(vec![col("v")], vec![min(col("label")).alias("label")])?;
            // ...then its label's label (pointer jumping), which is never
            // larger: a label is a record of the component with a smaller id.
            let jumped = spread
                .clone()
                .join(
                    spread
                        .clone()
                        .select(vec![col("v").alias("w"), col("label").alias("up")])?,
                    JoinType::Inner,
                    &["label"],
                    &["w"],
                    None,
                )?
                .select(vec![col("v"), col("up").alias("label")])?
                .cache()
                .await?;
            let changed = jumped
                .clone()
                .select(vec![col("v").alias("v2"), col("label").alias("l2")])?
                .join(
                    labels.clone(),
                    JoinType::Inner,
                    &["v2"],
                    &["v"],
                    Some(col("l2").not_eq(col("label"))),
                )?
                .count()
                .await?;
            labels = jumped;
            if changed == 0 {
                return Ok(labels);
            }
        }
        Err(Error::Argument {
            function: "ResolvePlan::components",
            detail: format!(
                "the link components did not settle within {} rounds",
                self.max_rounds
            ),
        })
    }

    /// Prepares the source records in column `column` (their JSON) of
    /// `records` for resolution, reading each record's JSON once: columns
    /// `id`, `source`, `record` (the normalised record's binary form,
    /// [`NormalizedRecord::write_bytes`]) and `keys` (its blocking-key
    /// hashes, sorted). Rows whose record is NULL are left out.
    ///
    /// # Errors
    ///
    /// [`Error::DataFusion`] when the column is missing.
    pub fn prepare(&self, records: DataFrame, column: &str) -> Result<DataFrame> {
        let p = prepare_record_udf()
            .call(vec![
                col(column),
                lit(self.normalize_json.as_str()),
                lit(self.model_json.as_str()),
                lit(self.blocking_json.as_str()),
            ])
            .alias("p");
        // The struct is unnested, not read field by field: the optimiser
        // would move each field's `get_field` (and the filter) down to the
        // scan as a call of its own, preparing every record five times.
        Ok(records
            .select(vec![p])?
            .unnest_columns(&["p"])?
            .filter(ident("p.id").is_not_null())?
            .select(vec![
                ident("p.id").alias("id"),
                ident("p.source").alias("source"),
                ident("p.record").alias("record"),
                ident("p.keys").alias("keys"),
            ])?)
    }

    /// Returns the links `(a_id, b_id, weight)` among prepared records (as
    /// [`ResolvePlan::prepare`] gives them): the candidate pairs of the
    /// blocks within the size limit, each scored once, in the block of its
    /// smallest shared key, and kept when the weight reaches the model's
    /// link weight.
    ///
    /// The key hashes of the blocks over the limit are collected first (a
    /// query), as a block must know which of its pairs a smaller block
    /// holds, and so is whether two records share an id (a block finds its
    /// members' records by id). `prepared` is read several times: pass it
    /// held in memory (`DataFrame::cache`), as [`ResolvePlan::resolve`]
    /// does, or each read prepares the records again.
    ///
    /// # Errors
    ///
    /// [`Error::Argument`] when two records share an id;
    /// [`Error::DataFusion`] when a step fails.
    pub async fn block_links(&self, prepared: DataFrame) -> Result<DataFrame> {
        let repeated = prepared
            .clone()
            .aggregate(vec![col("id")], vec![count(lit(1)).alias("c")])?
            .filter(col("c").gt(lit(1)))?
            .limit(0, Some(1))?
            .collect()
            .await?;
        if let Some(b) = repeated.iter().find(|b| b.num_rows() > 0) {
            let ids = b.column(0).as_string::<i32>();
            return Err(Error::Argument {
                function: "ResolvePlan::block_links",
                detail: format!("two records share the id {:?}", ids.value(0)),
            });
        }
        let limit = self.params.blocking_params().block_size_limit() as i64;
        let sizes = prepared
            .clone()
            .select(vec![col("keys").alias("key")])?
            .unnest_columns(&["key"])?
            .filter(col("key").is_not_null())?
            .aggregate(vec![col("key")], vec![count(lit(1)).alias("size")])?
            .cache()
            .await?;
        let mut dropped: Vec<ScalarValue> = Vec::new();
        for b in sizes
            .clone()
            .filter(col("size").gt(lit(limit)))?
            .select(vec![col("key")])?
            .collect()
            .await?
        {
            let keys = u64_values("ResolvePlan::block_links", b.column(0))?;
            let keys = keys.as_primitive::<UInt64Type>();
            dropped.extend(keys.iter().flatten().map(|k| ScalarValue::UInt64(Some(k))));
        }
        let dropped =
            ScalarValue::List(ScalarValue::new_list_nullable(&dropped, &DataType::UInt64));
        // Blocks of one record hold no pair; oversized blocks are dropped.
        let kept = sizes
            .filter(
                col("size")
                    .gt_eq(lit(2_i64))
                    .and(col("size").lt_eq(lit(limit))),
            )?
            .select(vec![col("key").alias("kept_key")])?;
        // A block's members are found by id first and only then joined to
        // their records: most keys are a block of one, and copying every
        // record once per key (then again through the join and the
        // aggregation) was most of this step's time.
        let entries = prepared
            .clone()
            .select(vec![col("id").alias("member"), col("keys").alias("key")])?
            .unnest_columns(&["key"])?
            .filter(col("key").is_not_null())?
            .join(kept, JoinType::LeftSemi, &["key"], &["kept_key"], None)?
            .join(
                prepared.select(vec![col("id"), col("record"), col("keys")])?,
                JoinType::Inner,
                &["member"],
                &["id"],
                None,
            )?;
        let links = entries
            .aggregate(
                vec![col("key")],
                vec![array_agg(named_struct(vec![
                    lit("record"),
                    col("record"),
                    lit("keys"),
                    col("keys"),
                ]))
                .alias("members")],
            )?
            .select(vec![score_block_udf()
                .call(vec![
                    lit(self.model_json.as_str()),
                    lit(self.blocking_json.as_str()),
                    lit(dropped),
                    col("key"),
                    col("members"),
                ])
                .alias("links")])?
            .unnest_columns(&["links"])?
            .filter(col("links").is_not_null())?
            .select(vec![
                get_field(col("links"), "a").alias("a_id"),
                get_field(col("links"), "b").alias("b_id"),
                get_field(col("links"), "weight").alias("weight"),
            ])?;
        Ok(links)
    }

    /// Resolves the source records in column `column` (their JSON) of
    /// `records`: a row `(record_id, cluster_id)` per record.
    ///
    /// Each record's JSON is read once ([`ResolvePlan::prepare`]); the
    /// prepared records, the block sizes, the links and the components are
    /// computed and held in memory (`DataFrame::cache`); the rest is one
    /// plan.
    ///
    /// # Errors
    ///
    /// [`Error::Argument`] when two records share an id or the components
    /// do not settle; [`Error::DataFusion`] for what the functions refuse
    /// (a record that is not a source record's JSON) and planning errors.
    pub async fn resolve(&self, records: DataFrame, column: &str) -> Result<DataFrame> {
        let prepared = self.prepare(records, column)?.cache().await?;
        let links = self.block_links(prepared.clone()).await?.cache().await?;
        let components = self.components(links.clone()).await?;
        let normalized = prepared.select(vec![col("id"), col("record")])?;
        self.clusters(normalized, links, components)
    }

    /// Clusters each component, and makes every other record a cluster of
    /// its own.
    fn clusters(
        &self,
        normalized: DataFrame,
        links: DataFrame,
        components: DataFrame,
    ) -> Result<DataFrame> {
        let members = components
            .clone()
            .join(normalized.clone(), JoinType::Inner, &["v"], &["id"], None)?
            .aggregate(
                vec![col("label")],
                vec![array_agg(col("record")).alias("records")],
            )?;
        let component_links = links
            .join(
                components
                    .clone()
                    .select(vec![col("v").alias("lv"), col("label").alias("link_label")])?,
                JoinType::Inner,
                &["a_id"],
                &["lv"],
                None,
            )?
            .aggregate(
                vec![col("link_label")],
                vec![array_agg(named_struct(vec![
                    lit("a"),
                    col("a_id"),
                    lit("b"),
                    col("b_id"),
                    lit("weight"),
                    col("weight"),
                ]))
                .alias("links")],
            )?;
        let clustered = members
            .join(
                component_links,
                JoinType::Inner,
                &["label"],
                &["link_label"],
                None,
            )?
            .select(vec![cluster_component_udf()
                .call(vec![
                    lit(self.model_json.as_str()),
                    lit(self.cluster_json.as_str()),
                    col("records"),
                    col("links"),
                ])
                .alias("out")])?
            .unnest_columns(&["out"])?
            .select(vec![
                get_field(col("out"), "record_id").alias("record_id"),
                get_field(col("out"), "cluster_id").alias("cluster_id"),
            ])?;
        let alone = normalized
            .join(components, JoinType::LeftAnti, &["id"], &["v"], None)?
            .select(vec![
                col("id").alias("record_id"),
                udf(Function::ClusterId)
                    .call(vec![col("id")])
                    .alias("cluster_id"),
            ])?;
        Ok(clustered.union(alone)?)
    }
}

fn assignment_fields() -> Fields {
    Fields::from(vec![
        Field::new("record_id", DataType::Utf8, false),
        Field::new("cluster_id", DataType::Utf8, false),
    ])
}

/// `custodia_cluster_component(model JSON, clustering-params JSON, records,
/// links)`: custodia's guarded clustering of one component.
///
/// `records` is a list of normalised records (their JSON texts or their
/// binary forms), `links` a list of
/// structs `{a, b, weight}` naming records by id. Returns a list of structs
/// `{record_id, cluster_id}`, one per record. A link naming a record not in
/// the list is an error.
#[derive(Debug)]
struct ClusterComponent {
    signature: Signature,
    model: JsonCache<MatchModel>,
    params: JsonCache<ClusterParams>,
}

impl PartialEq for ClusterComponent {
    fn eq(&self, _: &ClusterComponent) -> bool {
        true
    }
}

impl Eq for ClusterComponent {}

impl std::hash::Hash for ClusterComponent {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        CLUSTER_COMPONENT.hash(state);
    }
}

/// Returns the per-component clustering function
/// ([`CLUSTER_COMPONENT`]) as a [`ScalarUDF`].
///
/// Its arguments are the match model's JSON, the clustering parameters'
/// JSON, a list of normalised records (JSON texts, or binary forms as
/// [`NormalizedRecord::write_bytes`] writes them) and a list of link structs
/// `{a, b, weight}` (record ids and the weight in bits); it returns a list
/// of `{record_id, cluster_id}` structs, one per record.
pub fn cluster_component_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ClusterComponent {
        signature: Signature::any(4, Volatility::Immutable),
        model: JsonCache::default(),
        params: JsonCache::default(),
    })
}

impl ScalarUDFImpl for ClusterComponent {
    fn name(&self) -> &str {
        CLUSTER_COMPONENT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(assignment_fields()),
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let name = CLUSTER_COMPONENT;
        let rows = args.number_rows;
        let a = &args.args;
        let models = text(name, a, 0, rows)?;
        let params = text(name, a, 1, rows)?;
        let records = a[2].to_array(rows)?;
        let links = a[3].to_array(rows)?;
        let records = list_of(name, &records, "records")?;
        let links = list_of(name, &links, "links")?;
        let model_rows = JsonRows::new(&self.model, name, "match model");
        let param_rows = JsonRows::new(&self.params, name, "clustering parameters");
        let mut out = ListBuilder::new(StructBuilder::from_fields(assignment_fields(), 0));
        for i in 0..rows {
            let (Some(m), Some(p)) = (models.get(i), params.get(i)) else {
                out.append_null();
                continue;
            };
            if records.is_null(i) {
                out.append_null();
                continue;
            }
            let model = model_rows.get(m)?;
            let params = param_rows.get(p)?;
            let values = records.value(i);
            let mut members: Vec<NormalizedRecord> = Vec::with_capacity(values.len());
            if matches!(
                values.data_type(),
                DataType::Binary | DataType::LargeBinary | DataType::BinaryView
            ) {
                let bytes = cast_binary(name, &values)?;
                for j in 0..bytes.len() {
                    if bytes.is_valid(j) {
                        members.push(
                            NormalizedRecord::from_bytes(bytes.value(j))
                                .map_err(Error::Custodia)?,
                        );
                    }
                }
            } else {
                let texts = cast_text(name, &values)?;
                for j in 0..texts.len() {
                    if texts.is_null(j) {
                        continue;
                    }
                    members.push(serde_json::from_str(texts.value(j)).map_err(|e| {
                        Error::Json {
                            function: name,
                            what: "normalised record",
                            detail: e.to_string(),
                        }
                    })?);
                }
            }
            let index: HashMap<&str, u32> = members
                .iter()
                .enumerate()
                .map(|(k, r)| (r.id().as_str(), k as u32))
                .collect();
            let mut scored = Vec::new();
            if links.is_valid(i) {
                let l = links.value(i);
                let l = l.as_struct_opt().ok_or_else(|| Error::Argument {
                    function: name,
                    detail: "links must be a list of {a, b, weight} structs".to_owned(),
                })?;
                let field = |n: &str| {
                    l.column_by_name(n).ok_or_else(|| Error::Argument {
                        function: name,
                        detail: format!("a link has no field {n:?}"),
                    })
                };
                let (la, lb) = (field("a")?, field("b")?);
                let (la, lb) = (cast_text(name, la)?, cast_text(name, lb)?);
                let w = datafusion::arrow::compute::cast(field("weight")?, &DataType::Float64)?;
                let w = w.as_primitive::<Float64Type>();
                for j in 0..l.len() {
                    if l.is_null(j) || la.is_null(j) || lb.is_null(j) || w.is_null(j) {
                        continue;
                    }
                    let find = |id: &str| {
                        index.get(id).copied().ok_or_else(|| Error::Argument {
                            function: name,
                            detail: format!("a link names record {id:?}, not in the component"),
                        })
                    };
                    scored.push(ScoredPair {
                        a: find(la.value(j))?,
                        b: find(lb.value(j))?,
                        weight: w.value(j),
                    });
                }
            }
            let clustering =
                cluster(&members, &scored, &*model, &params).map_err(Error::Custodia)?;
            for c in clustering.clusters() {
                let id = c.id().to_string();
                for m in c.members() {
                    let s = out.values();
                    s.field_builder::<StringBuilder>(0)
                        .ok_or_else(|| Error::Argument {
                            function: name,
                            detail: "internal: record_id builder".to_owned(),
                        })?
                        .append_value(m.as_str());
                    s.field_builder::<StringBuilder>(1)
                        .ok_or_else(|| Error::Argument {
                            function: name,
                            detail: "internal: cluster_id builder".to_owned(),
                        })?
                        .append_value(&id);
                    s.append(true);
                }
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Returns `array` as a list array.
fn list_of(
    function: &'static str,
    array: &ArrayRef,
    what: &str,
) -> Result<datafusion::arrow::array::ListArray> {
    match array.data_type() {
        DataType::List(_) => Ok(array.as_list::<i32>().clone()),
        DataType::LargeList(_) | DataType::ListView(_) | DataType::FixedSizeList(_, _) => {
            let to = DataType::List(Arc::new(Field::new_list_field(
                match array.data_type() {
                    DataType::LargeList(f)
                    | DataType::ListView(f)
                    | DataType::FixedSizeList(f, _) => f.data_type().clone(),
                    other => other.clone(),
                },
                true,
            )));
            Ok(datafusion::arrow::compute::cast(array, &to)
                .map_err(|e| Error::DataFusion(e.into()))?
                .as_list::<i32>()
                .clone())
        }
        other => Err(Error::Argument {
            function,
            detail: format!("{what} must be a list, not {other}"),
        }),
    }
}

/// Returns `array` as Utf8 text.
fn cast_text(
    function: &'static str,
    array: &ArrayRef,
) -> Result<datafusion::arrow::array::StringArray> {
    let t =
        datafusion::arrow::compute::cast(array, &DataType::Utf8).map_err(|e| Error::Argument {
            function,
            detail: format!("expected text, found {}: {e}", array.data_type()),
        })?;
    Ok(t.as_string::<i32>().clone())
}

/// An [`Expr`] of the link weight of `model`, for filters written by hand.
pub fn link_weight(model: &MatchModel) -> Expr {
    lit(model.link_weight())
}

/// The name of the function that prepares a source record for the plan.
pub const PREPARE_RECORD: &str = "custodia_prepare_record";

/// The name of the function that scores the pairs of one block.
pub const SCORE_BLOCK: &str = "custodia_score_block";

/// The prepared struct's fields: each NULL where the record is NULL, as
/// unnesting the struct keeps its fields' own validity.
fn prepared_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("source", DataType::Utf8, true),
        Field::new("record", DataType::Binary, true),
        Field::new("keys", key_list_type(), true),
    ])
}

fn key_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, true)))
}

fn link_fields() -> Fields {
    Fields::from(vec![
        Field::new("a", DataType::Utf8, false),
        Field::new("b", DataType::Utf8, false),
        Field::new("weight", DataType::Float64, false),
    ])
}

/// A model and blocking parameters, and the blocker built from them.
type BlockerEntry = (Arc<MatchModel>, Arc<BlockingParams>, Arc<RuleBlocker>);

/// `custodia_prepare_record(source-record JSON, normalisation-params JSON,
/// model JSON, blocking-params JSON)`: what the plan needs of a record,
/// from one reading of its JSON.
#[derive(Debug)]
struct PrepareRecord {
    signature: Signature,
    normalize: JsonCache<NormalizeParams>,
    model: JsonCache<MatchModel>,
    blocking: JsonCache<BlockingParams>,
    blocker: std::sync::Mutex<Option<BlockerEntry>>,
}

impl PartialEq for PrepareRecord {
    fn eq(&self, _: &PrepareRecord) -> bool {
        true
    }
}

impl Eq for PrepareRecord {}

impl std::hash::Hash for PrepareRecord {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        PREPARE_RECORD.hash(state);
    }
}

/// Returns the record-preparing function ([`PREPARE_RECORD`]) as a
/// [`ScalarUDF`].
///
/// Its arguments are a source record's JSON, the normalisation
/// parameters' JSON, the match model's JSON and the blocking parameters'
/// JSON; it returns a struct `{id, source, record, keys}`: the record's id
/// and source, the normalised record's binary form
/// ([`NormalizedRecord::write_bytes`]) and its blocking-key hashes, sorted.
/// A NULL in any argument gives NULL.
pub fn prepare_record_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(PrepareRecord {
        signature: Signature::any(4, Volatility::Immutable),
        normalize: JsonCache::default(),
        model: JsonCache::default(),
        blocking: JsonCache::default(),
        blocker: std::sync::Mutex::new(None),
    })
}

impl PrepareRecord {
    /// The blocker of a model and blocking parameters, built once per pair.
    fn blocker(&self, model: Arc<MatchModel>, params: Arc<BlockingParams>) -> Arc<RuleBlocker> {
        let mut last = self.blocker.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((m, p, b)) = last.as_ref() {
            if Arc::ptr_eq(m, &model) && Arc::ptr_eq(p, &params) {
                return Arc::clone(b);
            }
        }
        let b = Arc::new(RuleBlocker::new(&params, model.generic().clone()));
        *last = Some((model, params, Arc::clone(&b)));
        b
    }
}

impl ScalarUDFImpl for PrepareRecord {
    fn name(&self) -> &str {
        PREPARE_RECORD
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Struct(prepared_fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let name = PREPARE_RECORD;
        let rows = args.number_rows;
        let a = &args.args;
        let (records, normalize) = (text(name, a, 0, rows)?, text(name, a, 1, rows)?);
        let (models, blocking) = (text(name, a, 2, rows)?, text(name, a, 3, rows)?);
        let normalize_rows = JsonRows::new(&self.normalize, name, "normalisation parameters");
        let model_rows = JsonRows::new(&self.model, name, "match model");
        let blocking_rows = JsonRows::new(&self.blocking, name, "blocking parameters");
        let mut ids = StringBuilder::with_capacity(rows, rows * 12);
        let mut sources = StringBuilder::with_capacity(rows, rows * 8);
        let mut bytes = BinaryBuilder::with_capacity(rows, rows * 160);
        let mut keys = ListBuilder::new(UInt64Builder::with_capacity(rows * 8));
        let mut valid = Vec::with_capacity(rows);
        let (mut buffer, mut hashes) = (Vec::new(), Vec::new());
        for i in 0..rows {
            let row = (
                records.get(i),
                normalize.get(i),
                models.get(i),
                blocking.get(i),
            );
            let (Some(json), Some(n), Some(m), Some(b)) = row else {
                // NULL fields too: unnesting the struct reads the fields
                // without the struct's validity.
                ids.append_null();
                sources.append_null();
                bytes.append_null();
                keys.append_null();
                valid.push(false);
                continue;
            };
            let record: SourceRecord = serde_json::from_str(json).map_err(|e| Error::Json {
                function: name,
                what: "source record",
                detail: e.to_string(),
            })?;
            let normalized = normalize_record(&record, &*normalize_rows.get(n)?);
            let blocker = self.blocker(model_rows.get(m)?, blocking_rows.get(b)?);
            hashes.clear();
            blocker.key_hashes(&normalized, &mut hashes);
            // `key_hashes` sorts and drops repeats; scoring a block relies on it.
            hashes.sort_unstable();
            hashes.dedup();
            buffer.clear();
            normalized.write_bytes(&mut buffer);
            ids.append_value(normalized.id().as_str());
            sources.append_value(normalized.source().as_str());
            bytes.append_value(&buffer);
            keys.values().append_slice(&hashes);
            keys.append(true);
            valid.push(true);
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(ids.finish()),
            Arc::new(sources.finish()),
            Arc::new(bytes.finish()),
            Arc::new(keys.finish()),
        ];
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            prepared_fields(),
            cols,
            Some(valid.into()),
        )?)))
    }
}

/// `custodia_score_block(model JSON, blocking-params JSON, dropped keys,
/// key, members)`: the links among the members of one block that no
/// smaller block holds.
#[derive(Debug)]
struct ScoreBlock {
    signature: Signature,
    model: JsonCache<MatchModel>,
    blocking: JsonCache<BlockingParams>,
}

impl PartialEq for ScoreBlock {
    fn eq(&self, _: &ScoreBlock) -> bool {
        true
    }
}

impl Eq for ScoreBlock {}

impl std::hash::Hash for ScoreBlock {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        SCORE_BLOCK.hash(state);
    }
}

/// Returns the block-scoring function ([`SCORE_BLOCK`]) as a [`ScalarUDF`].
///
/// Its arguments are the match model's JSON, the blocking parameters'
/// JSON, the sorted list of the key hashes whose blocks are over the size
/// limit (dropped), a block's key hash, and the block's members: a list of
/// structs `{record, keys}` (a normalised record's binary form and its
/// key hashes, sorted, as [`prepare_record_udf`] gives them). It returns
/// the list of links `{a, b, weight}` (record ids, `a < b`, and the weight
/// in bits, at or above the model's link weight) of the pairs whose
/// smallest shared key that is not dropped is this block's: each
/// candidate pair is scored in exactly one block.
pub fn score_block_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ScoreBlock {
        signature: Signature::any(5, Volatility::Immutable),
        model: JsonCache::default(),
        blocking: JsonCache::default(),
    })
}

/// Returns `array` as a list of `u64` values (cast when needed).
fn u64_values(function: &'static str, array: &ArrayRef) -> Result<ArrayRef> {
    if array.data_type() == &DataType::UInt64 {
        return Ok(Arc::clone(array));
    }
    datafusion::arrow::compute::cast(array, &DataType::UInt64).map_err(|e| Error::Argument {
        function,
        detail: format!("expected key hashes, found {}: {e}", array.data_type()),
    })
}

/// Whether `x` and `y` (sorted key hashes) share a key below `key` that is
/// not in `dropped` (sorted).
fn shares_smaller_kept_key(x: &[u64], y: &[u64], key: u64, dropped: &[u64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        let (a, b) = (x[i], y[j]);
        if a >= key || b >= key {
            return false;
        }
        match a.cmp(&b) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if dropped.binary_search(&a).is_err() {
                    return true;
                }
                i += 1;
                j += 1;
            }
        }
    }
    false
}

impl ScalarUDFImpl for ScoreBlock {
    fn name(&self) -> &str {
        SCORE_BLOCK
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(link_fields()),
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let name = SCORE_BLOCK;
        let rows = args.number_rows;
        let a = &args.args;
        let (models, blocking) = (text(name, a, 0, rows)?, text(name, a, 1, rows)?);
        let model_rows = JsonRows::new(&self.model, name, "match model");
        let blocking_rows = JsonRows::new(&self.blocking, name, "blocking parameters");
        // The dropped keys are one list for every block: read it once.
        let dropped: Vec<u64> = match &a[2] {
            ColumnarValue::Scalar(s) => {
                let list = s.to_array_of_size(1)?;
                let list = list_of(name, &list, "dropped keys")?;
                let mut v = Vec::new();
                if list.is_valid(0) {
                    let keys = u64_values(name, &list.value(0))?;
                    let keys = keys.as_primitive::<UInt64Type>();
                    v.extend(keys.iter().flatten());
                }
                v.sort_unstable();
                v
            }
            ColumnarValue::Array(_) => {
                return Err(Error::Argument {
                    function: name,
                    detail: "the dropped keys must be one list for every block".to_owned(),
                }
                .into())
            }
        };
        let block_keys = u64_values(name, &a[3].to_array(rows)?)?;
        let block_keys = block_keys.as_primitive::<UInt64Type>();
        let members = a[4].to_array(rows)?;
        let members = list_of(name, &members, "members")?;
        let mut out = ListBuilder::new(StructBuilder::from_fields(link_fields(), 0));
        let mut records: Vec<NormalizedRecord> = Vec::new();
        let mut keys: Vec<Vec<u64>> = Vec::new();
        for i in 0..rows {
            let (Some(m), Some(p)) = (models.get(i), blocking.get(i)) else {
                out.append_null();
                continue;
            };
            if members.is_null(i) || block_keys.is_null(i) {
                out.append_null();
                continue;
            }
            let key = block_keys.value(i);
            let model = model_rows.get(m)?;
            let params = blocking_rows.get(p)?;
            let block = members.value(i);
            let block = block.as_struct_opt().ok_or_else(|| Error::Argument {
                function: name,
                detail: "members must be a list of {record, keys} structs".to_owned(),
            })?;
            let field = |n: &str| {
                block.column_by_name(n).ok_or_else(|| Error::Argument {
                    function: name,
                    detail: format!("a member has no field {n:?}"),
                })
            };
            let bytes = cast_binary(name, field("record")?)?;
            let lists = list_of(name, field("keys")?, "a member's keys")?;
            records.clear();
            keys.clear();
            for j in 0..block.len() {
                if block.is_null(j) || bytes.is_null(j) {
                    continue;
                }
                records
                    .push(NormalizedRecord::from_bytes(bytes.value(j)).map_err(Error::Custodia)?);
                let mut k: Vec<u64> = Vec::new();
                if lists.is_valid(j) {
                    let v = u64_values(name, &lists.value(j))?;
                    k.extend(v.as_primitive::<UInt64Type>().iter().flatten());
                    k.sort_unstable();
                    k.dedup();
                }
                keys.push(k);
            }
            if records.len() > params.block_size_limit() {
                // An oversized block gives no pairs, as in custodia's blocking.
                out.append(true);
                continue;
            }
            let across = params.pair_scope() == PairScope::AcrossSources;
            let threshold = model.link_weight();
            for x in 0..records.len() {
                for y in x + 1..records.len() {
                    let (rx, ry) = (&records[x], &records[y]);
                    if across && rx.source() == ry.source() {
                        continue;
                    }
                    if shares_smaller_kept_key(&keys[x], &keys[y], key, &dropped) {
                        continue;
                    }
                    // Scored in record-id order, as the in-process resolver does.
                    let (ra, rb) = if rx.id() < ry.id() {
                        (rx, ry)
                    } else {
                        (ry, rx)
                    };
                    let weight = model.score(ra, rb).weight();
                    if weight < threshold {
                        continue;
                    }
                    let s = out.values();
                    s.field_builder::<StringBuilder>(0)
                        .ok_or_else(|| internal(name, "a"))?
                        .append_value(ra.id().as_str());
                    s.field_builder::<StringBuilder>(1)
                        .ok_or_else(|| internal(name, "b"))?
                        .append_value(rb.id().as_str());
                    s.field_builder::<Float64Builder>(2)
                        .ok_or_else(|| internal(name, "weight"))?
                        .append_value(weight);
                    s.append(true);
                }
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

fn internal(function: &'static str, field: &str) -> Error {
    Error::Argument {
        function,
        detail: format!("internal: the {field} builder"),
    }
}

/// Returns `array` as binary.
fn cast_binary(function: &'static str, array: &ArrayRef) -> Result<BinaryArray> {
    if let Some(b) = array.as_binary_opt::<i32>() {
        return Ok(b.clone());
    }
    let t = datafusion::arrow::compute::cast(array, &DataType::Binary).map_err(|e| {
        Error::Argument {
            function,
            detail: format!("expected bytes, found {}: {e}", array.data_type()),
        }
    })?;
    Ok(t.as_binary::<i32>().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn smaller_kept_keys() {
        // 3 is shared and below 7, but dropped; 5 is shared and kept.
        assert!(shares_smaller_kept_key(&[1, 3, 5, 7], &[3, 5, 7], 7, &[3]));
        assert!(!shares_smaller_kept_key(&[1, 3, 7], &[3, 7], 7, &[3]));
        assert!(!shares_smaller_kept_key(&[1, 7], &[2, 7], 7, &[]));
        // Keys at or above the block's own are not smaller.
        assert!(!shares_smaller_kept_key(&[7, 9], &[7, 9], 7, &[]));
        assert!(!shares_smaller_kept_key(&[], &[1], 7, &[]));
    }

    proptest! {
        #[test]
        fn smaller_kept_key_as_by_sets(
            x in proptest::collection::btree_set(0u64..40, 0..12),
            y in proptest::collection::btree_set(0u64..40, 0..12),
            dropped in proptest::collection::btree_set(0u64..40, 0..12),
            key in 0u64..40,
        ) {
            let want = x.iter().any(|k| *k < key && y.contains(k) && !dropped.contains(k));
            let (x, y): (Vec<u64>, Vec<u64>) = (x.into_iter().collect(), y.into_iter().collect());
            let dropped: Vec<u64> = dropped.into_iter().collect();
            prop_assert_eq!(shares_smaller_kept_key(&x, &y, key, &dropped), want);
        }
    }
}
