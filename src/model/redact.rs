//! Redacted `Debug` output for personal values, and [`Unredacted`], the
//! explicit way to print them in full.
//!
//! Redaction happens at the leaf types that hold personal values, so every
//! container that derives `Debug` (a record, a profile, a `Vec`, an
//! `Option`, `{:#?}`) inherits it. The module docs of [`crate::model`] list
//! the leaves and explain the digest.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::fmt::{self, Write as _};
use std::hash::BuildHasher;
use std::sync::OnceLock;

thread_local! {
    /// `true` while an [`Unredacted`] value is being formatted on this thread.
    static REVEAL: Cell<bool> = const { Cell::new(false) };
}

/// Prints a value's `Debug` form with personal values in full.
///
/// `Debug` of custodia's types redacts personal values (see
/// [`crate::model`]); wrapping a reference in `Unredacted` turns that off
/// for everything formatted inside it, nested containers included. Use it
/// only where the output is meant to hold personal data (a local debugging
/// session, a test), never for logs.
///
/// The other full forms are each leaf's `Display` and `as_str()`, and the
/// serde JSON form.
///
/// # Examples
///
/// ```
/// use custodia::model::{EmailAddress, Unredacted};
///
/// let email = EmailAddress::new("ana.silva@example.pt")?;
/// assert!(!format!("{email:?}").contains("ana.silva"));
/// assert_eq!(format!("{:?}", Unredacted(&email)), r#"EmailAddress("ana.silva@example.pt")"#);
/// assert_eq!(email.to_string(), "ana.silva@example.pt");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Unredacted<'a, T: ?Sized>(pub &'a T);

impl<T: fmt::Debug + ?Sized> fmt::Debug for Unredacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Restores the previous flag even if the inner `Debug` panics.
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                REVEAL.with(|r| r.set(self.0));
            }
        }
        let _restore = Restore(REVEAL.with(|r| r.replace(true)));
        fmt::Debug::fmt(self.0, f)
    }
}

/// Returns `true` while an [`Unredacted`] value is being formatted.
pub(crate) fn revealing() -> bool {
    REVEAL.with(Cell::get)
}

/// Returns a short digest of `bytes`, keyed with a random key chosen once
/// per process: equal values give equal digests within one process, but a
/// digest cannot be checked against a list of likely values (emails and
/// phone numbers are easy to guess) and means nothing in another process.
fn digest(bytes: &[u8]) -> u32 {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let h = KEY.get_or_init(RandomState::new).hash_one(bytes);
    // Keep the top half: 32 bits tell values apart in a log but are too few
    // to be a useful fingerprint across data sets.
    (h >> 32) as u32
}

/// Writes a personal text value: `Kind(<redacted, N bytes, #digest>)`, or
/// `Kind("value")` inside [`Unredacted`].
pub(crate) fn text(f: &mut fmt::Formatter<'_>, kind: &str, value: &str) -> fmt::Result {
    if revealing() {
        write!(f, "{kind}({value:?})")
    } else {
        write!(
            f,
            "{kind}(<redacted, {} bytes, #{:08x}>)",
            value.len(),
            digest(value.as_bytes())
        )
    }
}

/// Writes a personal value that is not text (a birth date, coordinates):
/// `Kind(<redacted, #digest>)`, or `Kind(value)` with the value's own
/// `Debug` form inside [`Unredacted`].
pub(crate) fn value(f: &mut fmt::Formatter<'_>, kind: &str, value: &dyn fmt::Debug) -> fmt::Result {
    if revealing() {
        f.write_str(kind)?;
        f.write_char('(')?;
        value.fmt(f)?;
        f.write_char(')')
    } else {
        let mut plain = String::new();
        write!(plain, "{value:?}")?;
        write!(f, "{kind}(<redacted, #{:08x}>)", digest(plain.as_bytes()))
    }
}

/// A personal value for a field of a hand-written `Debug` impl: formats as
/// [`text`] or [`value`] do.
pub(crate) enum Secret<'a> {
    /// Text, with its kind.
    Text(&'static str, &'a str),
    /// Any other value, with its kind.
    Value(&'static str, &'a dyn fmt::Debug),
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Secret::Text(kind, v) => text(f, kind, v),
            Secret::Value(kind, v) => value(f, kind, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Leaf(&'static str);
    impl fmt::Debug for Leaf {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            text(f, "Leaf", self.0)
        }
    }

    #[test]
    fn redacts_unless_unredacted_and_restores_the_flag() {
        let v = vec![Some(Leaf("ana@example.pt"))];
        let redacted = format!("{v:#?}");
        assert!(!redacted.contains("ana"), "{redacted}");
        assert!(redacted.contains("<redacted, 14 bytes, #"), "{redacted}");
        assert!(format!("{:?}", Unredacted(&v)).contains("\"ana@example.pt\""));
        assert!(!revealing());
        assert!(!format!("{v:?}").contains("ana"));
    }

    #[test]
    fn equal_values_have_equal_digests() {
        assert_eq!(format!("{:?}", Leaf("x")), format!("{:?}", Leaf("x")));
        assert_ne!(format!("{:?}", Leaf("x")), format!("{:?}", Leaf("y")));
    }

    #[test]
    fn a_panicking_inner_debug_does_not_leave_the_flag_on() {
        struct Boom;
        impl fmt::Debug for Boom {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                panic!("boom")
            }
        }
        let caught = std::panic::catch_unwind(|| format!("{:?}", Unredacted(&Boom)));
        assert!(caught.is_err());
        assert!(!revealing());
    }
}
