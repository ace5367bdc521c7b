//! The languages the sentiment module knows by name, parsed from ISO 639
//! codes and BCP 47 tags, and (under the `detect` feature) detected in text.
//!
//! # Examples
//!
//! ```
//! use custodia::sentiment::Language;
//! for tag in ["pt-PT", "pt_BR", "POR", "pt"] {
//!     assert_eq!(tag.parse::<Language>()?, Language::Portuguese);
//! }
//! assert!("zh-Hant-TW".parse::<Language>().is_err());
//! assert_eq!(Language::Portuguese.has_bundled_lexicon(), cfg!(feature = "lexicon-pt"));
//! # Ok::<(), custodia::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};

use super::error::Detail;

/// A language, named by its ISO 639-1 code (`"en"`, `"pt"`, `"id"`, …).
///
/// It parses ([`FromStr`]) from ISO 639-1, ISO 639-2 (bibliographic and
/// terminological) and ISO 639-3 codes and from BCP 47 tags whose primary
/// subtag is one of those (`"pt-PT"`, `"pt_BR"`, `"en-US"`, `"por"`,
/// `"ind"`, `"hun"`), ignoring case; script, region and variant subtags are
/// checked for form and otherwise ignored.
///
/// # Which languages score
///
/// Every language has a [`Stemmer`](super::Stemmer) (Snowball, or
/// custodia's own for Indonesian); the table says where its valences and
/// closed-class word lists (negators, boosters, contrast words) come from. Only openly licensed lexicons whose licence allows bundling are
/// bundled; for the others pass your own with
/// [`ScorerParams::lexicon`](super::ScorerParams::lexicon) or learn one from
/// labelled texts with [`LexiconInducer`](super::LexiconInducer).
///
/// | language | bundled lexicon (feature) | built-in rules | scores with |
/// |---|---|---|---|
/// | English `en` | VADER, MIT (`lexicon-en`) | yes | bundled or user lexicon |
/// | Portuguese `pt` | LeIA, MIT (`lexicon-pt`) | yes | bundled or user lexicon |
/// | Indonesian `id`, Hungarian `hu`, Spanish `es`, German `de`, French `fr`, Italian `it` | none | yes | a user-supplied or learned lexicon only |
/// | the other [`Language`]s | none | none | a user-supplied or learned lexicon only |
///
/// custodia knows of no lexicon for Indonesian, Hungarian, Spanish, German,
/// French or Italian that it may bundle: those published are under
/// share-alike terms (CC BY-SA) that would bind custodia's users, or state
/// no licence. Load one you are entitled to use from your own files.
///
/// Under the `detect` feature, `Language::detect` names the language of
/// untagged text.
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

/// Each language with its ISO 639-1 code first, then the other codes it
/// answers to: ISO 639-2/T, 639-2/B and 639-3 (with individual languages of
/// a macrolanguage: Norwegian Bokmål and Nynorsk, Standard Arabic), and the
/// withdrawn 639-1 `in` for Indonesian.
const ALL: [(Language, &[&str]); 19] = [
    (Language::Arabic, &["ar", "ara", "arb"]),
    (Language::Danish, &["da", "dan"]),
    (Language::Dutch, &["nl", "nld", "dut"]),
    (Language::English, &["en", "eng"]),
    (Language::Finnish, &["fi", "fin"]),
    (Language::French, &["fr", "fra", "fre"]),
    (Language::German, &["de", "deu", "ger"]),
    (Language::Greek, &["el", "ell", "gre"]),
    (Language::Hungarian, &["hu", "hun"]),
    (Language::Indonesian, &["id", "ind", "in"]),
    (Language::Italian, &["it", "ita"]),
    (
        Language::Norwegian,
        &["no", "nor", "nb", "nob", "nn", "nno"],
    ),
    (Language::Portuguese, &["pt", "por"]),
    (Language::Romanian, &["ro", "ron", "rum"]),
    (Language::Russian, &["ru", "rus"]),
    (Language::Spanish, &["es", "spa"]),
    (Language::Swedish, &["sv", "swe"]),
    (Language::Tamil, &["ta", "tam"]),
    (Language::Turkish, &["tr", "tur"]),
];

/// Longest language tag [`Language::from_str`] reads; BCP 47 tags in use
/// are far shorter, and the cap bounds the work and the error message.
const MAX_TAG_LEN: usize = 64;

