//! Scalar UDFs: custodia's per-row functions as DataFusion functions.
//!
//! | function | arguments | returns |
//! |---|---|---|
//! | `custodia_normalize_email` | text | Utf8: the folded address (provider rules applied), NULL when it is no address |
//! | `custodia_normalize_phone` | text [, default country] | Utf8: E.164, NULL when it is no phone number |
//! | `custodia_parse_date` | text [, `'day_first'` \| `'month_first'`] | Date32, NULL when it is no date |
//! | `custodia_normalize_name` | given, family | Struct `{given, family}` of folded names |
//! | `custodia_normalize_record` | source-record JSON [, normalisation-params JSON] | Struct `{id, source, record}`: the record's id and source, and the normalised record's JSON |
//! | `custodia_block_keys` | normalised-record JSON, match-model JSON [, blocking-params JSON] | List\<UInt64\>: the record's blocking-key hashes |
//! | `custodia_comparison_levels` | match-model JSON, normalised JSON a, normalised JSON b | List\<UInt8\>: one level per field, in `Field::ALL` order |
//! | `custodia_match_weight` | match-model JSON, normalised JSON a, normalised JSON b | Float64: the match weight in bits |
//! | `custodia_sentiment` | text [, `'en'` \| `'pt'`] | Float64: compound score in −1..=1 |
//! | `custodia_clv_p_alive` | BG/NBD JSON, frequency, recency, age | Float64 |
//! | `custodia_clv_expected_purchases` | BG/NBD JSON, frequency, recency, age, horizon | Float64 |
//! | `custodia_cluster_id` | record id | Utf8: the id of a cluster whose smallest member is that record |
//! | `custodia_clv` | CLV JSON (`{"transactions": BG/NBD, "spend": Gamma-Gamma}`), frequency, recency, age, monetary, horizon, discount rate | Float64 |
//!
//! Trained models and fitted parameters travel as their JSON (the shapes
//! custodia documents), usually as a literal: a literal is parsed once and
//! reused for every batch. A NULL in any row's input gives NULL for that row;
//! JSON that does not parse, or values custodia refuses (a recency past the
//! customer's age), stop the query with a
//! [`DataFusionError::Execution`](datafusion::error::DataFusionError::Execution)
//! naming the function and the problem: nothing is dropped silently.
//!
//! ```
//! use custodia_datafusion::register;
//! use datafusion::execution::FunctionRegistry;
//! use datafusion::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! let ctx = SessionContext::new();
//! register(&ctx);
//! let email = ctx.udf("custodia_normalize_email")?;
//! let df = ctx
//!     .read_empty()?
//!     .select(vec![email.call(vec![lit("Bill.Smith@GMAIL.com")]).alias("e")])?;
//! let batches = df.collect().await?;
//! let e = datafusion::arrow::array::AsArray::as_string::<i32>(batches[0].column(0));
//! assert_eq!(e.value(0), "billsmith@gmail.com");
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use custodia::clv::{
    BgNbd, Clv, ClvEstimator, DiscountRate, GammaGamma, Periods, RfmSummary, TransactionModel,
};
use custodia::identity::{
    normalize_email, normalize_phone, normalize_record, parse_date, Blocker, BlockingParams,
    ClusterId, DateOrder, MatchModel, Matcher, NormalizeParams, NormalizedName, NormalizedRecord,
    RuleBlocker,
};
use custodia::model::{RecordId, SourceRecord};
use custodia::sentiment::{LexiconScorer, SentimentScorer};
use datafusion::arrow::array::{
    Array, ArrayRef, Date32Builder, Float64Builder, ListBuilder, StringBuilder, StructArray,
    UInt64Builder, UInt8Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use crate::args::{float, int, text, JsonCache, JsonRows};
use crate::error::Error;

/// The scalar functions this crate provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Function {
    /// `custodia_normalize_email`.
    NormalizeEmail,
    /// `custodia_normalize_phone`.
    NormalizePhone,
    /// `custodia_parse_date`.
    ParseDate,
    /// `custodia_normalize_name`.
    NormalizeName,
    /// `custodia_normalize_record`.
    NormalizeRecord,
    /// `custodia_block_keys`.
    BlockKeys,
    /// `custodia_comparison_levels`.
    ComparisonLevels,
    /// `custodia_match_weight`.
    MatchWeight,
    /// `custodia_sentiment`.
    Sentiment,
    /// `custodia_clv_p_alive`.
    ClvProbabilityAlive,
    /// `custodia_clv_expected_purchases`.
    ClvExpectedPurchases,
    /// `custodia_clv`.
    Clv,
    /// `custodia_cluster_id`.
    ClusterId,
}

