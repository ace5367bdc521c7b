//! Lexicons: words (and emoticons, emoji, short phrases) with a valence.
//!
//! Valences use VADER's scale, −4 (most negative) to +4 (most positive), but
//! any number within ±[`Lexicon::MAX_VALENCE`] (100) is accepted, so that
//! lexicons on other scales (±1, ±5, InSet's −9..+6) load as they are;
//! [`Lexicon::rescaled`] maps another scale onto VADER's. Two file formats
//! load from text the caller gives (a leading byte-order mark is skipped and
//! lines may end in CRLF):
//!
//! - VADER: `token<TAB>mean<TAB>sd<TAB>[ratings]` (only the first two fields
//!   are read, so LeIA's files with a space before the ratings load too);
//! - plain: `token<TAB>score`.
//!
//! An entry whose token holds spaces is a phrase (`"cut the mustard"`) and
//! matches that sequence of words.

use std::fmt;

use crate::error::{Error, ErrorKind, Result, Span};

use super::error::Detail;
use super::hash::FxHashMap;
use super::tokenize::{TextTokenizer, TokenKind, Tokenizer};
use super::Language;

/// A map from tokens to valences.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::Lexicon;
/// let lexicon = Lexicon::from_tsv("bagus\t3\njelek\t-3\n")?;
/// assert_eq!(lexicon.get("bagus"), Some(3.0));
/// assert_eq!(lexicon.len(), 2);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Lexicon {
    entries: FxHashMap<Box<str>, f32>,
}

impl fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lexicon")
            .field("len", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// How many characters of a bad field an error message quotes.
const MAX_QUOTED: usize = 40;

/// Returns `text` without a leading byte-order mark (editors on Windows
/// write one), and the byte offset of what is left, so spans still slice
/// `text`.
fn skip_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix('\u{FEFF}') {
        Some(rest) => (rest, '\u{FEFF}'.len_utf8()),
        None => (text, 0),
    }
}

fn line_error(text: &str, start: usize, line: &str, detail: Detail) -> Error {
    Error::new(ErrorKind::Lexicon, detail).with_span(text, Span::new(start, start + line.len()))
}

fn in_range(valence: f64) -> bool {
    valence.is_finite() && valence.abs() <= Lexicon::MAX_VALENCE
}

fn check(word: &str, valence: f64) -> Result<f32> {
    if in_range(valence) {
        // Narrowing is exact enough for valences (a few significant digits).
        #[allow(clippy::cast_possible_truncation)]
        Ok(valence as f32)
    } else {
        Err(Error::new(
            ErrorKind::Lexicon,
            Detail::LexiconInvalidValence {
                word: word.to_owned(),
                valence,
            },
        ))
    }
}

impl Lexicon {
    /// The largest absolute valence a lexicon accepts.
    ///
    /// Published lexicons stay far below it (VADER and LeIA ±4, AFINN and
    /// InSet ±5 with a few compound entries up to 9, OpLexicon ±1); the bound
    /// keeps a stray huge number from swamping every other word or
    /// overflowing a text's sum.
    pub const MAX_VALENCE: f64 = 100.0;

    /// Returns an empty lexicon.
    pub fn new() -> Lexicon {
        Lexicon::default()
    }

    /// Parses a lexicon in VADER's format: one `token<TAB>mean<TAB>…` per
    /// line; fields after the mean are ignored. Blank lines are skipped; a
    /// token given twice keeps its last valence.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Lexicon`] naming the line, with its span, when a line has
    /// no tab, an empty token, a mean that is not a finite number or one
    /// outside −[`Lexicon::MAX_VALENCE`]..=[`Lexicon::MAX_VALENCE`].
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::Lexicon;
    /// let lexicon = Lexicon::from_vader("good\t1.9\t0.9434\t[2, 1, 2]\n")?;
    /// assert_eq!(lexicon.get("good"), Some(1.9f32 as f64));
    ///
    /// let err = Lexicon::from_vader("good\tgreat\n").unwrap_err();
    /// assert_eq!(err.to_string(), "lexicon line 1: valence \"great\" is not a finite number");
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn from_vader(text: &str) -> Result<Lexicon> {
        Lexicon::parse(text)
    }

    /// Parses a plain `token<TAB>score` lexicon (one entry per line; blank
    /// lines skipped; a token given twice keeps its last score).
    ///
    /// # Errors
    ///
    /// As [`Lexicon::from_vader`].
    pub fn from_tsv(text: &str) -> Result<Lexicon> {
        Lexicon::parse(text)
    }

