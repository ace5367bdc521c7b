//! Building expressions in code, with the same trees the parser makes.
//!
//! ```
//! use custodia::segment::builder::{all, count, field, now_minus};
//! use custodia::segment::{Duration, Segment};
//!
//! let built = all([
//!     field("geographic.country")?.eq("DE"),
//!     count("purchase").within(Duration::days(30)?).ge(3),
//!     field("record.observed_at")?.ge(now_minus(Duration::weeks(2)?)),
//! ])?;
//! let parsed = Segment::parse(
//!     r#"geographic.country = "DE" and count(purchase within 30d) >= 3
//!        and record.observed_at >= now - 2w"#,
//! )?;
//! assert_eq!(&built, parsed.expr());
//! assert_eq!(Segment::parse(&built.to_string())?.expr(), &built);
//! # Ok::<(), custodia::Error>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{FieldPath, Money};
use crate::segment::ast::{
    AggFn, Aggregate, CmpOp, Comparison, Duration, Expr, Field, Literal, Loc, Operand, SegmentName,
    Shift,
};

/// One side of a comparison, built in code: a field, a literal, `now ± d` or
/// an aggregate.
#[derive(Clone, Debug, PartialEq)]
pub struct Term(Operand);

/// Returns the field at `path` as a term.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when `path` is not a valid [`FieldPath`].
pub fn field(path: &str) -> Result<Term> {
    Ok(Term(Operand::Field(Field {
        path: FieldPath::new(path)?,
        loc: Loc::default(),
    })))
}

/// Returns `now`.
pub fn now() -> Term {
    Term(Operand::Now(Shift::None))
}

/// Returns `now - d`.
pub fn now_minus(d: Duration) -> Term {
    Term(Operand::Now(Shift::Back(d)))
}

/// Returns `now + d`.
pub fn now_plus(d: Duration) -> Term {
    Term(Operand::Now(Shift::Ahead(d)))
}

/// Returns `exists(path)`.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when `path` is not a valid [`FieldPath`].
pub fn exists(path: &str) -> Result<Expr> {
    Ok(Expr::Exists(Field {
        path: FieldPath::new(path)?,
        loc: Loc::default(),
    }))
}

/// Returns `in_segment("name")`.
pub fn in_segment(name: &str) -> Expr {
    Expr::InSegment(SegmentName {
        name: name.to_owned(),
        loc: Loc::default(),
    })
}

fn combine(
    xs: impl IntoIterator<Item = Expr>,
    word: &str,
    make: fn(Vec<Expr>) -> Expr,
) -> Result<Expr> {
    let mut xs: Vec<Expr> = xs.into_iter().collect();
    match xs.len() {
        0 => Err(Error::new(
            ErrorKind::InvalidInput,
            format_args!("{word} needs at least one operand, found none"),
        )),
        1 => Ok(xs.remove(0)),
        _ => Ok(make(xs)),
    }
}

/// Returns `a and b and …`; a single operand is returned as it is.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when there is no operand.
pub fn all(xs: impl IntoIterator<Item = Expr>) -> Result<Expr> {
    combine(xs, "and", Expr::And)
}

/// Returns `a or b or …`; a single operand is returned as it is.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when there is no operand.
pub fn any(xs: impl IntoIterator<Item = Expr>) -> Result<Expr> {
    combine(xs, "or", Expr::Or)
}

/// Returns `not x`.
pub fn not(x: Expr) -> Expr {
    Expr::Not(Box::new(x))
}

/// Starts `count(event …)`.
///
/// A name that cannot be written as one bare word (`"Plan Upgraded"`) is a
/// custom event, as if quoted in the text.
pub fn count(event: &str) -> AggregateBuilder {
    AggregateBuilder(Aggregate {
        func: AggFn::Count,
        event: event.to_owned(),
        custom: !crate::segment::ast::is_word(event),
        field: None,
        filter: None,
        within: None,
        loc: Loc::default(),
    })
}

/// Starts `func(event.field …)` for every function but `count`.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when `func` is [`AggFn::Count`] (use
/// [`count`]) or `field` is not a valid [`FieldPath`].
pub fn aggregate(func: AggFn, event: &str, field: &str) -> Result<AggregateBuilder> {
    if func == AggFn::Count {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "count takes an event, not a field: use builder::count",
        ));
    }
    if !crate::segment::ast::is_word(event) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format_args!("{} needs an event field, and the custom event {event:?} has none: use builder::count", func.as_str()),
        ));
    }
    Ok(AggregateBuilder(Aggregate {
        func,
        event: event.to_owned(),
        custom: false,
        field: Some(FieldPath::new(field)?),
        filter: None,
        within: None,
        loc: Loc::default(),
    }))
}

/// An aggregate under construction; see [`count`] and [`aggregate`].
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateBuilder(Aggregate);

