//! Type checking against a [`Schema`], and lowering into the evaluator's
//! tree with every path resolved once.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::error::{Error, Span};
use crate::model::{Cardinality, EventSpec, FieldPath, FieldType, Money, Schema};
use crate::segment::ast::{self, AggFn, CmpOp, Expr, Literal, Operand, Shift};
use crate::segment::error::suggest;
use crate::segment::error::Detail;

/// A checked, resolved expression node.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Exists(Source),
    Cmp(Box<Cmp>),
    /// A field against a literal, in a form that reads each value once
    /// without converting it.
    Test(FieldPath, Cardinality, Test),
    /// `in_segment(..)`: a named segment's body, compiled once and shared by
    /// every reference to it, so that the compiled tree grows with the
    /// catalog's text and not with the number of paths through it.
    Ref(Arc<Shared>),
}

/// The compiled body of a named segment, shared by its references.
pub(crate) struct Shared {
    /// Number of the segment among those one compilation shares (`0..n`):
    /// its slot in the per-evaluation memo, which lets an evaluation work
    /// out each shared body at most once per profile.
    pub(crate) index: usize,
    /// The segment's name, for `Debug`.
    pub(crate) name: Box<str>,
    /// The checked body.
    pub(crate) node: Node,
}

impl fmt::Debug for Shared {
    // The body is printed where the segment was compiled on its own; printing
    // it at every reference would repeat it once per path through the
    // catalog, which can be exponentially many.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("index", &self.index)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Returns the number of nodes in `node`, counting each shared body once
/// (however many references reach it): the compiled size.
#[cfg(test)]
pub(crate) fn node_count(node: &Node) -> usize {
    fn go(node: &Node, seen: &mut Vec<bool>) -> usize {
        1 + match node {
            Node::And(xs) | Node::Or(xs) => xs.iter().map(|x| go(x, seen)).sum(),
            Node::Not(x) => go(x, seen),
            Node::Exists(_) | Node::Test(..) => 0,
            Node::Cmp(c) => [&c.lhs, &c.rhs]
                .into_iter()
                .map(|o| match o {
                    Opnd::Agg(a) => a.filter.as_ref().map_or(0, |f| go(f, seen)),
                    _ => 0,
                })
                .sum(),
            Node::Ref(s) => {
                if seen.len() <= s.index {
                    seen.resize(s.index + 1, false);
                }
                if seen[s.index] {
                    0
                } else {
                    seen[s.index] = true;
                    go(&s.node, seen)
                }
            }
        }
    }
    go(node, &mut Vec::new())
}

/// `field op literal` for the common literal types.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// `= "text"` (`negate`: `!=`).
    TextEq { text: Box<str>, negate: bool },
    /// `in ["a", "b"]`.
    TextIn(Box<[Box<str>]>),
    /// `in ["a", "b"]` when every text is at most [`SHORT`] bytes long (codes
    /// of countries, currencies, plans): each text packed into one integer
    /// by [`pack_short`], so that a test is a few integer comparisons.
    ShortTextIn(Box<[u64]>),
    /// Any comparison operator but the text ones, against a whole number.
    Int(CmpOp, i64),
    /// Any comparison operator but the text ones, against a float.
    Float(CmpOp, f64),
}

/// The longest text [`pack_short`] packs.
pub(crate) const SHORT: usize = 7;

/// Packs a text of at most [`SHORT`] bytes into an integer that equals
/// another text's only when the texts are equal: the bytes in the low seven
/// bytes, the length in the high one. Longer texts give `None`.
#[inline]
pub(crate) fn pack_short(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() > SHORT {
        return None;
    }
    let mut key = (bytes.len() as u64) << 56;
    for (i, b) in bytes.iter().enumerate() {
        key |= u64::from(*b) << (8 * i);
    }
    Some(key)
}

