//! Segment expressions compiled to DataFusion expressions.
//!
//! [`SegmentFilter`] turns a custodia [`Segment`] over a table's columns
//! into a DataFusion [`Expr`]. Used as a filter on a Parquet scan, its
//! comparisons become the scan's pruning predicate: row groups and pages
//! whose statistics rule them out are skipped.
//!
//! Field paths name columns: `country` reads column `country`, and
//! `geographic.country` reads a column named `geographic.country` (dots
//! included) unless [`SegmentFilter::column`] maps it elsewhere. Each column
//! holds one value per row. The segment is type-checked against the table's
//! schema first ([`schema_of`]), with custodia's own messages.
//!
//! | custodia | DataFusion |
//! |---|---|
//! | `and`, `or`, `not` (Kleene logic) | `AND`, `OR`, `NOT` (SQL's three-valued logic: the same) |
//! | `x op y` on a missing value (NULL) | NULL, so the row does not match |
//! | `=`, `!=`, `<`, `<=`, `>`, `>=`, `in [..]` | the same operators, `x = a OR x = b` for `in` |
//! | `~=` | `lower(x) = lower(y)` |
//! | `contains`, `starts_with`, `ends_with` with a text literal | `LIKE '%…%'`, `LIKE '…%'`, `LIKE '%…'`, wildcards escaped |
//! | `exists(x)` | `x IS NOT NULL` |
//! | `now`, `now - 30d` | a UTC timestamp literal, from the `now` given |
//!
//! Event aggregates (`count(purchase within 30d)`), `in_segment` and money
//! literals have no column counterpart and are refused with
//! [`Error::Unsupported`]; compute such values into columns first.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::segment::Segment;
//! use custodia_datafusion::segment::SegmentFilter;
//! use datafusion::arrow::datatypes::{DataType, Field, Schema};
//!
//! let schema = Schema::new(vec![
//!     Field::new("country", DataType::Utf8, true),
//!     Field::new("orders", DataType::Int64, true),
//! ]);
//! let segment = Segment::parse(r#"country in ["DE", "AT"] and orders >= 3"#)?;
//! let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let expr = SegmentFilter::new(&segment).to_expr(&schema, now)?;
//! assert_eq!(
//!     expr.to_string(),
//!     "(country = Utf8(\"DE\") OR country = Utf8(\"AT\")) AND orders >= Int64(3)"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use custodia::model::{Cardinality, FieldPath, FieldType, Schema as ProfileSchema};
use custodia::segment::ast::{Comparison, Field as FieldRef};
use custodia::segment::{CmpOp, Expr as SegExpr, Literal, Operand, Segment, Shift};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::{Column, ScalarValue};
use datafusion::functions::string::expr_fn::{ends_with, lower, starts_with};
use datafusion::logical_expr::{lit, Expr};

use crate::error::{Error, Result};

/// Returns the custodia schema of an Arrow schema: each column whose name
/// is a valid field path and whose type custodia knows becomes a field of
/// one value (integers → `int`, floats and decimals → `float`, text →
/// `text`, booleans → `bool`, dates → `date`, timestamps → `timestamp`).
/// Other columns are left out, so a segment naming them fails to compile.
///
/// # Errors
///
/// [`Error::Custodia`] when building the schema fails.
pub fn schema_of(schema: &Schema) -> Result<ProfileSchema> {
    let mut b = ProfileSchema::builder();
    for f in schema.fields() {
        let Some(ty) = field_type(f.data_type()) else {
            continue;
        };
        if FieldPath::new(f.name()).is_err() {
            continue;
        }
        b = b.field(f.name(), ty, Cardinality::One, "a column")?;
    }
    Ok(b.build())
}

fn field_type(t: &DataType) -> Option<FieldType> {
    Some(match t {
        DataType::Boolean => FieldType::Bool,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => FieldType::Int,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => FieldType::Float,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => FieldType::Text,
        DataType::Date32 | DataType::Date64 => FieldType::Date,
        DataType::Timestamp(_, _) => FieldType::Timestamp,
        DataType::Dictionary(_, v) => return field_type(v),
        _ => return None,
    })
}

/// A segment to compile into a DataFusion filter; see the
/// [module documentation](self).
#[derive(Clone, Debug)]
pub struct SegmentFilter<'s> {
    segment: &'s Segment,
    columns: HashMap<String, String>,
}