impl AggregateBuilder {
    /// Keeps only events for which `filter` holds (`where filter`).
    #[must_use]
    pub fn filter(mut self, filter: Expr) -> AggregateBuilder {
        self.0.filter = Some(filter);
        self
    }

    /// Keeps only events in the last `d` (`within d`).
    #[must_use]
    pub fn within(mut self, d: Duration) -> AggregateBuilder {
        self.0.within = Some(d);
        self
    }

    /// Returns the aggregate as a term.
    pub fn term(self) -> Term {
        Term(Operand::Aggregate(Box::new(self.0)))
    }
}

impl From<AggregateBuilder> for Term {
    fn from(a: AggregateBuilder) -> Term {
        a.term()
    }
}

macro_rules! literal_terms {
    ($($t:ty => $v:ident $(($conv:expr))?),* $(,)?) => {$(
        impl From<$t> for Literal {
            fn from(x: $t) -> Literal {
                Literal::$v($( $conv )? (x))
            }
        }
        impl From<$t> for Term {
            fn from(x: $t) -> Term {
                Term(Operand::Literal(Literal::from(x)))
            }
        }
    )*};
}

literal_terms! {
    bool => Bool,
    i64 => Int,
    i32 => Int(i64::from),
    f64 => Float,
    &str => Text(str::to_owned),
    String => Text,
    NaiveDate => Date,
    DateTime<Utc> => Timestamp,
    Money => Money,
}

impl From<Literal> for Term {
    fn from(l: Literal) -> Term {
        Term(Operand::Literal(l))
    }
}

fn cmp(lhs: Term, op: CmpOp, rhs: Term) -> Expr {
    Expr::Compare(Box::new(Comparison {
        lhs: lhs.0,
        op,
        rhs: rhs.0,
        loc: Loc::default(),
    }))
}

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {
        impl Term {
            $($(#[$doc])* pub fn $name(self, rhs: impl Into<Term>) -> Expr {
                cmp(self, CmpOp::$op, rhs.into())
            })*

            /// Returns `self in [items…]`.
            pub fn is_in<L: Into<Literal>>(self, items: impl IntoIterator<Item = L>) -> Expr {
                let list = Operand::List(items.into_iter().map(Into::into).collect());
                cmp(self, CmpOp::In, Term(list))
            }
        }
        impl AggregateBuilder {
            $($(#[$doc])* pub fn $name(self, rhs: impl Into<Term>) -> Expr {
                cmp(self.term(), CmpOp::$op, rhs.into())
            })*
        }
    };
}

comparisons! {
    /// Returns `self = rhs`.
    eq => Eq,
    /// Returns `self != rhs`.
    ne => Ne,
    /// Returns `self < rhs`.
    lt => Lt,
    /// Returns `self <= rhs`.
    le => Le,
    /// Returns `self > rhs`.
    gt => Gt,
    /// Returns `self >= rhs`.
    ge => Ge,
    /// Returns `self ~= rhs` (text equal ignoring case).
    eq_ignore_case => EqIgnoreCase,
    /// Returns `self contains rhs`.
    contains => Contains,
    /// Returns `self starts_with rhs`.
    starts_with => StartsWith,
    /// Returns `self ends_with rhs`.
    ends_with => EndsWith,
}

impl Duration {
    fn of(n: i64, unit: i64, name: &str) -> Result<Duration> {
        n.checked_mul(unit)
            .and_then(Duration::from_seconds)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format_args!(
                        "duration of {n} {name} is out of range 0..={} days",
                        Duration::MAX_SECONDS / 86_400
                    ),
                )
            })
    }

    /// Returns `n` seconds (`45s`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when negative or longer than
    /// [`Duration::MAX_SECONDS`].
    pub fn seconds_of(n: i64) -> Result<Duration> {
        Duration::of(n, 1, "seconds")
    }

    /// Returns `n` minutes (`15m`).
    ///
    /// # Errors
    ///
    /// As [`Duration::seconds_of`].
    pub fn minutes(n: i64) -> Result<Duration> {
        Duration::of(n, 60, "minutes")
    }

    /// Returns `n` hours (`12h`).
    ///
    /// # Errors
    ///
    /// As [`Duration::seconds_of`].
    pub fn hours(n: i64) -> Result<Duration> {
        Duration::of(n, 3_600, "hours")
    }

    /// Returns `n` days (`30d`).
    ///
    /// # Errors
    ///
    /// As [`Duration::seconds_of`].
    pub fn days(n: i64) -> Result<Duration> {
        Duration::of(n, 86_400, "days")
    }

    /// Returns `n` weeks (`6w`).
    ///
    /// # Errors
    ///
    /// As [`Duration::seconds_of`].
    pub fn weeks(n: i64) -> Result<Duration> {
        Duration::of(n, 604_800, "weeks")
    }
}