/// Returns the evaluator node for `lhs op rhs`, using [`Node::Test`] where it
/// applies; the results are those of [`Node::Cmp`] in every case.
pub(crate) fn specialize(lhs: Opnd, op: CmpOp, rhs: Opnd) -> Node {
    let numeric = matches!(
        op,
        CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge
    );
    let test = match (&lhs, op, &rhs) {
        (Opnd::Field(Source::Path(..)), CmpOp::Eq | CmpOp::Ne, Opnd::Lit(Lit::Text(t))) => {
            Some(Test::TextEq {
                text: t.clone(),
                negate: op == CmpOp::Ne,
            })
        }
        (Opnd::Field(Source::Path(..)), CmpOp::In, Opnd::List(items))
            if !items.is_empty() && items.iter().all(|i| matches!(i, Lit::Text(_))) =>
        {
            let texts = items
                .iter()
                .filter_map(|i| match i {
                    Lit::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            let texts: Box<[Box<str>]> = texts;
            let packed: Option<Box<[u64]>> = texts.iter().map(|t| pack_short(t)).collect();
            Some(packed.map_or(Test::TextIn(texts), Test::ShortTextIn))
        }
        (Opnd::Field(Source::Path(..)), _, Opnd::Lit(Lit::Int(i))) if numeric => {
            Some(Test::Int(op, *i))
        }
        (Opnd::Field(Source::Path(..)), _, Opnd::Lit(Lit::Float(x))) if numeric => {
            Some(Test::Float(op, *x))
        }
        _ => None,
    };
    match (lhs, test) {
        (Opnd::Field(Source::Path(p, card)), Some(test)) => Node::Test(p, card, test),
        (lhs, _) => Node::Cmp(Box::new(Cmp { lhs, op, rhs })),
    }
}

/// A checked comparison.
#[derive(Clone, Debug)]
pub(crate) struct Cmp {
    pub(crate) lhs: Opnd,
    pub(crate) op: CmpOp,
    pub(crate) rhs: Opnd,
}

/// Where a field's values come from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// A path, read through `FieldAccess::first` when the schema declares
    /// it single-valued and through `FieldAccess::visit` otherwise.
    Path(FieldPath, Cardinality),
    /// The event's own time (`at` inside `where`, or `purchase.at`).
    EventAt,
}

/// A checked operand.
#[derive(Clone, Debug)]
pub(crate) enum Opnd {
    Field(Source),
    Lit(Lit),
    List(Box<[Lit]>),
    Now(TimeDelta),
    Agg(Box<Agg>),
}

/// A literal in evaluation form.
#[derive(Clone, Debug)]
pub(crate) enum Lit {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Box<str>),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    Money(Money),
}

/// A checked aggregate.
#[derive(Clone, Debug)]
pub(crate) struct Agg {
    pub(crate) func: AggFn,
    pub(crate) event: Box<str>,
    pub(crate) field: Option<Source>,
    pub(crate) filter: Option<Node>,
    pub(crate) within: Option<TimeDelta>,
    /// Index of `now - within` among the windows an evaluation bound to one
    /// time computes in advance (see [`assign_windows`]).
    pub(crate) slot: Option<usize>,
}

/// Numbers the distinct `within` windows of `node` into `windows`, so that an
/// evaluation bound to one `now` computes each window's start once.
pub(crate) fn assign_windows(node: &mut Node, windows: &mut Vec<TimeDelta>) {
    match node {
        Node::And(xs) | Node::Or(xs) => xs.iter_mut().for_each(|x| assign_windows(x, windows)),
        Node::Not(x) => assign_windows(x, windows),
        // A shared body had its windows numbered, into the same list, before
        // it was shared.
        Node::Exists(_) | Node::Test(..) | Node::Ref(_) => {}
        Node::Cmp(c) => {
            for o in [&mut c.lhs, &mut c.rhs] {
                if let Opnd::Agg(a) = o {
                    if let Some(w) = a.within {
                        let slot = windows.iter().position(|x| *x == w).unwrap_or_else(|| {
                            windows.push(w);
                            windows.len() - 1
                        });
                        a.slot = Some(slot);
                    }
                }
            }
        }
    }
}

/// Static types; `Any` fits everything and is checked when the data is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Float,
    Text,
    Date,
    Timestamp,
    Money,
    Any,
}

impl Ty {
    fn of(t: FieldType) -> Ty {
        match t {
            FieldType::Bool => Ty::Bool,
            FieldType::Int => Ty::Int,
            FieldType::Float => Ty::Float,
            FieldType::Text => Ty::Text,
            FieldType::Date => Ty::Date,
            FieldType::Timestamp => Ty::Timestamp,
            FieldType::Money => Ty::Money,
            _ => Ty::Any,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Float => "float",
            Ty::Text => "text",
            Ty::Date => "date",
            Ty::Timestamp => "timestamp",
            Ty::Money => "money",
            Ty::Any => "any",
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Money | Ty::Any)
    }

