//! A cursor over a JSON object that knows its path and what was read.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{AttributeValue, Attributes, Finite, MAX_ATTRIBUTE_DEPTH};

/// An object being read: every key read is remembered, so that
/// [`Obj::leftovers`] returns exactly what no mapping used.
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Json>,
    path: String,
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

/// Joins a key onto a JSON path: `$.traits.email`, or `$.traits["first name"]`
/// for keys that are not plain identifiers.
pub(crate) fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key:?}]")
    }
}

/// The error for a malformed value at `path`.
#[cold]
pub(crate) fn malformed(path: &str, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidInput, format_args!("{path}: {what}"))
}

impl<'a> Obj<'a> {
    /// Reads `value` as an object at `path`.
    pub(crate) fn new(value: &'a Json, path: &str) -> Result<Obj<'a>> {
        match value {
            Json::Object(map) => Ok(Obj {
                map,
                path: path.to_owned(),
                used: BTreeSet::new(),
                nested: Vec::new(),
            }),
            other => Err(malformed(
                path,
                format_args!("expected an object, found {}", kind(other)),
            )),
        }
    }

    /// Returns the path of `key` in this object.
    pub(crate) fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
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
    pub(crate) fn string(&mut self, keys: &[&'a str]) -> Result<Option<(String, String)>> {
        let Some((key, v)) = self.raw(keys) else {
            return Ok(None);
        };
        let path = self.path_of(key);
        match v {
            Json::String(s) if s.trim().is_empty() => Ok(None),
            Json::String(s) => Ok(Some((s.clone(), path))),
            Json::Number(n) => Ok(Some((n.to_string(), path))),
            other => Err(malformed(
                &path,
                format_args!("expected a string, found {}", kind(other)),
            )),
        }
    }

    /// Returns the number at the first of `keys`; numeric strings are
    /// accepted.
    pub(crate) fn number(&mut self, keys: &[&'a str]) -> Result<Option<(f64, String)>> {
        let Some((key, v)) = self.raw(keys) else {
            return Ok(None);
        };
        let path = self.path_of(key);
        let n = match v {
            Json::Number(n) => n.as_f64(),
            Json::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(x) if x.is_finite() => Ok(Some((x, path))),
            _ => Err(malformed(
                &path,
                format_args!("expected a number, found {}", shown(v)),
            )),
        }
    }

    /// Returns the whole number at the first of `keys`.
    pub(crate) fn integer(&mut self, keys: &[&'a str]) -> Result<Option<(i64, String)>> {
        match self.number(keys)? {
            None => Ok(None),
            Some((x, path)) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(Some((x as i64, path))),
            Some((x, path)) => Err(malformed(
                &path,
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
    pub(crate) fn array(&mut self, keys: &[&'a str]) -> Result<Option<(&'a [Json], String)>> {
        let Some((key, v)) = self.raw(keys) else {
            return Ok(None);
        };
        let path = self.path_of(key);
        match v {
            Json::Array(items) => Ok(Some((items, path))),
            other => Err(malformed(
                &path,
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
            let map = rest.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            out.insert(key.clone(), AttributeValue::Map(map))
                .map_err(|e| e.context(self.path_of(key)))?;
        }
        for (k, v) in self.map {
            if self.used.contains(k.as_str()) {
                continue;
            }
            let path = self.path_of(k);
            let value = attribute(v, &path, 0)?;
            out.insert(k.clone(), value).map_err(|e| e.context(&path))?;
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

/// Converts any JSON value to an attribute value, refusing nesting deeper
/// than [`MAX_ATTRIBUTE_DEPTH`].
pub(crate) fn attribute(v: &Json, path: &str, depth: usize) -> Result<AttributeValue> {
    if depth > MAX_ATTRIBUTE_DEPTH {
        return Err(malformed(
            path,
            format_args!("nests deeper than {MAX_ATTRIBUTE_DEPTH} levels"),
        ));
    }
    Ok(match v {
        Json::Null => AttributeValue::Null,
        Json::Bool(b) => AttributeValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => AttributeValue::Int(i),
            // serde_json numbers are finite; u64 beyond i64 becomes a float.
            None => AttributeValue::Float(
                Finite::new(n.as_f64().unwrap_or(0.0)).map_err(|e| e.context(path))?,
            ),
        },
        Json::String(s) => AttributeValue::Text(s.clone()),
        Json::Array(items) => AttributeValue::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| attribute(item, &format!("{path}[{i}]"), depth + 1))
                .collect::<Result<Vec<_>>>()?,
        ),
        Json::Object(map) => AttributeValue::Map(
            map.iter()
                .map(|(k, item)| Ok((k.clone(), attribute(item, &join(path, k), depth + 1)?)))
                .collect::<Result<BTreeMap<_, _>>>()?,
        ),
    })
}
