//! Segmentation expressions: a small typed language for audiences.
//!
//! A [`Segment`] is a condition on a profile, written as text
//! (`geographic.country = "DE" and count(purchase within 30d) >= 3`) or built
//! in code ([`builder`]). Its life has three steps:
//!
//! 1. [`Segment::parse`] reads the text into an [`Expr`] tree, with errors
//!    that carry a span ([`Error::diagnostic`](crate::Error::diagnostic)
//!    draws a caret under the problem) and a nesting limit
//!    ([`MAX_NESTING`]).
//! 2. [`Segment::compile`] (or [`Catalog::compile`], which also resolves
//!    `in_segment` references and caller-computed fields) checks every path
//!    and type against a [`Schema`] — unknown fields get a "did you mean" —
//!    and builds a [`CompiledSegment`] whose paths are resolved once.
//! 3. [`CompiledSegment::matches_at`] evaluates it against anything that
//!    implements [`FieldAccess`], at an explicit `now`, without parsing or
//!    allocating; [`CompiledSegment::change`] reports whether a profile
//!    entered or left the segment between two states or two times.
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::model::SourceRecord;
//! use custodia::segment::{Membership, Segment};
//!
//! let segment = Segment::parse(
//!     r#"geographic.country in ["DE", "AT"] and count(purchase within 30d) >= 1"#,
//! )?;
//! let compiled = segment.compile(SourceRecord::schema())?;
//!
//! let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let record = SourceRecord::builder("crm-1", "crm", now)?.build()?;
//! // No country and no purchase: the country test is unknown, the count is 0.
//! assert!(!compiled.matches_at(&record, now));
//! assert_eq!(compiled.change(&record, &record, now), Membership::StayedOut);
//!
//! // Errors point into the text.
//! let err = Segment::parse("geographic.contry = \"DE\"")?
//!     .compile(SourceRecord::schema())
//!     .unwrap_err();
//! assert_eq!(
//!     err.diagnostic(),
//!     "unknown field \"geographic.contry\" in the profile schema; did you mean \"geographic.country\"?\n  \
//!      geographic.contry = \"DE\"\n  ^^^^^^^^^^^^^^^^^"
//! );
//! # Ok::<(), custodia::Error>(())
//! ```
//!
//! # Grammar
//!
//! Whitespace separates tokens and is otherwise ignored. Keywords are
//! lowercase; a field path is one or more words (`[A-Za-z_][A-Za-z0-9_]*`,
//! later segments may also start with a digit) joined by `.`.
//!
//! ```text
//! expr        = and_expr { "or" and_expr } ;
//! and_expr    = unary { "and" unary } ;
//! unary       = "not" unary | "(" expr ")" | predicate ;
//! predicate   = "exists" "(" path ")"
//!             | "in_segment" "(" string ")"
//!             | operand cmp_op operand
//!             | operand "in" "[" [ literal { "," literal } ] "]" ;
//! cmp_op      = "=" | "!=" | "<" | "<=" | ">" | ">=" | "~="
//!             | "contains" | "starts_with" | "ends_with" ;
//! operand     = aggregate | "now" [ ( "-" | "+" ) duration ] | path | literal ;
//! aggregate   = "count" "(" ( event | string ) [ "where" expr ] [ "within" duration ] ")"
//!             | agg_fn "(" event "." path [ "where" expr ] [ "within" duration ] ")" ;
//! agg_fn      = "sum" | "avg" | "min" | "max" | "first" | "last" ;
//! literal     = "true" | "false" | [ "-" ] number [ currency ] | string
//!             | date | timestamp ;
//! number      = digit { digit } [ "." digit { digit } ] [ ( "e" | "E" ) [ "+" | "-" ] digit { digit } ] ;
//! currency    = three uppercase letters, an active ISO 4217 code (100 EUR, 19.99 USD) ;
//! duration    = digit { digit } ( "s" | "m" | "h" | "d" | "w" ) ;   (* 30d, 12h, 6w *)
//! date        = YYYY "-" MM "-" DD ;                                (* 2026-01-31 *)
//! timestamp   = RFC 3339 date-time ;                                (* 2026-01-31T09:30:00Z *)
//! string      = '"' { char | "\\" ( '"' | "\\" | "n" | "t" | "r" | "u{" hex "}" ) } '"' ;
//! ```
//!
//! An event written as a bare word must be one the schema declares
//! (`purchase`, `email_opened`), so a typo is caught; a custom event is
//! written as a quoted name, exactly as its source sent it
//! (`count("Plan Upgraded" where properties.to = "pro" within 30d)`), and is
//! accepted when the schema's events are open, as
//! [`SourceRecord::schema`](crate::model::SourceRecord::schema)'s are.
//! Custom events have `at` and `properties.*`, so only `count` reads them.
//!
//! `and` binds tighter than `or`; `not` binds tightest. Inside an
//! aggregate's `where`, paths name the event's own fields (`campaign`,
//! `amount`, `properties.coupon`, and `at`, its time); aggregates and
//! `in_segment` may not stand there. Whole numbers are `int`, numbers with a
//! fraction or exponent `float`.
//!
//! # Semantics
//!
//! Conditions have three values, [`Truth::True`], [`Truth::False`] and
//! [`Truth::Unknown`], combined with Kleene (SQL) logic; a profile
//! [`matches`](CompiledSegment::matches_at) only when the whole condition is
//! `True`.
//!
//! | construct | value |
//! |---|---|
//! | `a and b` | `False` if either is `False`, else `Unknown` if either is `Unknown`, else `True` |
//! | `a or b` | `True` if either is `True`, else `Unknown` if either is `Unknown`, else `False` |
//! | `not a` | `True`↔`False`; `not Unknown` is `Unknown` |
//! | `x op y` on a missing field | `Unknown` |
//! | `x op y` on a field with several values (`identity.email`) | `True` if some value makes it true (so `!=` means "some value differs") |
//! | `x op y` where the data holds a value of another type (an `attributes.*` text compared with a number) | `Unknown` |
//! | `x in [a, b]` | `x = a or x = b` |
//! | `exists(x)` | `True` if the field holds a value, else `False` (never `Unknown`) |
//! | `in_segment("s")` | the value of segment `s` for the same profile and time |
//! | `count(e …)` | number of matching events; `0`, not `Unknown`, when there are none |
//! | `sum(e.f …)` | sum of the values; `0` (of any currency) when there are none; `Unknown` on mixed currencies, non-numbers or overflow |
//! | `avg(e.f …)` | mean (`float` for numbers; money rounded half away from zero to minor units); `Unknown` when there are no values |
//! | `min`, `max`, `first`, `last` | smallest, largest, earliest, latest value; `Unknown` when there are none |
//! | `within d` | events at `now - d ..= now`; without it, every event up to `now`; events after `now` never count |
//! | `now`, `now - d` | the evaluation time given to [`CompiledSegment::matches_at`], shifted |
//!
//! Types are checked when compiling: `int` and `float` compare with each
//! other, `date` and `timestamp` compare with each other (a date is its
//! midnight UTC), `money` compares with money of the same currency (two
//! currencies give `Unknown` at run time), `bool` has only `=` and `!=`,
//! `~=` (equal ignoring case), `contains`, `starts_with` and `ends_with`
//! take text, and `sum`/`avg` take `int`, `float` or `money`. Fields of type
//! `any` (custom attributes, event properties) pass the check and are
//! compared by their run-time type. Text compares by Unicode scalar values,
//! case-sensitively except for `~=`.
//!
//! # Computed values
//!
//! Values custodia does not store — a CLV estimate, a churn probability, the
//! sentiment of the latest feedback — are ordinary fields: declare their
//! paths and types on a [`Catalog`] ([`Catalog::declare_computed`]) and hand
//! them to the evaluation by wrapping the profile in [`Computed`] (or by
//! implementing [`FieldAccess`] on a type of your own that has them).
//!
//! # Evaluating many profiles
//!
//! For a batch, bind the segment once and reuse the result:
//! [`CompiledSegment::at`] works out the start of every `within` window for
//! one `now`, and [`SegmentAt::bind`] then specialises the condition for one
//! profile type, so that each test calls that type's [`FieldAccess`]
//! methods directly. A compiled segment reads fields the schema declares
//! single-valued with [`FieldAccess::first`] and events with
//! [`FieldAccess::visit_events_matching`]: a profile type that overrides
//! both (returning values directly, skipping events outside the window) is
//! evaluated fastest. `benches/segment.rs` measures this against
//! hand-written closures over 1M profiles.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::model::SourceRecord;
//! use custodia::segment::Segment;
//!
//! let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let records = vec![SourceRecord::builder("r1", "crm", now)?.build()?];
//! let segment = Segment::parse("count(purchase within 30d) = 0")?
//!     .compile(SourceRecord::schema())?;
//! let at_now = segment.at(now);
//! let bound = at_now.bind::<SourceRecord>();
//! assert_eq!(records.iter().filter(|r| bound.matches(r)).count(), 1);
//! # Ok::<(), custodia::Error>(())
//! ```
//!
//! # Limits
//!
//! Text longer than [`MAX_TEXT_LEN`] bytes and trees nested deeper than
//! [`MAX_NESTING`] levels (each `and`, `or`, `not` and `where` is a level,
//! and a referenced segment adds its own depth) are refused with
//! [`ErrorKind::LimitExceeded`](crate::error::ErrorKind::LimitExceeded);
//! parsing, checking and evaluating never recurse deeper than that. Trees
//! built in code can be deeper: compiling refuses them, and `Display` writes
//! `...` for anything below 512 levels rather than recursing further.

