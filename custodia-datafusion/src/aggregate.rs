//! Aggregate UDFs: custodia's per-customer summaries and per-cluster
//! unified profiles as DataFusion aggregates.
//!
//! - `custodia_rfm`, below;
//! - `custodia_pattern_counts` ([`PatternCounts`]): comparison-pattern
//!   counts of candidate pairs, the sufficient statistics of EM;
//! - `custodia_unified_profile` ([`UnifiedProfileUdaf`]): a cluster's
//!   unified profile from its source records, for a purpose at a time.
//!
//! `custodia_rfm(at, amount, observation_end, period)` summarises one
//! customer's transactions (group by the customer) into the RFM summary the
//! CLV models read, exactly as [`custodia::clv::summarize`] does:
//! purchases in one period merged, `frequency` the number of repeat
//! periods, `recency` and `age` in periods, `monetary` the mean of the
//! repeat periods' amounts. `at` is a date (or anything that casts to one),
//! `amount` a number, `observation_end` a date and `period` one of `'day'`,
//! `'week'`, `'month'`. It returns a struct
//! `{frequency: UInt32, recency: Float64, age: Float64, monetary: Float64}`,
//! NULL for a customer with no purchase up to `observation_end`.
//!
//! Partial aggregation keeps each group's `(date, amount)` rows and merges
//! them; custodia's summary does not depend on their order, so the result
//! is the same however the rows are spread over partitions. A group's state
//! grows with its rows (12 bytes each).
//!
//! ```
//! use custodia_datafusion::register;
//! use datafusion::arrow::array::AsArray;
//! use datafusion::arrow::datatypes::{Float64Type, UInt32Type};
//! use datafusion::execution::FunctionRegistry;
//! use datafusion::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! let ctx = SessionContext::new();
//! register(&ctx);
//! let rfm = ctx.udaf("custodia_rfm")?;
//! let df = ctx.read_batch(datafusion::arrow::record_batch::RecordBatch::try_from_iter(vec![
//!     ("at", std::sync::Arc::new(datafusion::arrow::array::StringArray::from(
//!         vec!["2026-01-01", "2026-01-05", "2026-01-05", "2026-01-09"],
//!     )) as _),
//!     ("amount", std::sync::Arc::new(datafusion::arrow::array::Float64Array::from(
//!         vec![10.0, 30.0, 2.0, 8.0],
//!     )) as _),
//! ])?)?;
//! let out = df
//!     .aggregate(vec![], vec![rfm
//!         .call(vec![col("at"), col("amount"), lit("2026-01-11"), lit("day")])
//!         .alias("rfm")])?
//!     .collect()
//!     .await?;
//! let s = out[0].column(0).as_struct();
//! // Two repeat days (the 5th, merged, and the 9th) after the first purchase.
//! assert_eq!(s.column(0).as_primitive::<UInt32Type>().value(0), 2);
//! assert_eq!(s.column(1).as_primitive::<Float64Type>().value(0), 8.0); // recency
//! assert_eq!(s.column(2).as_primitive::<Float64Type>().value(0), 10.0); // age
//! assert_eq!(s.column(3).as_primitive::<Float64Type>().value(0), 20.0); // (32 + 8) / 2
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use chrono::NaiveDate;
use custodia::clv::{summarize, Period, Transaction};
use custodia::consent::{ConsentLedger, Purpose};
use custodia::identity::ClusterId;
use custodia::merge::{SurvivorshipPolicy, UnifiedProfile};
use custodia::model::SourceRecord;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, ListBuilder, StructArray, StructBuilder,
    UInt32Array, UInt64Array, UInt64Builder, UInt8Builder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, FieldRef, Fields, Float64Type, Int32Type, TimeUnit,
    TimestampMicrosecondType, UInt64Type, UInt8Type,
};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

use crate::error::Error;

/// The name of the RFM aggregate.
pub const RFM: &str = "custodia_rfm";

