//! A cursor over a JSON object that knows its path and what was read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

use crate::error::{Error, ErrorKind, Result};
use crate::ingest::parse::{segment, Json};
use crate::model::{AttributeValue, Attributes, Finite, MAX_ATTRIBUTE_DEPTH};

/// An object being read: every key read is remembered, so that
/// [`Obj::leftovers`] returns exactly what no mapping used.
pub(crate) struct Obj<'a> {
    map: &'a BTreeMap<String, Json>,
    path: Rc<str>,
    used: BTreeSet<&'a str>,
    /// Unread entries of nested objects that were read, by their key here.
    nested: Vec<(String, Attributes)>,
}

/// Returns the JSON type name of a value, for messages.
fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Where a value sits in a message: its parent's JSON path and its key.
///
/// The path text (`$.traits.email`, or `$.traits["first name"]` for keys that
/// are not plain identifiers) is only written when an error needs it, so
/// reading a valid message builds no paths.
#[derive(Clone, Debug)]
pub(crate) struct Loc<'a> {
    parent: Rc<str>,
    key: &'a str,
}

impl<'a> Loc<'a> {
    /// Returns the key of the value in its parent object.
    pub(crate) fn key(&self) -> &'a str {
        self.key
    }
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.parent, segment(self.key))
    }
}

/// The error for a malformed value at `path`.
#[cold]
pub(crate) fn malformed(path: impl fmt::Display, what: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidInput, format_args!("{path}: {what}"))
}

