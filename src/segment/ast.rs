//! The abstract syntax tree of segment expressions.
//!
//! Trees come from [`Segment::parse`](crate::segment::Segment::parse) or from
//! the [builder](crate::segment::builder). The leaf structs ([`Field`],
//! [`Comparison`], [`Aggregate`], [`SegmentName`]) are `#[non_exhaustive]`,
//! so programs read trees but make leaves only through those two doors;
//! [`Expr::And`] and [`Expr::Or`] made by them always have two or more
//! operands (compiling refuses fewer).
//!
//! Nodes remember where they came from in the text (for error carets), but
//! that position takes no part in equality: `parse(print(ast)) == ast`.
//!
//! ```
//! use custodia::segment::{Expr, Segment};
//!
//! let s = Segment::parse("a = 1 and (b = 2 or not c = 3)")?;
//! let Expr::And(operands) = s.expr() else { panic!("an and") };
//! assert_eq!(operands.len(), 2);
//! assert!(matches!(operands[1], Expr::Or(..)));
//! # Ok::<(), custodia::Error>(())
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::Span;
use crate::model::{FieldPath, Money};

/// A position in the expression text that never takes part in equality or
/// hashing, so that trees compare by meaning.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Loc(pub(crate) Option<Span>);

impl PartialEq for Loc {
    fn eq(&self, _: &Loc) -> bool {
        true
    }
}

/// A boolean expression: the body of a [`Segment`](crate::segment::Segment).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// True when every operand is true (two or more operands).
    And(Vec<Expr>),
    /// True when any operand is true (two or more operands).
    Or(Vec<Expr>),
    /// The negation of its operand.
    Not(Box<Expr>),
    /// `exists(path)`: true when the field holds at least one value.
    Exists(Field),
    /// `in_segment("name")`: the value of another, named segment.
    InSegment(SegmentName),
    /// `lhs op rhs`: a comparison.
    Compare(Box<Comparison>),
}

/// A reference to a named segment, as in `in_segment("vip")`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SegmentName {
    /// The name.
    pub name: String,
    pub(crate) loc: Loc,
}

/// A field path as written in an expression, such as `geographic.country`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Field {
    /// The path.
    pub path: FieldPath,
    pub(crate) loc: Loc,
}

/// A comparison `lhs op rhs`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Comparison {
    /// The left operand.
    pub lhs: Operand,
    /// The operator.
    pub op: CmpOp,
    /// The right operand ([`Operand::List`] exactly when `op` is [`CmpOp::In`]).
    pub rhs: Operand,
    pub(crate) loc: Loc,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `~=`: text equal ignoring case (Unicode lowercase).
    EqIgnoreCase,
    /// `contains`: the text contains the other text.
    Contains,
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
    /// `in`: equal to one of the listed literals.
    In,
}

impl CmpOp {
    /// Returns the operator as written in expressions.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::EqIgnoreCase => "~=",
            CmpOp::Contains => "contains",
            CmpOp::StartsWith => "starts_with",
            CmpOp::EndsWith => "ends_with",
            CmpOp::In => "in",
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Operand {
    /// A field of the profile (or, inside `where`, of the event).
    Field(Field),
    /// A literal value.
    Literal(Literal),
    /// `[a, b, …]`, the right side of `in`.
    List(Vec<Literal>),
    /// `now`, `now - 30d` or `now + 1d`: the evaluation time, shifted.
    Now(Shift),
    /// An aggregate over events, such as `count(purchase within 30d)`.
    Aggregate(Box<Aggregate>),
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number, `42` or `-3`.
    Int(i64),
    /// A number with a fraction or exponent, `0.75` or `1e-3`.
    Float(f64),
    /// A double-quoted string.
    Text(String),
    /// A calendar date, `2026-01-31`.
    Date(NaiveDate),
    /// An RFC 3339 instant, `2026-01-31T09:30:00Z`.
    Timestamp(DateTime<Utc>),
    /// An amount with its ISO 4217 currency, `100 EUR` or `19.99 USD`.
    Money(Money),
}

/// A length of time written `45s`, `15m`, `12h`, `30d` or `6w`, kept in
/// seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration {
    seconds: i64,
}