fn rfm_fields() -> Fields {
    Fields::from(vec![
        Field::new("frequency", DataType::UInt32, false),
        Field::new("recency", DataType::Float64, false),
        Field::new("age", DataType::Float64, false),
        Field::new("monetary", DataType::Float64, false),
    ])
}

/// `custodia_rfm` as a DataFusion [`AggregateUDFImpl`]; see the
/// [module documentation](self).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rfm {
    signature: Signature,
}

/// Returns `custodia_rfm` as an [`AggregateUDF`], ready to register.
pub fn rfm_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(Rfm {
        signature: Signature::any(4, Volatility::Immutable),
    })
}

impl AggregateUDFImpl for Rfm {
    fn name(&self) -> &str {
        RFM
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(rfm_fields()))
    }

    fn accumulator(&self, _acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<RfmAccumulator>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |t: DataType| DataType::List(Arc::new(Field::new_list_field(t, true)));
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[days]", args.name),
                list(DataType::Int32),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[amounts]", args.name),
                list(DataType::Float64),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[end]", args.name),
                DataType::Int32,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[period]", args.name),
                DataType::Utf8,
                true,
            )),
        ])
    }
}

/// One group's transactions, and the window they are summarised over.
#[derive(Debug, Default)]
struct RfmAccumulator {
    days: Vec<i32>,
    amounts: Vec<f64>,
    end: Option<i32>,
    period: Option<String>,
}

fn arg_err(detail: String) -> datafusion::error::DataFusionError {
    Error::Argument {
        function: RFM,
        detail,
    }
    .into()
}

fn as_type(a: &ArrayRef, to: &DataType, what: &str) -> Result<ArrayRef> {
    cast(a, to).map_err(|e| {
        arg_err(format!(
            "{what} of type {} is not a {to}: {e}",
            a.data_type()
        ))
    })
}

impl RfmAccumulator {
    fn set_window(&mut self, end: Option<i32>, period: Option<&str>) -> Result<()> {
        if let Some(e) = end {
            match self.end {
                Some(old) if old != e => {
                    return Err(arg_err("observation_end differs between rows".to_owned()))
                }
                _ => self.end = Some(e),
            }
        }
        if let Some(p) = period {
            match &self.period {
                Some(old) if old != p => {
                    return Err(arg_err("period differs between rows".to_owned()))
                }
                _ => self.period = Some(p.to_owned()),
            }
        }
        Ok(())
    }

    fn push(&mut self, days: &Int32Array, amounts: &Float64Array) {
        for i in 0..days.len() {
            if days.is_valid(i) && amounts.is_valid(i) {
                self.days.push(days.value(i));
                self.amounts.push(amounts.value(i));
            }
        }
    }
}

fn period_of(p: &str) -> Result<Period> {
    match p {
        "day" => Ok(Period::Day),
        "week" => Ok(Period::Week),
        "month" => Ok(Period::Month),
        other => Err(arg_err(format!(
            "period {other:?} is not \"day\", \"week\" or \"month\""
        ))),
    }
}

fn date_of(days: i32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(i64::from(days))))
        .ok_or_else(|| arg_err(format!("day {days} after 1970-01-01 is out of range")))
}

