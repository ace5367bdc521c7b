//! Canonical text of expressions: `Display` for [`Expr`] and its parts.
//!
//! The printer writes the fewest parentheses that keep the tree's shape:
//! `and` binds tighter than `or`, an `and` inside an `and` (or an `or`
//! inside an `or`) keeps its parentheses so that parsing gives back the same
//! tree, and numbers, strings and durations have one written form each.

use std::fmt::{self, Write};

use chrono::SecondsFormat;

use crate::segment::ast::{Aggregate, Expr, Literal, Operand, Shift};

/// How deep the printer follows a tree before writing `...`; far beyond
/// what parsing or compiling accepts, and still safe for the stack.
const PRINT_DEPTH: usize = 512;

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        expr(f, self, 0)
    }
}

fn expr(f: &mut fmt::Formatter<'_>, e: &Expr, depth: usize) -> fmt::Result {
    if depth > PRINT_DEPTH {
        return f.write_str("...");
    }
    match e {
        Expr::Or(xs) => join(f, xs, " or ", depth, |x| matches!(x, Expr::Or(_))),
        Expr::And(xs) => join(f, xs, " and ", depth, |x| {
            matches!(x, Expr::Or(_) | Expr::And(_))
        }),
        Expr::Not(x) => {
            f.write_str("not ")?;
            operand_expr(f, x, matches!(**x, Expr::Or(_) | Expr::And(_)), depth + 1)
        }
        Expr::Exists(field) => write!(f, "exists({})", field.path),
        Expr::InSegment(s) => {
            f.write_str("in_segment(")?;
            text(f, &s.name)?;
            f.write_char(')')
        }
        Expr::Compare(c) => {
            operand(f, &c.lhs, depth)?;
            write!(f, " {} ", c.op)?;
            operand(f, &c.rhs, depth)
        }
    }
}

fn join(
    f: &mut fmt::Formatter<'_>,
    xs: &[Expr],
    sep: &str,
    depth: usize,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        operand_expr(f, x, needs_parens(x), depth + 1)?;
    }
    Ok(())
}

fn operand_expr(f: &mut fmt::Formatter<'_>, x: &Expr, parens: bool, depth: usize) -> fmt::Result {
    if parens {
        f.write_char('(')?;
        expr(f, x, depth)?;
        f.write_char(')')
    } else {
        expr(f, x, depth)
    }
}

fn operand(f: &mut fmt::Formatter<'_>, o: &Operand, depth: usize) -> fmt::Result {
    match o {
        Operand::Field(field) => write!(f, "{}", field.path),
        Operand::Literal(lit) => write!(f, "{lit}"),
        Operand::List(items) => {
            f.write_char('[')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_char(']')
        }
        Operand::Now(shift) => write!(f, "{shift}"),
        Operand::Aggregate(a) => aggregate(f, a, depth),
    }
}

fn aggregate(f: &mut fmt::Formatter<'_>, a: &Aggregate, depth: usize) -> fmt::Result {
    write!(f, "{}(", a.func.as_str())?;
    if a.custom {
        text(f, &a.event)?;
    } else {
        f.write_str(&a.event)?;
    }
    if let Some(field) = &a.field {
        write!(f, ".{field}")?;
    }
    if let Some(filter) = &a.filter {
        f.write_str(" where ")?;
        expr(f, filter, depth + 1)?;
    }
    if let Some(within) = a.within {
        write!(f, " within {within}")?;
    }
    f.write_char(')')
}

impl fmt::Display for Shift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shift::None => f.write_str("now"),
            Shift::Back(d) => write!(f, "now - {d}"),
            Shift::Ahead(d) => write!(f, "now + {d}"),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            // `Debug` writes the shortest text that reads back as the same
            // f64 and always marks it as a float (`1.0`, `1e300`).
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Text(s) => text(f, s),
            Literal::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Literal::Timestamp(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Literal::Money(m) => write!(f, "{m}"),
        }
    }
}

fn text(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}
