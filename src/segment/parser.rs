//! Recursive-descent parser from tokens to [`Expr`].
//!
//! Every recursion (`(`, `not`, an aggregate's `where`) first checks the
//! nesting limit, so no input can overflow the stack.

use crate::error::{Error, Span};
use crate::model::{Currency, FieldPath, Money};
use crate::segment::ast::{
    AggFn, Aggregate, CmpOp, Comparison, Expr, Field, Literal, Loc, Operand, SegmentName, Shift,
};
use crate::segment::error::Detail;
use crate::segment::lexer::{lex, Tok};

/// Words that cannot be field names on their own.
pub(crate) const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "contains",
    "starts_with",
    "ends_with",
    "true",
    "false",
    "now",
    "where",
    "within",
    "exists",
    "in_segment",
];

/// Parses `text` into an expression nested at most `limit` levels deep.
pub(crate) fn parse(text: &str, limit: usize) -> Result<Expr, Error> {
    let tokens = lex(text).map_err(|(msg, span)| Detail::Syntax(msg).at(Some(text), Some(span)))?;
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
        limit,
    };
    let expr = p.or(0)?;
    if p.peek() != &Tok::Eof {
        return Err(p.unexpected("\"and\", \"or\" or the end of the expression"));
    }
    Ok(expr)
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<(Tok, Span)>,
    pos: usize,
    limit: usize,
}