impl Accumulator for RfmAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [at, amount, end, period] = values else {
            return Err(arg_err(format!("takes 4 arguments, not {}", values.len())));
        };
        let at = as_type(at, &DataType::Date32, "at")?;
        let amount = as_type(amount, &DataType::Float64, "amount")?;
        let end = as_type(end, &DataType::Date32, "observation_end")?;
        let period = as_type(period, &DataType::Utf8, "period")?;
        let end = end.as_primitive::<Date32Type>();
        let period = period.as_string::<i32>();
        for i in 0..end.len() {
            self.set_window(
                end.is_valid(i).then(|| end.value(i)),
                period.is_valid(i).then(|| period.value(i)),
            )?;
        }
        let at = at.as_primitive::<Date32Type>();
        let days = Int32Array::from_iter(at.iter());
        self.push(&days, amount.as_primitive::<Float64Type>());
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [days, amounts, end, period] = states else {
            return Err(arg_err(format!("state has 4 parts, not {}", states.len())));
        };
        let (days, amounts) = (days.as_list::<i32>(), amounts.as_list::<i32>());
        let end = end.as_primitive::<Int32Type>();
        let period = period.as_string::<i32>();
        for i in 0..days.len() {
            self.set_window(
                end.is_valid(i).then(|| end.value(i)),
                period.is_valid(i).then(|| period.value(i)),
            )?;
            if days.is_valid(i) && amounts.is_valid(i) {
                let (d, a) = (days.value(i), amounts.value(i));
                self.push(
                    d.as_primitive::<Int32Type>(),
                    a.as_primitive::<Float64Type>(),
                );
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let days: Vec<ScalarValue> = self
            .days
            .iter()
            .map(|d| ScalarValue::Int32(Some(*d)))
            .collect();
        let amounts: Vec<ScalarValue> = self
            .amounts
            .iter()
            .map(|a| ScalarValue::Float64(Some(*a)))
            .collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&days, &DataType::Int32)),
            ScalarValue::List(ScalarValue::new_list_nullable(&amounts, &DataType::Float64)),
            ScalarValue::Int32(self.end),
            ScalarValue::Utf8(self.period.clone()),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let null = ScalarValue::try_from(DataType::Struct(rfm_fields()))?;
        let (Some(end), Some(period)) = (self.end, self.period.as_deref()) else {
            return Ok(null);
        };
        let period = period_of(period)?;
        let end = date_of(end)?;
        let mut txs = Vec::with_capacity(self.days.len());
        for (d, a) in self.days.iter().zip(&self.amounts) {
            txs.push(Transaction::new("c", date_of(*d)?, *a).map_err(|e| arg_err(e.to_string()))?);
        }
        let summaries = summarize(&txs, period, end).map_err(|e| arg_err(e.to_string()))?;
        let Some(s) = summaries.first() else {
            return Ok(null);
        };
        let s = s.summary();
        let cols: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![s.frequency()])),
            Arc::new(Float64Array::from(vec![s.recency()])),
            Arc::new(Float64Array::from(vec![s.age()])),
            Arc::new(Float64Array::from(vec![s.monetary()])),
        ];
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(
            rfm_fields(),
            cols,
            None,
        )?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.days.capacity() * 4
            + self.amounts.capacity() * 8
            + self.period.as_ref().map_or(0, String::capacity)
    }
}

/// The name of the unified-profile aggregate.
pub const UNIFIED_PROFILE: &str = "custodia_unified_profile";

/// `custodia_unified_profile(record, ledger, purpose, at)`: the unified
/// profile of a cluster (group by the cluster id) as its JSON.
///
/// `record` is a source record's JSON, `ledger` the consent ledger's JSON,
/// `purpose` a purpose's name (`"analytics"`) and `at` a timestamp (or text
/// that casts to one), read to the microsecond. The profile's cluster id is that of the group's
/// smallest record id, as custodia's clusters are named. Merging follows
/// the survivorship policy the function was made with
/// ([`unified_profile_udaf`]; the registered one uses the default policy).
///
/// A unified profile does not depend on the order of its records and
/// repeats of a record count once (merge is commutative, associative and
/// idempotent), which is what partial aggregation needs: each partition
/// keeps its records, and merging states unions them. A group's state grows
/// with its records.
pub struct UnifiedProfileUdaf {
    signature: Signature,
    policy: Arc<SurvivorshipPolicy>,
}

impl std::fmt::Debug for UnifiedProfileUdaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnifiedProfileUdaf").finish_non_exhaustive()
    }
}

