//! Owned field values: what a unified profile keeps of its records.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{AttributeValue, Money, Value};

/// One value a unified profile holds: an owned [`Value`], or a whole custom
/// attribute that is a list or a map.
///
/// Values have a total order (by kind in the order the variants are listed,
/// then by value; floats by [`f64::total_cmp`], structured attributes by
/// their canonical text), which is what makes sets of values and every
/// tie-break canonical.
///
/// JSON (`serde` feature, output only): the plain value — `true`, `3`,
/// `2.5`, `"text"`, `"2026-03-01"`, `"2026-03-01T12:00:00Z"`,
/// `{"minor": 1999, "currency": "EUR"}`, or the attribute as it was sent.
///
/// # Examples
///
/// ```
/// use custodia::merge::FieldValue;
/// use custodia::model::Value;
/// let v = FieldValue::from_value(Value::Text("PT"));
/// assert_eq!(v.as_value(), Some(Value::Text("PT")));
/// let (two, a) = (FieldValue::Int(2), FieldValue::Text("a".into()));
/// assert_eq!(two.canonical_cmp(&a), std::cmp::Ordering::Less);
/// ```
///
/// Text and structured values are shared (`Arc`), so profiles copy them
/// without allocating.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum FieldValue {
    /// A yes/no value.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A finite floating-point number.
    Float(f64),
    /// Text.
    Text(Arc<str>),
    /// A calendar date.
    Date(NaiveDate),
    /// An instant.
    Timestamp(DateTime<Utc>),
    /// An exact amount of money.
    Money(Money),
    /// A custom attribute that is a list or a map, kept whole.
    Structured(Arc<AttributeValue>),
}

// A surviving value may be any personal field, so every payload but a
// yes/no is redacted (`model::Unredacted` prints it in full).
impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::redact;
        match self {
            FieldValue::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            FieldValue::Int(i) => redact::value(f, "Int", i),
            FieldValue::Float(x) => redact::value(f, "Float", x),
            FieldValue::Text(t) => redact::text(f, "Text", t),
            FieldValue::Date(d) => redact::value(f, "Date", d),
            FieldValue::Timestamp(t) => redact::value(f, "Timestamp", t),
            FieldValue::Money(m) => redact::value(f, "Money", m),
            FieldValue::Structured(v) => f.debug_tuple("Structured").field(v).finish(),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for FieldValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Bool(b) => s.serialize_bool(*b),
            FieldValue::Int(i) => s.serialize_i64(*i),
            FieldValue::Float(x) => s.serialize_f64(*x),
            FieldValue::Text(t) => s.serialize_str(t),
            FieldValue::Date(d) => d.serialize(s),
            FieldValue::Timestamp(t) => t.serialize(s),
            FieldValue::Money(m) => m.serialize(s),
            FieldValue::Structured(v) => v.serialize(s),
        }
    }
}

impl FieldValue {
    /// Returns an owned copy of `value`.
    pub fn from_value(value: Value<'_>) -> FieldValue {
        match value {
            Value::Bool(b) => FieldValue::Bool(b),
            Value::Int(i) => FieldValue::Int(i),
            Value::Float(x) => FieldValue::Float(x),
            Value::Text(t) => FieldValue::Text(t.into()),
            Value::Date(d) => FieldValue::Date(d),
            Value::Timestamp(t) => FieldValue::Timestamp(t),
            Value::Money(m) => FieldValue::Money(m),
            // `Value` may grow; a kind this version does not know is kept as
            // its full debug text rather than dropped.
            #[allow(unreachable_patterns)] // OK: `Value` is non_exhaustive.
            other => FieldValue::Text(format!("{:?}", crate::model::Unredacted(&other)).into()),
        }
    }

    /// Returns the value of a custom attribute, or `None` for a null.
    pub fn from_attribute(value: &AttributeValue) -> Option<FieldValue> {
        Some(match value {
            AttributeValue::Null => return None,
            AttributeValue::Bool(b) => FieldValue::Bool(*b),
            AttributeValue::Int(i) => FieldValue::Int(*i),
            AttributeValue::Float(x) => FieldValue::Float(x.get()),
            AttributeValue::Text(t) => FieldValue::Text(t.as_str().into()),
            other => FieldValue::Structured(Arc::new(other.clone())),
        })
    }

