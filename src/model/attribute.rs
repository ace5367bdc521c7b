//! Typed custom attributes: what a source sends beyond the typed sections.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};
use crate::model::invalid::{invalid, missing};

/// The longest attribute key, in bytes.
pub const MAX_ATTRIBUTE_KEY_LEN: usize = 256;

/// The deepest nesting of lists and maps an attribute value may have.
pub const MAX_ATTRIBUTE_DEPTH: usize = 32;

/// A finite `f64`: never NaN or infinite, so it always has a JSON form.
///
/// # Examples
///
/// ```
/// use custodia::model::Finite;
/// assert_eq!(Finite::new(2.5)?.get(), 2.5);
/// assert!(Finite::new(f64::INFINITY).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "f64", into = "f64")
)]
pub struct Finite(f64);

impl Finite {
    /// Checks that `x` is finite.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) for
    /// NaN and infinities.
    pub fn new(x: f64) -> Result<Finite> {
        if x.is_finite() {
            Ok(Finite(x))
        } else {
            Err(invalid("number", x, "is not finite"))
        }
    }

    /// Returns the number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Finite {
    type Error = Error;
    fn try_from(x: f64) -> Result<Finite> {
        Finite::new(x)
    }
}

impl From<Finite> for f64 {
    fn from(x: Finite) -> f64 {
        x.0
    }
}

impl fmt::Display for Finite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The value of a custom attribute or event property.
///
/// The variants are JSON's own, so a value received as JSON goes back out
/// unchanged: integers stay integers, `null` stays `null` (a source that
/// sends an explicit null said something, and it is kept).
///
/// JSON shape: the plain JSON value (`true`, `3`, `2.5`, `"gold"`, `[…]`,
/// `{…}`, `null`).
///
/// # Examples
///
/// ```
/// use custodia::model::AttributeValue;
/// let v = AttributeValue::from("gold");
/// assert_eq!(v.as_text(), Some("gold"));
/// assert_eq!(AttributeValue::from(3_i64).to_string(), "3");
/// ```
#[derive(Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(untagged)
)]
pub enum AttributeValue {
    /// An explicit null.
    Null,
    /// A yes/no value.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A finite number with a fraction (or beyond the range of `i64`).
    Float(Finite),
    /// Text.
    Text(String),
    /// A list of values.
    List(Vec<AttributeValue>),
    /// Named values.
    Map(BTreeMap<String, AttributeValue>),
}

// Sources send anything as attributes (an `ssn`, a `phone` as a number), so
// every scalar but a yes/no is redacted; keys stay visible.
impl fmt::Debug for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::redact;
        match self {
            AttributeValue::Null => f.write_str("Null"),
            AttributeValue::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            AttributeValue::Int(i) => redact::value(f, "Int", i),
            AttributeValue::Float(x) => redact::value(f, "Float", x),
            AttributeValue::Text(t) => redact::text(f, "Text", t),
            AttributeValue::List(v) => f.debug_tuple("List").field(v).finish(),
            AttributeValue::Map(m) => f.debug_tuple("Map").field(m).finish(),
        }
    }
}

impl AttributeValue {
    /// Returns the text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            AttributeValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Returns the number as `f64`, if this is an int or a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttributeValue::Int(i) => Some(*i as f64),
            AttributeValue::Float(x) => Some(x.get()),
            _ => None,
        }
    }

    /// Returns how deeply lists and maps nest inside this value (0 for a
    /// scalar).
    ///
    /// Walks the value without recursion, so any depth is safe to ask about.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 0_usize)];
        while let Some((value, depth)) = stack.pop() {
            let children: Box<dyn Iterator<Item = &AttributeValue>> = match value {
                AttributeValue::List(items) => Box::new(items.iter()),
                AttributeValue::Map(map) => Box::new(map.values()),
                _ => continue,
            };
            deepest = deepest.max(depth + 1);
            stack.extend(children.map(|child| (child, depth + 1)));
        }
        deepest
    }
}