impl PartialEq for UnifiedProfileUdaf {
    fn eq(&self, other: &UnifiedProfileUdaf) -> bool {
        Arc::ptr_eq(&self.policy, &other.policy)
    }
}

impl Eq for UnifiedProfileUdaf {}

impl std::hash::Hash for UnifiedProfileUdaf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        UNIFIED_PROFILE.hash(state);
    }
}

/// Returns `custodia_unified_profile` merging with `policy`, as an
/// [`AggregateUDF`] to register.
pub fn unified_profile_udaf(policy: SurvivorshipPolicy) -> AggregateUDF {
    AggregateUDF::new_from_impl(UnifiedProfileUdaf {
        signature: Signature::any(4, Volatility::Immutable),
        policy: Arc::new(policy),
    })
}

impl AggregateUDFImpl for UnifiedProfileUdaf {
    fn name(&self) -> &str {
        UNIFIED_PROFILE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn accumulator(&self, _acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(ProfileAccumulator {
            policy: Arc::clone(&self.policy),
            records: Vec::new(),
            ledger: None,
            purpose: None,
            at: None,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        Ok(vec![
            Arc::new(Field::new(format!("{}[records]", args.name), list, true)),
            Arc::new(Field::new(
                format!("{}[ledger]", args.name),
                DataType::Utf8,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[purpose]", args.name),
                DataType::Utf8,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[at]", args.name),
                DataType::Timestamp(TimeUnit::Microsecond, None),
                true,
            )),
        ])
    }
}

struct ProfileAccumulator {
    policy: Arc<SurvivorshipPolicy>,
    records: Vec<String>,
    ledger: Option<String>,
    purpose: Option<String>,
    at: Option<i64>,
}

impl std::fmt::Debug for ProfileAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileAccumulator")
            .field("records", &self.records.len())
            .finish_non_exhaustive()
    }
}

fn profile_err(detail: String) -> datafusion::error::DataFusionError {
    Error::Argument {
        function: UNIFIED_PROFILE,
        detail,
    }
    .into()
}

/// Keeps `new` in `slot`, refusing a value that differs from the one kept.
fn same<T: PartialEq>(slot: &mut Option<T>, new: Option<T>, what: &str) -> Result<()> {
    if let Some(v) = new {
        match slot {
            Some(old) if *old != v => {
                return Err(profile_err(format!(
                    "{what} differs between rows of a group"
                )))
            }
            _ => *slot = Some(v),
        }
    }
    Ok(())
}

impl ProfileAccumulator {
    fn add(
        &mut self,
        records: &datafusion::arrow::array::StringArray,
        ledger: &datafusion::arrow::array::StringArray,
        purpose: &datafusion::arrow::array::StringArray,
        at: &datafusion::arrow::array::TimestampMicrosecondArray,
    ) -> Result<()> {
        for i in 0..records.len() {
            same(
                &mut self.ledger,
                ledger.is_valid(i).then(|| ledger.value(i).to_owned()),
                "ledger",
            )?;
            same(
                &mut self.purpose,
                purpose.is_valid(i).then(|| purpose.value(i).to_owned()),
                "purpose",
            )?;
            same(&mut self.at, at.is_valid(i).then(|| at.value(i)), "at")?;
            if records.is_valid(i) {
                self.records.push(records.value(i).to_owned());
            }
        }
        Ok(())
    }
}

fn micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

impl Accumulator for ProfileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [records, ledger, purpose, at] = values else {
            return Err(profile_err(format!(
                "takes 4 arguments, not {}",
                values.len()
            )));
        };
        let text = |a: &ArrayRef, what: &str| as_type(a, &DataType::Utf8, what);
        let (records, ledger, purpose) = (
            text(records, "record")?,
            text(ledger, "ledger")?,
            text(purpose, "purpose")?,
        );
        let at = as_type(at, &micros(), "at")?;
        self.add(
            records.as_string::<i32>(),
            ledger.as_string::<i32>(),
            purpose.as_string::<i32>(),
            at.as_primitive::<TimestampMicrosecondType>(),
        )
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [records, ledger, purpose, at] = states else {
            return Err(profile_err(format!(
                "state has 4 parts, not {}",
                states.len()
            )));
        };
        let lists = records.as_list::<i32>();
        let (ledger, purpose) = (ledger.as_string::<i32>(), purpose.as_string::<i32>());
        let at = at.as_primitive::<TimestampMicrosecondType>();
        for i in 0..lists.len() {
            same(
                &mut self.ledger,
                ledger.is_valid(i).then(|| ledger.value(i).to_owned()),
                "ledger",
            )?;
            same(
                &mut self.purpose,
                purpose.is_valid(i).then(|| purpose.value(i).to_owned()),
                "purpose",
            )?;
            same(&mut self.at, at.is_valid(i).then(|| at.value(i)), "at")?;
            if lists.is_valid(i) {
                let l = lists.value(i);
                let l = l.as_string::<i32>();
                for j in 0..l.len() {
                    if l.is_valid(j) {
                        self.records.push(l.value(j).to_owned());
                    }
                }
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let records: Vec<ScalarValue> = self
            .records
            .iter()
            .map(|r| ScalarValue::Utf8(Some(r.clone())))
            .collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&records, &DataType::Utf8)),
            ScalarValue::Utf8(self.ledger.clone()),
            ScalarValue::Utf8(self.purpose.clone()),
            ScalarValue::TimestampMicrosecond(self.at, None),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let (Some(ledger), Some(purpose), Some(at)) = (&self.ledger, &self.purpose, self.at) else {
            return Ok(ScalarValue::Utf8(None));
        };
        if self.records.is_empty() {
            return Ok(ScalarValue::Utf8(None));
        }
        let json =
            |what: &'static str, e: serde_json::Error| -> datafusion::error::DataFusionError {
                Error::Json {
                    function: UNIFIED_PROFILE,
                    what,
                    detail: e.to_string(),
                }
                .into()
            };
        let ledger: ConsentLedger =
            serde_json::from_str(ledger).map_err(|e| json("consent ledger", e))?;
        let purpose: Purpose = purpose
            .parse()
            .map_err(|e: custodia::Error| profile_err(e.to_string()))?;
        let at = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(at)
            .ok_or_else(|| profile_err(format!("time {at} µs is out of range")))?;
        let mut records: Vec<SourceRecord> = Vec::with_capacity(self.records.len());
        for r in &self.records {
            records.push(serde_json::from_str(r).map_err(|e| json("source record", e))?);
        }
        let Some(smallest) = records.iter().map(SourceRecord::id).min() else {
            return Ok(ScalarValue::Utf8(None));
        };
        let cluster = ClusterId::for_smallest_member(smallest);
        let profile =
            UnifiedProfile::derive(cluster, &records, &ledger, &self.policy, &purpose, at)
                .map_err(|e| profile_err(e.to_string()))?;
        let text = serde_json::to_string(&profile).map_err(|e| json("unified profile", e))?;
        Ok(ScalarValue::Utf8(Some(text)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.records.iter().map(String::capacity).sum::<usize>()
            + self.ledger.as_ref().map_or(0, String::capacity)
    }
}