pub mod ast;
pub mod builder;
mod check;
mod error;
mod eval;
mod lexer;
mod parser;
mod print;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result, Span};
use crate::model::{EventAccess, FieldAccess, FieldPath, FieldType, Schema, Value};

pub use ast::{AggFn, CmpOp, Duration, Expr, Literal, Operand, Shift};
pub use eval::Truth;

use check::{Checker, Node, Resolve};
use error::suggest;
use error::Detail;

/// The deepest nesting of `and`, `or`, `not` and `where` an expression may
/// have.
pub const MAX_NESTING: usize = 64;

/// The longest expression text, in bytes.
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// The longest segment name a [`Catalog`] accepts, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// A parsed (or built) segment expression, not yet checked against a schema.
///
/// Two segments are equal when their trees are; the text they were parsed
/// from, kept for error carets, does not matter. `Display` writes the
/// canonical text, which parses back to an equal segment.
#[derive(Clone, Debug)]
pub struct Segment {
    expr: Expr,
    text: Option<Box<str>>,
}

impl PartialEq for Segment {
    fn eq(&self, other: &Segment) -> bool {
        self.expr == other.expr
    }
}

impl Segment {
    /// Parses expression text.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Syntax`](crate::error::ErrorKind::Syntax) for text the
    /// grammar does not allow and
    /// [`ErrorKind::LimitExceeded`](crate::error::ErrorKind::LimitExceeded)
    /// past [`MAX_TEXT_LEN`] or [`MAX_NESTING`]; both carry the span.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::error::ErrorKind;
    /// use custodia::segment::Segment;
    ///
    /// let s = Segment::parse("count(email_opened where campaign = \"spring\" within 14d) >= 2")?;
    /// assert_eq!(s.to_string(), "count(email_opened where campaign = \"spring\" within 2w) >= 2");
    ///
    /// let err = Segment::parse("age >= ").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Syntax);
    /// assert_eq!(err.diagnostic(), "expected a value, found the end of the expression\n  age >= \n         ^");
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Segment> {
        if text.len() > MAX_TEXT_LEN {
            // Point at the text past the limit, from a character boundary.
            let start = (0..=MAX_TEXT_LEN)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            return Err(Detail::TooLong {
                len: text.len(),
                limit: MAX_TEXT_LEN,
            }
            .at(Some(text), Some(Span::new(start, text.len()))));
        }
        let expr = parser::parse(text, MAX_NESTING)?;
        if ast::depth(&expr, MAX_NESTING) > MAX_NESTING {
            return Err(Detail::TooDeep { limit: MAX_NESTING }
                .at(Some(text), Some(Span::new(0, text.len()))));
        }
        Ok(Segment {
            expr,
            text: Some(text.into()),
        })
    }

    /// Wraps a tree made with the [`builder`].
    pub fn from_expr(expr: Expr) -> Segment {
        Segment { expr, text: None }
    }