impl<'s> SegmentFilter<'s> {
    /// Returns a filter of `segment` whose paths name columns as they are.
    pub fn new(segment: &'s Segment) -> SegmentFilter<'s> {
        SegmentFilter {
            segment,
            columns: HashMap::new(),
        }
    }

    /// Reads field `path` from column `column`.
    #[must_use]
    pub fn column(mut self, path: &str, column: &str) -> SegmentFilter<'s> {
        self.columns.insert(path.to_owned(), column.to_owned());
        self
    }

    /// Returns the segment as an expression over a table with `schema`, at
    /// `now` (what `now` in the segment means).
    ///
    /// # Errors
    ///
    /// [`Error::Custodia`] when the segment does not type-check against the
    /// columns (an unknown column, text compared with a number);
    /// [`Error::Unsupported`] for event aggregates, `in_segment` and money
    /// literals.
    pub fn to_expr(&self, schema: &Schema, now: DateTime<Utc>) -> Result<Expr> {
        // Check against the columns the paths are mapped to, under the
        // paths' own names.
        let mut fields = Vec::new();
        for f in schema.fields() {
            let mapped = self.columns.iter().find(|(_, c)| *c == f.name());
            let path = match mapped {
                Some((p, _)) => p.as_str(),
                // A path mapped to another column hides this one.
                None if self.columns.contains_key(f.name()) => continue,
                None => f.name().as_str(),
            };
            fields.push(f.as_ref().clone().with_name(path));
        }
        let checked = schema_of(&Schema::new(fields))?;
        self.segment.compile(&checked)?;
        self.expr(self.segment.expr(), now)
    }

    fn column_of(&self, f: &FieldRef) -> Expr {
        let path = f.path.as_str();
        let name = self.columns.get(path).map_or(path, String::as_str);
        Expr::Column(Column::new_unqualified(name))
    }

    fn expr(&self, e: &SegExpr, now: DateTime<Utc>) -> Result<Expr> {
        Ok(match e {
            SegExpr::And(xs) => self.fold(xs, now, Expr::and)?,
            SegExpr::Or(xs) => self.fold(xs, now, Expr::or)?,
            SegExpr::Not(x) => Expr::Not(Box::new(self.expr(x, now)?)),
            SegExpr::Exists(f) => self.column_of(f).is_not_null(),
            SegExpr::InSegment(s) => {
                return Err(Error::Unsupported(format!(
                    "in_segment({:?}) refers to another segment; compile that one and combine the filters",
                    s.name
                )))
            }
            SegExpr::Compare(c) => self.compare(c, now)?,
            other => {
                return Err(Error::Unsupported(format!(
                    "the construct {other:?} is not known to this crate"
                )))
            }
        })
    }

    fn fold(
        &self,
        xs: &[SegExpr],
        now: DateTime<Utc>,
        join: fn(Expr, Expr) -> Expr,
    ) -> Result<Expr> {
        let mut out: Option<Expr> = None;
        for x in xs {
            let e = self.expr(x, now)?;
            out = Some(match out {
                None => e,
                Some(acc) => join(acc, e),
            });
        }
        out.ok_or_else(|| Error::Unsupported("an empty `and` or `or`".to_owned()))
    }

    fn operand(&self, o: &Operand, now: DateTime<Utc>) -> Result<Expr> {
        Ok(match o {
            Operand::Field(f) => self.column_of(f),
            Operand::Literal(l) => literal(l)?,
            Operand::Now(shift) => {
                let at = match shift {
                    Shift::Back(d) => now.checked_sub_signed(chrono::TimeDelta::seconds(d.seconds())),
                    Shift::Ahead(d) => now.checked_add_signed(chrono::TimeDelta::seconds(d.seconds())),
                    _ => Some(now),
                }
                .ok_or_else(|| Error::Unsupported(format!("now {shift:?} is out of range")))?;
                lit(ScalarValue::TimestampMicrosecond(
                    Some(at.timestamp_micros()),
                    Some("UTC".into()),
                ))
            }
            Operand::List(_) => {
                return Err(Error::Unsupported(
                    "a list stands only after `in`".to_owned(),
                ))
            }
            Operand::Aggregate(a) => {
                return Err(Error::Unsupported(format!(
                    "the event aggregate {}({}) reads events, not columns; compute it into a column first",
                    a.func.as_str(),
                    a.event
                )))
            }
            other => {
                return Err(Error::Unsupported(format!(
                    "the operand {other:?} is not known to this crate"
                )))
            }
        })
    }