/// The name of the comparison-pattern aggregate.
pub const PATTERN_COUNTS: &str = "custodia_pattern_counts";

fn pattern_fields() -> Fields {
    Fields::from(vec![
        Field::new(
            "levels",
            DataType::List(Arc::new(Field::new_list_field(DataType::UInt8, true))),
            false,
        ),
        Field::new("count", DataType::UInt64, false),
    ])
}

fn pattern_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(pattern_fields()),
        true,
    )))
}

/// `custodia_pattern_counts(levels)`: how many pairs show each comparison
/// pattern — the sufficient statistics of Fellegi–Sunter EM, which reads
/// pairs only through their patterns.
///
/// `levels` is a pair's comparison levels as `custodia_comparison_levels`
/// gives them. The result is a list of `{levels, count}` structs sorted by
/// pattern, one per distinct pattern; NULL inputs are not counted. States
/// are pattern → count maps and merge by adding counts, so partial
/// aggregation is exact. A state holds at most one entry per distinct
/// pattern (a few thousand in practice, however many pairs).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PatternCounts {
    signature: Signature,
}

/// Returns `custodia_pattern_counts` as an [`AggregateUDF`], ready to register.
pub fn pattern_counts_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(PatternCounts {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

impl AggregateUDFImpl for PatternCounts {
    fn name(&self) -> &str {
        PATTERN_COUNTS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(pattern_list_type())
    }

    fn accumulator(&self, _acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<PatternAccumulator>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[patterns]", args.name),
            pattern_list_type(),
            true,
        ))])
    }
}

