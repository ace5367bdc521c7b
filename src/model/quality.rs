//! Data-quality notes: values a record set aside instead of failing.

use std::fmt;

use crate::error::Error;
use crate::model::{Event, FieldPath};

/// A value that failed validation and was set aside on its
/// [`SourceRecord`](crate::model::SourceRecord) instead of failing the whole
/// record.
///
/// Dirty data is the normal case: a birth date typed as `5932-06-29` must not
/// lose a record's name, email and phone. The bad value is kept here, as
/// given, with the field it was meant for and the rule it broke, so that it
/// can be counted, reported and corrected; identity resolution and merging
/// read only the record's typed fields and so never see it.
///
/// A note whose value was a whole [`Event`] (an event after the observation,
/// or the later copy of a duplicated event id) keeps that event, reachable
/// through [`QualityNote::event`].
///
/// In JSON a note is
/// `{"field": "demographic.birth_date", "value": "5932-06-29", "reason": "…"}`,
/// with `"event": {…}` added when it holds an event.
///
/// # Examples
///
/// ```
/// use custodia::model::{EmailAddress, FieldPath, QualityNote};
///
/// let err = EmailAddress::new("ana.example.com").unwrap_err();
/// let note = QualityNote::new(FieldPath::new("identity.email")?, "ana.example.com", &err);
/// assert_eq!(note.field().as_str(), "identity.email");
/// assert_eq!(note.value(), "ana.example.com");
/// assert_eq!(note.reason(), "email \"ana.example.com\" has no @");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct QualityNote {
    field: FieldPath,
    value: String,
    reason: String,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    event: Option<Box<Event>>,
}

/// The value set aside is what the user handed in, so it is as personal as
/// the field it was meant for, and the reason names it: both are redacted
/// (see the [`model`](crate::model) docs on `Debug`).
impl fmt::Debug for QualityNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted<'a>(&'a str);
        impl fmt::Debug for Redacted<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                crate::model::redact::text(f, "Text", self.0)
            }
        }
        f.debug_struct("QualityNote")
            .field("field", &self.field)
            .field("value", &Redacted(&self.value))
            .field("reason", &Redacted(&self.reason))
            .field("event", &self.event)
            .finish()
    }
}

impl QualityNote {
    /// Returns a note that `value`, meant for `field`, was set aside for
    /// `reason`: usually the [`Error`](crate::Error) its validation gave, or
    /// any text that says which rule it broke.
    ///
    /// The value is kept whole, as given; the reason as it displays.
    pub fn new(
        field: FieldPath,
        value: impl Into<String>,
        reason: impl fmt::Display,
    ) -> QualityNote {
        QualityNote {
            field,
            value: value.into(),
            reason: reason.to_string(),
            event: None,
        }
    }

    /// Returns a note that `event` was set aside because of `error`; the
    /// note's value is the event id.
    pub(crate) fn for_event(event: Event, error: &Error) -> QualityNote {
        QualityNote {
            field: FieldPath::new("events").expect("a plain word is a valid field path"),
            value: event.id().as_str().to_owned(),
            reason: error.to_string(),
            event: Some(Box::new(event)),
        }
    }

    /// Returns the field the value was meant for, as a path such as
    /// `demographic.birth_date` or `identity.email`.
    pub fn field(&self) -> &FieldPath {
        &self.field
    }

    /// Returns the value as it was given.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Returns why the value was set aside: the validation message.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Returns the set-aside event, when the value was a whole event.
    pub fn event(&self) -> Option<&Event> {
        self.event.as_deref()
    }
}