    /// Returns the expression tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Checks the segment against `schema` and compiles it.
    ///
    /// `in_segment` references need a [`Catalog`]; see [`Catalog::compile`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownField`](crate::error::ErrorKind::UnknownField)
    /// for a path, event or segment the schema does not know (with a
    /// suggestion when one is close),
    /// [`ErrorKind::Type`](crate::error::ErrorKind::Type) when types do not
    /// fit, and
    /// [`ErrorKind::LimitExceeded`](crate::error::ErrorKind::LimitExceeded)
    /// past [`MAX_NESTING`].
    pub fn compile(&self, schema: &Schema) -> Result<CompiledSegment> {
        Catalog::new().compile(self, schema)
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl std::str::FromStr for Segment {
    type Err = Error;
    fn from_str(s: &str) -> Result<Segment> {
        Segment::parse(s)
    }
}

/// Named segments and caller-computed fields, for compiling segments that
/// refer to them.
///
/// `in_segment("name")` stands for the named segment's checked body, which
/// one compilation checks once and shares among all its references, so the
/// compiled size is linear in the catalog's text; an evaluation works out
/// each shared segment at most once per profile. A segment that refers to
/// itself, directly or through others, is refused.
///
/// # Examples
///
/// ```
/// use custodia::error::ErrorKind;
/// use custodia::model::{FieldType, SourceRecord};
/// use custodia::segment::{Catalog, Segment};
///
/// let mut catalog = Catalog::new();
/// catalog.declare_computed("churn_probability", FieldType::Float)?;
/// catalog.insert("at_risk", Segment::parse("churn_probability >= 0.7")?)?;
/// catalog.insert("a", Segment::parse("in_segment(\"b\")")?)?;
/// catalog.insert("b", Segment::parse("in_segment(\"a\")")?)?;
///
/// let schema = SourceRecord::schema();
/// let winback = Segment::parse("in_segment(\"at_risk\") and count(purchase within 90d) = 0")?;
/// assert!(catalog.compile(&winback, schema).is_ok());
/// let err = catalog.compile_named("a", schema).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Type);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    segments: BTreeMap<String, Segment>,
    computed: BTreeMap<FieldPath, FieldType>,
}

impl Catalog {
    /// Returns an empty catalog.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Adds (or replaces) the segment called `name`, returning the one it
    /// replaced.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when the name is empty, longer than [`MAX_NAME_LEN`] or holds a
    /// control character.
    pub fn insert(&mut self, name: &str, segment: Segment) -> Result<Option<Segment>> {
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
            return Err(Detail::InvalidInput(format!(
                "segment name {name:?} must be 1..={MAX_NAME_LEN} bytes without control characters"
            ))
            .into());
        }
        Ok(self.segments.insert(name.to_owned(), segment))
    }

    /// Returns the segment called `name`.
    pub fn get(&self, name: &str) -> Option<&Segment> {
        self.segments.get(name)
    }

    /// Declares a field the caller computes (CLV, churn probability,
    /// sentiment) so that expressions may use it; it takes precedence over a
    /// schema field of the same path.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when `path` is not a valid [`FieldPath`].
    pub fn declare_computed(&mut self, path: &str, ty: FieldType) -> Result<()> {
        self.computed.insert(FieldPath::new(path)?, ty);
        Ok(())
    }

    /// Checks `segment` against `schema`, resolving `in_segment` through
    /// this catalog, and compiles it.
    ///
    /// # Errors
    ///
    /// As [`Segment::compile`], plus
    /// [`ErrorKind::UnknownField`](crate::error::ErrorKind::UnknownField)
    /// for an unknown segment name and
    /// [`ErrorKind::Type`](crate::error::ErrorKind::Type) for a cycle of
    /// references. Errors inside a referenced segment name it.
    pub fn compile(&self, segment: &Segment, schema: &Schema) -> Result<CompiledSegment> {
        let resolver = Resolver::new(self, schema);
        let (root, _) = resolver.checker(segment).check(&segment.expr)?;
        Ok(resolver.finish(root, segment.to_string()))
    }

    /// Compiles the segment called `name`.
    ///
    /// # Errors
    ///
    /// As [`Catalog::compile`], and
    /// [`ErrorKind::UnknownField`](crate::error::ErrorKind::UnknownField)
    /// when no segment has that name.
    pub fn compile_named(&self, name: &str, schema: &Schema) -> Result<CompiledSegment> {
        let resolver = Resolver::new(self, schema);
        let (root, _) = resolver.resolve(name, None, None)?;
        let text = self
            .segments
            .get(name)
            .map(ToString::to_string)
            .unwrap_or_default();
        Ok(resolver.finish(root, text))
    }
}

/// Resolves `in_segment` references for one compilation.
///
/// Each named segment is checked once and its body shared (see
/// [`check::Shared`]) by every reference: five segments of 50 references
/// each would otherwise be copied 50^5 times.
struct Resolver<'a> {
    catalog: &'a Catalog,
    schema: &'a Schema,
    stack: RefCell<Vec<String>>,
    /// Segments already compiled, with their nesting depth.
    done: RefCell<BTreeMap<String, (Arc<check::Shared>, usize)>>,
    /// The distinct `within` windows of everything compiled so far.
    windows: RefCell<Vec<chrono::TimeDelta>>,
}

impl<'a> Resolver<'a> {
    fn new(catalog: &'a Catalog, schema: &'a Schema) -> Resolver<'a> {
        Resolver {
            catalog,
            schema,
            stack: RefCell::new(Vec::new()),
            done: RefCell::new(BTreeMap::new()),
            windows: RefCell::new(Vec::new()),
        }
    }

    /// Returns the compiled segment whose tree is `root`.
    fn finish(self, mut root: Node, text: String) -> CompiledSegment {
        let mut windows = self.windows.into_inner();
        check::assign_windows(&mut root, &mut windows);
        CompiledSegment {
            root,
            text,
            windows: windows.into_boxed_slice(),
            shared: self.done.into_inner().len(),
        }
    }

    fn checker<'c>(&'c self, segment: &'c Segment) -> Checker<'c> {
        Checker {
            schema: self.schema,
            computed: &self.catalog.computed,
            segments: self,
            input: segment.text.as_deref(),
            limit: MAX_NESTING,
        }
    }
}

impl Resolve for Resolver<'_> {
    fn resolve(
        &self,
        name: &str,
        span: Option<Span>,
        input: Option<&str>,
    ) -> Result<(Node, usize)> {
        let Some(segment) = self.catalog.segments.get(name) else {
            return Err(Detail::UnknownSegment {
                name: name.to_owned(),
                suggestion: suggest(name, self.catalog.segments.keys().map(String::as_str)),
            }
            .at(input, span));
        };
        if let Some((shared, depth)) = self.done.borrow().get(name) {
            return Ok((Node::Ref(Arc::clone(shared)), *depth));
        }
        if let Some(at) = self.stack.borrow().iter().position(|n| n == name) {
            let mut path = self.stack.borrow()[at..].to_vec();
            path.push(name.to_owned());
            return Err(Detail::Cycle { path }.at(input, span));
        }
        self.stack.borrow_mut().push(name.to_owned());
        let checked = self.checker(segment).check(&segment.expr);
        self.stack.borrow_mut().pop();
        let (mut node, depth) =
            checked.map_err(|e| e.context(format_args!("in segment {name:?}")))?;
        check::assign_windows(&mut node, &mut self.windows.borrow_mut());
        let mut done = self.done.borrow_mut();
        let shared = Arc::new(check::Shared {
            index: done.len(),
            name: name.into(),
            node,
        });
        done.insert(name.to_owned(), (Arc::clone(&shared), depth));
        Ok((Node::Ref(shared), depth))
    }
}