impl fmt::Display for AttributeValue {
    /// Writes the value in its JSON form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeValue::Null => f.write_str("null"),
            AttributeValue::Bool(b) => write!(f, "{b}"),
            AttributeValue::Int(i) => write!(f, "{i}"),
            AttributeValue::Float(x) => write!(f, "{x:?}", x = x.get()),
            AttributeValue::Text(t) => write!(f, "{t:?}"),
            AttributeValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            AttributeValue::Map(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k:?}:{v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl From<&str> for AttributeValue {
    fn from(t: &str) -> AttributeValue {
        AttributeValue::Text(t.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(t: String) -> AttributeValue {
        AttributeValue::Text(t)
    }
}

impl From<bool> for AttributeValue {
    fn from(b: bool) -> AttributeValue {
        AttributeValue::Bool(b)
    }
}

impl From<i64> for AttributeValue {
    fn from(i: i64) -> AttributeValue {
        AttributeValue::Int(i)
    }
}

impl From<Finite> for AttributeValue {
    fn from(x: Finite) -> AttributeValue {
        AttributeValue::Float(x)
    }
}

/// Named custom attributes, sorted by key.
///
/// Keys are 1 to [`MAX_ATTRIBUTE_KEY_LEN`] bytes without control characters
/// and kept as the source wrote them (`favoriteColor`, `Signup Source`);
/// values nest at most [`MAX_ATTRIBUTE_DEPTH`] deep.
///
/// JSON shape: a JSON object.
///
/// # Examples
///
/// ```
/// use custodia::model::{AttributeValue, Attributes};
/// let mut attrs = Attributes::new();
/// attrs.insert("plan", AttributeValue::from("team"))?;
/// assert_eq!(attrs.get("plan").and_then(AttributeValue::as_text), Some("team"));
/// assert!(attrs.insert("", AttributeValue::Null).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "BTreeMap<String, AttributeValue>")
)]
pub struct Attributes(BTreeMap<String, AttributeValue>);

impl Attributes {
    /// Returns an empty set of attributes.
    pub fn new() -> Attributes {
        Attributes::default()
    }

    /// Sets `key` to `value`, returning the value it replaced.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the key is empty, too long or holds a control character, or the value
    /// nests deeper than [`MAX_ATTRIBUTE_DEPTH`].
    pub fn insert(
        &mut self,
        key: impl Into<String>,
        value: AttributeValue,
    ) -> Result<Option<AttributeValue>> {
        let key = key.into();
        check_key(&key)?;
        check_value(&key, &value)?;
        Ok(self.0.insert(key, value))
    }

    /// Returns the value of `key`.
    pub fn get(&self, key: &str) -> Option<&AttributeValue> {
        self.0.get(key)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<AttributeValue> {
        self.0.remove(key)
    }

    /// Returns the attributes in key order.
    pub fn iter(&self) -> std::collections::btree_map::Iter<'_, String, AttributeValue> {
        self.0.iter()
    }

    /// Returns how many attributes there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a String, &'a AttributeValue);
    type IntoIter = std::collections::btree_map::Iter<'a, String, AttributeValue>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Attributes {
    type Item = (String, AttributeValue);
    type IntoIter = std::collections::btree_map::IntoIter<String, AttributeValue>;
    /// Returns the attributes by value, in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<Attributes> for AttributeValue {
    /// Returns the attributes as one map value.
    fn from(attributes: Attributes) -> AttributeValue {
        AttributeValue::Map(attributes.0)
    }
}

impl TryFrom<BTreeMap<String, AttributeValue>> for Attributes {
    type Error = Error;
    fn try_from(map: BTreeMap<String, AttributeValue>) -> Result<Attributes> {
        for (k, v) in &map {
            check_key(k)?;
            check_value(k, v)?;
        }
        Ok(Attributes(map))
    }
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(missing("attribute key"));
    }
    if key.len() > MAX_ATTRIBUTE_KEY_LEN {
        return Err(invalid(
            "attribute key",
            key,
            format_args!("is longer than {MAX_ATTRIBUTE_KEY_LEN} bytes"),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(invalid("attribute key", key, "holds a control character"));
    }
    Ok(())
}

fn check_value(key: &str, value: &AttributeValue) -> Result<()> {
    if value.depth() > MAX_ATTRIBUTE_DEPTH {
        return Err(invalid(
            "attribute",
            key,
            format_args!("nests deeper than {MAX_ATTRIBUTE_DEPTH} levels"),
        ));
    }
    Ok(())
}
