//! A JSON reader that keeps what ingest needs and serde_json drops: the
//! exact text of every number, and duplicate keys, which it refuses.
//!
//! serde_json reads a number through `u64`, `i64` or `f64`, so a 24-digit
//! user id or the amount `6000.005` is rounded before ingest sees it. Its
//! `arbitrary_precision` feature would keep the text, but Cargo unifies
//! features across a program's whole dependency graph, so turning it on here
//! would change `serde_json::Number` for every other crate of the user's
//! program. Reading the JSON ourselves keeps the text without touching
//! anyone else's serde_json, and lets every error name its JSON path.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use crate::error::{Error, ErrorKind, Result};

/// How deeply arrays and objects may nest in a message (serde_json's own
/// limit); deeper input is refused with its path instead of exhausting the
/// stack.
pub(crate) const MAX_DEPTH: usize = 128;

/// A parsed JSON value. Numbers keep their text exactly as written (it
/// follows the JSON number grammar); objects have unique keys, in key order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Box<str>),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    /// Returns `true` for `null`.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Returns `true` for a string.
    pub(crate) fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    /// Converts a value serde_json already parsed. Its numbers are written
    /// back as serde_json holds them (exact for integers that fit 64 bits,
    /// shortest round-trip text for floats); duplicate keys are already gone.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitExceeded`] when the value nests deeper than
    /// [`MAX_DEPTH`].
    pub(crate) fn from_serde(value: &serde_json::Value, path: &str) -> Result<Json> {
        from_serde_at(value, 0).map_err(|trail| too_deep(path, trail))
    }

    /// Writes the value as canonical JSON: no white space, keys in order,
    /// numbers as written, strings escaped as serde_json escapes them.
    pub(crate) fn write_canonical(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_canonical(out);
                }
                out.push(']');
            }
            Json::Object(map) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write_canonical(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn from_serde_at(
    value: &serde_json::Value,
    depth: usize,
) -> std::result::Result<Json, Vec<String>> {
    use serde_json::Value as V;
    if depth > MAX_DEPTH {
        return Err(Vec::new());
    }
    Ok(match value {
        V::Null => Json::Null,
        V::Bool(b) => Json::Bool(*b),
        V::Number(n) => Json::Number(n.to_string().into()),
        V::String(s) => Json::String(s.clone()),
        V::Array(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    from_serde_at(v, depth + 1).map_err(|mut t| {
                        t.push(format!("[{i}]"));
                        t
                    })
                })
                .collect::<std::result::Result<_, _>>()?,
        ),
        V::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    from_serde_at(v, depth + 1)
                        .map(|v| (k.clone(), v))
                        .map_err(|mut t| {
                            t.push(segment(k));
                            t
                        })
                })
                .collect::<std::result::Result<_, _>>()?,
        ),
    })
}

/// Returns the path segment of `key`: `.key`, or `["a key"]` for keys that
/// are not plain identifiers (the form [`super::json::Loc`] writes).
pub(crate) fn segment(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        format!(".{key}")
    } else {
        format!("[{key:?}]")
    }
}

#[cold]
fn too_deep(path: &str, mut trail: Vec<String>) -> Error {
    trail.reverse();
    Error::new(
        ErrorKind::LimitExceeded,
        format_args!(
            "{path}{}: nests deeper than {MAX_DEPTH} levels",
            trail.concat()
        ),
    )
}

/// A parse failure: what went wrong and the path segments from the failing
/// value outwards, innermost first (written only when the error surfaces).
struct Failure {
    kind: ErrorKind,
    message: String,
    trail: Vec<String>,
}

impl Failure {
    #[cold]
    fn syntax(message: impl fmt::Display) -> Failure {
        Failure::other(format_args!("not valid JSON: {message}"))
    }

    #[cold]
    fn other(message: impl fmt::Display) -> Failure {
        Failure {
            kind: ErrorKind::InvalidInput,
            message: message.to_string(),
            trail: Vec::new(),
        }
    }

    fn within(mut self, segment: impl FnOnce() -> String) -> Failure {
        self.trail.push(segment());
        self
    }
}

/// Parses one JSON text.
///
/// Time and memory are linear in the text; nesting is limited to
/// [`MAX_DEPTH`].
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] naming the JSON path and byte offset for text
/// that is not JSON, a key that appears twice in one object, or a `\u`
/// escape that is not a valid UTF-16 sequence; [`ErrorKind::LimitExceeded`]
/// for nesting deeper than [`MAX_DEPTH`].
pub(crate) fn parse(text: &str) -> Result<Json> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    let result = p.value(0).and_then(|v| {
        p.skip_ws();
        if p.pos < p.bytes.len() {
            Err(p.fail("trailing characters after the message"))
        } else {
            Ok(v)
        }
    });
    result.map_err(|mut f| {
        f.trail.reverse();
        let path = format!("${}", f.trail.concat());
        Error::new(f.kind, format_args!("{path}: {}", f.message))
    })
}

struct Parser<'t> {
    bytes: &'t [u8],
    text: &'t str,
    pos: usize,
}

type Parsed<T> = std::result::Result<T, Failure>;

