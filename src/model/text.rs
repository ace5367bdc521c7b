//! Validated text newtypes: identifiers, emails, phones, languages, time zones, domains.

use std::fmt;

use crate::error::{Error, Result};
use crate::model::invalid::{invalid, missing};

/// The longest free-text value, in bytes, that the model keeps in one field
/// (names, titles, comments are cut by no one: longer values are refused).
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// The longest identifier, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Checks a required free-text value: not blank, not over [`MAX_TEXT_LEN`],
/// no control characters other than line breaks and tabs. Returns it trimmed.
pub(crate) fn checked_text(field: &str, text: &str) -> Result<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(missing(field));
    }
    if trimmed.len() > MAX_TEXT_LEN {
        return Err(invalid(
            field,
            trimmed,
            format_args!("is longer than {MAX_TEXT_LEN} bytes"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(field, trimmed, "holds a control character"));
    }
    Ok(trimmed.to_owned())
}

/// Returns `true` for a character that changes how text reads without
/// being seen: control characters, bidirectional controls (U+202E turns
/// `moc.evil@ana` around on screen), zero-width and other invisible format
/// characters, invisible fillers, variation selectors and tag characters.
/// Identifiers that hold one can look equal to another and are refused.
pub(crate) fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Refuses an identifier-like value (`field`) holding an invisible
/// character, naming the character's code point.
pub(crate) fn check_visible(field: &str, text: &str) -> Result<()> {
    match text.chars().find(|c| is_invisible(*c)) {
        Some(c) => Err(invalid(
            field,
            text,
            format_args!(
                "holds the invisible or control character U+{:04X}",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

fn checked_id(field: &str, text: &str) -> Result<Box<str>> {
    if text.trim().is_empty() {
        return Err(missing(field));
    }
    if text.len() > MAX_ID_LEN {
        return Err(invalid(
            field,
            text,
            format_args!("is longer than {MAX_ID_LEN} bytes"),
        ));
    }
    check_visible(field, text)?;
    Ok(text.into())
}

/// Defines a validated string newtype with the usual conversions.
macro_rules! text_newtype {
    (
        $(#[$meta:meta])*
        $name:ident, $check:expr
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(
            feature = "serde",
            derive(serde::Serialize, serde::Deserialize),
            serde(try_from = "String", into = "String")
        )]
        pub struct $name(Box<str>);

        impl $name {
            /// Validates `text` and wraps it.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
            /// naming the field and the value when the text breaks the rule
            /// above.
            pub fn new(text: &str) -> Result<$name> {
                let check: fn(&str) -> Result<Box<str>> = $check;
                check(text).map($name)
            }

            /// Returns the text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<$name> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<$name> {
                $name::new(&s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<$name> {
                $name::new(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0.into()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use text_newtype;

/// Implements `Debug` for text newtypes that hold no personal value: the
/// text is printed in full.
macro_rules! debug_public {
    ($($name:ident),* $(,)?) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }
    )*};
}

/// Implements `Debug` for text newtypes that hold a personal value: the text
/// is redacted unless formatted inside
/// [`Unredacted`](crate::model::Unredacted).
macro_rules! debug_personal {
    ($($name:ident),* $(,)?) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                crate::model::redact::text(f, stringify!($name), &self.0)
            }
        }
    )*};
}
pub(crate) use debug_personal;

// Identifiers, languages, time zones and domains say nothing about a person
// on their own, and logs need them to find the record.
debug_public!(
    RecordId,
    SourceId,
    EventId,
    DomainName,
    LanguageTag,
    TimeZoneName
);
debug_personal!(EmailAddress, PhoneNumber);

text_newtype!(
    /// The identifier of a [`SourceRecord`](crate::model::SourceRecord), unique
    /// within the data a program hands custodia.
    ///
    /// Rule: 1 to 256 bytes, not blank, no control or invisible characters
    /// (bidirectional controls, zero-width and other format characters). Kept exactly
    /// as given (case and spaces matter).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::RecordId;
    /// assert_eq!(RecordId::new("crm-0042")?.as_str(), "crm-0042");
    /// assert!(RecordId::new("  ").is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    RecordId, |t| checked_id("record id", t)
);

text_newtype!(
    /// The system a record came from, such as `crm`, `web` or `zendesk`.
    ///
    /// Rule: 1 to 256 bytes, not blank, no control or invisible characters
    /// (bidirectional controls, zero-width and other format characters).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::SourceId;
    /// assert_eq!(SourceId::new("zendesk")?.to_string(), "zendesk");
    /// # Ok::<(), custodia::Error>(())
    /// ```
    SourceId, |t| checked_id("source id", t)
);

text_newtype!(
    /// The identifier of an [`Event`](crate::model::Event), unique within its
    /// source; events with the same id are the same event.
    ///
    /// Rule: 1 to 256 bytes, not blank, no control or invisible characters
    /// (bidirectional controls, zero-width and other format characters).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::EventId;
    /// assert!(EventId::new("ord-1001").is_ok());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    EventId, |t| checked_id("event id", t)
);

fn check_email(text: &str) -> Result<Box<str>> {
    let t = text.trim();
    if t.is_empty() {
        return Err(missing("email"));
    }
    if t.len() > 254 {
        return Err(invalid("email", t, "is longer than 254 bytes"));
    }
    let Some((local, domain)) = t.rsplit_once('@') else {
        return Err(invalid("email", t, "has no @"));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(invalid("email", t, "needs 1 to 64 bytes before the @"));
    }
    if local.contains('@') && !(local.starts_with('"') && local.ends_with('"')) {
        return Err(invalid("email", t, "has more than one @"));
    }
    check_visible("email", t)?;
    if t.chars().any(char::is_whitespace) {
        return Err(invalid(
            "email",
            t,
            "holds white space or a control character",
        ));
    }
    check_domain_labels(domain).map_err(|rule| invalid("email", t, rule))?;
    Ok(t.into())
}

/// Checks a host name: dot-separated labels of letters, digits and hyphens
/// (Unicode letters allowed), at least two labels, no label starting or
/// ending with a hyphen. Returns the broken rule.
fn check_domain_labels(domain: &str) -> std::result::Result<(), &'static str> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() || domain.len() > 253 {
        return Err("needs a domain of 1 to 253 bytes");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("needs a domain with a dot");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err("has an empty or over-long domain label");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a domain label that starts or ends with a hyphen");
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err("has a character not allowed in a domain");
        }
    }
    Ok(())
}

text_newtype!(
    /// An email address as the source wrote it (trimmed; case kept).
    ///
    /// Rule: a local part of 1 to 64 bytes, one `@`, and a domain of at least
    /// two labels of letters, digits and hyphens (internationalised letters
    /// allowed); no white space, control or invisible characters (bidirectional
    /// controls, zero-width and other format characters); at most 254 bytes. Identity resolution
    /// normalises case and provider rules separately; the model keeps what
    /// was written.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::EmailAddress;
    /// let e = EmailAddress::new(" Ana.Silva@Example.COM ")?;
    /// assert_eq!(e.as_str(), "Ana.Silva@Example.COM");
    /// assert_eq!(e.domain(), "Example.COM");
    /// let err = EmailAddress::new("ana.example.com").unwrap_err();
    /// assert_eq!(err.to_string(), "email \"ana.example.com\" has no @");
    /// # Ok::<(), custodia::Error>(())
    /// ```
    EmailAddress, check_email
);

impl EmailAddress {
    /// Returns the part before the last `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(l, _)| l)
    }

    /// Returns the part after the last `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

fn check_phone(text: &str) -> Result<Box<str>> {
    let t = text.trim();
    if t.is_empty() {
        return Err(missing("phone"));
    }
    if t.len() > 64 {
        return Err(invalid("phone", t, "is longer than 64 bytes"));
    }
    check_visible("phone", t)?;
    // An extension may follow the number: "x123", "ext. 123", "ext 123".
    let lower = t.to_ascii_lowercase();
    let main = match lower.find(['x', 'e']) {
        Some(i) => {
            let ext = lower[i..]
                .trim_start_matches("ext")
                .trim_start_matches('x')
                .trim_start_matches('.')
                .trim();
            if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("phone", t, "has a malformed extension"));
            }
            &t[..i]
        }
        None => t,
    };
    let body = main.trim();
    let body = body.strip_prefix('+').unwrap_or(body);
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
    {
        return Err(invalid(
            "phone",
            t,
            "holds a character other than digits, + and separators",
        ));
    }
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    if !(3..=17).contains(&digits) {
        return Err(invalid(
            "phone",
            t,
            format_args!("has {digits} digits, not 3 to 17"),
        ));
    }
    Ok(t.into())
}