    fn compare(&self, c: &Comparison, now: DateTime<Utc>) -> Result<Expr> {
        let lhs = self.operand(&c.lhs, now)?;
        if c.op == CmpOp::In {
            let Operand::List(items) = &c.rhs else {
                return Err(Error::Unsupported("`in` needs a list".to_owned()));
            };
            let mut out: Option<Expr> = None;
            for item in items {
                let e = lhs.clone().eq(literal(item)?);
                out = Some(match out {
                    None => e,
                    Some(acc) => acc.or(e),
                });
            }
            // `x in []` is false for a present value and unknown for a
            // missing one, as custodia has it.
            return Ok(out.unwrap_or_else(|| {
                Expr::Case(datafusion::logical_expr::Case::new(
                    None,
                    vec![(
                        Box::new(lhs.is_null()),
                        Box::new(lit(ScalarValue::Boolean(None))),
                    )],
                    Some(Box::new(lit(false))),
                ))
            }));
        }
        let text_literal = match &c.rhs {
            Operand::Literal(Literal::Text(t)) => Some(t.as_str()),
            _ => None,
        };
        let rhs = self.operand(&c.rhs, now)?;
        Ok(match (c.op, text_literal) {
            (CmpOp::Eq, _) => lhs.eq(rhs),
            (CmpOp::Ne, _) => lhs.not_eq(rhs),
            (CmpOp::Lt, _) => lhs.lt(rhs),
            (CmpOp::Le, _) => lhs.lt_eq(rhs),
            (CmpOp::Gt, _) => lhs.gt(rhs),
            (CmpOp::Ge, _) => lhs.gt_eq(rhs),
            (CmpOp::EqIgnoreCase, _) => lower(lhs).eq(lower(rhs)),
            (CmpOp::Contains, Some(t)) => like(lhs, format!("%{}%", escape(t))),
            (CmpOp::StartsWith, Some(t)) => like(lhs, format!("{}%", escape(t))),
            (CmpOp::EndsWith, Some(t)) => like(lhs, format!("%{}", escape(t))),
            (CmpOp::Contains, None) => datafusion::functions::expr_fn::strpos(lhs, rhs).gt(lit(0)),
            (CmpOp::StartsWith, None) => starts_with(lhs, rhs),
            (CmpOp::EndsWith, None) => ends_with(lhs, rhs),
            (op, _) => {
                return Err(Error::Unsupported(format!(
                    "the operator {op} is not known to this crate"
                )))
            }
        })
    }
}

/// Escapes LIKE's wildcards and its escape character.
fn escape(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn like(lhs: Expr, pattern: String) -> Expr {
    Expr::Like(datafusion::logical_expr::Like::new(
        false,
        Box::new(lhs),
        Box::new(lit(pattern)),
        Some('\\'),
        false,
    ))
}

fn literal(l: &Literal) -> Result<Expr> {
    Ok(match l {
        Literal::Bool(b) => lit(*b),
        Literal::Int(i) => lit(*i),
        Literal::Float(f) => lit(*f),
        Literal::Text(t) => lit(t.as_str()),
        Literal::Date(d) => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
                .ok_or_else(|| Error::Unsupported("no epoch".to_owned()))?;
            let days = i32::try_from((*d - epoch).num_days())
                .map_err(|_| Error::Unsupported(format!("date {d} is out of range")))?;
            lit(ScalarValue::Date32(Some(days)))
        }
        Literal::Timestamp(t) => lit(ScalarValue::TimestampMicrosecond(
            Some(t.timestamp_micros()),
            Some("UTC".into()),
        )),
        Literal::Money(m) => {
            return Err(Error::Unsupported(format!(
                "the money literal {m} has no column type; compare minor units in an integer column"
            )))
        }
        other => {
            return Err(Error::Unsupported(format!(
                "the literal {other:?} is not known to this crate"
            )))
        }
    })
}