impl Duration {
    /// The longest duration an expression may hold: 100 000 days.
    pub const MAX_SECONDS: i64 = 100_000 * 86_400;

    /// Returns a duration of `seconds`, or `None` when it is negative or
    /// longer than [`Duration::MAX_SECONDS`].
    pub fn from_seconds(seconds: i64) -> Option<Duration> {
        (0..=Duration::MAX_SECONDS)
            .contains(&seconds)
            .then_some(Duration { seconds })
    }

    /// Returns the duration in seconds.
    pub fn seconds(self) -> i64 {
        self.seconds
    }

    pub(crate) fn to_delta(self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(self.seconds)
    }
}

impl fmt::Display for Duration {
    /// Writes the duration in the largest unit that divides it: `2w`, not `14d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(i64, char); 4] = [(604_800, 'w'), (86_400, 'd'), (3_600, 'h'), (60, 'm')];
        for (size, unit) in UNITS {
            if self.seconds != 0 && self.seconds % size == 0 {
                return write!(f, "{}{unit}", self.seconds / size);
            }
        }
        write!(f, "{}s", self.seconds)
    }
}

/// How `now` is shifted: `now`, `now - 30d`, `now + 1d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum Shift {
    /// `now` itself.
    #[default]
    None,
    /// `now - d`.
    Back(Duration),
    /// `now + d`.
    Ahead(Duration),
}

/// An aggregate function over events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AggFn {
    /// Number of matching events (never missing: `0` when there are none).
    Count,
    /// Sum of the field's values (`0` when there are none).
    Sum,
    /// Mean of the field's values.
    Avg,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Value of the earliest matching event.
    First,
    /// Value of the latest matching event.
    Last,
}

impl AggFn {
    /// Returns the function's name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::First => "first",
            AggFn::Last => "last",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<AggFn> {
        Some(match name {
            "count" => AggFn::Count,
            "sum" => AggFn::Sum,
            "avg" => AggFn::Avg,
            "min" => AggFn::Min,
            "max" => AggFn::Max,
            "first" => AggFn::First,
            "last" => AggFn::Last,
            _ => return None,
        })
    }
}

/// `fn(event[.field] [where filter] [within duration])`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Aggregate {
    /// The function.
    pub func: AggFn,
    /// The event name, such as `purchase`.
    pub event: String,
    /// `true` when the event is a custom event written as a quoted name
    /// (`count("Plan Upgraded")`): it may be any name the source sent, and
    /// the schema accepts it when its events are open. A bare name must be
    /// an event the schema declares, so that a typo is caught.
    pub custom: bool,
    /// The event field aggregated (`amount`); `None` exactly for `count`.
    pub field: Option<FieldPath>,
    /// A condition on the event's own fields.
    pub filter: Option<Expr>,
    /// Only events at or after `now - within` (and never after `now`).
    pub within: Option<Duration>,
    pub(crate) loc: Loc,
}

/// Returns whether `name` can be written as one bare word, as declared event
/// names are.
pub(crate) fn is_word(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Returns the nesting depth of `expr`, stopping once it passes `limit`.
///
/// `and`, `or`, `not` and an aggregate's `where` each add one level; a
/// comparison alone is level 0.
pub(crate) fn depth(expr: &Expr, limit: usize) -> usize {
    fn go(expr: &Expr, at: usize, limit: usize) -> usize {
        if at > limit {
            return at;
        }
        match expr {
            Expr::And(xs) | Expr::Or(xs) => xs
                .iter()
                .map(|x| go(x, at + 1, limit))
                .max()
                .unwrap_or(at + 1),
            Expr::Not(x) => go(x, at + 1, limit),
            Expr::Exists(_) | Expr::InSegment(_) => at,
            Expr::Compare(c) => [&c.lhs, &c.rhs]
                .into_iter()
                .map(|o| match o {
                    Operand::Aggregate(a) => a.filter.as_ref().map_or(at, |f| go(f, at + 1, limit)),
                    _ => at,
                })
                .max()
                .unwrap_or(at),
        }
    }
    go(expr, 0, limit)
}
