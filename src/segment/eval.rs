//! Evaluation of checked trees against [`FieldAccess`] data.
//!
//! Nothing here allocates: values are borrowed from the data or the tree,
//! aggregates fold into fixed-size accumulators, and paths were built when
//! the segment was compiled. The one exception is the memo of a segment that
//! refers to more than [`INLINE_MEMO`] other segments (see [`with_memo`]).

use std::cell::Cell;
use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::model::{Cardinality, Currency, EventAccess, EventQuery, FieldAccess, FieldPath, Value};
use crate::segment::ast::{AggFn, CmpOp};
use crate::segment::check::{pack_short, Agg, Cmp, Lit, Node, Opnd, Source, Test};

/// The value of a condition under three-valued (Kleene) logic.
///
/// `Unknown` is the value of a comparison that has nothing to compare: a
/// missing field, an aggregate over no events (other than `count` and
/// `sum`), a value of an unexpected type, or money in two currencies.
///
/// | `a` | `b` | `a and b` | `a or b` | `not a` |
/// |---|---|---|---|---|
/// | True | True | True | True | False |
/// | True | Unknown | Unknown | True | False |
/// | True | False | False | True | False |
/// | Unknown | Unknown | Unknown | Unknown | Unknown |
/// | Unknown | False | False | Unknown | Unknown |
/// | False | False | False | False | True |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Truth {
    /// Definitely not.
    False,
    /// Not known: the data needed is missing or of the wrong type.
    Unknown,
    /// Definitely.
    True,
}

impl Truth {
    /// Returns Kleene conjunction.
    #[must_use]
    #[inline]
    pub fn and(self, other: Truth) -> Truth {
        self.min(other)
    }

    /// Returns Kleene disjunction.
    #[must_use]
    #[inline]
    pub fn or(self, other: Truth) -> Truth {
        self.max(other)
    }

    /// Returns Kleene negation: `Unknown` stays `Unknown`.
    #[must_use]
    #[inline]
    pub fn negate(self) -> Truth {
        match self {
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
            Truth::True => Truth::False,
        }
    }

    /// Returns `true` only for [`Truth::True`].
    #[inline]
    pub fn is_true(self) -> bool {
        self == Truth::True
    }

    #[inline]
    fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// What an evaluation knows besides the data: the time, and the event time
/// while reading an event's own fields.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'c> {
    pub(crate) now: DateTime<Utc>,
    event_at: Option<DateTime<Utc>>,
    /// `now - within` of each numbered window, when computed in advance;
    /// empty to compute them as needed.
    lows: &'c [Option<DateTime<Utc>>],
}

impl<'c> Ctx<'c> {
    pub(crate) fn new(now: DateTime<Utc>, lows: &'c [Option<DateTime<Utc>>]) -> Ctx<'c> {
        Ctx {
            now,
            event_at: None,
            lows,
        }
    }
}

/// The results of shared segment bodies ([`Node::Ref`]) already worked out
/// for the profile being evaluated, by [`Shared::index`](crate::segment::check::Shared).
pub(crate) type Memo = [Cell<Option<Truth>>];

/// How many shared segments a memo holds on the stack.
pub(crate) const INLINE_MEMO: usize = 16;

/// Calls `f` with a fresh memo of `n` slots: on the stack up to
/// [`INLINE_MEMO`], else on the heap.
#[inline]
pub(crate) fn with_memo<R>(n: usize, f: impl FnOnce(&Memo) -> R) -> R {
    if n <= INLINE_MEMO {
        let slots = [const { Cell::new(None) }; INLINE_MEMO];
        f(&slots[..n])
    } else {
        let slots: Vec<Cell<Option<Truth>>> = (0..n).map(|_| Cell::new(None)).collect();
        f(&slots)
    }
}

/// Returns the memoised value of `slot`, working it out with `f` the first
/// time. A missing slot (a memo too short) evaluates every time, which gives
/// the same result, only slower.
#[inline]
fn memoised(memo: &Memo, slot: usize, f: impl FnOnce() -> Truth) -> Truth {
    match memo.get(slot) {
        Some(cell) => match cell.get() {
            Some(t) => t,
            None => {
                let t = f();
                cell.set(Some(t));
                t
            }
        },
        None => f(),
    }
}

/// Returns the start of each window at `now` (`None` where it underflows).
pub(crate) fn window_starts(
    now: DateTime<Utc>,
    windows: &[TimeDelta],
) -> Vec<Option<DateTime<Utc>>> {
    windows.iter().map(|w| now.checked_sub_signed(*w)).collect()
}

/// A value during evaluation.
#[derive(Clone, Copy, Debug)]
enum Rv<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
    Date(NaiveDate),
    Ts(DateTime<Utc>),
    /// Minor units of a currency.
    Money(i64, Currency),
    /// The sum of no values: zero of every numeric type and currency.
    Zero,
}