impl Function {
    /// Every function, in the order of the module table.
    pub const ALL: [Function; 13] = [
        Function::NormalizeEmail,
        Function::NormalizePhone,
        Function::ParseDate,
        Function::NormalizeName,
        Function::NormalizeRecord,
        Function::BlockKeys,
        Function::ComparisonLevels,
        Function::MatchWeight,
        Function::Sentiment,
        Function::ClvProbabilityAlive,
        Function::ClvExpectedPurchases,
        Function::Clv,
        Function::ClusterId,
    ];

    /// Returns the name the function is registered under.
    pub fn name(self) -> &'static str {
        match self {
            Function::NormalizeEmail => "custodia_normalize_email",
            Function::NormalizePhone => "custodia_normalize_phone",
            Function::ParseDate => "custodia_parse_date",
            Function::NormalizeName => "custodia_normalize_name",
            Function::NormalizeRecord => "custodia_normalize_record",
            Function::BlockKeys => "custodia_block_keys",
            Function::ComparisonLevels => "custodia_comparison_levels",
            Function::MatchWeight => "custodia_match_weight",
            Function::Sentiment => "custodia_sentiment",
            Function::ClvProbabilityAlive => "custodia_clv_p_alive",
            Function::ClvExpectedPurchases => "custodia_clv_expected_purchases",
            Function::Clv => "custodia_clv",
            Function::ClusterId => "custodia_cluster_id",
        }
    }

    /// The accepted argument counts (types are cast when the function runs).
    fn arities(self) -> &'static [usize] {
        match self {
            Function::NormalizeEmail | Function::ClusterId => &[1],
            Function::NormalizePhone | Function::ParseDate | Function::Sentiment => &[1, 2],
            Function::NormalizeName => &[2],
            Function::NormalizeRecord => &[1, 2],
            Function::BlockKeys => &[2, 3],
            Function::ComparisonLevels | Function::MatchWeight => &[3],
            Function::ClvProbabilityAlive => &[4],
            Function::ClvExpectedPurchases => &[5],
            Function::Clv => &[7],
        }
    }

    fn return_type(self) -> DataType {
        match self {
            Function::NormalizeEmail | Function::NormalizePhone | Function::ClusterId => {
                DataType::Utf8
            }
            Function::NormalizeRecord => DataType::Struct(record_fields()),
            Function::ParseDate => DataType::Date32,
            Function::NormalizeName => DataType::Struct(name_fields()),
            Function::BlockKeys => {
                DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, true)))
            }
            Function::ComparisonLevels => {
                DataType::List(Arc::new(Field::new_list_field(DataType::UInt8, true)))
            }
            Function::MatchWeight
            | Function::Sentiment
            | Function::ClvProbabilityAlive
            | Function::ClvExpectedPurchases
            | Function::Clv => DataType::Float64,
        }
    }
}

fn name_fields() -> Fields {
    Fields::from(vec![
        Field::new("given", DataType::Utf8, true),
        Field::new("family", DataType::Utf8, true),
    ])
}

fn record_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("record", DataType::Utf8, false),
    ])
}

/// A model and blocking parameters, and the blocker built from them.
type BlockerEntry = (Arc<MatchModel>, Arc<BlockingParams>, Arc<RuleBlocker>);

