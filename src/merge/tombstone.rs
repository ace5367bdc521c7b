//! The identifier texts tombstones are digests of: each subject key as
//! written, and as the identity normalisers read it.
//!
//! 2026-12-04: tombstones used to be digests of the subject key text only,
//! so after erasing `jo.doe@gmail.com` a copy written `JoDoe@googlemail.com`
//! (the same mailbox to identity resolution) was accepted again, as were
//! `+tag` variants, `00…` phone prefixes and an upper-case id system. Each
//! identifier now also yields its normalised form, in the same `kind:value`
//! shape as [`SubjectKey`]'s text, so a value already in normal form keeps
//! the digest it always had, and digests made before stay valid.

use crate::consent::SubjectKey;
use crate::identity::{normalize_email, normalize_phone};
use crate::model::SourceRecord;

/// One identifier: its subject-key text, and its normalised text when that
/// differs.
pub(crate) struct KeyText {
    /// The [`SubjectKey`] text (`email:ana@example.com`).
    pub(crate) written: String,
    /// The normalised text, when it differs from `written`.
    pub(crate) normalized: Option<String>,
}

impl KeyText {
    fn new(written: String, normalized: Option<String>) -> KeyText {
        let normalized = normalized.filter(|n| *n != written);
        KeyText {
            written,
            normalized,
        }
    }

    /// Returns the texts of the identifier: written, then normalised.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.written.as_str()).chain(self.normalized.as_deref())
    }
}

/// Returns the normalised text of a key's `kind` and `value` (the parts of
/// its subject-key text), or `None` when normalising changes nothing or the
/// value cannot be read.
///
/// Phone numbers are completed with `country` only; without one, a national
/// number stays as written (an assumed country could tombstone someone
/// else's number), while `+…` and `00…` numbers need no country.
fn normalized(kind: &str, value: &str, country: &str) -> Option<String> {
    match kind {
        "email" => normalize_email(value).map(|e| format!("email:{e}")),
        "phone" => normalize_phone(value, country).map(|p| format!("phone:{p}")),
        // Systems are matched without case, as identity resolution does;
        // the value is kept as issued. A key's text does not tell where a
        // system holding `/` ends, so it is read up to the first `/`.
        "external_id" => value
            .split_once('/')
            .map(|(system, id)| format!("external_id:{}/{id}", system.to_lowercase())),
        _ => None,
    }
}

/// Returns the identifier texts of `key`.
pub(crate) fn subject_texts(key: &SubjectKey) -> KeyText {
    let written = key.to_string();
    let normal = written
        .split_once(':')
        .and_then(|(kind, value)| normalized(kind, value, ""));
    KeyText::new(written, normal)
}

/// Returns the identifier texts of every subject key of `record`
/// ([`SubjectKey::keys_of`]); phones are completed with the record's
/// country as [`normalize_record`](crate::identity::normalize_record) does
/// (its first address's, else its geographic one).
pub(crate) fn record_texts(record: &SourceRecord) -> Vec<KeyText> {
    let identity = record.identity();
    let country = identity
        .addresses
        .first()
        .and_then(|a| a.country.as_ref())
        .or(record.geographic().country.as_ref())
        .map_or("", |c| c.as_str());
    SubjectKey::keys_of(record)
        .iter()
        .map(|key| {
            let written = key.to_string();
            let normal = written
                .split_once(':')
                .and_then(|(kind, value)| normalized(kind, value, country));
            KeyText::new(written, normal)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EmailAddress, ExternalId, PhoneNumber};

    fn norm(key: &SubjectKey) -> String {
        let t = subject_texts(key);
        t.normalized.unwrap_or(t.written)
    }

    #[test]
    fn variants_share_a_normalised_text() -> crate::Result<()> {
        let email = |e| EmailAddress::new(e).map(|e| norm(&SubjectKey::email(&e)));
        assert_eq!(email("jo.doe@gmail.com")?, email("JoDoe@googlemail.com")?);
        assert_eq!(email("ana@outlook.com")?, email("ana+shop@outlook.com")?);
        let phone = |p| PhoneNumber::new(p).map(|p| norm(&SubjectKey::phone(&p)));
        assert_eq!(phone("+351 912 345 678")?, phone("00351 912 345 678")?);
        let ext = |s, v| ExternalId::new(s, v).map(|e| norm(&SubjectKey::external_id(e)));
        assert_eq!(ext("crm", "42")?, ext("CRM", "42")?);
        assert_ne!(ext("crm", "a")?, ext("crm", "A")?);
        // Already normal: one text, the one digests were always made of.
        let plain = subject_texts(&SubjectKey::email(&EmailAddress::new("ana@example.com")?));
        assert_eq!(plain.texts().collect::<Vec<_>>(), ["email:ana@example.com"]);
        Ok(())
    }
}
