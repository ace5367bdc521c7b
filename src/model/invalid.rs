//! The model's validation errors.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, ErrorKind};
use crate::model::Money;

/// How a rejected value is shown in a message: text in quotes, numbers, dates
/// and money as they print.
pub(crate) trait Shown {
    /// Writes the value for an error message.
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl Shown for str {
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Long values are cut so that a message stays readable.
        if self.chars().count() > 80 {
            let cut: String = self.chars().take(77).collect();
            write!(f, "{:?}", format!("{cut}..."))
        } else {
            write!(f, "{self:?}")
        }
    }
}

impl Shown for String {
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().show(f)
    }
}

impl<T: Shown + ?Sized> Shown for &T {
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).show(f)
    }
}

macro_rules! shown_by_display {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}
shown_by_display!(
    u8,
    u16,
    u32,
    u64,
    usize,
    i8,
    i16,
    i32,
    i64,
    f32,
    f64,
    Money,
    NaiveDate,
    DateTime<Utc>
);

/// A value that broke a model rule: `{field} {value} {rule}`.
struct Invalid<'a, V: ?Sized, R> {
    field: &'a str,
    value: &'a V,
    rule: R,
}

impl<V: Shown + ?Sized, R: fmt::Display> fmt::Display for Invalid<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.field)?;
        self.value.show(f)?;
        write!(f, " {}", self.rule)
    }
}

/// Builds the [`ErrorKind::InvalidInput`] error for `value` of `field`
/// breaking `rule`, as in `nps 11 is out of range 0..=10`.
#[cold]
pub(crate) fn invalid<V: Shown>(field: &str, value: V, rule: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        Invalid {
            field,
            value: &value,
            rule,
        },
    )
}

/// Builds the [`ErrorKind::InvalidInput`] error for a required field that is
/// missing or empty.
#[cold]
pub(crate) fn missing(field: &str) -> Error {
    Error::new(ErrorKind::InvalidInput, format_args!("{field} is missing"))
}
