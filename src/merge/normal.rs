//! Normal forms of multi-valued fields: the key under which raw variants
//! (`Ana@Example.com`, `ana@example.com`) become one set member.
//!
//! Each form reuses the normaliser identity resolution matches with, so a
//! profile holds one member for what matching took to be one identifier.

use crate::identity::{fold, normalize_email, normalize_phone, normalize_postcode};
use crate::merge::FieldValue;
use crate::model::{FieldPath, SourceRecord};

/// How the members of a multi-valued field are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NormalForm {
    /// [`normalize_email`]; an address without a usable shape, in lower case.
    Email,
    /// [`normalize_phone`] with the record's country, else the policy's
    /// phone country; a number it cannot read, by its digits (and a leading
    /// `+`).
    Phone,
    /// [`fold`]: case, diacritics and punctuation ignored; text that folds
    /// to nothing, as written.
    Folded,
    /// Lower case (names of domains and systems).
    Lower,
    /// Upper case (country codes).
    Upper,
    /// [`normalize_postcode`]; a code that normalises to nothing, as written.
    Postcode,
    /// As written (identifiers issued by a system are case-sensitive).
    Exact,
}

impl NormalForm {
    /// Returns the normal form of the multi-valued field `path`.
    pub(crate) fn of(path: &FieldPath) -> NormalForm {
        match path.as_str() {
            "identity.email" => NormalForm::Email,
            "identity.phone" => NormalForm::Phone,
            "identity.email_domain" | "identity.external_system" => NormalForm::Lower,
            "identity.address_country" => NormalForm::Upper,
            "identity.postal_code" => NormalForm::Postcode,
            "identity.device_id" => NormalForm::Exact,
            // Names, cities and the free-text lists of `personal`.
            _ => NormalForm::Folded,
        }
    }

    /// Returns the key of `value` under this form: a new text when the
    /// normal form differs from the value, else the value itself (shared,
    /// not copied). `country` completes national phone numbers.
    pub(crate) fn key(self, value: &FieldValue, country: &str) -> FieldValue {
        let Some(text) = value.as_text() else {
            return value.clone();
        };
        let key = match self {
            NormalForm::Email => {
                normalize_email(text).unwrap_or_else(|| text.trim().to_lowercase())
            }
            NormalForm::Phone => normalize_phone(text, country).unwrap_or_else(|| digits(text)),
            NormalForm::Folded => fold(text),
            NormalForm::Lower => text.trim().to_lowercase(),
            NormalForm::Upper => text.trim().to_uppercase(),
            NormalForm::Postcode => normalize_postcode(text),
            NormalForm::Exact => return value.clone(),
        };
        if key.is_empty() || key == text {
            value.clone()
        } else {
            FieldValue::Text(key.into())
        }
    }
}

/// Returns the country that completes the record's national phone numbers,
/// as [`normalize_record`](crate::identity::normalize_record) chooses it:
/// the first address's, else the geographic one, else `default`.
pub(crate) fn record_country<'a>(record: &'a SourceRecord, default: &'a str) -> &'a str {
    record
        .identity()
        .addresses
        .first()
        .and_then(|a| a.country.as_ref())
        .or(record.geographic().country.as_ref())
        .map_or(default, |c| c.as_str())
}

/// The digits of a number before any extension, with a leading `+` kept.
fn digits(phone: &str) -> String {
    let main = phone
        .find(|c: char| c.is_alphabetic())
        .map_or(phone, |i| &phone[..i]);
    let mut out = String::with_capacity(main.len());
    if main.trim_start().starts_with('+') {
        out.push('+');
    }
    out.extend(main.chars().filter(char::is_ascii_digit));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str, raw: &str, country: &str) -> String {
        let form = NormalForm::of(&FieldPath::new(path).unwrap());
        form.key(&FieldValue::Text(raw.into()), country).to_string()
    }

    #[test]
    fn keys_follow_the_identity_normalisers() {
        assert_eq!(
            key("identity.email", "Ana@Example.com", "US"),
            "ana@example.com"
        );
        assert_eq!(
            key("identity.email", "A.na+x@GoogleMail.com", "US"),
            "ana@gmail.com"
        );
        // No dot in the domain: not an address normalize_email reads.
        assert_eq!(
            key("identity.email", "Ana@LocalHost", "US"),
            "ana@localhost"
        );
        assert_eq!(
            key("identity.phone", "+1 555 010 0200", "PT"),
            "+15550100200"
        );
        assert_eq!(
            key("identity.phone", "(555) 010-0200", "US"),
            "+15550100200"
        );
        assert_eq!(
            key("identity.phone", "(555) 010-0200", "PT"),
            "+3515550100200"
        );
        // Too few digits for E.164: the digits, so formatting still folds.
        assert_eq!(key("identity.phone", "+1 23", "US"), "+123");
        assert_eq!(key("identity.phone", "12-3 x9", "US"), "123");
        assert_eq!(
            key("identity.full_name", "Émma  JOHNSON", "US"),
            "emma johnson"
        );
        assert_eq!(key("identity.full_name", "¿?", "US"), "¿?");
        assert_eq!(
            key("identity.email_domain", "Example.COM", "US"),
            "example.com"
        );
        assert_eq!(key("identity.address_country", "pt", "US"), "PT");
        assert_eq!(key("identity.postal_code", "sw1a 1aa", "US"), "SW1A1AA");
        assert_eq!(key("identity.device_id", "Anon-1", "US"), "Anon-1");
        assert_eq!(key("personal.interest", "Surf", "US"), "surf");
        // A non-text value is its own key.
        let form = NormalForm::of(&FieldPath::new("personal.interest").unwrap());
        assert_eq!(form.key(&FieldValue::Int(3), "US"), FieldValue::Int(3));
    }
}