impl Language {
    /// Returns the ISO 639-1 code, such as `"en"`.
    pub fn code(self) -> &'static str {
        ALL.iter()
            .find(|(l, _)| *l == self)
            .map_or("und", |(_, codes)| codes[0])
    }

    /// Returns every language, in code order of their English names.
    pub fn all() -> impl Iterator<Item = Language> {
        ALL.iter().map(|(l, _)| *l)
    }

    /// Returns `true` when custodia bundles a lexicon for this language in
    /// this build: English under the `lexicon-en` feature, Portuguese under
    /// `lexicon-pt` (both default). Other languages score with a lexicon the
    /// caller supplies; see the table on [`Language`].
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::{Language, Lexicon};
    /// assert!(!Language::Hungarian.has_bundled_lexicon());
    /// assert!(Lexicon::bundled(Language::Hungarian).is_none());
    /// assert_eq!(
    ///     Lexicon::bundled(Language::English).is_some(),
    ///     Language::English.has_bundled_lexicon(),
    /// );
    /// ```
    pub fn has_bundled_lexicon(self) -> bool {
        (self == Language::English && cfg!(feature = "lexicon-en"))
            || (self == Language::Portuguese && cfg!(feature = "lexicon-pt"))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cold]
fn tag_error(tag: &str, known_form: bool) -> Error {
    let code = tag.chars().take(MAX_TAG_LEN).collect();
    Error::new(
        ErrorKind::InvalidInput,
        if known_form {
            Detail::UnknownLanguage { code }
        } else {
            Detail::BadLanguageTag { tag: code }
        },
    )
}

impl FromStr for Language {
    type Err = Error;

