//! custodia's batch work on [Apache DataFusion](https://datafusion.apache.org):
//! identity resolution, scoring and segmentation as query plans, for record
//! sets past one machine's comfort.
//!
//! - [`scalar`]: custodia's per-row functions as scalar UDFs (normalisers,
//!   blocking-key hashes, comparison levels and match weights of a trained
//!   model, sentiment, CLV predictions of fitted parameters); models travel
//!   as their JSON.
//! - [`aggregate`]: RFM summaries of each customer's transactions,
//!   comparison-pattern counts (EM's sufficient statistics) and unified
//!   profiles of each cluster as aggregate UDFs whose partial
//!   states merge.
//! - [`segment`]: a segment expression compiled to a DataFusion [`Expr`],
//!   so its filters push down to Parquet scans.
//! - [`resolve`]: identity resolution as a plan — blocking as equi-joins on
//!   key hashes, scoring as a UDF, connected components by iterated joins,
//!   then custodia's guarded clustering per component — giving the clusters
//!   the in-process resolver gives.
//!
//! - `ballista` (feature `ballista`, off by default): the functions
//!   registered in a [Ballista](https://datafusion.apache.org/ballista/)
//!   scheduler, its executors and a client, and a plan codec that lets
//!   `ResolvePlan` run on the cluster.
//!
//! [`register`] adds every function to a session; executors of a
//! distributed engine register them the same way.
//!
//! # Examples
//!
//! ```
//! use custodia_datafusion::register;
//! use datafusion::arrow::array::AsArray;
//! use datafusion::execution::FunctionRegistry;
//! use datafusion::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! let ctx = SessionContext::new();
//! register(&ctx);
//! let sentiment = ctx.udf("custodia_sentiment")?;
//! let df = ctx.read_empty()?.select(vec![
//!     sentiment.call(vec![lit("The app is great!")]).alias("s"),
//! ])?;
//! let batches = df.collect().await?;
//! let s = batches[0].column(0).as_primitive::<datafusion::arrow::datatypes::Float64Type>();
//! assert!(s.value(0) > 0.5);
//! # Ok(())
//! # }
//! ```
//!
//! [`Expr`]: datafusion::logical_expr::Expr
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub mod aggregate;
mod args;
#[cfg(feature = "ballista")]
pub mod ballista;
mod error;
pub mod resolve;
pub mod scalar;
pub mod segment;

pub use error::{Error, Result};

use datafusion::execution::FunctionRegistry;

/// Registers every custodia function with `ctx`.
///
/// # Examples
///
/// ```
/// use datafusion::execution::FunctionRegistry;
/// use datafusion::prelude::SessionContext;
///
/// let ctx = SessionContext::new();
/// custodia_datafusion::register(&ctx);
/// assert!(ctx.udf("custodia_match_weight").is_ok());
/// ```
pub fn register(ctx: &datafusion::prelude::SessionContext) {
    for f in scalar::Function::ALL {
        ctx.register_udf(scalar::udf(f));
    }
    ctx.register_udf(resolve::cluster_component_udf());
    ctx.register_udf(resolve::prepare_record_udf());
    ctx.register_udf(resolve::score_block_udf());
    ctx.register_udaf(aggregate::rfm_udaf());
    ctx.register_udaf(aggregate::pattern_counts_udaf());
    ctx.register_udaf(aggregate::unified_profile_udaf(
        custodia::merge::SurvivorshipPolicy::default(),
    ));
}

/// Registers every custodia function with a mutable [`FunctionRegistry`]
/// such as a `SessionState` (what the executors of a distributed engine
/// hold).
///
/// # Errors
///
/// What the registry returns when it refuses a function.
pub fn register_with(registry: &mut dyn FunctionRegistry) -> datafusion::error::Result<()> {
    for f in scalar::Function::ALL {
        registry.register_udf(std::sync::Arc::new(scalar::udf(f)))?;
    }
    registry.register_udf(std::sync::Arc::new(resolve::cluster_component_udf()))?;
    registry.register_udf(std::sync::Arc::new(resolve::prepare_record_udf()))?;
    registry.register_udf(std::sync::Arc::new(resolve::score_block_udf()))?;
    registry.register_udaf(std::sync::Arc::new(aggregate::rfm_udaf()))?;
    registry.register_udaf(std::sync::Arc::new(aggregate::pattern_counts_udaf()))?;
    registry.register_udaf(std::sync::Arc::new(aggregate::unified_profile_udaf(
        custodia::merge::SurvivorshipPolicy::default(),
    )))?;
    Ok(())
}