/// A checked segment, ready to evaluate against [`FieldAccess`] data.
///
/// Evaluation reads each field through [`FieldAccess::visit`] with paths
/// built at compile time; it neither parses nor allocates, except for a
/// memo of the referenced segments' results when there are more than 16 of
/// them.
#[derive(Clone, Debug)]
pub struct CompiledSegment {
    root: Node,
    text: String,
    windows: Box<[chrono::TimeDelta]>,
    /// Number of distinct referenced segments (the memo slots an
    /// evaluation needs).
    shared: usize,
}

impl CompiledSegment {
    /// Returns the three-valued result for `profile` at time `now`.
    ///
    /// A segment referred to several times (directly or through others) is
    /// evaluated at most once per call, so the cost is linear in the size of
    /// the catalog's text.
    pub fn evaluate_at<A: FieldAccess + ?Sized>(&self, profile: &A, now: DateTime<Utc>) -> Truth {
        eval::with_memo(self.shared, |memo| {
            eval::eval(&self.root, profile, &eval::Ctx::new(now, &[]), memo)
        })
    }

    /// Returns the number of nodes in the compiled tree, each shared
    /// segment counted once.
    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        check::node_count(&self.root)
    }

    /// Binds the segment to one evaluation time, for evaluating many
    /// profiles at that time: the start of every `within` window is worked
    /// out once here instead of once per profile.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::model::SourceRecord;
    /// use custodia::segment::Segment;
    ///
    /// let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    /// let active = Segment::parse("count(purchase within 30d) >= 1")?.compile(SourceRecord::schema())?;
    /// let records = vec![SourceRecord::builder("crm-1", "crm", now)?.build()?];
    /// let at_now = active.at(now);
    /// assert_eq!(records.iter().filter(|r| at_now.matches(*r)).count(), 0);
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn at(&self, now: DateTime<Utc>) -> SegmentAt<'_> {
        SegmentAt {
            compiled: self,
            now,
            lows: eval::window_starts(now, &self.windows),
        }
    }

    /// Returns `true` when `profile` is in the segment at time `now`: the
    /// condition is [`Truth::True`] (`Unknown` is not a match).
    pub fn matches_at<A: FieldAccess + ?Sized>(&self, profile: &A, now: DateTime<Utc>) -> bool {
        self.evaluate_at(profile, now).is_true()
    }

    /// Returns `true` when `profile` is in the segment now, reading the
    /// system clock; use [`matches_at`](CompiledSegment::matches_at) for
    /// repeatable results.
    pub fn matches<A: FieldAccess + ?Sized>(&self, profile: &A) -> bool {
        self.matches_at(profile, Utc::now())
    }

    /// Returns how membership changed from `before` to `after` (the same
    /// profile before and after an update), both evaluated at `now`.
    pub fn change<A: FieldAccess + ?Sized, B: FieldAccess + ?Sized>(
        &self,
        before: &A,
        after: &B,
        now: DateTime<Utc>,
    ) -> Membership {
        Membership::between(self.evaluate_at(before, now), self.evaluate_at(after, now))
    }

    /// Returns how membership of `profile` changed from time `from` to time
    /// `to` (windows such as `within 30d` move with the time).
    pub fn change_over<A: FieldAccess + ?Sized>(
        &self,
        profile: &A,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Membership {
        Membership::between(
            self.evaluate_at(profile, from),
            self.evaluate_at(profile, to),
        )
    }

    /// Returns the canonical text of the compiled segment (before
    /// `in_segment` references were resolved).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A segment specialised for one profile type at one time; see
/// [`SegmentAt::bind`]. Its results equal those of
/// [`SegmentAt::evaluate`].
pub struct BoundSegment<'s, A: ?Sized> {
    root: eval::Bound<'s, A>,
    text: &'s str,
    shared: usize,
}

impl<A: ?Sized> fmt::Debug for BoundSegment<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundSegment")
            .field("segment", &self.text)
            .finish_non_exhaustive()
    }
}

impl<A: FieldAccess + ?Sized> BoundSegment<'_, A> {
    /// Returns the three-valued result for `profile`.
    #[inline]
    pub fn evaluate(&self, profile: &A) -> Truth {
        if self.shared == 0 {
            return (self.root)(profile, &[]);
        }
        eval::with_memo(self.shared, |memo| (self.root)(profile, memo))
    }

    /// Returns `true` when `profile` is in the segment.
    #[inline]
    pub fn matches(&self, profile: &A) -> bool {
        self.evaluate(profile).is_true()
    }
}

/// A [`CompiledSegment`] bound to one evaluation time; see
/// [`CompiledSegment::at`]. Results equal those of
/// [`CompiledSegment::evaluate_at`] at the same time.
#[derive(Clone, Debug)]
pub struct SegmentAt<'c> {
    compiled: &'c CompiledSegment,
    now: DateTime<Utc>,
    lows: Vec<Option<DateTime<Utc>>>,
}

impl SegmentAt<'_> {
    /// Specialises the segment for profiles of one type `A`, for evaluating
    /// many of them: each condition becomes code made for `A`, calling its
    /// [`FieldAccess`] methods directly instead of through an interpreter
    /// that serves every type. Results equal those of
    /// [`evaluate`](SegmentAt::evaluate).
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::model::SourceRecord;
    /// use custodia::segment::Segment;
    ///
    /// let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    /// let segment = Segment::parse(r#"record.source = "crm""#)?
    ///     .compile(SourceRecord::schema())?;
    /// let at_now = segment.at(now);
    /// let bound = at_now.bind::<SourceRecord>();
    /// let records = [
    ///     SourceRecord::builder("r1", "crm", now)?.build()?,
    ///     SourceRecord::builder("r2", "web", now)?.build()?,
    /// ];
    /// let members: Vec<_> = records.iter().filter(|r| bound.matches(r)).map(|r| r.id().as_str()).collect();
    /// assert_eq!(members, ["r1"]);
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn bind<'s, A: FieldAccess + ?Sized + 's>(&'s self) -> BoundSegment<'s, A> {
        BoundSegment {
            root: eval::bind(
                &self.compiled.root,
                eval::Ctx::new(self.now, &self.lows),
                &mut Vec::new(),
            ),
            text: &self.compiled.text,
            shared: self.compiled.shared,
        }
    }

    /// Returns the evaluation time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Returns the three-valued result for `profile`.
    pub fn evaluate<A: FieldAccess + ?Sized>(&self, profile: &A) -> Truth {
        eval::with_memo(self.compiled.shared, |memo| {
            eval::eval(
                &self.compiled.root,
                profile,
                &eval::Ctx::new(self.now, &self.lows),
                memo,
            )
        })
    }

    /// Returns `true` when `profile` is in the segment.
    pub fn matches<A: FieldAccess + ?Sized>(&self, profile: &A) -> bool {
        self.evaluate(profile).is_true()
    }
}