    /// Parses an ISO 639-1/-2/-3 code or a BCP 47 tag, ignoring case and
    /// surrounding whitespace; `_` separates subtags as well as `-`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`]: "not a language tag" when the text is
    /// not a well-formed tag (empty, longer than 64 bytes, subtags that are
    /// not 1–8 ASCII letters or digits, a primary subtag that is not 2–3
    /// letters); "not one of the supported languages" for a well-formed tag
    /// naming another language (`"zh-Hant-TW"`).
    fn from_str(tag: &str) -> Result<Language> {
        let trimmed = tag.trim();
        if trimmed.is_empty() || trimmed.len() > MAX_TAG_LEN {
            return Err(tag_error(tag, false));
        }
        let mut subtags = trimmed.split(['-', '_']);
        let primary = subtags.next().unwrap_or_default();
        let well_formed = (2..=3).contains(&primary.len())
            && primary.bytes().all(|b| b.is_ascii_alphabetic())
            && subtags.all(|s| {
                (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !well_formed {
            return Err(tag_error(tag, false));
        }
        let primary = primary.to_ascii_lowercase();
        ALL.iter()
            .find(|(_, codes)| codes.contains(&primary.as_str()))
            .map(|(l, _)| *l)
            .ok_or_else(|| tag_error(tag, true))
    }
}

/// Most bytes of a text [`Language::detect`] reads: the first 4 KB (cut back
/// to a `char` boundary) name a language as well as the whole would, and
/// the cap keeps detection of a 100 KB text as cheap as a short one.
#[cfg(feature = "detect")]
#[cfg_attr(docsrs_custodia, doc(cfg(feature = "detect")))]
pub const DETECT_MAX_BYTES: usize = 4096;

/// What [`Language::detect`] found.
#[cfg(feature = "detect")]
#[cfg_attr(docsrs_custodia, doc(cfg(feature = "detect")))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Detection {
    /// The text is reliably in this language.
    Language(Language),
    /// The text is reliably in a language custodia has no [`Language`] for;
    /// the payload is its ISO 639-3 code (`"cmn"`, `"jpn"`).
    Unsupported(&'static str),
    /// The text is too short or too mixed to name its language.
    Unreliable,
}

#[cfg(feature = "detect")]
impl Language {
    /// Detects the language of `text` from its first
    /// [`DETECT_MAX_BYTES`] bytes, with the `whatlang` trigram model.
    ///
    /// Short texts ("ok", "👍") seldom name their language: expect
    /// [`Detection::Unreliable`] there and fall back on a default.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::{Detection, Language};
    /// let d = Language::detect("A entrega foi muito rápida e os sapatos são lindos, adorei a compra.");
    /// assert_eq!(d, Detection::Language(Language::Portuguese));
    /// assert_eq!(Language::detect(""), Detection::Unreliable);
    /// ```
    pub fn detect(text: &str) -> Detection {
        let mut end = text.len().min(DETECT_MAX_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        match whatlang::detect(&text[..end]) {
            Some(info) if info.is_reliable() => {
                let code = info.lang().code();
                match code.parse::<Language>() {
                    Ok(language) => Detection::Language(language),
                    Err(_) => Detection::Unsupported(code),
                }
            }
            _ => Detection::Unreliable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// Issue #14: `"pt-PT".parse::<Language>()` was refused.
    #[test]
    fn bcp47_tags_and_three_letter_codes_name_their_language() {
        use Language::*;
        for (tag, lang) in [
            ("pt-PT", Portuguese),
            ("pt_BR", Portuguese),
            ("PT-br", Portuguese),
            ("en-US", English),
            ("en-Latn-GB-oxendict", English),
            ("por", Portuguese),
            ("ind", Indonesian),
            ("in", Indonesian),
            ("HUN", Hungarian),
            ("hu-HU", Hungarian),
            ("ger", German),
            ("deu-AT", German),
            ("fre", French),
            ("nb-NO", Norwegian),
            ("nno", Norwegian),
            ("es-419", Spanish),
        ] {
            assert_eq!(tag.parse::<Language>().ok(), Some(lang), "{tag}");
        }
        for lang in Language::all() {
            let (_, codes) = ALL
                .iter()
                .find(|(l, _)| *l == lang)
                .copied()
                .unwrap_or((lang, &[]));
            for code in codes {
                assert_eq!(code.to_uppercase().parse::<Language>().ok(), Some(lang));
            }
        }
    }

    #[test]
    fn other_and_malformed_tags_get_typed_errors() {
        let unsupported = "zh-Hant-TW".parse::<Language>().unwrap_err();
        assert_eq!(unsupported.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            unsupported.to_string(),
            "language code \"zh-Hant-TW\" is not one of the supported languages"
        );
        for bad in [
            "",
            " ",
            "p",
            "pt-",
            "-pt",
            "pt--PT",
            "p1",
            "portuguese",
            "pt-toolongsubtag",
            "pt PT",
            "x-klingon",
            "é",
        ] {
            let err = bad.parse::<Language>().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert!(
                err.to_string().contains("is not a language tag"),
                "{bad:?}: {err}"
            );
        }
        let long = "en-".repeat(40_000);
        let err = long.parse::<Language>().unwrap_err();
        assert!(err.to_string().len() < 200);
    }

    #[test]
    fn bundled_lexicons_follow_the_features() {
        assert_eq!(
            Language::English.has_bundled_lexicon(),
            cfg!(feature = "lexicon-en")
        );
        assert_eq!(
            Language::Portuguese.has_bundled_lexicon(),
            cfg!(feature = "lexicon-pt")
        );
        for lang in Language::all() {
            assert_eq!(
                super::super::Lexicon::bundled(lang).is_some(),
                lang.has_bundled_lexicon(),
                "{lang}"
            );
            if !matches!(lang, Language::English | Language::Portuguese) {
                assert!(!lang.has_bundled_lexicon());
            }
        }
    }

    #[cfg(feature = "detect")]
    #[test]
    fn detection_names_supported_languages_and_says_when_it_cannot() {
        let cases = [
            ("The delivery was fast and the boots are great, I would buy from this shop again.", Language::English),
            ("A entrega foi muito rápida e os sapatos são lindos, adorei a compra.", Language::Portuguese),
            ("Pengiriman barang sangat cepat dan sepatunya bagus sekali. Saya tidak menyesal membeli di toko ini, pelayanannya juga ramah dan harganya murah.", Language::Indonesian),
            ("A szállítás nagyon gyors volt, a cipő gyönyörű, biztosan újra vásárolok ebben a boltban.", Language::Hungarian),
        ];
        for (text, lang) in cases {
            assert_eq!(Language::detect(text), Detection::Language(lang), "{text}");
        }
        assert_eq!(Language::detect(""), Detection::Unreliable);
        assert_eq!(Language::detect("👍"), Detection::Unreliable);
        assert!(matches!(
            Language::detect(
                "配送はとても速く、靴もとても素敵でした。またこの店で買いたいと思います。"
            ),
            Detection::Unsupported(_)
        ));
    }

    #[cfg(feature = "detect")]
    #[test]
    fn detection_reads_a_bounded_prefix_of_long_texts() {
        // 100 KB: the detector sees only the first 4 KB, Portuguese here.
        let pt = "A entrega foi muito rápida e os sapatos são lindos. ".repeat(90);
        let en = "The delivery was fast and the boots are great, thank you. ".repeat(1_700);
        let text = format!("{pt}{en}");
        assert!(text.len() > 100_000 && pt.len() > DETECT_MAX_BYTES);
        assert_eq!(
            Language::detect(&text),
            Detection::Language(Language::Portuguese)
        );
        // A cut inside a multi-byte character moves back to its start.
        for pad in ["", "a"] {
            let wide = format!("{pad}{}", "é".repeat(DETECT_MAX_BYTES));
            assert!(pad.is_empty() || !wide.is_char_boundary(DETECT_MAX_BYTES));
            let _ = Language::detect(&wide);
        }
    }

    proptest! {
        #[test]
        fn parsing_any_text_gives_a_language_or_a_typed_error(tag in "\\PC{0,80}") {
            match tag.parse::<Language>() {
                Ok(lang) => {
                    let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
                    let codes = ALL.iter().find(|(l, _)| *l == lang).map(|(_, c)| *c).unwrap_or_default();
                    prop_assert!(codes.contains(&primary.as_str()));
                }
                Err(err) => prop_assert_eq!(err.kind(), ErrorKind::InvalidInput),
            }
        }

        #[cfg(feature = "detect")]
        #[test]
        fn detection_never_panics(text in "\\PC{0,300}") {
            let _ = Language::detect(&text);
        }
    }
}