#[derive(Debug, Default)]
struct PatternAccumulator {
    counts: std::collections::BTreeMap<Vec<u8>, u64>,
}

impl PatternAccumulator {
    fn add_patterns(
        &mut self,
        list: &datafusion::arrow::array::ListArray,
        counts: Option<&UInt64Array>,
    ) -> Result<()> {
        for i in 0..list.len() {
            if list.is_null(i) {
                continue;
            }
            let l = as_type(&list.value(i), &DataType::UInt8, "levels")?;
            let l = l.as_primitive::<UInt8Type>();
            let n = counts.map_or(1, |c| c.value(i));
            let c = self.counts.entry(l.values().to_vec()).or_insert(0);
            *c = c.checked_add(n).ok_or_else(|| Error::Argument {
                function: PATTERN_COUNTS,
                detail: "a pattern's count passed 2^64".to_owned(),
            })?;
        }
        Ok(())
    }

    fn to_scalar(&self) -> Result<ScalarValue> {
        let mut b = ListBuilder::new(StructBuilder::from_fields(pattern_fields(), 0));
        for (levels, count) in &self.counts {
            let s = b.values();
            let missing = || {
                datafusion::error::DataFusionError::Internal(
                    "pattern struct builder has two fields".to_owned(),
                )
            };
            let lb = s
                .field_builder::<ListBuilder<Box<dyn datafusion::arrow::array::ArrayBuilder>>>(0)
                .ok_or_else(missing)?;
            lb.values()
                .as_any_mut()
                .downcast_mut::<UInt8Builder>()
                .ok_or_else(missing)?
                .append_slice(levels);
            lb.append(true);
            s.field_builder::<UInt64Builder>(1)
                .ok_or_else(missing)?
                .append_value(*count);
            s.append(true);
        }
        b.append(true);
        Ok(ScalarValue::List(Arc::new(b.finish())))
    }
}

impl Accumulator for PatternAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [levels] = values else {
            return Err(arg_err(format!("takes 1 argument, not {}", values.len())));
        };
        let list = levels.as_list_opt::<i32>().ok_or_else(|| {
            datafusion::error::DataFusionError::from(Error::Argument {
                function: PATTERN_COUNTS,
                detail: format!("levels must be a list, not {}", levels.data_type()),
            })
        })?;
        self.add_patterns(list, None)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [lists] = states else {
            return Err(arg_err(format!("state has 1 part, not {}", states.len())));
        };
        let lists = lists.as_list::<i32>();
        for i in 0..lists.len() {
            if lists.is_null(i) {
                continue;
            }
            let entries = lists.value(i);
            let entries = entries.as_struct();
            let levels = entries.column(0).as_list::<i32>();
            let counts = entries.column(1).as_primitive::<UInt64Type>();
            self.add_patterns(levels, Some(counts))?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.to_scalar()?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.to_scalar()
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.counts.keys().map(|k| k.capacity() + 40).sum::<usize>()
    }
}