    fn comparable(self, other: Ty) -> bool {
        use Ty::*;
        matches!(
            (self, other),
            (Any, _) | (_, Any) | (Int | Float, Int | Float) | (Date | Timestamp, Date | Timestamp)
        ) || self == other
    }
}

fn lit_ty(l: &Literal) -> Ty {
    match l {
        Literal::Bool(_) => Ty::Bool,
        Literal::Int(_) => Ty::Int,
        Literal::Float(_) => Ty::Float,
        Literal::Text(_) => Ty::Text,
        Literal::Date(_) => Ty::Date,
        Literal::Timestamp(_) => Ty::Timestamp,
        Literal::Money(_) => Ty::Money,
    }
}

fn lower_lit(l: &Literal) -> Lit {
    match l {
        Literal::Bool(b) => Lit::Bool(*b),
        Literal::Int(i) => Lit::Int(*i),
        Literal::Float(x) => Lit::Float(*x),
        Literal::Text(s) => Lit::Text(s.as_str().into()),
        Literal::Date(d) => Lit::Date(*d),
        Literal::Timestamp(t) => Lit::Timestamp(*t),
        Literal::Money(m) => Lit::Money(*m),
    }
}

/// Lowers a literal, for tests that build evaluator nodes by hand.
#[cfg(test)]
pub(crate) fn tests_lower(l: &Literal) -> Lit {
    lower_lit(l)
}

/// Resolves `in_segment` names; implemented by the catalog.
pub(crate) trait Resolve {
    /// Returns the checked body of the named segment, compiled against the
    /// same schema, whose nesting is reported as the second value.
    fn resolve(
        &self,
        name: &str,
        span: Option<Span>,
        input: Option<&str>,
    ) -> Result<(Node, usize), Error>;
}

/// Everything a check needs besides the expression.
pub(crate) struct Checker<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) computed: &'a BTreeMap<FieldPath, FieldType>,
    pub(crate) segments: &'a dyn Resolve,
    pub(crate) input: Option<&'a str>,
    pub(crate) limit: usize,
}

/// The field scope an expression is read in.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Profile,
    Event(&'a EventSpec),
}