impl<'a> Rv<'a> {
    #[inline]
    fn from_value(v: Value<'a>) -> Option<Rv<'a>> {
        Some(match v {
            Value::Bool(b) => Rv::Bool(b),
            Value::Int(i) => Rv::Int(i),
            Value::Float(x) if x.is_finite() => Rv::Float(x),
            Value::Text(t) => Rv::Text(t),
            Value::Date(d) => Rv::Date(d),
            Value::Timestamp(t) => Rv::Ts(t),
            Value::Money(m) => Rv::Money(m.minor(), m.currency()),
            _ => return None,
        })
    }

    #[inline]
    fn from_lit(l: &'a Lit) -> Rv<'a> {
        match l {
            Lit::Bool(b) => Rv::Bool(*b),
            Lit::Int(i) => Rv::Int(*i),
            Lit::Float(x) => Rv::Float(*x),
            Lit::Text(t) => Rv::Text(t),
            Lit::Date(d) => Rv::Date(*d),
            Lit::Timestamp(t) => Rv::Ts(*t),
            Lit::Money(m) => Rv::Money(m.minor(), m.currency()),
        }
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Orders two values, or `None` when they cannot be compared.
#[inline]
fn order(a: Rv<'_>, b: Rv<'_>) -> Option<Ordering> {
    use Rv::*;
    match (a, b) {
        (Bool(x), Bool(y)) => Some(x.cmp(&y)),
        (Int(x), Int(y)) => Some(x.cmp(&y)),
        (Int(x), Float(y)) => (x as f64).partial_cmp(&y),
        (Float(x), Int(y)) => x.partial_cmp(&(y as f64)),
        (Float(x), Float(y)) => x.partial_cmp(&y),
        (Text(x), Text(y)) => Some(x.cmp(y)),
        (Date(x), Date(y)) => Some(x.cmp(&y)),
        (Ts(x), Ts(y)) => Some(x.cmp(&y)),
        (Date(x), Ts(y)) => Some(midnight(x).cmp(&y)),
        (Ts(x), Date(y)) => Some(x.cmp(&midnight(y))),
        (Money(x, cx), Money(y, cy)) => (cx == cy).then(|| x.cmp(&y)),
        (Zero, Zero) => Some(Ordering::Equal),
        (Zero, Int(y) | Money(y, _)) => Some(0.cmp(&y)),
        (Int(x) | Money(x, _), Zero) => Some(x.cmp(&0)),
        (Zero, Float(y)) => 0.0.partial_cmp(&y),
        (Float(x), Zero) => x.partial_cmp(&0.0),
        _ => None,
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// Text equality; short texts (country codes, plans, statuses) are the
/// common case, and comparing them byte by byte in line beats calling
/// `memcmp`.
#[inline]
fn text_eq(x: &str, y: &str) -> bool {
    let (x, y) = (x.as_bytes(), y.as_bytes());
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a == b)
}

/// Returns whether `op` holds for two values in order `o`.
#[inline]
fn holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq | CmpOp::In => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }
}

/// Equality without ordering: cheaper for text, which `Ord` compares
/// byte by byte even when the lengths differ.
#[inline]
fn equal(a: Rv<'_>, b: Rv<'_>) -> Option<bool> {
    match (a, b) {
        (Rv::Text(x), Rv::Text(y)) => Some(text_eq(x, y)),
        (Rv::Int(x), Rv::Int(y)) => Some(x == y),
        (Rv::Bool(x), Rv::Bool(y)) => Some(x == y),
        _ => order(a, b).map(|o| o == Ordering::Equal),
    }
}

#[inline]
fn apply(op: CmpOp, a: Rv<'_>, b: Rv<'_>) -> Truth {
    let text = |f: fn(&str, &str) -> bool| match (a, b) {
        (Rv::Text(x), Rv::Text(y)) => Truth::of(f(x, y)),
        _ => Truth::Unknown,
    };
    match op {
        CmpOp::EqIgnoreCase => text(eq_ignore_case),
        CmpOp::Contains => text(|x, y| x.contains(y)),
        CmpOp::StartsWith => text(|x, y| x.starts_with(y)),
        CmpOp::EndsWith => text(|x, y| x.ends_with(y)),
        CmpOp::Eq | CmpOp::In => equal(a, b).map_or(Truth::Unknown, Truth::of),
        CmpOp::Ne => equal(a, b).map_or(Truth::Unknown, |e| Truth::of(!e)),
        _ => match order(a, b) {
            None => Truth::Unknown,
            Some(o) => Truth::of(match op {
                CmpOp::Eq | CmpOp::In => o == Ordering::Equal,
                CmpOp::Ne => o != Ordering::Equal,
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }),
        },
    }
}

/// Evaluates `node` against `scope`.
///
/// `memo` holds the results of shared segments for this `scope`; it must be
/// fresh for every profile.
pub(crate) fn eval<A: FieldAccess + ?Sized>(
    node: &Node,
    scope: &A,
    ctx: &Ctx<'_>,
    memo: &Memo,
) -> Truth {
    match node {
        Node::And(xs) => {
            let mut acc = Truth::True;
            for x in xs.iter() {
                acc = acc.and(leaf(x, scope, ctx, memo));
                if acc == Truth::False {
                    break;
                }
            }
            acc
        }
        Node::Or(xs) => {
            let mut acc = Truth::False;
            for x in xs.iter() {
                acc = acc.or(leaf(x, scope, ctx, memo));
                if acc == Truth::True {
                    break;
                }
            }
            acc
        }
        Node::Not(x) => leaf(x, scope, ctx, memo).negate(),
        other => leaf(other, scope, ctx, memo),
    }
}

/// Evaluates a leaf in line, and hands `and`, `or` and `not` back to
/// [`eval`]: the operands of a connective are mostly leaves, and this saves
/// a call for each.
#[inline(always)]
fn leaf<A: FieldAccess + ?Sized>(node: &Node, scope: &A, ctx: &Ctx<'_>, memo: &Memo) -> Truth {
    match node {
        Node::And(_) | Node::Or(_) | Node::Not(_) => eval(node, scope, ctx, memo),
        Node::Ref(s) => memoised(memo, s.index, || eval(&s.node, scope, ctx, memo)),
        Node::Exists(Source::Path(p, _)) => Truth::of(scope.has(p)),
        Node::Exists(Source::EventAt) => Truth::of(ctx.event_at.is_some()),
        Node::Test(p, card, t) => match t {
            Test::TextEq { text, negate } => {
                field_test(scope, p, *card, |v| text_eq_test(text, *negate, v))
            }
            Test::TextIn(items) => field_test(scope, p, *card, |v| text_in(items, v)),
            Test::ShortTextIn(keys) => field_test(scope, p, *card, |v| short_text_in(keys, v)),
            Test::Int(op, i) => field_test(scope, p, *card, |v| int_test(*op, *i, v)),
            Test::Float(op, y) => field_test(scope, p, *card, |v| float_test(*op, *y, v)),
        },
        Node::Cmp(c) => match (&c.lhs, &c.rhs) {
            // The common shapes get a path with one visit and no nested
            // closures; `compare` handles every shape the same way, slower.
            (Opnd::Field(Source::Path(p, card)), Opnd::Lit(l)) => {
                let lit = Rv::from_lit(l);
                field_test(scope, p, *card, |v| {
                    Rv::from_value(v).map_or(Truth::Unknown, |a| apply(c.op, a, lit))
                })
            }
            (Opnd::Field(Source::Path(p, card)), Opnd::List(items)) => {
                field_test(scope, p, *card, |v| {
                    Rv::from_value(v).map_or(Truth::Unknown, |a| one_of(a, items))
                })
            }
            (Opnd::Agg(a), Opnd::Lit(l)) => match (aggregate(a, scope, ctx), l) {
                // Money against money, the common case, without the general
                // comparison.
                (Some(Rv::Money(x, cx)), Lit::Money(m)) if cx == m.currency() => {
                    Truth::of(holds(c.op, x.cmp(&m.minor())))
                }
                (Some(Rv::Zero), Lit::Money(m)) => Truth::of(holds(c.op, 0.cmp(&m.minor()))),
                (Some(v), l) => apply(c.op, v, Rv::from_lit(l)),
                (None, _) => Truth::Unknown,
            },
            _ => compare(c, scope, ctx),
        },
    }
}

#[inline(always)]
fn text_eq_test(text: &str, negate: bool, v: Value<'_>) -> Truth {
    match v {
        Value::Text(x) => Truth::of(text_eq(x, text) != negate),
        _ => Truth::Unknown,
    }
}

#[inline(always)]
fn text_in(items: &[Box<str>], v: Value<'_>) -> Truth {
    match v {
        Value::Text(x) => Truth::of(items.iter().any(|i| text_eq(x, i))),
        _ => Truth::Unknown,
    }
}

#[inline(always)]
fn short_text_in(keys: &[u64], v: Value<'_>) -> Truth {
    match v {
        Value::Text(x) => Truth::of(pack_short(x).is_some_and(|k| keys.contains(&k))),
        _ => Truth::Unknown,
    }
}

#[inline(always)]
fn int_test(op: CmpOp, i: i64, v: Value<'_>) -> Truth {
    match v {
        Value::Int(x) => Truth::of(holds(op, x.cmp(&i))),
        Value::Float(x) if x.is_finite() => x
            .partial_cmp(&(i as f64))
            .map_or(Truth::Unknown, |o| Truth::of(holds(op, o))),
        _ => Truth::Unknown,
    }
}

#[inline(always)]
fn float_test(op: CmpOp, y: f64, v: Value<'_>) -> Truth {
    let x = match v {
        Value::Int(x) => x as f64,
        Value::Float(x) if x.is_finite() => x,
        _ => return Truth::Unknown,
    };
    x.partial_cmp(&y)
        .map_or(Truth::Unknown, |o| Truth::of(holds(op, o)))
}

/// A condition specialised for one profile type: a tree of closures, each
/// testing one node with the type's own `first` and `visit` in line.
/// Each takes the memo of shared segments for the profile at hand.
pub(crate) type Bound<'c, A> = Box<dyn Fn(&A, &Memo) -> Truth + Send + Sync + 'c>;

/// A bound shared segment body, bound once however many references reach it.
type SharedBound<'c, A> = Arc<dyn Fn(&A, &Memo) -> Truth + Send + Sync + 'c>;

/// Returns `node` as closures specialised for `A`; their results equal
/// [`eval`]'s.
///
/// `shared` holds the shared bodies bound so far, by index, so that binding
/// too is linear in the compiled size.
pub(crate) fn bind<'c, A: FieldAccess + ?Sized + 'c>(
    node: &'c Node,
    ctx: Ctx<'c>,
    shared: &mut Vec<Option<SharedBound<'c, A>>>,
) -> Bound<'c, A> {
    match node {
        Node::And(xs) => bind_connective(xs, ctx, shared, Truth::True, Truth::False, Truth::and),
        Node::Or(xs) => bind_connective(xs, ctx, shared, Truth::False, Truth::True, Truth::or),
        Node::Not(x) => {
            let k = bind(x, ctx, shared);
            Box::new(move |a, m| k(a, m).negate())
        }
        Node::Ref(s) => {
            let body = match shared.get(s.index).and_then(Option::as_ref) {
                Some(body) => Arc::clone(body),
                None => {
                    let body: SharedBound<'c, A> = Arc::from(bind(&s.node, ctx, shared));
                    if shared.len() <= s.index {
                        shared.resize_with(s.index + 1, || None);
                    }
                    shared[s.index] = Some(Arc::clone(&body));
                    body
                }
            };
            let slot = s.index;
            Box::new(move |a, m| memoised(m, slot, || body(a, m)))
        }
        Node::Test(p, card, t) => {
            let card = *card;
            match t {
                Test::TextEq { text, negate } => {
                    let negate = *negate;
                    Box::new(move |a, _| field_test(a, p, card, |v| text_eq_test(text, negate, v)))
                }
                Test::TextIn(items) => {
                    Box::new(move |a, _| field_test(a, p, card, |v| text_in(items, v)))
                }
                Test::ShortTextIn(keys) => {
                    Box::new(move |a, _| field_test(a, p, card, |v| short_text_in(keys, v)))
                }
                Test::Int(op, i) => {
                    let (op, i) = (*op, *i);
                    Box::new(move |a, _| field_test(a, p, card, |v| int_test(op, i, v)))
                }
                Test::Float(op, y) => {
                    let (op, y) = (*op, *y);
                    Box::new(move |a, _| field_test(a, p, card, |v| float_test(op, y, v)))
                }
            }
        }
        Node::Cmp(c) => match (&c.lhs, &c.rhs) {
            (Opnd::Agg(agg), Opnd::Lit(Lit::Money(limit)))
                if agg.func == AggFn::Sum && agg.filter.is_none() =>
            {
                match &agg.field {
                    Some(Source::Path(field, Cardinality::One)) => {
                        bind_money_sum(agg, field, c.op, *limit, ctx)
                    }
                    _ => Box::new(move |a, m| leaf(node, a, &ctx, m)),
                }
            }
            _ => Box::new(move |a, m| leaf(node, a, &ctx, m)),
        },
        other => Box::new(move |a, m| leaf(other, a, &ctx, m)),
    }
}

/// Tests each value of the field at `p`: `True` when some value passes,
/// `Unknown` when the field is missing or no value passes but some could not
/// be compared.
#[inline(always)]
fn field_test<A: FieldAccess + ?Sized>(
    scope: &A,
    p: &FieldPath,
    card: Cardinality,
    test: impl Fn(Value<'_>) -> Truth,
) -> Truth {
    if card == Cardinality::One {
        return match scope.first(p) {
            Some(v) => test(v),
            None => Truth::Unknown,
        };
    }
    let mut acc = Truth::False;
    let mut seen = false;
    scope.visit(p, &mut |v| {
        seen = true;
        if acc != Truth::True {
            acc = acc.or(test(v));
        }
    });
    if seen {
        acc
    } else {
        Truth::Unknown
    }
}

/// `a in items`: Kleene `or` of `a = item`.
#[inline]
fn one_of(a: Rv<'_>, items: &[Lit]) -> Truth {
    let mut acc = Truth::False;
    for item in items {
        acc = acc.or(apply(CmpOp::Eq, a, Rv::from_lit(item)));
        if acc == Truth::True {
            break;
        }
    }
    acc
}

/// Calls `f` with each value of an operand; a missing field calls it never.
fn values<'s, A: FieldAccess + ?Sized>(
    o: &'s Opnd,
    scope: &'s A,
    ctx: &Ctx<'_>,
    f: &mut dyn FnMut(Option<Rv<'s>>),
) {
    match o {
        Opnd::Field(Source::Path(p, Cardinality::One)) => {
            if let Some(v) = scope.first(p) {
                f(Rv::from_value(v));
            }
        }
        Opnd::Field(Source::Path(p, _)) => scope.visit(p, &mut |v| f(Rv::from_value(v))),
        Opnd::Field(Source::EventAt) => {
            if let Some(at) = ctx.event_at {
                f(Some(Rv::Ts(at)));
            }
        }
        Opnd::Lit(l) => f(Some(Rv::from_lit(l))),
        Opnd::Now(delta) => f(ctx.now.checked_add_signed(*delta).map(Rv::Ts)),
        Opnd::Agg(a) => {
            if let Some(v) = aggregate(a, scope, ctx) {
                f(Some(v));
            }
        }
        // Lists stand only on the right of `in`, which `compare` reads itself.
        Opnd::List(_) => {}
    }
}

fn compare<A: FieldAccess + ?Sized>(c: &Cmp, scope: &A, ctx: &Ctx<'_>) -> Truth {
    // Fields with several values compare existentially: the comparison is
    // true when some pair of values makes it true (Kleene `or` over pairs).
    let mut acc = Truth::False;
    let mut seen_lhs = false;
    values(&c.lhs, scope, ctx, &mut |a| {
        seen_lhs = true;
        if acc == Truth::True {
            return;
        }
        let Some(a) = a else {
            acc = acc.or(Truth::Unknown);
            return;
        };
        if let Opnd::List(items) = &c.rhs {
            acc = acc.or(one_of(a, items));
            return;
        }
        let mut seen_rhs = false;
        values(&c.rhs, scope, ctx, &mut |b| {
            seen_rhs = true;
            acc = acc.or(b.map_or(Truth::Unknown, |b| apply(c.op, a, b)));
        });
        if !seen_rhs {
            acc = acc.or(Truth::Unknown);
        }
    });
    if seen_lhs {
        acc
    } else {
        Truth::Unknown
    }
}

/// Returns the start of the aggregate's window (`None` inside for no
/// window), or `None` when it lies before the earliest time there is.
#[inline]
fn window_start(a: &Agg, ctx: &Ctx<'_>) -> Option<Option<DateTime<Utc>>> {
    Some(match (a.within, a.slot.and_then(|i| ctx.lows.get(i))) {
        (None, _) => None,
        (Some(_), Some(lo)) => Some((*lo)?),
        (Some(w), None) => Some(ctx.now.checked_sub_signed(w)?),
    })
}

/// Binds `and` (`unit` true, stopping at false) or `or` (`unit` false,
/// stopping at true) over `xs`.
fn bind_connective<'c, A: FieldAccess + ?Sized + 'c>(
    xs: &'c [Node],
    ctx: Ctx<'c>,
    shared: &mut Vec<Option<SharedBound<'c, A>>>,
    unit: Truth,
    stop: Truth,
    op: impl Fn(Truth, Truth) -> Truth + Send + Sync + 'c,
) -> Bound<'c, A> {
    let kids: Box<[Bound<'c, A>]> = xs.iter().map(|x| bind(x, ctx, shared)).collect();
    Box::new(move |a, m| {
        let mut acc = unit;
        for k in kids.iter() {
            acc = op(acc, k(a, m));
            if acc == stop {
                break;
            }
        }
        acc
    })
}

/// Binds `sum(event.field within w) op amount` over a single-valued field
/// with no `where` filter, the common shape of spend conditions: the sum
/// runs in place over the events the profile selects. The result equals
/// [`aggregate`] followed by the comparison: the sum of no values is zero,
/// and a value of another type or currency, or an overflow, makes it
/// unknown.
fn bind_money_sum<'c, A: FieldAccess + ?Sized + 'c>(
    agg: &'c Agg,
    field: &'c FieldPath,
    op: CmpOp,
    limit: crate::model::Money,
    ctx: Ctx<'c>,
) -> Bound<'c, A> {
    let window = window_start(agg, &ctx);
    let (limit, currency) = (limit.minor(), limit.currency());
    Box::new(move |profile, _| {
        let Some(from) = window else {
            return Truth::Unknown;
        };
        let query = EventQuery::new(&agg.event, from, ctx.now);
        let mut sum: i64 = 0;
        let mut broken = false;
        profile.visit_events_matching(&query, &mut |ev| {
            if broken {
                return;
            }
            match ev.first(field) {
                None => {}
                Some(Value::Money(m)) if m.currency() == currency => {
                    match sum.checked_add(m.minor()) {
                        Some(next) => sum = next,
                        None => broken = true,
                    }
                }
                Some(_) => broken = true,
            }
        });
        if broken {
            Truth::Unknown
        } else {
            Truth::of(holds(op, sum.cmp(&limit)))
        }
    })
}

/// Running state of an aggregate.
enum Acc<'s> {
    Empty,
    Int(i64),
    Float(f64),
    Money(i64, Currency),
    Value(Rv<'s>),
    /// Mixed types, two currencies or an overflow: the result is unknown.
    Broken,
}

fn aggregate<'s, A: FieldAccess + ?Sized>(
    a: &'s Agg,
    scope: &'s A,
    ctx: &Ctx<'_>,
) -> Option<Rv<'s>> {
    let lo = window_start(a, ctx)?;
    let mut events: i64 = 0;
    let mut values: i64 = 0;
    let mut acc = Acc::Empty;
    let query = EventQuery::new(&a.event, lo, ctx.now);
    scope.visit_events_matching(&query, &mut |ev: &'s dyn EventAccess| {
        if let Some(filter) = &a.filter {
            let inner = Ctx {
                event_at: Some(ev.at()),
                ..*ctx
            };
            // A filter reads the event, not the profile, and holds no
            // `in_segment` (checking refuses it there), so it needs no memo.
            if eval(filter, ev, &inner, &[]) != Truth::True {
                return;
            }
        }
        events += 1;
        let Some(field) = &a.field else { return };
        let func = a.func;
        let mut add = |v: Value<'s>| {
            values += 1;
            // Sums of money, the common case, add in place.
            if let (Value::Money(m), AggFn::Sum | AggFn::Avg) = (v, func) {
                match &mut acc {
                    Acc::Money(sum, c) if *c == m.currency() => {
                        if let Some(next) = sum.checked_add(m.minor()) {
                            *sum = next;
                            return;
                        }
                    }
                    Acc::Empty => {
                        acc = Acc::Money(m.minor(), m.currency());
                        return;
                    }
                    _ => {}
                }
            }
            acc = step(
                func,
                std::mem::replace(&mut acc, Acc::Empty),
                Rv::from_value(v),
            );
        };
        match field {
            Source::Path(p, Cardinality::One) => {
                if let Some(v) = ev.first(p) {
                    add(v);
                }
            }
            Source::Path(p, _) => ev.visit(p, &mut add),
            Source::EventAt => {
                values += 1;
                acc = step(
                    func,
                    std::mem::replace(&mut acc, Acc::Empty),
                    Some(Rv::Ts(ev.at())),
                );
            }
        }
    });
    match a.func {
        AggFn::Count => Some(Rv::Int(events)),
        AggFn::Sum => match acc {
            Acc::Empty => Some(Rv::Zero),
            Acc::Int(i) => Some(Rv::Int(i)),
            Acc::Float(x) => Some(Rv::Float(x)),
            Acc::Money(m, c) => Some(Rv::Money(m, c)),
            Acc::Value(_) | Acc::Broken => None,
        },
        AggFn::Avg => match acc {
            Acc::Int(i) => Some(Rv::Float(i as f64 / values as f64)),
            Acc::Float(x) => Some(Rv::Float(x / values as f64)),
            Acc::Money(m, c) => Some(Rv::Money(div_round(m, values), c)),
            _ => None,
        },
        _ => match acc {
            Acc::Value(v) => Some(v),
            _ => None,
        },
    }
}