text_newtype!(
    /// A telephone number as the source wrote it.
    ///
    /// Rule: an optional leading `+`, then 3 to 17 digits with any of the
    /// separators ` - . ( ) /`, then optionally an extension (`x12`,
    /// `ext. 12`). Conversion to E.164 needs a default country and belongs to
    /// identity resolution.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::PhoneNumber;
    /// assert!(PhoneNumber::new("+36 (1) 555-0199").is_ok());
    /// assert!(PhoneNumber::new("+1 415 555 0100 ext. 7").is_ok());
    /// assert!(PhoneNumber::new("call me").is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    PhoneNumber, check_phone
);

impl PhoneNumber {
    /// Returns the digits of the number, without separators and extension,
    /// with a leading `+` if the source wrote one.
    pub fn digits(&self) -> String {
        let lower = self.0.to_ascii_lowercase();
        let main = lower.find(['x', 'e']).map_or(&*self.0, |i| &self.0[..i]);
        let mut out = String::with_capacity(main.len());
        if main.trim_start().starts_with('+') {
            out.push('+');
        }
        out.extend(main.chars().filter(char::is_ascii_digit));
        out
    }
}

fn check_domain(text: &str) -> Result<Box<str>> {
    let t = text.trim();
    let bare = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(t);
    let bare = bare.strip_prefix("www.").unwrap_or(bare);
    let bare = bare.split('/').next().unwrap_or(bare);
    if bare.is_empty() {
        return Err(missing("domain"));
    }
    check_domain_labels(bare).map_err(|rule| invalid("domain", t, rule))?;
    Ok(bare.to_lowercase().into())
}