impl Parser<'_> {
    #[cold]
    fn fail(&self, what: &str) -> Failure {
        Failure::syntax(format!("{what} at byte {}", self.pos))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn literal(&mut self, word: &str, value: Json) -> Parsed<Json> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.fail("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Parsed<Json> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.fail("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.fail("expected a value")),
        }
    }

    fn enter(&self, depth: usize) -> Parsed<()> {
        if depth >= MAX_DEPTH {
            Err(Failure {
                kind: ErrorKind::LimitExceeded,
                message: format!("nests deeper than {MAX_DEPTH} levels"),
                trail: Vec::new(),
            })
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Parsed<Json> {
        self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            let i = items.len();
            let item = self
                .value(depth + 1)
                .map_err(|f| f.within(|| format!("[{i}]")))?;
            items.push(item);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.fail("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Parsed<Json> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let mut map = BTreeMap::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(map));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a key in double quotes"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.fail("expected ':'").within(|| segment(&key)));
            }
            self.pos += 1;
            let value = self
                .value(depth + 1)
                .map_err(|f| f.within(|| segment(&key)))?;
            if map.contains_key(&key) {
                // 2026-03: refused rather than letting the last value win
                // silently; two values for one key mean the sender's data is
                // ambiguous, and either choice could lose the right one.
                return Err(Failure::other(format_args!(
                    "key {key:?} appears more than once in its object"
                ))
                .within(|| segment(&key)));
            }
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(map));
                }
                _ => return Err(self.fail("expected ',' or '}'")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Parsed<Json> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.fail("expected a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("expected a digit in the exponent"));
            }
        }
        Ok(Json::Number(self.text[start..self.pos].into()))
    }

    fn hex4(&mut self) -> Parsed<u16> {
        let Some(hex) = self.text.get(self.pos..self.pos + 4) else {
            return Err(self.fail("expected four hex digits after \\u"));
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.fail("expected four hex digits after \\u"));
        }
        self.pos += 4;
        u16::from_str_radix(hex, 16).map_err(|_| self.fail("expected four hex digits after \\u"))
    }

    fn string(&mut self) -> Parsed<String> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once.
            let run = self.bytes[self.pos..]
                .iter()
                .position(|b| matches!(b, b'"' | b'\\') || *b < 0x20)
                .unwrap_or(self.bytes.len() - self.pos);
            out.push_str(&self.text[self.pos..self.pos + run]);
            self.pos += run;
            match self.peek() {
                None => return Err(self.fail("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(escape) = self.peek() else {
                        return Err(self.fail("unterminated string"));
                    };
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.pos -= 1;
                            return Err(self.fail("invalid escape"));
                        }
                    }
                }
                Some(_) => return Err(self.fail("control character in a string")),
            }
        }
    }

    /// Reads the rest of a `\u` escape, pairing UTF-16 surrogates; a lone
    /// surrogate is an error, not a replacement character.
    fn unicode_escape(&mut self) -> Parsed<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes[self.pos..].starts_with(b"\\u") {
                    return Err(self.fail("lone UTF-16 surrogate in a \\u escape"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.fail("lone UTF-16 surrogate in a \\u escape"));
                }
                0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.fail("lone UTF-16 surrogate in a \\u escape")),
            other => u32::from(other),
        };
        char::from_u32(code).ok_or_else(|| self.fail("invalid \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn keeps_number_text_exactly() {
        let v = parse(r#"{"a": 123456789012345678901234, "b": [6000.005, -0, 1E+400]}"#).unwrap();
        let mut out = String::new();
        v.write_canonical(&mut out);
        assert_eq!(
            out,
            r#"{"a":123456789012345678901234,"b":[6000.005,-0,1E+400]}"#
        );
    }

    #[test]
    fn refuses_duplicate_keys_with_their_path() {
        assert_eq!(
            err(r#"{"traits": {"email": "a@b.co", "email": "c@d.co"}}"#),
            "$.traits.email: key \"email\" appears more than once in its object"
        );
        assert!(parse(r#"{"a": {"x": 1}, "b": {"x": 1}}"#).is_ok());
    }

    #[test]
    fn escapes_and_surrogates() {
        assert_eq!(
            parse(r#""\ud83d\ude00 \u00e9\n""#).unwrap(),
            Json::String("😀 é\n".into())
        );
        for bad in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83d\u0041""#,
            r#""\u12""#,
            r#""\x""#,
        ] {
            assert!(err(bad).contains("not valid JSON"), "{bad}");
        }
        assert_eq!(
            err(r#"{"a": [1, "\ud800"]}"#),
            "$.a[1]: not valid JSON: lone UTF-16 surrogate in a \\u escape at byte 17"
        );
    }

    #[test]
    fn grammar() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "tru",
            "\"a",
            "{} x",
            "'a'",
            "\"\t\"",
            "NaN",
            "{\"a\" 1}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        for good in ["0", "-0.0e-0", " [ ] ", "{}", "\"\"", "[null,true,false]"] {
            assert!(parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn nesting_is_capped() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        // Far deeper input fails as fast, without exhausting the stack.
        let very = "[".repeat(100_000);
        assert_eq!(parse(&very).unwrap_err().kind(), ErrorKind::LimitExceeded);
    }

    #[test]
    fn canonical_strings_match_serde_json() {
        for s in ["a\"b\\c", "\u{1}\u{1f}\n\t", "é😀", "\u{8}\u{c}\r/"] {
            let mut out = String::new();
            Json::String(s.into()).write_canonical(&mut out);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }
}