/// Divides, rounding half away from zero (a mean of minor units).
fn div_round(sum: i64, n: i64) -> i64 {
    let (q, r) = (sum / n, sum % n);
    if 2 * r.abs() >= n {
        q + sum.signum()
    } else {
        q
    }
}

fn step<'s>(func: AggFn, acc: Acc<'s>, v: Option<Rv<'s>>) -> Acc<'s> {
    let Some(v) = v else { return Acc::Broken };
    match func {
        AggFn::Sum | AggFn::Avg => match (acc, v) {
            (Acc::Empty, Rv::Int(i)) => Acc::Int(i),
            (Acc::Empty, Rv::Float(x)) => Acc::Float(x),
            (Acc::Empty, Rv::Money(m, c)) => Acc::Money(m, c),
            (Acc::Int(s), Rv::Int(i)) => s.checked_add(i).map_or(Acc::Broken, Acc::Int),
            (Acc::Int(s), Rv::Float(x)) => Acc::Float(s as f64 + x),
            (Acc::Float(s), Rv::Int(i)) => Acc::Float(s + i as f64),
            (Acc::Float(s), Rv::Float(x)) => Acc::Float(s + x),
            (Acc::Money(s, c), Rv::Money(m, d)) if c == d => {
                s.checked_add(m).map_or(Acc::Broken, |s| Acc::Money(s, c))
            }
            _ => Acc::Broken,
        },
        AggFn::Min | AggFn::Max => match acc {
            Acc::Empty => Acc::Value(v),
            Acc::Value(best) => match order(v, best) {
                None => Acc::Broken,
                Some(o)
                    if (o == Ordering::Less) == (func == AggFn::Min) && o != Ordering::Equal =>
                {
                    Acc::Value(v)
                }
                Some(_) => Acc::Value(best),
            },
            other => other,
        },
        AggFn::First => match acc {
            Acc::Empty => Acc::Value(v),
            other => other,
        },
        _ => Acc::Value(v),
    }
}