    /// Returns the value as a borrowed [`Value`], or `None` for a
    /// structured attribute.
    pub fn as_value(&self) -> Option<Value<'_>> {
        Some(match self {
            FieldValue::Bool(b) => Value::Bool(*b),
            FieldValue::Int(i) => Value::Int(*i),
            FieldValue::Float(x) => Value::Float(*x),
            FieldValue::Text(t) => Value::Text(t),
            FieldValue::Date(d) => Value::Date(*d),
            FieldValue::Timestamp(t) => Value::Timestamp(*t),
            FieldValue::Money(m) => Value::Money(*m),
            FieldValue::Structured(_) => return None,
        })
    }

    /// Returns the text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Returns how complete the value is, as [`MostComplete`](crate::merge::MostComplete)
    /// measures it: the number of characters of text, the number of
    /// non-null scalar leaves of a structured attribute, and 1 for any other
    /// value.
    pub fn completeness(&self) -> usize {
        match self {
            FieldValue::Text(t) => t.chars().count(),
            FieldValue::Structured(v) => leaves(v),
            _ => 1,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            FieldValue::Bool(_) => 0,
            FieldValue::Int(_) => 1,
            FieldValue::Float(_) => 2,
            FieldValue::Text(_) => 3,
            FieldValue::Date(_) => 4,
            FieldValue::Timestamp(_) => 5,
            FieldValue::Money(_) => 6,
            FieldValue::Structured(_) => 7,
        }
    }

    /// Compares two values in the canonical total order.
    pub fn canonical_cmp(&self, other: &FieldValue) -> Ordering {
        use FieldValue as F;
        match (self, other) {
            (F::Bool(a), F::Bool(b)) => a.cmp(b),
            (F::Int(a), F::Int(b)) => a.cmp(b),
            (F::Float(a), F::Float(b)) => a.total_cmp(b),
            (F::Text(a), F::Text(b)) => a.as_ref().cmp(b.as_ref()),
            (F::Date(a), F::Date(b)) => a.cmp(b),
            (F::Timestamp(a), F::Timestamp(b)) => a.cmp(b),
            (F::Money(a), F::Money(b)) => a.cmp(b),
            (F::Structured(a), F::Structured(b)) => a.to_string().cmp(&b.to_string()),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// Counts the non-null scalar leaves of an attribute, without recursion.
fn leaves(value: &AttributeValue) -> usize {
    let mut n = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            AttributeValue::Null => {}
            AttributeValue::List(items) => stack.extend(items.iter()),
            AttributeValue::Map(map) => stack.extend(map.values()),
            _ => n += 1,
        }
    }
    n
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Bool(b) => write!(f, "{b}"),
            FieldValue::Int(i) => write!(f, "{i}"),
            FieldValue::Float(x) => write!(f, "{x}"),
            FieldValue::Text(t) => f.write_str(t),
            FieldValue::Date(d) => write!(f, "{d}"),
            FieldValue::Timestamp(t) => f.write_str(&t.to_rfc3339()),
            FieldValue::Money(m) => write!(f, "{m}"),
            FieldValue::Structured(v) => write!(f, "{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Finite;

    #[test]
    fn order_is_total_and_by_kind_first() {
        let a = FieldValue::Float(f64::NAN);
        assert_eq!(a.canonical_cmp(&a), Ordering::Equal);
        assert_eq!(
            FieldValue::Bool(true).canonical_cmp(&FieldValue::Int(0)),
            Ordering::Less
        );
        let s = FieldValue::from_attribute(&AttributeValue::List(vec![
            AttributeValue::Int(1),
            AttributeValue::Null,
            AttributeValue::Float(Finite::new(1.5).unwrap()),
        ]))
        .unwrap();
        assert_eq!(s.completeness(), 2);
        assert_eq!(FieldValue::from_attribute(&AttributeValue::Null), None);
        assert_eq!(FieldValue::Text("añb".into()).completeness(), 3);
    }
}