/// The parsed JSON arguments, kept between batches.
#[derive(Debug, Default)]
struct Caches {
    normalize: JsonCache<NormalizeParams>,
    blocking: JsonCache<BlockingParams>,
    model: JsonCache<MatchModel>,
    blocker: std::sync::Mutex<Option<BlockerEntry>>,
    bg_nbd: JsonCache<BgNbd>,
    clv: JsonCache<Clv<BgNbd, GammaGamma>>,
}

/// One of custodia's scalar functions as a DataFusion [`ScalarUDFImpl`].
///
/// Make the [`ScalarUDF`] with [`udf`]; [`register`](crate::register) adds
/// them all to a session.
#[derive(Debug)]
pub struct CustodiaUdf {
    function: Function,
    signature: Signature,
    caches: Caches,
}

impl PartialEq for CustodiaUdf {
    fn eq(&self, other: &CustodiaUdf) -> bool {
        self.function == other.function
    }
}

impl Eq for CustodiaUdf {}

impl Hash for CustodiaUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.function.hash(state);
    }
}

impl CustodiaUdf {
    /// Returns the implementation of `function`.
    pub fn new(function: Function) -> CustodiaUdf {
        let shapes = function
            .arities()
            .iter()
            .map(|n| TypeSignature::Any(*n))
            .collect();
        CustodiaUdf {
            function,
            signature: Signature::one_of(shapes, Volatility::Immutable),
            caches: Caches::default(),
        }
    }
}

/// Returns `function` as a [`ScalarUDF`], ready to register.
pub fn udf(function: Function) -> ScalarUDF {
    ScalarUDF::new_from_impl(CustodiaUdf::new(function))
}