impl Checker<'_> {
    /// Checks `expr` and returns its evaluator tree and nesting depth
    /// (counting referenced segments).
    pub(crate) fn check(&self, expr: &Expr) -> Result<(Node, usize), Error> {
        self.expr(expr, Scope::Profile, 0)
    }

    fn err(&self, detail: Detail, loc: &ast::Loc) -> Error {
        detail.at(self.input, loc.0)
    }

    fn too_deep(&self) -> Error {
        Detail::TooDeep { limit: self.limit }.at(None, None)
    }

    fn expr(&self, e: &Expr, scope: Scope<'_>, depth: usize) -> Result<(Node, usize), Error> {
        match e {
            Expr::And(xs) | Expr::Or(xs) => {
                if depth >= self.limit {
                    return Err(self.too_deep());
                }
                if xs.len() < 2 {
                    return Err(Detail::InvalidInput(format!(
                        "{} needs at least two operands, found {}",
                        if matches!(e, Expr::And(_)) {
                            "and"
                        } else {
                            "or"
                        },
                        xs.len()
                    ))
                    .into());
                }
                let mut nodes = Vec::with_capacity(xs.len());
                let mut deepest = depth + 1;
                for x in xs {
                    let (n, d) = self.expr(x, scope, depth + 1)?;
                    deepest = deepest.max(d);
                    nodes.push(n);
                }
                let nodes = nodes.into_boxed_slice();
                let node = if matches!(e, Expr::And(_)) {
                    Node::And(nodes)
                } else {
                    Node::Or(nodes)
                };
                Ok((node, deepest))
            }
            Expr::Not(x) => {
                if depth >= self.limit {
                    return Err(self.too_deep());
                }
                let (n, d) = self.expr(x, scope, depth + 1)?;
                Ok((Node::Not(Box::new(n)), d))
            }
            Expr::Exists(field) => {
                let (source, _, _) = self.field(&field.path, &field.loc, scope)?;
                Ok((Node::Exists(source), depth))
            }
            Expr::InSegment(s) => {
                if let Scope::Event(spec) = scope {
                    return Err(self.err(
                        Detail::Type(format!(
                            "in_segment({:?}) cannot stand inside a condition on {} events",
                            s.name,
                            spec.name()
                        )),
                        &s.loc,
                    ));
                }
                let (node, d) = self.segments.resolve(&s.name, s.loc.0, self.input)?;
                if depth + d > self.limit {
                    return Err(self.err(Detail::TooDeep { limit: self.limit }, &s.loc));
                }
                Ok((node, depth + d))
            }
            Expr::Compare(c) => self.compare(c, scope, depth),
        }
    }

    fn field(
        &self,
        path: &FieldPath,
        loc: &ast::Loc,
        scope: Scope<'_>,
    ) -> Result<(Source, Ty, Cardinality), Error> {
        match scope {
            Scope::Profile => {
                if let Some(t) = self.computed.get(path) {
                    return Ok((
                        Source::Path(path.clone(), Cardinality::One),
                        Ty::of(*t),
                        Cardinality::One,
                    ));
                }
                if let Some((t, c)) = self.schema.field(path) {
                    return Ok((Source::Path(path.clone(), c), Ty::of(t), c));
                }
                let candidates = self
                    .schema
                    .fields()
                    .iter()
                    .map(|f| f.path().as_str())
                    .chain(self.computed.keys().map(FieldPath::as_str));
                Err(self.err(
                    Detail::UnknownField {
                        path: path.to_string(),
                        scope: "the profile schema".to_owned(),
                        suggestion: suggest(path.as_str(), candidates),
                    },
                    loc,
                ))
            }
            Scope::Event(spec) => {
                if path.as_str() == "at" {
                    return Ok((Source::EventAt, Ty::Timestamp, Cardinality::One));
                }
                if let Some((t, c)) = spec.field(path) {
                    return Ok((Source::Path(path.clone(), c), Ty::of(t), c));
                }
                let candidates = spec.fields().iter().map(|f| f.path().as_str());
                Err(self.err(
                    Detail::UnknownField {
                        path: path.to_string(),
                        scope: format!("{} events", spec.name()),
                        suggestion: suggest(path.as_str(), candidates),
                    },
                    loc,
                ))
            }
        }
    }

    fn operand(
        &self,
        o: &Operand,
        scope: Scope<'_>,
        depth: usize,
    ) -> Result<(Opnd, Ty, usize), Error> {
        Ok(match o {
            Operand::Field(f) => {
                let (source, ty, _) = self.field(&f.path, &f.loc, scope)?;
                (Opnd::Field(source), ty, depth)
            }
            Operand::Literal(l) => (Opnd::Lit(lower_lit(l)), lit_ty(l), depth),
            Operand::List(items) => {
                let ty = items.first().map_or(Ty::Any, lit_ty);
                (Opnd::List(items.iter().map(lower_lit).collect()), ty, depth)
            }
            Operand::Now(shift) => {
                let delta = match shift {
                    Shift::None => TimeDelta::zero(),
                    Shift::Back(d) => -d.to_delta(),
                    Shift::Ahead(d) => d.to_delta(),
                };
                (Opnd::Now(delta), Ty::Timestamp, depth)
            }
            Operand::Aggregate(a) => {
                let (agg, ty, d) = self.aggregate(a, scope, depth)?;
                (Opnd::Agg(Box::new(agg)), ty, d)
            }
        })
    }

    fn aggregate(
        &self,
        a: &ast::Aggregate,
        scope: Scope<'_>,
        depth: usize,
    ) -> Result<(Agg, Ty, usize), Error> {
        if let Scope::Event(spec) = scope {
            return Err(self.err(
                Detail::Type(format!(
                    "{}({}) cannot stand inside a condition on {} events",
                    a.func.as_str(),
                    a.event,
                    spec.name()
                )),
                &a.loc,
            ));
        }
        let declared_or_open = if a.custom {
            self.schema.event_or_open(&a.event)
        } else {
            self.schema.event(&a.event)
        };
        let Some(spec) = declared_or_open else {
            return Err(self.err(
                Detail::UnknownEvent {
                    name: a.event.clone(),
                    suggestion: suggest(&a.event, self.schema.events().map(EventSpec::name)),
                },
                &a.loc,
            ));
        };
        let inner = Scope::Event(spec);
        let (field, ty) = match (&a.field, a.func) {
            (None, AggFn::Count) => (None, Ty::Int),
            (None, f) => {
                return Err(self.err(
                    Detail::Type(format!("{} needs an event field", f.as_str())),
                    &a.loc,
                ))
            }
            (Some(_), AggFn::Count) => {
                return Err(self.err(
                    Detail::Type("count takes an event, not a field".to_owned()),
                    &a.loc,
                ))
            }
            (Some(path), func) => {
                let (source, ty, _) = self.field(path, &a.loc, inner)?;
                let ty = match func {
                    AggFn::Sum | AggFn::Avg if !ty.numeric() => {
                        return Err(self.err(
                            Detail::Type(format!(
                                "{} of {}.{path} is not possible: it is {}, and {} needs int, float or money",
                                func.as_str(),
                                a.event,
                                ty.name(),
                                func.as_str()
                            )),
                            &a.loc,
                        ))
                    }
                    AggFn::Avg if ty == Ty::Int => Ty::Float,
                    _ => ty,
                };
                (Some(source), ty)
            }
        };
        let (filter, d) = match &a.filter {
            Some(f) => {
                if depth >= self.limit {
                    return Err(self.too_deep());
                }
                let (n, d) = self.expr(f, inner, depth + 1)?;
                (Some(n), d)
            }
            None => (None, depth),
        };
        let agg = Agg {
            func: a.func,
            event: a.event.as_str().into(),
            field,
            filter,
            within: a.within.map(ast::Duration::to_delta),
            slot: None,
        };
        Ok((agg, ty, d))
    }

    fn compare(
        &self,
        c: &ast::Comparison,
        scope: Scope<'_>,
        depth: usize,
    ) -> Result<(Node, usize), Error> {
        let (lhs, lt, ld) = self.operand(&c.lhs, scope, depth)?;
        let (rhs, rt, rd) = self.operand(&c.rhs, scope, depth)?;
        let type_err = |msg: String| Err(self.err(Detail::Type(msg), &c.loc));
        let is_list = matches!(rhs, Opnd::List(_));
        if (c.op == CmpOp::In) != is_list || matches!(lhs, Opnd::List(_)) {
            return type_err(format!(
                "operator {} needs {}",
                c.op,
                if c.op == CmpOp::In {
                    "a list on its right: x in [1, 2]"
                } else {
                    "a single value on each side"
                }
            ));
        }
        if let Operand::List(items) = &c.rhs {
            if let Some(bad) = items.iter().find(|i| !lt.comparable(lit_ty(i))) {
                return type_err(format!(
                    "cannot compare {} with {} {bad} in the list",
                    lt.name(),
                    lit_ty(bad).name()
                ));
            }
        }
        if !lt.comparable(rt) {
            let hint = match (lt, rt) {
                (Ty::Money, Ty::Int | Ty::Float) | (Ty::Int | Ty::Float, Ty::Money) => {
                    ": write the amount with its currency, such as 100 EUR"
                }
                _ => "",
            };
            return type_err(format!(
                "cannot compare {} with {} using {}{hint}",
                lt.name(),
                rt.name(),
                c.op
            ));
        }
        let ordered = matches!(c.op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
        if ordered && (lt == Ty::Bool || rt == Ty::Bool) {
            return type_err(format!(
                "bool values have no order: use = or != instead of {}",
                c.op
            ));
        }
        let textual = matches!(
            c.op,
            CmpOp::EqIgnoreCase | CmpOp::Contains | CmpOp::StartsWith | CmpOp::EndsWith
        );
        if textual {
            if let Some(bad) = [lt, rt]
                .into_iter()
                .find(|t| !matches!(t, Ty::Text | Ty::Any))
            {
                return type_err(format!("operator {} needs text, not {}", c.op, bad.name()));
            }
        }
        Ok((specialize(lhs, c.op, rhs), ld.max(rd)))
    }
}
