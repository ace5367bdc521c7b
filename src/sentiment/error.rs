//! The details of sentiment errors, turned into [`crate::Error`] at the edge.

use std::fmt;

use crate::error::Span;

use super::lexicon::Lexicon;

/// Why a sentiment call failed; its `Display` is the error message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Detail {
    BadTokenSpan {
        span: Span,
        len: usize,
    },
    LexiconMissingField {
        line: usize,
        field: &'static str,
    },
    LexiconBadValence {
        line: usize,
        value: String,
    },
    LexiconValenceOutOfRange {
        line: usize,
        /// As written in the file (quoted, so `3.4e38` is not spelt out).
        value: String,
    },
    LexiconEmptyToken {
        line: usize,
    },
    LexiconInvalidValence {
        word: String,
        valence: f64,
    },
    LexiconEmpty,
    NoLexicon {
        language: &'static str,
    },
    ParamOutOfRange {
        name: &'static str,
        value: f64,
        range: &'static str,
    },
    LabelOutOfRange {
        what: &'static str,
        value: f64,
        range: &'static str,
    },
    NoExamples,
    PhraseTooLong {
        phrase: String,
        words: usize,
        max: usize,
    },
    RuleOutOfRange {
        word: String,
        what: &'static str,
        value: f64,
        range: &'static str,
    },
    UnknownLanguage {
        code: String,
    },
    BadLanguageTag {
        tag: String,
    },
    ScoreOutOfRange {
        index: usize,
        score: f64,
    },
    NoObservations,
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::BadTokenSpan { span, len } => write!(
                f,
                "token span {span} is empty or does not fall on char boundaries of a {len}-byte text"
            ),
            Detail::LexiconMissingField { line, field } => {
                write!(f, "lexicon line {line}: missing the {field} field")
            }
            Detail::LexiconBadValence { line, value } => {
                write!(f, "lexicon line {line}: valence {value:?} is not a finite number")
            }
            Detail::LexiconValenceOutOfRange { line, value } => write!(
                f,
                "lexicon line {line}: valence {value:?} is outside -{max}..={max}",
                max = Lexicon::MAX_VALENCE
            ),
            Detail::LexiconEmptyToken { line } => write!(f, "lexicon line {line}: the token is empty"),
            Detail::LexiconInvalidValence { word, valence } => {
                write!(
                    f,
                    "valence {valence} of {word:?} is not a finite number in -{max}..={max}",
                    max = Lexicon::MAX_VALENCE
                )
            }
            Detail::LexiconEmpty => write!(f, "the lexicon has no entries"),
            Detail::NoLexicon { language } => write!(
                f,
                "no lexicon given and none bundled for language {language} (bundled: en, pt with their features)"
            ),
            Detail::ParamOutOfRange { name, value, range } => {
                write!(f, "{name} {value} is out of range {range}")
            }
            Detail::LabelOutOfRange { what, value, range } => {
                write!(f, "{what} {value} is out of range {range}")
            }
            Detail::PhraseTooLong { phrase, words, max } => {
                write!(f, "phrase {phrase:?} has {words} words, more than {max}")
            }
            Detail::RuleOutOfRange {
                word,
                what,
                value,
                range,
            } => write!(f, "{what} {value} of {word:?} is out of range {range}"),
            Detail::NoExamples => write!(f, "no labelled texts to learn a lexicon from"),
            Detail::BadLanguageTag { tag } => {
                write!(f, "{tag:?} is not a language tag (ISO 639 code or BCP 47 tag)")
            }
            Detail::UnknownLanguage { code } => {
                write!(f, "language code {code:?} is not one of the supported languages")
            }
            Detail::ScoreOutOfRange { index, score } => {
                write!(f, "score {score} of observation {index} is out of range -1..=1")
            }
            Detail::NoObservations => write!(f, "no scored observations to aggregate"),
        }
    }
}