text_newtype!(
    /// A company's internet domain, such as `example.com`.
    ///
    /// Rule: a host name of at least two labels. A scheme (`https://`), a
    /// leading `www.` and any path are removed and the name is lower-cased,
    /// since a domain names one company whichever way it was written.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::DomainName;
    /// assert_eq!(DomainName::new("https://www.Example.com/about")?.as_str(), "example.com");
    /// assert!(DomainName::new("localhost").is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    DomainName, check_domain
);

fn check_language(text: &str) -> Result<Box<str>> {
    let t = text.trim();
    if t.is_empty() {
        return Err(missing("language"));
    }
    let mut out = String::with_capacity(t.len());
    for (i, part) in t.split(['-', '_']).enumerate() {
        let ok_len = if i == 0 {
            (2..=3).contains(&part.len())
        } else {
            (1..=8).contains(&part.len())
        };
        let ok_chars = if i == 0 {
            part.bytes().all(|b| b.is_ascii_alphabetic())
        } else {
            part.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        if !ok_len || !ok_chars {
            return Err(invalid(
                "language",
                t,
                "is not a BCP 47 tag such as \"pt\" or \"pt-BR\"",
            ));
        }
        if i > 0 {
            out.push('-');
        }
        // Canonical case of RFC 5646 section 2.1.1: language lower, script
        // title, region upper.
        match (i, part.len()) {
            (0, _) => out.push_str(&part.to_ascii_lowercase()),
            (_, 2) => out.push_str(&part.to_ascii_uppercase()),
            (_, 4) if part.bytes().all(|b| b.is_ascii_alphabetic()) => {
                out.push_str(&part[..1].to_ascii_uppercase());
                out.push_str(&part[1..].to_ascii_lowercase());
            }
            _ => out.push_str(&part.to_ascii_lowercase()),
        }
    }
    Ok(out.into())
}

text_newtype!(
    /// A language tag (BCP 47), such as `pt-BR` or `hu`.
    ///
    /// Rule: a 2- or 3-letter primary language, then subtags of 1 to 8
    /// letters or digits separated by `-` (an `_`, as in `pt_BR`, is
    /// accepted). The tag is stored in canonical case (`pt-BR`, `zh-Hant`).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::LanguageTag;
    /// let tag = LanguageTag::new("PT_br")?;
    /// assert_eq!(tag.as_str(), "pt-BR");
    /// assert_eq!(tag.primary(), "pt");
    /// assert!(LanguageTag::new("portuguese").is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    LanguageTag, check_language
);

impl LanguageTag {
    /// Returns the primary language subtag (`pt` of `pt-BR`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

const TZ_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

fn check_time_zone(text: &str) -> Result<Box<str>> {
    let t = text.trim();
    if t.is_empty() {
        return Err(missing("time zone"));
    }
    if t == "UTC" {
        return Ok(t.into());
    }
    let mut parts = t.split('/');
    let area = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
    };
    if !TZ_AREAS.contains(&area)
        || rest.is_empty()
        || rest.len() > 2
        || !rest.iter().all(|s| segment_ok(s))
    {
        return Err(invalid(
            "time zone",
            t,
            "is not an IANA time zone name such as \"Europe/Budapest\"",
        ));
    }
    Ok(t.into())
}

text_newtype!(
    /// An IANA time zone name, such as `Asia/Jakarta`, or `UTC`.
    ///
    /// Rule: `UTC`, or one of the IANA areas (`Africa`, `America`,
    /// `Antarctica`, `Arctic`, `Asia`, `Atlantic`, `Australia`, `Europe`,
    /// `Indian`, `Pacific`, `Etc`) followed by one or two `/`-separated names
    /// of ASCII letters, digits, `_`, `-` and `+`. The shape is checked, not
    /// membership in a particular release of the time zone database.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::TimeZoneName;
    /// assert!(TimeZoneName::new("America/Argentina/Buenos_Aires").is_ok());
    /// assert!(TimeZoneName::new("CET+1").is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    TimeZoneName, check_time_zone
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "\"a@b\"@example.org",
            "jános@példa.hu",
            "x+tag@gmail.com",
        ] {
            assert!(EmailAddress::new(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("a@b", "email \"a@b\" needs a domain with a dot"),
            ("@b.co", "email \"@b.co\" needs 1 to 64 bytes before the @"),
            (
                "a b@c.de",
                "email \"a b@c.de\" holds white space or a control character",
            ),
            ("a@b@c.de", "email \"a@b@c.de\" has more than one @"),
            (
                "a@-b.de",
                "email \"a@-b.de\" has a domain label that starts or ends with a hyphen",
            ),
            (
                "a@b..de",
                "email \"a@b..de\" has an empty or over-long domain label",
            ),
            ("", "email is missing"),
        ] {
            assert_eq!(EmailAddress::new(bad).unwrap_err().to_string(), why);
        }
    }

    #[test]
    fn invisible_characters_are_refused_in_identifiers() {
        for c in [
            '\u{202E}',
            '\u{200B}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
            '\u{0007}',
        ] {
            let email = format!("ana{c}@example.pt");
            let err = EmailAddress::new(&email).unwrap_err();
            assert!(
                err.to_string().contains(&format!("U+{:04X}", u32::from(c))),
                "{err}"
            );
            assert!(PhoneNumber::new(&format!("+351 21{c}0 000 000")).is_err());
            assert!(RecordId::new(&format!("r{c}1")).is_err());
            assert!(SourceId::new(&format!("crm{c}")).is_err());
            assert!(EventId::new(&format!("e{c}")).is_err());
        }
        assert_eq!(
            EmailAddress::new("moc.live\u{202E}@example.pt")
                .unwrap_err()
                .to_string(),
            "email \"moc.live\\u{202e}@example.pt\" holds the invisible or control character U+202E"
        );
        // Visible non-ASCII stays accepted.
        assert!(EmailAddress::new("joão@exemplo.pt").is_ok());
        assert!(RecordId::new("客户-1").is_ok());
    }

    #[test]
    fn phones() {
        let p = PhoneNumber::new("+62 (21) 555-0101 x9").unwrap();
        assert_eq!(p.digits(), "+62215550101");
        assert!(PhoneNumber::new("12").is_err());
        assert!(PhoneNumber::new("+1 555 0100 ext").is_err());
        assert!(PhoneNumber::new("555+0100").is_err());
    }

    #[test]
    fn language_tags_are_canonical() {
        assert_eq!(
            LanguageTag::new("zh-hant-tw").unwrap().as_str(),
            "zh-Hant-TW"
        );
        assert_eq!(LanguageTag::new("id").unwrap().primary(), "id");
        assert!(LanguageTag::new("p").is_err());
        assert!(LanguageTag::new("pt--BR").is_err());
    }

    proptest! {
        #[test]
        fn validators_never_panic(s in "\\PC{0,80}") {
            let _ = EmailAddress::new(&s);
            let _ = PhoneNumber::new(&s);
            let _ = DomainName::new(&s);
            let _ = LanguageTag::new(&s);
            let _ = TimeZoneName::new(&s);
            let _ = RecordId::new(&s);
        }

        #[test]
        fn accepted_values_are_stable(s in "[a-z]{1,10}@[a-z]{1,10}\\.[a-z]{2,5}") {
            let e = EmailAddress::new(&s).unwrap();
            prop_assert_eq!(EmailAddress::new(e.as_str()).unwrap(), e);
        }
    }
}
