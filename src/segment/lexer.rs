//! Splits expression text into tokens with their byte spans.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::Span;
use crate::segment::ast::Duration;

/// One token of an expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A word or dotted path: `and`, `purchase`, `geographic.country`.
    Word(String),
    /// An unsigned number as written: `42`, `19.99`, `1e-3`.
    Number(String),
    /// `30d`, `12h`, …
    Duration(Duration),
    /// `2026-01-31`
    Date(NaiveDate),
    /// `2026-01-31T09:30:00Z`
    Timestamp(DateTime<Utc>),
    /// A string literal, unescaped.
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    TildeEq,
    Plus,
    Minus,
    Eof,
}

impl Tok {
    /// Describes the token for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("{w:?}"),
            Tok::Number(n) => format!("number {n}"),
            Tok::Duration(d) => format!("duration {d}"),
            Tok::Date(d) => format!("date {d}"),
            Tok::Timestamp(_) => "a timestamp".to_owned(),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Eof => "the end of the expression".to_owned(),
            other => format!("{:?}", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Eq => "=",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::TildeEq => "~=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            _ => "",
        }
    }
}

/// A lexing failure: message and where.
pub(crate) type LexError = (String, Span);

/// Splits `text` into tokens, ending with [`Tok::Eof`].
pub(crate) fn lex(text: &str) -> Result<Vec<(Tok, Span)>, LexError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = bytes.get(i + 1).copied();
        let (tok, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b',' => (Tok::Comma, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'=' => (Tok::Eq, 1),
            b'!' if two == Some(b'=') => (Tok::Ne, 2),
            b'~' if two == Some(b'=') => (Tok::TildeEq, 2),
            b'<' if two == Some(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two == Some(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'"' => {
                let (s, end) = string(text, i)?;
                out.push((Tok::Str(s), Span::new(start, end)));
                i = end;
                continue;
            }
            b'0'..=b'9' => {
                let (tok, end) = number(text, i)?;
                out.push((tok, Span::new(start, end)));
                i = end;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = word(bytes, i);
                out.push((Tok::Word(text[i..end].to_owned()), Span::new(start, end)));
                i = end;
                continue;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                return Err((
                    format!("unexpected character {ch:?}"),
                    Span::new(i, i + ch.len_utf8()),
                ));
            }
        };
        out.push((tok, Span::new(start, start + len)));
        i += len;
    }
    out.push((Tok::Eof, Span::new(text.len(), text.len())));
    Ok(out)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A word, or a dotted path whose segments are words.
fn word(bytes: &[u8], mut i: usize) -> usize {
    loop {
        while i < bytes.len() && is_word_byte(bytes[i]) {
            i += 1;
        }
        if i + 1 < bytes.len() && bytes[i] == b'.' && is_word_byte(bytes[i + 1]) {
            i += 1;
        } else {
            return i;
        }
    }
}

fn string(text: &str, start: usize) -> Result<(String, usize), LexError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        let at = start + 1 + off;
        match c {
            '"' => return Ok((out, at + 1)),
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let rest = &text[at + 2..];
                        let close = rest.find('}');
                        let code = rest
                            .strip_prefix('{')
                            .zip(close)
                            .and_then(|(_, close)| u32::from_str_radix(&rest[1..close], 16).ok())
                            .and_then(char::from_u32);
                        let (Some(ch), Some(close)) = (code, close) else {
                            return Err((
                                "malformed escape: write \\u{hex} with a valid code point"
                                    .to_owned(),
                                Span::new(at, at + 2),
                            ));
                        };
                        out.push(ch);
                        // skip the `{hex}` already read
                        for _ in 0..rest[..=close].chars().count() {
                            chars.next();
                        }
                    }
                    other => {
                        return Err((
                            format!("unknown escape \\{other} in a string"),
                            Span::new(at, at + 1 + other.len_utf8()),
                        ))
                    }
                }
            }
            c => out.push(c),
        }
    }
    Err((
        "string is not closed: add a \"".to_owned(),
        Span::new(start, text.len()),
    ))
}

fn number(text: &str, start: usize) -> Result<(Tok, usize), LexError> {
    let bytes = text.as_bytes();
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    // A date: four digits then `-`.
    if i - start == 4 && bytes.get(i) == Some(&b'-') {
        let mut end = i;
        while end < bytes.len()
            && matches!(
                bytes[end],
                b'0'..=b'9' | b'-' | b':' | b'.' | b'T' | b'Z' | b'+'
            )
        {
            end += 1;
        }
        let lit = &text[start..end];
        let span = Span::new(start, end);
        if lit.contains('T') {
            return DateTime::parse_from_rfc3339(lit)
                .map(|t| (Tok::Timestamp(t.with_timezone(&Utc)), end))
                .map_err(|e| (format!("timestamp {lit:?} is not RFC 3339 ({e})"), span));
        }
        return NaiveDate::parse_from_str(lit, "%Y-%m-%d")
            .map(|d| (Tok::Date(d), end))
            .map_err(|_| (format!("date {lit:?} is not a valid YYYY-MM-DD date"), span));
    }
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    let lit = &text[start..i];
    // A duration: a whole number directly followed by a unit letter.
    if i < bytes.len() && is_word_byte(bytes[i]) {
        let end = word(bytes, i);
        let unit = &text[i..end];
        let span = Span::new(start, end);
        let size = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            _ => {
                return Err((
                    format!("unknown unit {unit:?} after {lit}: durations use s, m, h, d or w"),
                    span,
                ))
            }
        };
        let duration = lit
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(size))
            .and_then(Duration::from_seconds)
            .ok_or_else(|| {
                (
                    format!(
                        "duration {lit}{unit} is not a whole number of at most {} days",
                        Duration::MAX_SECONDS / 86_400
                    ),
                    span,
                )
            })?;
        return Ok((Tok::Duration(duration), end));
    }
    Ok((Tok::Number(lit.to_owned()), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn words_numbers_and_symbols() {
        assert_eq!(
            toks("a.b >= 1.5e3 and x~=\"q\""),
            vec![
                Tok::Word("a.b".into()),
                Tok::Ge,
                Tok::Number("1.5e3".into()),
                Tok::Word("and".into()),
                Tok::Word("x".into()),
                Tok::TildeEq,
                Tok::Str("q".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn durations_dates_and_escapes() {
        assert_eq!(
            toks("2w")[0],
            Tok::Duration(Duration::from_seconds(1_209_600).unwrap())
        );
        assert!(matches!(toks("2026-01-31")[0], Tok::Date(_)));
        assert!(matches!(toks("2026-01-31T10:00:00Z")[0], Tok::Timestamp(_)));
        assert_eq!(toks(r#""a\"\u{e9}\n""#)[0], Tok::Str("a\"é\n".into()));
        assert!(lex("3days").is_err());
        assert!(lex("\"open").is_err());
        assert!(lex("2026-02-30").is_err());
        assert_eq!(lex("a ? b").unwrap_err().1, Span::new(2, 3));
    }
}