/// How a profile's membership of a segment changed between two
/// evaluations. `Unknown` counts as not a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Membership {
    /// Not a member before, a member after.
    Entered,
    /// A member before, not after.
    Exited,
    /// A member both times.
    Stayed,
    /// A member neither time.
    StayedOut,
}

impl Membership {
    /// Returns the change from one result to another.
    pub fn between(before: Truth, after: Truth) -> Membership {
        match (before.is_true(), after.is_true()) {
            (false, true) => Membership::Entered,
            (true, false) => Membership::Exited,
            (true, true) => Membership::Stayed,
            (false, false) => Membership::StayedOut,
        }
    }

    /// Returns `true` for [`Membership::Entered`] and [`Membership::Exited`].
    pub fn is_change(self) -> bool {
        matches!(self, Membership::Entered | Membership::Exited)
    }
}

/// A profile together with values the caller computed for it (CLV, churn
/// probability, sentiment), read as ordinary fields.
///
/// A computed value hides a field of the profile with the same path; events
/// come from the profile.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::model::{FieldPath, FieldType, SourceRecord, Value};
/// use custodia::segment::{Catalog, Computed, Segment};
///
/// let mut catalog = Catalog::new();
/// catalog.declare_computed("sentiment", FieldType::Float)?;
/// let unhappy = catalog.compile(&Segment::parse("sentiment < -0.5")?, SourceRecord::schema())?;
///
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// let record = SourceRecord::builder("crm-1", "crm", now)?.build()?;
/// let values = [(FieldPath::new("sentiment")?, Value::Float(-0.8))];
/// assert!(unhappy.matches_at(&Computed::new(&record, &values), now));
/// assert!(!unhappy.matches_at(&record, now)); // missing: unknown
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Debug)]
pub struct Computed<'a, A: ?Sized> {
    base: &'a A,
    values: &'a [(FieldPath, Value<'a>)],
}

impl<'a, A: FieldAccess + ?Sized> Computed<'a, A> {
    /// Wraps `base` with `values`.
    pub fn new(base: &'a A, values: &'a [(FieldPath, Value<'a>)]) -> Computed<'a, A> {
        Computed { base, values }
    }
}

impl<A: FieldAccess + ?Sized> FieldAccess for Computed<'_, A> {
    fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
        match self.values.iter().find(|(p, _)| p == path) {
            Some((_, v)) => visit(*v),
            None => self.base.visit(path, visit),
        }
    }

    fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
        self.base.visit_events(visit);
    }
}

#[cfg(test)]
mod tests {
    use super::ast::{Aggregate, Comparison, Field, Loc, SegmentName};
    use super::*;
    use crate::model::{Cardinality, Currency, Money};
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    fn path() -> impl Strategy<Value = FieldPath> {
        (
            "[a-z_][a-z0-9_]{0,5}",
            prop::collection::vec("[a-z0-9_]{1,4}", 0..3),
        )
            .prop_filter("a lone keyword is not a field", |(first, rest)| {
                !rest.is_empty() || !parser::KEYWORDS.contains(&first.as_str())
            })
            .prop_map(|(first, rest)| {
                let mut p = first;
                for r in rest {
                    p.push('.');
                    p.push_str(&r);
                }
                FieldPath::new(&p).expect("generated paths are valid")
            })
    }