    fn parse(text: &str) -> Result<Lexicon> {
        let mut lexicon = Lexicon::new();
        let (body, mut start) = skip_bom(text);
        for (index, raw) in body.split('\n').enumerate() {
            let line_no = index + 1;
            let line_start = start;
            start += raw.len() + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let token = fields.next().unwrap_or_default().trim();
            if token.is_empty() {
                return Err(line_error(
                    text,
                    line_start,
                    line,
                    Detail::LexiconEmptyToken { line: line_no },
                ));
            }
            let Some(value) = fields.next() else {
                return Err(line_error(
                    text,
                    line_start,
                    line,
                    Detail::LexiconMissingField {
                        line: line_no,
                        field: "valence",
                    },
                ));
            };
            let value = value.trim();
            // LeIA has a few lines with a space instead of a tab before the sd.
            let value = value.split(' ').next().unwrap_or(value);
            let parsed = value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    line_error(
                        text,
                        line_start,
                        line,
                        Detail::LexiconBadValence {
                            line: line_no,
                            value: value.chars().take(MAX_QUOTED).collect(),
                        },
                    )
                })?;
            if !in_range(parsed) {
                return Err(line_error(
                    text,
                    line_start,
                    line,
                    Detail::LexiconValenceOutOfRange {
                        line: line_no,
                        value: value.chars().take(MAX_QUOTED).collect(),
                    },
                ));
            }
            lexicon.insert(token, parsed)?;
        }
        Ok(lexicon)
    }

    /// Adds emoji from a VADER emoji file (`emoji<TAB>description`): each
    /// emoji gets the summed valence of its description's words already in
    /// this lexicon (`😍` "smiling face with heart-eyes" → smiling + heart…),
    /// clamped to −4..=4. Emoji whose description carries no valence are
    /// skipped. Returns how many emoji were added.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Lexicon`] for a line without a tab.
    pub fn add_emoji_descriptions(&mut self, text: &str) -> Result<usize> {
        let tokenizer = TextTokenizer::new();
        let mut added = Vec::new();
        let (body, mut start) = skip_bom(text);
        let mut lower = String::new();
        for (index, raw) in body.split('\n').enumerate() {
            let line_start = start;
            start += raw.len() + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                continue;
            }
            let Some((emoji, description)) = line.split_once('\t') else {
                return Err(line_error(
                    text,
                    line_start,
                    line,
                    Detail::LexiconMissingField {
                        line: index + 1,
                        field: "description",
                    },
                ));
            };
            let mut sum = 0.0f64;
            for token in tokenizer.tokens(description) {
                if token.kind() != TokenKind::Word {
                    continue;
                }
                lower.clear();
                lower.extend(token.text().chars().flat_map(char::to_lowercase));
                if let Some(v) = self.entries.get(lower.as_str()) {
                    sum += f64::from(*v);
                }
            }
            let key: String = emoji.trim().chars().filter(|c| *c != '\u{FE0F}').collect();
            if sum != 0.0 && !key.is_empty() {
                added.push((key, sum.clamp(-4.0, 4.0)));
            }
        }
        let n = added.len();
        for (key, v) in added {
            self.insert(&key, v)?;
        }
        Ok(n)
    }

    /// Adds or replaces `token` with `valence`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Lexicon`] when `valence` is not a finite number in
    /// −[`Lexicon::MAX_VALENCE`]..=[`Lexicon::MAX_VALENCE`].
    pub fn insert(&mut self, token: &str, valence: f64) -> Result<()> {
        let v = check(token, valence)?;
        self.entries.insert(token.into(), v);
        Ok(())
    }

    /// Returns the valence of `token` exactly as written, if present.
    pub fn get(&self, token: &str) -> Option<f64> {
        self.entries.get(token).map(|v| f64::from(*v))
    }

    /// Returns the number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns `true` when the lexicon has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the entries sorted by token, so that iteration is
    /// deterministic.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        let mut v: Vec<(&str, f64)> = self
            .entries
            .iter()
            .map(|(k, v)| (&**k, f64::from(*v)))
            .collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.into_iter()
    }

    /// Returns a copy whose largest absolute valence is `max_abs`, for
    /// bringing a lexicon on another scale (±1, ±5) onto VADER's ±4.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] unless `max_abs` is in
    /// (0, [`Lexicon::MAX_VALENCE`]]; [`ErrorKind::Lexicon`] when every valence is
    /// zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::Lexicon;
    /// let lexicon = Lexicon::from_tsv("jó\t1\nrossz\t-1\n")?.rescaled(2.0)?;
    /// assert_eq!(lexicon.get("rossz"), Some(-2.0));
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn rescaled(&self, max_abs: f64) -> Result<Lexicon> {
        if !(max_abs > 0.0 && max_abs <= Lexicon::MAX_VALENCE) {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                Detail::ParamOutOfRange {
                    name: "max_abs",
                    value: max_abs,
                    range: "(0, 100]",
                },
            ));
        }
        let largest = self
            .entries
            .values()
            .fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
        if largest == 0.0 {
            return Err(Error::new(ErrorKind::Lexicon, Detail::LexiconEmpty));
        }
        let factor = max_abs / largest;
        let mut out = Lexicon::new();
        for (k, v) in &self.entries {
            // Clamped: `largest * (max_abs / largest)` may round past max_abs.
            out.insert(k, (f64::from(*v) * factor).clamp(-max_abs, max_abs))?;
        }
        Ok(out)
    }

    /// Returns the lexicon bundled for `language` in this build, or `None`
    /// when there is none ([`Language::has_bundled_lexicon`] says which).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::{Language, Lexicon};
    /// let lexicon = match Lexicon::bundled(Language::Portuguese) {
    ///     Some(bundled) => bundled,
    ///     None => Lexicon::from_tsv("ótimo\t3.1\nhorrível\t-2.5\n")?,
    /// };
    /// assert!(!lexicon.is_empty());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    #[allow(unused_variables)] // without the lexicon features no language is bundled
    pub fn bundled(language: Language) -> Option<Lexicon> {
        match language {
            #[cfg(feature = "lexicon-en")]
            Language::English => Some(Lexicon::english()),
            #[cfg(feature = "lexicon-pt")]
            Language::Portuguese => Some(Lexicon::portuguese()),
            _ => None,
        }
    }

    /// Returns the VADER English lexicon with its emoji (7,500 words,
    /// emoticons and slang, plus the emoji whose descriptions carry valence).
    ///
    /// Bundled under the MIT licence; see `data/sentiment/README.md`.
    #[cfg(feature = "lexicon-en")]
    #[cfg_attr(docsrs_custodia, doc(cfg(feature = "lexicon-en")))]
    pub fn english() -> Lexicon {
        const WORDS: &str = include_str!("../../data/sentiment/vader_en.txt");
        const EMOJI: &str = include_str!("../../data/sentiment/vader_emoji_en.txt");
        let mut lexicon =
            Lexicon::from_vader(WORDS).expect("the bundled VADER lexicon parses (tested)");
        // VADER's file lists `d:` twice (−2.9 and 1.2) and lowercases every
        // token, so the horror face `D:` scores as a grin. The −2.9 line is the
        // one meant for `D:`.
        lexicon
            .insert("D:", -2.9)
            .expect("a finite valence is accepted");
        lexicon
            .add_emoji_descriptions(EMOJI)
            .expect("the bundled VADER emoji file parses (tested)");
        lexicon
    }

    /// Returns the LeIA Portuguese lexicon (VADER's, adapted to Portuguese).
    ///
    /// Bundled under the MIT licence; see `data/sentiment/README.md`.
    #[cfg(feature = "lexicon-pt")]
    #[cfg_attr(docsrs_custodia, doc(cfg(feature = "lexicon-pt")))]
    pub fn portuguese() -> Lexicon {
        const WORDS: &str = include_str!("../../data/sentiment/leia_pt.txt");
        Lexicon::from_vader(WORDS).expect("the bundled LeIA lexicon parses (tested)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn errors_name_the_line_and_point_at_it() {
        let text = "good\t1.9\nbad\nugly\t-2";
        let err = Lexicon::from_tsv(text).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Lexicon);
        assert_eq!(err.to_string(), "lexicon line 2: missing the valence field");
        assert_eq!(err.span(), Some(Span::new(9, 12)));
        let err = Lexicon::from_tsv("\tx").unwrap_err();
        assert_eq!(err.to_string(), "lexicon line 1: the token is empty");
        assert!(Lexicon::from_tsv("a\tNaN").is_err());
        assert!(Lexicon::new().insert("a", f64::INFINITY).is_err());
    }

    #[test]
    fn emoji_take_their_description_valence() {
        let mut lex = Lexicon::from_tsv("smiling\t1.6\nangry\t-2.3\n").unwrap_or_default();
        let n = lex.add_emoji_descriptions(
            "😊\tsmiling face with smiling eyes\n😐\tneutral face\n😠\tangry face\n",
        );
        assert_eq!(n.ok(), Some(2));
        assert!(lex.get("😊").is_some_and(|v| (v - 3.2).abs() < 1e-5));
        assert_eq!(lex.get("😐"), None);
    }

    /// Issue #13: a byte-order mark glued itself to the first token.
    #[test]
    fn a_byte_order_mark_is_skipped_and_crlf_ends_lines() -> Result<()> {
        let lex = Lexicon::from_vader("\u{FEFF}good\t1.9\t0.9\r\nbad\t-2.5\r\n")?;
        assert_eq!(lex.get("good"), Some(f64::from(1.9f32)));
        assert_eq!(lex.get("bad"), Some(-2.5));
        assert_eq!(lex.len(), 2);
        assert!(lex.iter().all(|(k, _)| !k.contains(['\u{FEFF}', '\r'])));
        // Spans still slice the text given, mark included.
        let text = "\u{FEFF}good\t1\r\nbad\r\n";
        let err = Lexicon::from_tsv(text).unwrap_err();
        assert_eq!(err.to_string(), "lexicon line 2: missing the valence field");
        assert_eq!(err.span().map(|s| &text[s.range()]), Some("bad"));
        let mut emoji = Lexicon::from_tsv("smiling\t1.6\n")?;
        assert_eq!(
            emoji.add_emoji_descriptions("\u{FEFF}😊\tsmiling face\r\n")?,
            1
        );
        assert!(emoji.get("😊").is_some());
        Ok(())
    }

    /// Issue #13: ±3.4e38 loaded and overflowed a text's sum.
    #[test]
    fn valences_out_of_range_are_refused_with_their_line() {
        let text = "good\t1.9\nhuge\t3.4e38\n";
        let err = Lexicon::from_tsv(text).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Lexicon);
        assert_eq!(
            err.to_string(),
            "lexicon line 2: valence \"3.4e38\" is outside -100..=100"
        );
        assert_eq!(err.span().map(|s| &text[s.range()]), Some("huge\t3.4e38"));
        assert!(Lexicon::from_vader("a\t-3.4e38\t0.1\n").is_err());
        assert!(Lexicon::from_tsv("a\tinf").is_err());
        assert!(Lexicon::from_tsv("a\t100.5").is_err());
        assert!(Lexicon::new().insert("a", -101.0).is_err());
        assert!(Lexicon::new().insert("a", 3.4e38).is_err());
        assert!(Lexicon::from_tsv("x\t1").is_ok_and(|l| l.rescaled(1e6).is_err()));
        // The scales of published lexicons all load: VADER ±4, InSet −9..6,
        // OpLexicon ±1, the bound itself.
        for ok in ["a\t-3.9", "a\t-9", "a\t6", "a\t-1", "a\t100", "a\t-100"] {
            assert!(Lexicon::from_tsv(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rescaling_stays_within_the_bound() -> Result<()> {
        let lex = Lexicon::from_tsv("a\t3\nb\t-7\nc\t0.1\n")?.rescaled(Lexicon::MAX_VALENCE)?;
        assert_eq!(lex.get("b"), Some(-100.0));
        Ok(())
    }

    #[cfg(feature = "lexicon-en")]
    #[test]
    fn bundled_english_parses() {
        let lex = Lexicon::english();
        assert!(lex.len() > 7_000);
        assert!(lex.get("good").is_some_and(|v| v > 0.0));
        assert!(lex.get(":)").is_some_and(|v| v > 0.0));
        assert!(lex.get("😍").is_some_and(|v| v > 0.0));
    }

    #[cfg(feature = "lexicon-pt")]
    #[test]
    fn bundled_portuguese_parses() {
        let lex = Lexicon::portuguese();
        assert!(lex.len() > 5_000);
        assert!(lex.get("abandono").is_some_and(|v| v < 0.0));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = Lexicon::from_tsv(&text);
            let _ = Lexicon::from_vader(&text);
            let _ = Lexicon::new().add_emoji_descriptions(&text);
        }

        #[test]
        fn error_spans_slice_the_input(text in "[a-z\\t\\n0-9.x-]{0,60}") {
            if let Err(err) = Lexicon::from_tsv(&text) {
                let span = err.span().unwrap_or_default();
                prop_assert!(text.get(span.range()).is_some());
            }
        }
    }
}
