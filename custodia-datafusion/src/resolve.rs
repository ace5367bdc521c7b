//! Identity resolution as a DataFusion plan.
//!
//! [`ResolvePlan`] runs custodia's resolution steps as relational
//! operations, so that an engine that spreads joins and aggregations over
//! machines can run them:
//!
//! 1. **normalise**: `custodia_normalize_record` on each source record's
//!    JSON gives its id, source and normalised record;
//! 2. **block**: `custodia_block_keys` gives each record its key hashes;
//!    unnested, grouped by hash (blocks above the size limit dropped, as
//!    custodia drops them) and self-joined on the hash, they give the
//!    distinct candidate pairs — an equi-join;
//! 3. **score**: `custodia_match_weight` on each candidate pair, keeping the
//!    links (weight at or above the model's link weight);
//! 4. **components**: the connected components of the links, by iterated
//!    joins: each record takes the smallest label among itself and its
//!    neighbours, then its label's label, until nothing changes;
//! 5. **cluster**: per component, `custodia_cluster_component` runs
//!    custodia's guarded clustering on the component's records and links.
//!    A guard only reads the records of the two clusters a link would merge,
//!    and links never leave a component, so clustering each component apart
//!    gives exactly the clusters of clustering all records at once.
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
    cluster, ClusterParams, MatchModel, Matcher, NormalizedRecord, PairScope, ResolveParams,
    ScoredPair,
};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, ListBuilder, StringBuilder, StructBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type};
use datafusion::common::JoinType;
use datafusion::error::Result as DfResult;
use datafusion::functions::core::expr_fn::{get_field, named_struct};
use datafusion::functions_aggregate::expr_fn::{array_agg, count, min};
use datafusion::logical_expr::{
    col, lit, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::DataFrame;

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

    /// Resolves the source records in column `column` (their JSON) of
    /// `records`: a row `(record_id, cluster_id)` per record.
    ///
    /// The normalised records and the components are computed and held in
    /// memory (`DataFrame::cache`); the rest is one plan.
    ///
    /// # Errors
    ///
    /// [`Error::Argument`] when two records share an id or the components
    /// do not settle; [`Error::DataFusion`] for what the functions refuse
    /// (a record that is not a source record's JSON) and planning errors.
    pub async fn resolve(&self, records: DataFrame, column: &str) -> Result<DataFrame> {
        let normalized = self.normalize(records, column)?.cache().await?;
        let repeated = normalized
            .clone()
            .aggregate(vec![col("id")], vec![count(lit(1)).alias("c")])?
            .filter(col("c").gt(lit(1)))?
            .limit(0, Some(1))?
            .collect()
            .await?;
        if let Some(b) = repeated.iter().find(|b| b.num_rows() > 0) {
            let ids = b.column(0).as_string::<i32>();
            return Err(Error::Argument {
                function: "ResolvePlan::resolve",
                detail: format!("two records share the id {:?}", ids.value(0)),
            });
        }
        let pairs = self.candidate_pairs(normalized.clone())?;
        let links = self.links(normalized.clone(), pairs)?.cache().await?;
        let components = self.components(links.clone()).await?;
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
/// `records` is a list of normalised-record JSON texts, `links` a list of
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
/// JSON, a list of normalised-record JSON texts and a list of link structs
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
            let texts = records.value(i);
            let texts = cast_text(name, &texts)?;
            let mut members: Vec<NormalizedRecord> = Vec::with_capacity(texts.len());
            for j in 0..texts.len() {
                if texts.is_null(j) {
                    continue;
                }
                members.push(
                    serde_json::from_str(texts.value(j)).map_err(|e| Error::Json {
                        function: name,
                        what: "normalised record",
                        detail: e.to_string(),
                    })?,
                );
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