impl<'a> Obj<'a> {
    /// Reads `value` as an object at `path`.
    pub(crate) fn new(value: &'a Json, path: &str) -> Result<Obj<'a>> {
        match value {
            Json::Object(map) => Ok(Obj {
                map,
                path: Rc::from(path),
                used: BTreeSet::new(),
                nested: Vec::new(),
            }),
            other => Err(malformed(
                path,
                format_args!("expected an object, found {}", kind(other)),
            )),
        }
    }

    /// Returns where `key` sits in this object.
    pub(crate) fn loc<'k>(&self, key: &'k str) -> Loc<'k> {
        Loc {
            parent: Rc::clone(&self.path),
            key,
        }
    }

    /// Returns the path of `key` in this object, as text.
    pub(crate) fn path_of(&self, key: &str) -> String {
        self.loc(key).to_string()
    }

    /// Returns the raw value of the first of `keys` present (and not null),
    /// marking every one of them read.
    pub(crate) fn raw(&mut self, keys: &[&'a str]) -> Option<(&'a str, &'a Json)> {
        let mut found = None;
        for key in keys {
            if let Some((k, v)) = self.map.get_key_value(*key) {
                self.used.insert(k.as_str());
                if found.is_none() && !v.is_null() {
                    found = Some((k.as_str(), v));
                }
            }
        }
        found
    }

    /// Returns the string at the first of `keys`; numbers are accepted and
    /// written as text (ids are often sent as numbers).
    pub(crate) fn string(&mut self, keys: &[&'a str]) -> Result<Option<(String, Loc<'a>)>> {
        let Some((key, v)) = self.raw(keys) else {
            return Ok(None);
        };
        let path = self.loc(key);
        match v {
            Json::String(s) if s.trim().is_empty() => Ok(None),
            Json::String(s) => Ok(Some((s.clone(), path))),
            // The number's text exactly as sent: a 24-digit id stays itself.
            Json::Number(n) => Ok(Some((n.to_string(), path))),
            other => Err(malformed(
                path,
                format_args!("expected a string, found {}", kind(other)),
            )),
        }
    }

    /// Returns the number at the first of `keys`; numeric strings are
    /// accepted.
    pub(crate) fn number(&mut self, keys: &[&'a str]) -> Result<Option<(f64, Loc<'a>)>> {
        let Some((key, v)) = self.raw(keys) else {
            return Ok(None);
        };
        let path = self.loc(key);
        let n = match v {
            Json::Number(n) => n.parse::<f64>().ok(),
            Json::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(x) if x.is_finite() => Ok(Some((x, path))),
            _ => Err(malformed(
                path,
                format_args!("expected a number, found {}", shown(v)),
            )),
        }
    }

    /// Returns the decimal text of the amount at the first of `keys`: a
    /// number's text exactly as sent, or a numeric string, for exact
    /// conversion to money.
    pub(crate) fn decimal(&mut self, keys: &[&'a str]) -> Result<Option<(&'a str, Loc<'a>)>> {
        let Some((key, v)) = self.raw(keys) else {
            return Ok(None);
        };
        let path = self.loc(key);
        match v {
            Json::Number(n) => Ok(Some((n, path))),
            Json::String(s) if !s.trim().is_empty() => Ok(Some((s.trim(), path))),
            other => Err(malformed(
                path,
                format_args!("expected a number, found {}", shown(other)),
            )),
        }
    }

    /// Returns the whole number at the first of `keys`.
    pub(crate) fn integer(&mut self, keys: &[&'a str]) -> Result<Option<(i64, Loc<'a>)>> {
        match self.number(keys)? {
            None => Ok(None),
            Some((x, path)) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(Some((x as i64, path))),
            Some((x, path)) => Err(malformed(
                path,
                format_args!("expected a whole number, found {x}"),
            )),
        }
    }

    /// Returns the object at the first of `keys`.
    pub(crate) fn object(&mut self, keys: &[&'a str]) -> Result<Option<Obj<'a>>> {
        match self.raw(keys) {
            None => Ok(None),
            Some((key, v)) => Obj::new(v, &self.path_of(key)).map(Some),
        }
    }

    /// Returns the array at the first of `keys`.
    pub(crate) fn array(&mut self, keys: &[&'a str]) -> Result<Option<(&'a [Json], Loc<'a>)>> {
        let Some((key, v)) = self.raw(keys) else {
            return Ok(None);
        };
        let path = self.loc(key);
        match v {
            Json::Array(items) => Ok(Some((items, path))),
            other => Err(malformed(
                path,
                format_args!("expected an array, found {}", kind(other)),
            )),
        }
    }

    /// Marks `keys` read without using them (delivery metadata).
    pub(crate) fn skip(&mut self, keys: &[&'a str]) {
        let _ = self.raw(keys);
    }

    /// Un-marks `key`, so that it is kept among the leftovers after all.
    pub(crate) fn keep(&mut self, key: &str) {
        self.used.remove(key);
    }

    /// Takes in what no mapping read of `child`, the object at `key` here,
    /// so that [`Obj::leftovers`] returns it under `key`.
    pub(crate) fn absorb(&mut self, key: &str, child: &Obj<'_>) -> Result<()> {
        let rest = child.leftovers()?;
        if !rest.is_empty() {
            self.nested.push((key.to_owned(), rest));
        }
        Ok(())
    }

    /// Returns every entry no mapping read, as typed attributes, with the
    /// unread parts of absorbed nested objects under their keys.
    pub(crate) fn leftovers(&self) -> Result<Attributes> {
        let mut out = Attributes::new();
        for (key, rest) in &self.nested {
            out.insert(key.clone(), AttributeValue::from(rest.clone()))
                .map_err(|e| e.context(self.loc(key)))?;
        }
        for (k, v) in self.map {
            if self.used.contains(k.as_str()) {
                continue;
            }
            let value = attribute(v, &self.loc(k))?;
            out.insert(k.clone(), value)
                .map_err(|e| e.context(self.loc(k)))?;
        }
        Ok(out)
    }
}

/// Shows a JSON value briefly, for messages.
fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => format!("{s:?}"),
        Json::Number(n) => n.to_string(),
        other => kind(other).to_owned(),
    }
}

/// Converts any JSON value at `loc` to an attribute value, refusing nesting
/// deeper than [`MAX_ATTRIBUTE_DEPTH`].
pub(crate) fn attribute(v: &Json, loc: &Loc<'_>) -> Result<AttributeValue> {
    convert(v, 0).map_err(|mut trail| {
        trail.reverse();
        malformed(
            format_args!("{loc}{}", trail.concat()),
            format_args!("nests deeper than {MAX_ATTRIBUTE_DEPTH} levels"),
        )
    })
}

/// Converts a number's text: a whole number that fits `i64` is an integer;
/// a whole number beyond it stays exact text rather than a rounded float; a
/// decimal or exponent form is a float, or text if it is beyond `f64`.
fn number_attribute(n: &str) -> AttributeValue {
    let whole = !n.contains(['.', 'e', 'E']);
    if whole {
        return match n.parse::<i64>() {
            Ok(i) => AttributeValue::Int(i),
            Err(_) => AttributeValue::Text(n.to_owned()),
        };
    }
    match n.parse::<f64>().map(Finite::new) {
        Ok(Ok(x)) => AttributeValue::Float(x),
        _ => AttributeValue::Text(n.to_owned()),
    }
}

/// Converts a value; on failure returns the path segments from the failing
/// value up to `v`, innermost first.
fn convert(v: &Json, depth: usize) -> std::result::Result<AttributeValue, Vec<String>> {
    if depth > MAX_ATTRIBUTE_DEPTH {
        return Err(Vec::new());
    }
    Ok(match v {
        Json::Null => AttributeValue::Null,
        Json::Bool(b) => AttributeValue::Bool(*b),
        Json::Number(n) => number_attribute(n),
        Json::String(s) => AttributeValue::Text(s.clone()),
        Json::Array(items) => AttributeValue::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    convert(item, depth + 1).map_err(|mut t| {
                        t.push(format!("[{i}]"));
                        t
                    })
                })
                .collect::<std::result::Result<Vec<_>, _>>()?,
        ),
        Json::Object(map) => AttributeValue::Map(
            map.iter()
                .map(|(k, item)| {
                    convert(item, depth + 1)
                        .map(|v| (k.clone(), v))
                        .map_err(|mut t| {
                            t.push(format!("[{k:?}]"));
                            t
                        })
                })
                .collect::<std::result::Result<BTreeMap<_, _>, _>>()?,
        ),
    })
}