impl ScalarUDFImpl for CustodiaUdf {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.function.return_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let out = self.invoke(&args.args, rows)?;
        if all_scalar && out.len() == 1 {
            return Ok(ColumnarValue::Scalar(
                datafusion::scalar::ScalarValue::try_from_array(&out, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// Reads a normalised record's JSON.
fn normalized(function: &'static str, json: &str) -> Result<NormalizedRecord> {
    serde_json::from_str(json).map_err(|e| {
        Error::Json {
            function,
            what: "normalised record",
            detail: e.to_string(),
        }
        .into()
    })
}

fn custodia_err(function: &'static str, e: custodia::Error) -> datafusion::error::DataFusionError {
    Error::Argument {
        function,
        detail: e.to_string(),
    }
    .into()
}

fn scorer(language: &str) -> Option<&'static LexiconScorer> {
    static EN: OnceLock<Option<LexiconScorer>> = OnceLock::new();
    static PT: OnceLock<Option<LexiconScorer>> = OnceLock::new();
    match language {
        "en" => EN.get_or_init(|| LexiconScorer::english().ok()).as_ref(),
        "pt" => PT.get_or_init(|| LexiconScorer::portuguese().ok()).as_ref(),
        _ => None,
    }
}

impl CustodiaUdf {
    /// The blocker of a model and blocking parameters, built once per pair.
    fn blocker(&self, model: Arc<MatchModel>, params: Arc<BlockingParams>) -> Arc<RuleBlocker> {
        let mut last = self
            .caches
            .blocker
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((m, p, b)) = last.as_ref() {
            if Arc::ptr_eq(m, &model) && Arc::ptr_eq(p, &params) {
                return Arc::clone(b);
            }
        }
        let b = Arc::new(RuleBlocker::new(&params, model.generic().clone()));
        *last = Some((model, params, Arc::clone(&b)));
        b
    }

    fn invoke(&self, args: &[ColumnarValue], rows: usize) -> Result<ArrayRef> {
        let f = self.function;
        let name = f.name();
        let rows = if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
            1
        } else {
            rows
        };
        Ok(match f {
            Function::NormalizeEmail => {
                let t = text(name, args, 0, rows)?;
                let mut b = StringBuilder::with_capacity(rows, rows * 16);
                for i in 0..rows {
                    b.append_option(t.get(i).and_then(normalize_email));
                }
                Arc::new(b.finish())
            }
            Function::NormalizePhone => {
                let t = text(name, args, 0, rows)?;
                let country = if args.len() > 1 {
                    Some(text(name, args, 1, rows)?)
                } else {
                    None
                };
                let mut b = StringBuilder::with_capacity(rows, rows * 12);
                for i in 0..rows {
                    let c = match &country {
                        Some(c) => c.get(i),
                        None => Some("US"),
                    };
                    b.append_option(match (t.get(i), c) {
                        (Some(p), Some(c)) => normalize_phone(p, c),
                        _ => None,
                    });
                }
                Arc::new(b.finish())
            }
            Function::ParseDate => {
                let t = text(name, args, 0, rows)?;
                let order = if args.len() > 1 {
                    Some(text(name, args, 1, rows)?)
                } else {
                    None
                };
                let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1);
                let mut b = Date32Builder::with_capacity(rows);
                for i in 0..rows {
                    let order = match &order {
                        None => Some(DateOrder::DayFirst),
                        Some(o) => match o.get(i) {
                            None => None,
                            Some("day_first") => Some(DateOrder::DayFirst),
                            Some("month_first") => Some(DateOrder::MonthFirst),
                            Some(other) => {
                                return Err(Error::Argument {
                                    function: name,
                                    detail: format!(
                                        "date order {other:?} is neither \"day_first\" nor \"month_first\""
                                    ),
                                }
                                .into())
                            }
                        },
                    };
                    let day = match (t.get(i), order, epoch) {
                        (Some(s), Some(o), Some(epoch)) => parse_date(s, o)
                            .and_then(|d| i32::try_from((d - epoch).num_days()).ok()),
                        _ => None,
                    };
                    b.append_option(day);
                }
                Arc::new(b.finish())
            }
            Function::NormalizeName => {
                let (g, fam) = (text(name, args, 0, rows)?, text(name, args, 1, rows)?);
                let (mut gb, mut fb) = (StringBuilder::new(), StringBuilder::new());
                let mut valid = Vec::with_capacity(rows);
                for i in 0..rows {
                    let (gi, fi) = (g.get(i), fam.get(i));
                    if gi.is_none() && fi.is_none() {
                        gb.append_null();
                        fb.append_null();
                        valid.push(false);
                        continue;
                    }
                    let n = NormalizedName::from_parts(gi, fi);
                    gb.append_option(n.given());
                    fb.append_option(n.family());
                    valid.push(true);
                }
                let cols: Vec<ArrayRef> = vec![Arc::new(gb.finish()), Arc::new(fb.finish())];
                Arc::new(StructArray::try_new(
                    name_fields(),
                    cols,
                    Some(valid.into()),
                )?)
            }
            Function::NormalizeRecord => {
                let t = text(name, args, 0, rows)?;
                let params = if args.len() > 1 {
                    Some(text(name, args, 1, rows)?)
                } else {
                    None
                };
                let default = Arc::new(NormalizeParams::default());
                let normalize_rows =
                    JsonRows::new(&self.caches.normalize, name, "normalisation parameters");
                let mut ids = StringBuilder::with_capacity(rows, rows * 12);
                let mut sources = StringBuilder::with_capacity(rows, rows * 8);
                let mut out = StringBuilder::with_capacity(rows, rows * 200);
                let mut valid = Vec::with_capacity(rows);
                for i in 0..rows {
                    let p = match &params {
                        None => Some(Arc::clone(&default)),
                        Some(p) => match p.get(i) {
                            None => None,
                            Some(j) => Some(normalize_rows.get(j)?),
                        },
                    };
                    let (Some(json), Some(p)) = (t.get(i), p) else {
                        ids.append_value("");
                        sources.append_value("");
                        out.append_value("");
                        valid.push(false);
                        continue;
                    };
                    let record: SourceRecord =
                        serde_json::from_str(json).map_err(|e| Error::Json {
                            function: name,
                            what: "source record",
                            detail: e.to_string(),
                        })?;
                    let n = normalize_record(&record, &p);
                    let text = serde_json::to_string(&n).map_err(|e| Error::Json {
                        function: name,
                        what: "normalised record",
                        detail: e.to_string(),
                    })?;
                    ids.append_value(n.id().as_str());
                    sources.append_value(n.source().as_str());
                    out.append_value(text);
                    valid.push(true);
                }
                let cols: Vec<ArrayRef> = vec![
                    Arc::new(ids.finish()),
                    Arc::new(sources.finish()),
                    Arc::new(out.finish()),
                ];
                Arc::new(StructArray::try_new(
                    record_fields(),
                    cols,
                    Some(valid.into()),
                )?)
            }
            Function::BlockKeys => {
                let records = text(name, args, 0, rows)?;
                let models = text(name, args, 1, rows)?;
                let params = if args.len() > 2 {
                    Some(text(name, args, 2, rows)?)
                } else {
                    None
                };
                let default = Arc::new(BlockingParams::default());
                let blocking_rows =
                    JsonRows::new(&self.caches.blocking, name, "blocking parameters");
                let model_rows = JsonRows::new(&self.caches.model, name, "match model");
                let mut b = ListBuilder::new(UInt64Builder::new());
                let mut hashes = Vec::new();
                for i in 0..rows {
                    let p = match &params {
                        None => Some(Arc::clone(&default)),
                        Some(p) => match p.get(i) {
                            None => None,
                            Some(j) => Some(blocking_rows.get(j)?),
                        },
                    };
                    let (Some(r), Some(m), Some(p)) = (records.get(i), models.get(i), p) else {
                        b.append_null();
                        continue;
                    };
                    let model = model_rows.get(m)?;
                    let blocker = self.blocker(model, p);
                    let record = normalized(name, r)?;
                    hashes.clear();
                    blocker.key_hashes(&record, &mut hashes);
                    b.values().append_slice(&hashes);
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            Function::ComparisonLevels | Function::MatchWeight => {
                let models = text(name, args, 0, rows)?;
                let (xs, ys) = (text(name, args, 1, rows)?, text(name, args, 2, rows)?);
                let model_rows = JsonRows::new(&self.caches.model, name, "match model");
                let mut levels = ListBuilder::new(UInt8Builder::new());
                let mut weights = Float64Builder::with_capacity(rows);
                // A record of many pairs in one batch (the joins that make
                // pairs put them together) is read once.
                let mut read: HashMap<&str, Arc<NormalizedRecord>> = HashMap::new();
                let mut record = |text| -> Result<Arc<NormalizedRecord>> {
                    if let Some(r) = read.get(text) {
                        return Ok(Arc::clone(r));
                    }
                    if read.len() >= 4096 {
                        read.clear();
                    }
                    let r = Arc::new(normalized(name, text)?);
                    read.insert(text, Arc::clone(&r));
                    Ok(r)
                };
                for i in 0..rows {
                    let (Some(m), Some(x), Some(y)) = (models.get(i), xs.get(i), ys.get(i)) else {
                        levels.append_null();
                        weights.append_null();
                        continue;
                    };
                    let model = model_rows.get(m)?;
                    let (x, y) = (record(x)?, record(y)?);
                    if f == Function::MatchWeight {
                        weights.append_value(model.score(&x, &y).weight());
                    } else {
                        // Levels are read in record-id order, as scoring does.
                        let (x, y) = if y.id() < x.id() { (&y, &x) } else { (&x, &y) };
                        levels
                            .values()
                            .append_slice(&model.levels(x.as_ref(), y.as_ref()));
                        levels.append(true);
                    }
                }
                if f == Function::MatchWeight {
                    Arc::new(weights.finish())
                } else {
                    Arc::new(levels.finish())
                }
            }
            Function::Sentiment => {
                let t = text(name, args, 0, rows)?;
                let lang = if args.len() > 1 {
                    Some(text(name, args, 1, rows)?)
                } else {
                    None
                };
                let mut b = Float64Builder::with_capacity(rows);
                for i in 0..rows {
                    let l = match &lang {
                        None => Some("en"),
                        Some(l) => l.get(i),
                    };
                    let (Some(s), Some(l)) = (t.get(i), l) else {
                        b.append_null();
                        continue;
                    };
                    let sc = scorer(l).ok_or_else(|| Error::Argument {
                        function: name,
                        detail: format!("language {l:?} has no bundled lexicon (\"en\" or \"pt\")"),
                    })?;
                    b.append_value(sc.score(s).compound());
                }
                Arc::new(b.finish())
            }
            Function::ClvProbabilityAlive | Function::ClvExpectedPurchases | Function::Clv => {
                self.clv(args, rows)?
            }
            Function::ClusterId => {
                let t = text(name, args, 0, rows)?;
                let mut b = StringBuilder::with_capacity(rows, rows * 36);
                for i in 0..rows {
                    let Some(id) = t.get(i) else {
                        b.append_null();
                        continue;
                    };
                    let id = RecordId::new(id).map_err(|e| custodia_err(name, e))?;
                    b.append_value(ClusterId::for_smallest_member(&id).to_string());
                }
                Arc::new(b.finish())
            }
        })
    }

    fn clv(&self, args: &[ColumnarValue], rows: usize) -> Result<ArrayRef> {
        let f = self.function;
        let name = f.name();
        let models = text(name, args, 0, rows)?;
        let bg_rows = JsonRows::new(&self.caches.bg_nbd, name, "BG/NBD model");
        let clv_rows = JsonRows::new(&self.caches.clv, name, "CLV model");
        let freq = int(name, args, 1, rows)?;
        let (rec, age) = (float(name, args, 2, rows)?, float(name, args, 3, rows)?);
        let (monetary, horizon, discount) = match f {
            Function::ClvProbabilityAlive => (None, None, None),
            Function::ClvExpectedPurchases => (None, Some(float(name, args, 4, rows)?), None),
            _ => (
                Some(float(name, args, 4, rows)?),
                Some(float(name, args, 5, rows)?),
                Some(float(name, args, 6, rows)?),
            ),
        };
        let opt = |a: &Option<datafusion::arrow::array::Float64Array>, i: usize| match a {
            None => Some(None),
            Some(a) => a.is_valid(i).then(|| Some(a.value(i))),
        };
        let mut b = Float64Builder::with_capacity(rows);
        for i in 0..rows {
            let row = (
                models.get(i),
                freq.is_valid(i).then(|| freq.value(i)),
                rec.is_valid(i).then(|| rec.value(i)),
                age.is_valid(i).then(|| age.value(i)),
                opt(&monetary, i),
                opt(&horizon, i),
                opt(&discount, i),
            );
            let (Some(m), Some(x), Some(t_x), Some(t), Some(mon), Some(h), Some(d)) = row else {
                b.append_null();
                continue;
            };
            let x = u32::try_from(x).map_err(|_| Error::Argument {
                function: name,
                detail: format!("frequency {x} is not a count (0..=4294967295)"),
            })?;
            let mut c = RfmSummary::new(x, t_x, t).map_err(|e| custodia_err(name, e))?;
            if let Some(m) = mon {
                c = c.with_monetary(m).map_err(|e| custodia_err(name, e))?;
            }
            let h = h
                .map(|h| Periods::new(h).map_err(|e| custodia_err(name, e)))
                .transpose()?;
            let v = match (f, h) {
                (Function::ClvProbabilityAlive, _) => {
                    let model = bg_rows.get(m)?;
                    model.probability_alive(&c).value()
                }
                (Function::ClvExpectedPurchases, Some(h)) => {
                    let model = bg_rows.get(m)?;
                    model.conditional_expected_purchases(&c, h)
                }
                (_, Some(h)) => {
                    let model = clv_rows.get(m)?;
                    let d =
                        DiscountRate::new(d.unwrap_or(0.0)).map_err(|e| custodia_err(name, e))?;
                    model.clv(&c, h, d)
                }
                (_, None) => {
                    return Err(Error::Argument {
                        function: name,
                        detail: "horizon is missing".to_owned(),
                    }
                    .into())
                }
            };
            b.append_value(v);
        }
        Ok(Arc::new(b.finish()))
    }
}
