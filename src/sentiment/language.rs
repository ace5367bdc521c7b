//! The languages the sentiment module knows by name.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};

use super::error::Detail;

/// A language, named by its ISO 639-1 code (`"en"`, `"pt"`, `"id"`, …).
///
/// Every language has a [`Stemmer`](super::Stemmer) (Snowball, or custodia's
/// own for Indonesian). Closed-class word lists (negators, boosters, contrast
/// words) are built in for English, Portuguese, Indonesian, Hungarian,
/// Spanish, German, French and Italian; other languages score with the lexicon
/// alone.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::Language;
/// let lang: Language = "hu".parse()?;
/// assert_eq!(lang, Language::Hungarian);
/// assert_eq!(lang.code(), "hu");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Language {
    /// Arabic (`ar`).
    Arabic,
    /// Danish (`da`).
    Danish,
    /// Dutch (`nl`).
    Dutch,
    /// English (`en`).
    English,
    /// Finnish (`fi`).
    Finnish,
    /// French (`fr`).
    French,
    /// German (`de`).
    German,
    /// Greek (`el`).
    Greek,
    /// Hungarian (`hu`).
    Hungarian,
    /// Indonesian (`id`).
    Indonesian,
    /// Italian (`it`).
    Italian,
    /// Norwegian (`no`).
    Norwegian,
    /// Portuguese (`pt`).
    Portuguese,
    /// Romanian (`ro`).
    Romanian,
    /// Russian (`ru`).
    Russian,
    /// Spanish (`es`).
    Spanish,
    /// Swedish (`sv`).
    Swedish,
    /// Tamil (`ta`).
    Tamil,
    /// Turkish (`tr`).
    Turkish,
}

const ALL: [(Language, &str); 19] = [
    (Language::Arabic, "ar"),
    (Language::Danish, "da"),
    (Language::Dutch, "nl"),
    (Language::English, "en"),
    (Language::Finnish, "fi"),
    (Language::French, "fr"),
    (Language::German, "de"),
    (Language::Greek, "el"),
    (Language::Hungarian, "hu"),
    (Language::Indonesian, "id"),
    (Language::Italian, "it"),
    (Language::Norwegian, "no"),
    (Language::Portuguese, "pt"),
    (Language::Romanian, "ro"),
    (Language::Russian, "ru"),
    (Language::Spanish, "es"),
    (Language::Swedish, "sv"),
    (Language::Tamil, "ta"),
    (Language::Turkish, "tr"),
];

impl Language {
    /// Returns the ISO 639-1 code, such as `"en"`.
    pub fn code(self) -> &'static str {
        ALL.iter()
            .find(|(l, _)| *l == self)
            .map_or("und", |(_, code)| code)
    }

    /// Returns every language, in code order of their English names.
    pub fn all() -> impl Iterator<Item = Language> {
        ALL.iter().map(|(l, _)| *l)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = Error;

    /// Parses an ISO 639-1 code, ignoring case (`"nb"` also means Norwegian).
    fn from_str(code: &str) -> Result<Language> {
        let lower = code.trim().to_ascii_lowercase();
        let lower = if lower == "nb" {
            "no".to_owned()
        } else {
            lower
        };
        ALL.iter()
            .find(|(_, c)| *c == lower)
            .map(|(l, _)| *l)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    Detail::UnknownLanguage {
                        code: code.to_owned(),
                    },
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Language::all() {
            assert_eq!(lang.code().parse::<Language>().ok(), Some(lang));
        }
        assert_eq!("PT".parse::<Language>().ok(), Some(Language::Portuguese));
        let err = "xx".parse::<Language>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "language code \"xx\" is not one of the supported languages"
        );
    }
}