    fn duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            (0..=ast::Duration::MAX_SECONDS),
            (0..=100_000_i64).prop_map(|d| d * 86_400),
            (0..=1_000_i64).prop_map(|w| w * 604_800),
        ]
        .prop_map(|s| Duration::from_seconds(s).expect("in range"))
    }

    fn literal() -> impl Strategy<Value = Literal> {
        let currency = prop::sample::select(vec!["EUR", "JPY", "USD", "KWD"])
            .prop_map(|c| Currency::new(c).expect("active code"));
        prop_oneof![
            any::<bool>().prop_map(Literal::Bool),
            any::<i64>().prop_map(Literal::Int),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(Literal::Float),
            ".{0,12}".prop_map(Literal::Text),
            (1900..2100_i32, 1..=12_u32, 1..=28_u32).prop_map(|(y, m, d)| Literal::Date(
                NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
            )),
            (0..4_000_000_000_i64, 0..1_000_000_000_u32).prop_map(|(s, n)| Literal::Timestamp(
                Utc.timestamp_opt(s, n).single().expect("in range")
            )),
            (-1_000_000_000_000_000_i64..1_000_000_000_000_000, currency)
                .prop_map(|(m, c)| Literal::Money(Money::from_minor(m, c))),
        ]
    }

    fn field_operand(paths: BoxedStrategy<FieldPath>) -> impl Strategy<Value = Operand> {
        paths.prop_map(|path| {
            Operand::Field(Field {
                path,
                loc: Loc::default(),
            })
        })
    }

    fn simple_operand(paths: BoxedStrategy<FieldPath>) -> impl Strategy<Value = Operand> {
        prop_oneof![
            field_operand(paths),
            literal().prop_map(Operand::Literal),
            prop_oneof![
                Just(Shift::None),
                duration().prop_map(Shift::Back),
                duration().prop_map(Shift::Ahead)
            ]
            .prop_map(Operand::Now),
        ]
    }

    fn compare(lhs: Operand, op: CmpOp, rhs: Operand) -> Expr {
        Expr::Compare(Box::new(Comparison {
            lhs,
            op,
            rhs,
            loc: Loc::default(),
        }))
    }

    fn leaf(paths: BoxedStrategy<FieldPath>) -> impl Strategy<Value = Expr> {
        let ops = prop::sample::select(vec![
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
            CmpOp::EqIgnoreCase,
            CmpOp::Contains,
            CmpOp::StartsWith,
            CmpOp::EndsWith,
        ]);
        prop_oneof![
            (
                simple_operand(paths.clone()),
                ops,
                simple_operand(paths.clone())
            )
                .prop_map(|(l, op, r)| compare(l, op, r)),
            (
                simple_operand(paths.clone()),
                prop::collection::vec(literal(), 0..4)
            )
                .prop_map(|(l, items)| compare(l, CmpOp::In, Operand::List(items))),
            paths.clone().prop_map(|path| Expr::Exists(Field {
                path,
                loc: Loc::default()
            })),
            ".{0,8}".prop_map(|name| Expr::InSegment(SegmentName {
                name,
                loc: Loc::default()
            })),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        expr_from(path().boxed(), "[a-z_][a-z0-9_]{0,6}".boxed())
    }

    /// Expressions over the paths of [`schema`], most of which compile.
    fn known_expr() -> impl Strategy<Value = Expr> {
        let paths = prop::sample::select(vec![
            "age",
            "properties.a",
            "properties.b",
            "properties.a.b",
        ])
        .prop_map(|p| FieldPath::new(p).expect("valid"));
        expr_from(paths.boxed(), Just("purchase".to_owned()).boxed())
    }

    fn expr_from(
        paths: BoxedStrategy<FieldPath>,
        events: BoxedStrategy<String>,
    ) -> impl Strategy<Value = Expr> {
        leaf(paths.clone()).prop_recursive(6, 48, 4, move |inner| {
            let funcs = prop::sample::select(vec![
                AggFn::Count,
                AggFn::Sum,
                AggFn::Avg,
                AggFn::Min,
                AggFn::Max,
                AggFn::First,
                AggFn::Last,
            ]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.clone().prop_map(|x| Expr::Not(Box::new(x))),
                (
                    funcs,
                    events.clone(),
                    paths.clone(),
                    prop::option::of(inner),
                    prop::option::of(duration()),
                    simple_operand(paths.clone()),
                )
                    .prop_map(|(func, event, field, filter, within, rhs)| {
                        let field = (func != AggFn::Count).then_some(field);
                        let agg = Aggregate {
                            func,
                            event,
                            custom: false,
                            field,
                            filter,
                            within,
                            loc: Loc::default(),
                        };
                        compare(Operand::Aggregate(Box::new(agg)), CmpOp::Ge, rhs)
                    }),
            ]
        })
    }

    /// Pieces of the language, glued at random into text that gets further
    /// into the parser and checker than random characters do.
    fn token_soup() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "and",
            "or",
            "not",
            "(",
            ")",
            "[",
            "]",
            ",",
            "=",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "~=",
            "in",
            "contains",
            "starts_with",
            "ends_with",
            "exists(",
            "in_segment(",
            "\"vip\"",
            "count(",
            "sum(",
            "avg(",
            "min(",
            "max(",
            "first(",
            "last(",
            "purchase",
            "purchase.amount",
            "purchase.at",
            "where",
            "within",
            "30d",
            "2w",
            "now",
            "-",
            "+",
            "1",
            "-7",
            "2.5",
            "1e3",
            "100 EUR",
            "5 JPY",
            "true",
            "false",
            "\"DE\"",
            "2026-01-31",
            "2026-01-31T10:00:00Z",
            "age",
            "country",
            "attributes.x",
            "attributes.y",
            "amount",
            "properties.coupon",
            "at",
            "campaign",
            "\"",
            "\\",
            "é",
            "9999999999999999999999",
        ]);
        prop::collection::vec((pieces, prop::bool::ANY), 0..24).prop_map(|parts| {
            let mut s = String::new();
            for (p, space) in parts {
                s.push_str(p);
                if space {
                    s.push(' ');
                }
            }
            s
        })
    }

    fn schema() -> Schema {
        Schema::builder()
            .field("age", FieldType::Int, Cardinality::One, "")
            .and_then(|b| b.field("country", FieldType::Text, Cardinality::Many, ""))
            .and_then(|b| b.open_prefix("attributes"))
            .and_then(|b| b.open_prefix("properties"))
            .and_then(|b| {
                b.event(
                    "purchase",
                    "",
                    &[
                        ("amount", FieldType::Money, Cardinality::One, ""),
                        ("campaign", FieldType::Text, Cardinality::One, ""),
                    ],
                    &["properties"],
                )
            })
            .expect("valid schema")
            .build()
    }

    /// A profile whose fields hold whatever the test gives, of any type.
    #[derive(Debug)]
    struct Odd {
        values: Vec<(FieldPath, Literal)>,
        events: Vec<OddEvent>,
    }

    #[derive(Debug)]
    struct OddEvent {
        at: DateTime<Utc>,
        values: Vec<(FieldPath, Literal)>,
    }

    fn visit_lits<'s>(
        values: &'s [(FieldPath, Literal)],
        path: &FieldPath,
        visit: &mut dyn FnMut(Value<'s>),
    ) {
        for (p, l) in values {
            if p == path {
                visit(match l {
                    Literal::Bool(b) => Value::Bool(*b),
                    Literal::Int(i) => Value::Int(*i),
                    Literal::Float(x) => Value::Float(*x),
                    Literal::Text(t) => Value::Text(t),
                    Literal::Date(d) => Value::Date(*d),
                    Literal::Timestamp(t) => Value::Timestamp(*t),
                    Literal::Money(m) => Value::Money(*m),
                });
            }
        }
    }

    impl FieldAccess for Odd {
        fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
            visit_lits(&self.values, path, visit);
        }
        fn visit_events<'s>(&'s self, visit: &mut dyn FnMut(&'s dyn EventAccess)) {
            for e in &self.events {
                visit(e);
            }
        }
    }

    impl FieldAccess for OddEvent {
        fn visit<'s>(&'s self, path: &FieldPath, visit: &mut dyn FnMut(Value<'s>)) {
            visit_lits(&self.values, path, visit);
        }
    }

    impl EventAccess for OddEvent {
        fn name(&self) -> &str {
            "purchase"
        }
        fn at(&self) -> DateTime<Utc> {
            self.at
        }
    }

    fn odd_values() -> impl Strategy<Value = Vec<(FieldPath, Literal)>> {
        let paths = prop::sample::select(vec![
            "age",
            "country",
            "attributes.x",
            "attributes.y",
            "amount",
            "campaign",
            "properties.coupon",
            "properties.a",
            "properties.b",
            "properties.a.b",
            "attributes.x",
        ])
        .prop_map(|p| FieldPath::new(p).expect("valid"));
        prop::collection::vec((paths, literal()), 0..8)
    }

    fn odd_profile() -> impl Strategy<Value = Odd> {
        let event = (0..4_000_000_000_i64, odd_values()).prop_map(|(s, values)| OddEvent {
            at: Utc.timestamp_opt(s, 0).single().expect("in range"),
            values,
        });
        (odd_values(), prop::collection::vec(event, 0..6)).prop_map(|(values, mut events)| {
            events.sort_by_key(|e| e.at);
            Odd { values, events }
        })
    }

    /// The evaluation property below is only as good as the share of its
    /// generated expressions that compile.
    #[test]
    fn odd_data_property_evaluates_compiled_segments() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut compiled = 0;
        for _ in 0..200 {
            let e = known_expr().new_tree(&mut runner).expect("tree").current();
            compiled += usize::from(Segment::from_expr(e).compile(&schema()).is_ok());
        }
        assert!(
            compiled >= 40,
            "only {compiled} of 200 generated expressions compile"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn specialized_tests_agree_with_generic_comparison(
            path in prop::sample::select(vec!["age", "properties.a", "attributes.x"]),
            op in prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge, CmpOp::In]),
            rhs in prop_oneof![
                literal().prop_map(|l| vec![l]),
                prop::collection::vec(".{0,3}".prop_map(Literal::Text), 1..4),
            ],
            profile in odd_profile(),
        ) {
            use check::{Cmp, Node, Opnd, Source};
            let lits: Vec<check::Lit> = rhs
                .iter()
                .map(check::tests_lower)
                .collect();
            let rhs = if op == CmpOp::In {
                Opnd::List(lits.into_boxed_slice())
            } else {
                Opnd::Lit(lits.into_iter().next().expect("one literal"))
            };
            let field = || {
                Opnd::Field(Source::Path(
                    FieldPath::new(path).expect("valid"),
                    Cardinality::Many,
                ))
            };
            let generic = Node::Cmp(Box::new(Cmp { lhs: field(), op, rhs: rhs.clone() }));
            let special = check::specialize(field(), op, rhs);
            let now = Utc.timestamp_opt(1_800_000_000, 0).single().expect("in range");
            let ctx = eval::Ctx::new(now, &[]);
            prop_assert_eq!(eval::eval(&special, &profile, &ctx, &[]), eval::eval(&generic, &profile, &ctx, &[]));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,64}") {
            if let Ok(s) = Segment::parse(&text) {
                let _ = s.compile(&schema());
                let _ = s.compile(crate::model::SourceRecord::schema());
            }
        }

        #[test]
        fn token_soup_never_panics_and_round_trips(text in token_soup()) {
            if let Ok(s) = Segment::parse(&text) {
                let printed = s.to_string();
                prop_assert_eq!(&Segment::parse(&printed)?, &s);
                let _ = s.compile(&schema());
            }
        }

        #[test]
        fn print_then_parse_gives_the_same_tree(e in expr()) {
            let printed = e.to_string();
            let parsed = Segment::parse(&printed)
                .map_err(|err| TestCaseError::fail(format!("{printed}: {}", err.diagnostic())))?;
            prop_assert_eq!(parsed.expr(), &e, "{}", printed);
            prop_assert_eq!(parsed.to_string(), printed);
        }

        #[test]
        fn bound_money_sums_agree_with_evaluation(
            profile in odd_profile(),
            op in prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
            amount in 0..100_000_i64,
            currency in prop::sample::select(vec!["EUR", "JPY"]),
            within in prop::option::of(1..20_000_u32),
            now in 0..4_000_000_000_i64,
        ) {
            let window = within.map(|d| format!(" within {d}d")).unwrap_or_default();
            let text = format!("sum(purchase.amount{window}) {op} {amount} {currency}");
            let c = Segment::parse(&text).and_then(|s| s.compile(&schema())).expect("compiles");
            let now = Utc.timestamp_opt(now, 0).single().expect("in range");
            let at_now = c.at(now);
            prop_assert_eq!(at_now.bind::<Odd>().evaluate(&profile), c.evaluate_at(&profile, now));
        }

        #[test]
        fn evaluation_never_panics_on_odd_data(
            text in token_soup(),
            e in known_expr(),
            profile in odd_profile(),
            now in 0..4_000_000_000_i64,
        ) {
            let now = Utc.timestamp_opt(now, 0).single().expect("in range");
            let schema = schema();
            for segment in [Segment::parse(&text).ok(), Some(Segment::from_expr(e))].into_iter().flatten() {
                if let Ok(c) = segment.compile(&schema) {
                    let t = c.evaluate_at(&profile, now);
                    prop_assert_eq!(c.matches_at(&profile, now), t == Truth::True);
                    let at_now = c.at(now);
                    prop_assert_eq!(at_now.evaluate(&profile), t);
                    prop_assert_eq!(at_now.bind::<Odd>().evaluate(&profile), t);
                    // `not` is Kleene negation of the whole.
                    let negated = Segment::from_expr(builder::not(segment.expr().clone()));
                    let n = negated.compile(&schema).expect("negation compiles").evaluate_at(&profile, now);
                    prop_assert_eq!(n, t.negate());
                }
            }
        }
    }

    #[test]
    fn kleene_tables() {
        use Truth::{False as F, True as T, Unknown as U};
        for (a, b, and, or) in [
            (T, T, T, T),
            (T, U, U, T),
            (T, F, F, T),
            (U, U, U, U),
            (U, F, F, U),
            (F, F, F, F),
        ] {
            assert_eq!((a.and(b), b.and(a)), (and, and));
            assert_eq!((a.or(b), b.or(a)), (or, or));
        }
        assert_eq!(U.negate(), U);
        assert_eq!(T.negate(), F);
    }

    fn age(age: i64) -> Odd {
        Odd {
            values: vec![(FieldPath::new("age").expect("valid"), Literal::Int(age))],
            events: Vec::new(),
        }
    }

    /// A catalog of `levels` segments above a base `age >= 18`, each the
    /// `op` of `refs` references to the one below.
    fn layered(levels: usize, refs: usize, op: &str) -> Catalog {
        let mut catalog = Catalog::new();
        catalog
            .insert("l0", Segment::parse("age >= 18").expect("parses"))
            .expect("valid name");
        for level in 1..=levels {
            let below = format!("in_segment(\"l{}\")", level - 1);
            let text = vec![below; refs].join(&format!(" {op} "));
            let segment = Segment::parse(&text).expect("parses");
            catalog
                .insert(&format!("l{level}"), segment)
                .expect("valid name");
        }
        catalog
    }

    /// Compiles and evaluates the top of a layered catalog for an adult and
    /// a child, within a generous time; returns the compiled size.
    fn compile_and_evaluate_top(levels: usize, refs: usize) -> usize {
        let now = Utc
            .timestamp_opt(1_800_000_000, 0)
            .single()
            .expect("in range");
        let started = std::time::Instant::now();
        let mut size = 0;
        for op in ["and", "or"] {
            let catalog = layered(levels, refs, op);
            let top = catalog
                .compile_named(&format!("l{levels}"), &schema())
                .expect("compiles");
            size = top.node_count();
            for (years, expected) in [(40, Truth::True), (9, Truth::False)] {
                let profile = age(years);
                assert_eq!(top.evaluate_at(&profile, now), expected);
                let at_now = top.at(now);
                assert_eq!(at_now.evaluate(&profile), expected);
                assert_eq!(at_now.bind::<Odd>().evaluate(&profile), expected);
            }
            // Unknown everywhere: neither `and` nor `or` can stop early, so
            // an unshared evaluation would visit every path.
            let unknown = Odd {
                values: Vec::new(),
                events: Vec::new(),
            };
            assert_eq!(top.evaluate_at(&unknown, now), Truth::Unknown);
            assert_eq!(top.at(now).bind::<Odd>().evaluate(&unknown), Truth::Unknown);
            assert!(format!("{top:?}").len() < 200 * (levels * refs + 10));
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{levels} levels of {refs} references took {:?}",
            started.elapsed()
        );
        size
    }

    #[test]
    fn wide_references_are_compiled_once_and_shared() {
        // Copied in full, this is 50^5 bodies (over 6 GB).
        let size = compile_and_evaluate_top(5, 50);
        assert!(size <= 5 * 51 + 2, "compiled size {size}");
    }

    #[test]
    fn deep_chains_of_double_references_stay_linear() {
        // Copied in full, this is 2^60 bodies.
        let size = compile_and_evaluate_top(60, 2);
        assert!(size <= 60 * 3 + 2, "compiled size {size}");
    }

    #[test]
    fn references_past_the_nesting_limit_are_refused_with_a_span() {
        let catalog = layered(MAX_NESTING + 1, 2, "and");
        let err = catalog
            .compile_named(&format!("l{}", MAX_NESTING + 1), &schema())
            .expect_err("too deep");
        assert_eq!(err.kind(), crate::error::ErrorKind::LimitExceeded);
        // The first `in_segment("l64")`, 17 bytes.
        assert_eq!(err.span(), Some(Span::new(0, 17)));
    }

    /// A catalog of up to five segments where each may refer only to the
    /// ones before it, as `(name, expression)` pairs.
    fn small_catalog() -> impl Strategy<Value = Vec<Expr>> {
        prop::collection::vec(known_expr(), 1..5).prop_flat_map(|bodies| {
            let n = bodies.len();
            let refs = prop::collection::vec(
                (
                    0..n,
                    prop::collection::vec((0..n, any::<bool>(), any::<bool>()), 0..4),
                ),
                n,
            );
            (Just(bodies), refs).prop_map(|(bodies, refs)| {
                let mut out: Vec<Expr> = Vec::new();
                for (i, mut body) in bodies.into_iter().enumerate() {
                    for (target, use_or, negate) in &refs[i].1 {
                        if i == 0 {
                            break;
                        }
                        let mut r = Expr::InSegment(SegmentName {
                            name: format!("s{}", target % i),
                            loc: Loc::default(),
                        });
                        if *negate {
                            r = Expr::Not(Box::new(r));
                        }
                        body = if *use_or {
                            Expr::Or(vec![body, r])
                        } else {
                            Expr::And(vec![r, body])
                        };
                    }
                    out.push(body);
                }
                out
            })
        })
    }

    /// Replaces every `in_segment` by a copy of the body it names; `None`
    /// for a cycle (possible only through a made-up name such as `s1`).
    fn inline(e: &Expr, bodies: &[Expr], fuel: usize) -> Option<Expr> {
        let all = |xs: &[Expr]| -> Option<Vec<Expr>> {
            xs.iter().map(|x| inline(x, bodies, fuel)).collect()
        };
        Some(match e {
            Expr::And(xs) => Expr::And(all(xs)?),
            Expr::Or(xs) => Expr::Or(all(xs)?),
            Expr::Not(x) => Expr::Not(Box::new(inline(x, bodies, fuel)?)),
            Expr::InSegment(s) => {
                let known = s
                    .name
                    .strip_prefix('s')
                    .and_then(|i| i.parse::<usize>().ok());
                match known.and_then(|i| bodies.get(i)) {
                    Some(body) => inline(body, bodies, fuel.checked_sub(1)?)?,
                    // Names the generator made up stay unknown either way.
                    None => e.clone(),
                }
            }
            other => other.clone(),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn shared_references_evaluate_as_copies_do(
            bodies in small_catalog(),
            profile in odd_profile(),
            now in 0..4_000_000_000_i64,
        ) {
            let now = Utc.timestamp_opt(now, 0).single().expect("in range");
            let schema = schema();
            let mut catalog = Catalog::new();
            for (i, body) in bodies.iter().enumerate() {
                catalog.insert(&format!("s{i}"), Segment::from_expr(body.clone()))?;
            }
            let top = bodies.len() - 1;
            let shared = catalog.compile_named(&format!("s{top}"), &schema);
            let Some(copied) = inline(&bodies[top], &bodies, bodies.len()) else {
                let cyclic = catalog.compile_named(&format!("s{top}"), &schema);
                prop_assert!(cyclic.is_err());
                return Ok(());
            };
            let copied = Segment::from_expr(copied).compile(&schema);
            match (shared, copied) {
                (Ok(shared), Ok(copied)) => {
                    let t = copied.evaluate_at(&profile, now);
                    prop_assert_eq!(shared.evaluate_at(&profile, now), t);
                    let at_now = shared.at(now);
                    prop_assert_eq!(at_now.evaluate(&profile), t);
                    prop_assert_eq!(at_now.bind::<Odd>().evaluate(&profile), t);
                    // Without a memo every reference is evaluated afresh.
                    let ctx = eval::Ctx::new(now, &[]);
                    prop_assert_eq!(eval::eval(&shared.root, &profile, &ctx, &[]), t);
                    prop_assert!(shared.node_count() <= copied.node_count() + bodies.len());
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
                (a, b) => prop_assert!(false, "shared {:?} but copied {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
    }
}