type PResult<T> = Result<T, Error>;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |(t, _)| t)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.tokens
            .get(self.pos + ahead)
            .map_or(&Tok::Eof, |(t, _)| t)
    }

    fn span(&self) -> Span {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .map_or(Span::default(), |(_, s)| *s)
    }

    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |(_, s)| s.end)
    }

    fn bump(&mut self) -> (Tok, Span) {
        let item = self
            .tokens
            .get(self.pos)
            .cloned()
            .unwrap_or((Tok::Eof, Span::new(self.text.len(), self.text.len())));
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        item
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w == word)
    }

    fn error(&self, msg: String, span: Span) -> Error {
        Detail::Syntax(msg).at(Some(self.text), Some(span))
    }

    fn unexpected(&self, wanted: &str) -> Error {
        self.error(
            format!("expected {wanted}, found {}", self.peek().describe()),
            self.span(),
        )
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> PResult<Span> {
        if *self.peek() == tok {
            Ok(self.bump().1)
        } else {
            Err(self.unexpected(wanted))
        }
    }

    fn enter(&self, depth: usize) -> PResult<usize> {
        if depth >= self.limit {
            return Err(
                Detail::TooDeep { limit: self.limit }.at(Some(self.text), Some(self.span()))
            );
        }
        Ok(depth + 1)
    }

    fn or(&mut self, depth: usize) -> PResult<Expr> {
        let first = self.and(depth)?;
        if !self.is_word("or") {
            return Ok(first);
        }
        let mut xs = vec![first];
        while self.is_word("or") {
            self.bump();
            xs.push(self.and(depth)?);
        }
        Ok(Expr::Or(xs))
    }

    fn and(&mut self, depth: usize) -> PResult<Expr> {
        let first = self.unary(depth)?;
        if !self.is_word("and") {
            return Ok(first);
        }
        let mut xs = vec![first];
        while self.is_word("and") {
            self.bump();
            xs.push(self.unary(depth)?);
        }
        Ok(Expr::And(xs))
    }

    fn unary(&mut self, depth: usize) -> PResult<Expr> {
        if self.is_word("not") {
            let inner = self.enter(depth)?;
            self.bump();
            return Ok(Expr::Not(Box::new(self.unary(inner)?)));
        }
        if *self.peek() == Tok::LParen {
            let inner = self.enter(depth)?;
            self.bump();
            let expr = self.or(inner)?;
            self.expect(Tok::RParen, "\")\"")?;
            return Ok(expr);
        }
        if *self.peek_at(1) == Tok::LParen {
            if self.is_word("exists") {
                self.bump();
                self.bump();
                let field = self.field()?;
                self.expect(Tok::RParen, "\")\" after the field")?;
                return Ok(Expr::Exists(field));
            }
            if self.is_word("in_segment") {
                let start = self.span().start;
                self.bump();
                self.bump();
                let Tok::Str(name) = self.peek().clone() else {
                    return Err(self.unexpected("a segment name in double quotes"));
                };
                self.bump();
                self.expect(Tok::RParen, "\")\" after the segment name")?;
                let loc = Loc(Some(Span::new(start, self.prev_end())));
                return Ok(Expr::InSegment(SegmentName { name, loc }));
            }
        }
        self.comparison(depth)
    }

    fn comparison(&mut self, depth: usize) -> PResult<Expr> {
        let start = self.span().start;
        let lhs = self.operand(depth)?;
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::TildeEq => CmpOp::EqIgnoreCase,
            Tok::Word(w) if w == "contains" => CmpOp::Contains,
            Tok::Word(w) if w == "starts_with" => CmpOp::StartsWith,
            Tok::Word(w) if w == "ends_with" => CmpOp::EndsWith,
            Tok::Word(w) if w == "in" => CmpOp::In,
            _ => return Err(self.unexpected("a comparison operator (=, !=, <, <=, >, >=, ~=, contains, starts_with, ends_with, in)")),
        };
        self.bump();
        let rhs = if op == CmpOp::In {
            self.list()?
        } else {
            self.operand(depth)?
        };
        let loc = Loc(Some(Span::new(start, self.prev_end())));
        Ok(Expr::Compare(Box::new(Comparison { lhs, op, rhs, loc })))
    }

    fn list(&mut self) -> PResult<Operand> {
        self.expect(Tok::LBracket, "\"[\" to start the list after in")?;
        let mut items = Vec::new();
        if *self.peek() != Tok::RBracket {
            loop {
                items.push(self.literal()?);
                if *self.peek() == Tok::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.expect(Tok::RBracket, "\",\" or \"]\"")?;
        Ok(Operand::List(items))
    }

    fn field(&mut self) -> PResult<Field> {
        let span = self.span();
        match self.peek().clone() {
            Tok::Word(w) if !KEYWORDS.contains(&w.as_str()) => {
                self.bump();
                let path = FieldPath::new(&w).map_err(|e| self.error(e.to_string(), span))?;
                Ok(Field {
                    path,
                    loc: Loc(Some(span)),
                })
            }
            _ => Err(self.unexpected("a field path")),
        }
    }

    fn operand(&mut self, depth: usize) -> PResult<Operand> {
        match self.peek().clone() {
            Tok::Word(w) if *self.peek_at(1) == Tok::LParen => match AggFn::from_name(&w) {
                Some(func) => self.aggregate(func, depth),
                None => Err(self.error(
                    format!("unknown function {w:?}: use count, sum, avg, min, max, first or last"),
                    self.span(),
                )),
            },
            Tok::Word(w) if w == "now" => {
                self.bump();
                let shift = match self.peek() {
                    Tok::Minus | Tok::Plus => {
                        let back = *self.peek() == Tok::Minus;
                        self.bump();
                        let Tok::Duration(d) = *self.peek() else {
                            return Err(self.unexpected("a duration such as 30d"));
                        };
                        self.bump();
                        if back {
                            Shift::Back(d)
                        } else {
                            Shift::Ahead(d)
                        }
                    }
                    _ => Shift::None,
                };
                Ok(Operand::Now(shift))
            }
            Tok::Word(w) if w == "true" || w == "false" => Ok(Operand::Literal(self.literal()?)),
            Tok::Word(_) => Ok(Operand::Field(self.field()?)),
            Tok::Duration(d) => Err(self.error(
                format!("a duration such as {d} stands only after within or in now - {d}"),
                self.span(),
            )),
            Tok::LBracket => Err(self.error("a list stands only after in".to_owned(), self.span())),
            _ => Ok(Operand::Literal(self.literal()?)),
        }
    }

    fn literal(&mut self) -> PResult<Literal> {
        let span = self.span();
        let (tok, _) = self.bump();
        Ok(match tok {
            Tok::Word(w) if w == "true" => Literal::Bool(true),
            Tok::Word(w) if w == "false" => Literal::Bool(false),
            Tok::Str(s) => Literal::Text(s),
            Tok::Date(d) => Literal::Date(d),
            Tok::Timestamp(t) => Literal::Timestamp(t),
            Tok::Minus if matches!(self.peek(), Tok::Number(_)) => self.number(true, span)?,
            Tok::Number(_) => {
                self.pos -= 1;
                self.number(false, span)?
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a value"));
            }
        })
    }

    fn number(&mut self, negative: bool, start: Span) -> PResult<Literal> {
        let (Tok::Number(digits), span) = self.bump() else {
            return Err(self.unexpected("a number"));
        };
        let whole = Span::new(start.start, span.end);
        let text = if negative {
            format!("-{digits}")
        } else {
            digits
        };
        if let Tok::Word(code) = self.peek() {
            if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                let code_span = self.span();
                let currency =
                    Currency::new(code).map_err(|e| self.error(e.to_string(), code_span))?;
                self.bump();
                let money = Money::parse(&text, currency).map_err(|e| {
                    self.error(e.to_string(), Span::new(whole.start, code_span.end))
                })?;
                return Ok(Literal::Money(money));
            }
        }
        if !text.contains(['.', 'e', 'E']) {
            return text.parse::<i64>().map(Literal::Int).map_err(|_| {
                self.error(
                    format!("number {text} does not fit in a 64-bit integer"),
                    whole,
                )
            });
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Literal::Float(x)),
            _ => Err(self.error(format!("number {text} is not a finite number"), whole)),
        }
    }

    fn aggregate(&mut self, func: AggFn, depth: usize) -> PResult<Operand> {
        let start = self.span().start;
        self.bump();
        self.bump();
        let target_span = self.span();
        let target = match self.peek().clone() {
            Tok::Word(target) => target,
            // A quoted name is a custom event named as its source sent it
            // ("Plan Upgraded"); it has no field part, so only count reads it.
            Tok::Str(name) if func == AggFn::Count => {
                self.bump();
                return self.aggregate_rest(func, (name, true), None, start, depth);
            }
            Tok::Str(name) => {
                return Err(self.error(
                    format!(
                        "{} needs an event field, and a quoted event name has none: count(\"{name}\") counts it",
                        func.as_str()
                    ),
                    target_span,
                ))
            }
            _ => return Err(self.unexpected("an event name such as purchase")),
        };
        self.bump();
        let (event, field) = match target.split_once('.') {
            Some((event, field)) => {
                let path =
                    FieldPath::new(field).map_err(|e| self.error(e.to_string(), target_span))?;
                (event.to_owned(), Some(path))
            }
            None => (target.clone(), None),
        };
        match (func, &field) {
            (AggFn::Count, Some(_)) => {
                return Err(self.error(
                    format!("count takes an event, not a field: write count({event})"),
                    target_span,
                ))
            }
            (f, None) if f != AggFn::Count => {
                return Err(self.error(
                    format!(
                        "{} needs an event field, such as {}({event}.amount)",
                        f.as_str(),
                        f.as_str()
                    ),
                    target_span,
                ))
            }
            _ => {}
        }
        self.aggregate_rest(func, (event, false), field, start, depth)
    }

    /// Parses what follows an aggregate's event: `where`, `within` and `)`.
    fn aggregate_rest(
        &mut self,
        func: AggFn,
        (event, custom): (String, bool),
        field: Option<FieldPath>,
        start: usize,
        depth: usize,
    ) -> PResult<Operand> {
        let filter = if self.is_word("where") {
            let inner = self.enter(depth)?;
            self.bump();
            Some(self.or(inner)?)
        } else {
            None
        };
        let within = if self.is_word("within") {
            self.bump();
            let Tok::Duration(d) = *self.peek() else {
                return Err(self.unexpected("a duration such as 30d after within"));
            };
            self.bump();
            Some(d)
        } else {
            None
        };
        self.expect(Tok::RParen, "\"where\", \"within\" or \")\"")?;
        let loc = Loc(Some(Span::new(start, self.prev_end())));
        Ok(Operand::Aggregate(Box::new(Aggregate {
            func,
            event,
            custom,
            field,
            filter,
            within,
            loc,
        })))
    }
}
