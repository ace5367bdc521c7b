//! The scorer: lexicon lookup, rule adjustments and VADER's normalisation.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use crate::error::{Error, ErrorKind, Result, Span};

use super::error::Detail;
use super::hash::FxHashMap;
use super::lexicon::Lexicon;
use super::rules::{Rules, BOOST};
use super::stem::Stemmer;
use super::tokenize::{TextTokenizer, TokenKind, Tokenizer};
use super::Language;

/// VADER's constants (Hutto & Gilbert 2014; vaderSentiment 3.3.2).
const CAPS_BOOST: f32 = 0.733;
const NEGATION_SCALAR: f32 = -0.74;
const NORMALIZE_ALPHA: f64 = 15.0;
const EXCLAMATION_STEP: f64 = 0.292;
const QUESTION_STEP: f64 = 0.18;
const QUESTION_MAX: f64 = 0.96;

/// The sentiment of one text.
///
/// `compound` is the normalised sum of the tokens' valences, in −1..=1
/// (VADER's compound score); `positive`, `negative` and `neutral` are the
/// shares of the text's sentiment mass in each direction and sum to 1 (or are
/// all 0 for a text without tokens).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sentiment {
    compound: f64,
    positive: f64,
    negative: f64,
    neutral: f64,
}

impl Sentiment {
    /// Returns a sentiment from its parts, for scorers written outside
    /// custodia.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `compound` is outside −1..=1 or a share
    /// outside 0..=1 (or any is NaN).
    pub fn new(compound: f64, positive: f64, negative: f64, neutral: f64) -> Result<Sentiment> {
        let bad = |name, value, range| {
            Err(Error::new(
                ErrorKind::InvalidInput,
                Detail::ParamOutOfRange { name, value, range },
            ))
        };
        if !(-1.0..=1.0).contains(&compound) {
            return bad("compound", compound, "-1..=1");
        }
        for (name, v) in [
            ("positive", positive),
            ("negative", negative),
            ("neutral", neutral),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(name, v, "0..=1");
            }
        }
        Ok(Sentiment {
            compound,
            positive,
            negative,
            neutral,
        })
    }

    /// Returns the compound score in −1..=1: below −0.05 reads as negative,
    /// above 0.05 as positive (VADER's cut-offs).
    pub fn compound(&self) -> f64 {
        self.compound
    }

    /// Returns the share of positive sentiment, in 0..=1.
    pub fn positive(&self) -> f64 {
        self.positive
    }

    /// Returns the share of negative sentiment, in 0..=1.
    pub fn negative(&self) -> f64 {
        self.negative
    }

    /// Returns the share of neutral tokens, in 0..=1.
    pub fn neutral(&self) -> f64 {
        self.neutral
    }
}

/// Something that scores the sentiment of a text.
///
/// Implement it to plug another model into code written against custodia;
/// the trait is object-safe.
pub trait SentimentScorer: fmt::Debug + Send + Sync {
    /// Returns the sentiment of `text`. Never fails: a text with no sentiment
    /// words scores 0.
    fn score(&self, text: &str) -> Sentiment;

    /// Returns the sentiment of `text` with each token's contribution.
    ///
    /// The default gives the score with no contributions.
    fn explain(&self, text: &str) -> Explanation {
        Explanation {
            sentiment: self.score(text),
            contributions: Vec::new(),
            punctuation_emphasis: 0.0,
        }
    }

    /// Returns the sentiment of each text, in order (in parallel under the
    /// `rayon` feature, with identical results).
    fn score_all(&self, texts: &[&str]) -> Vec<Sentiment> {
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            texts.par_iter().map(|t| self.score(t)).collect()
        }
        #[cfg(not(feature = "rayon"))]
        {
            texts.iter().map(|t| self.score(t)).collect()
        }
    }
}

/// How a token found its valence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MatchKind {
    /// The token is not in the lexicon.
    None,
    /// The token's lower-case form is a lexicon entry.
    Exact,
    /// Only the token's stem matched (valence weighted down).
    Stem,
    /// The token starts a phrase (idiom or multi-word entry); the phrase's
    /// other words contribute nothing.
    Phrase,
}

/// A rule that changed a token's valence.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "rule"))]
#[non_exhaustive]
pub enum Rule {
    /// A negator before the word flipped and damped its valence (× −0.74).
    Negation {
        /// Span of the negator.
        by: Span,
    },
    /// A booster or dampener before the word added `delta`.
    Booster {
        /// Span of the booster.
        by: Span,
        /// What it added to the valence.
        delta: f64,
    },
    /// The word is shouted (ALL CAPS among lower-case words).
    AllCaps,
    /// The word comes before a contrast word ("but") and counts half.
    BeforeContrast,
    /// The word comes after a contrast word and counts 1.5 times.
    AfterContrast,
    /// "never so/this …" intensifies (× 1.25).
    Intensified,
    /// The word is a booster, negator or part of a phrase, so it carries no
    /// valence of its own.
    Modifier,
}

/// One token's part in a score.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contribution {
    span: Span,
    token: String,
    matched: MatchKind,
    lexicon_valence: f64,
    valence: f64,
    rules: Vec<Rule>,
}

impl Contribution {
    /// Returns the token's span in the scored text.
    pub fn span(&self) -> Span {
        self.span
    }
    /// Returns the token as written.
    pub fn token(&self) -> &str {
        &self.token
    }
    /// Returns how the token matched the lexicon.
    pub fn matched(&self) -> MatchKind {
        self.matched
    }
    /// Returns the valence the lexicon gave (0 when none; stem matches
    /// already weighted).
    pub fn lexicon_valence(&self) -> f64 {
        self.lexicon_valence
    }
    /// Returns the valence after every rule; the compound score normalises
    /// the sum of these.
    pub fn valence(&self) -> f64 {
        self.valence
    }
    /// Returns the rules that changed the valence, in the order applied.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// A score with its reasons: every token's contribution.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Explanation {
    sentiment: Sentiment,
    contributions: Vec<Contribution>,
    punctuation_emphasis: f64,
}

impl Explanation {
    /// Returns the score.
    pub fn sentiment(&self) -> Sentiment {
        self.sentiment
    }
    /// Returns each token's contribution, in text order (punctuation left out).
    pub fn contributions(&self) -> &[Contribution] {
        &self.contributions
    }
    /// Returns the emphasis `!` and `?` added to the magnitude of the sum.
    pub fn punctuation_emphasis(&self) -> f64 {
        self.punctuation_emphasis
    }
}

/// Whether a scorer compares words with or without their accents.
///
/// LeIA, the bundled Portuguese lexicon, lists words without accents
/// (`otimo`, `horrivel`), so Portuguese folds them by default; elsewhere
/// accents distinguish words (Hungarian `szép` and `szep`) and are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Accents {
    /// Compare words as written (lower-cased).
    Keep,
    /// Fold accented Latin letters to their base letter in both the lexicon
    /// and the text (`ótimo` meets `otimo`).
    Fold,
}

/// Whether and how a scorer stems words that miss the lexicon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Stemming {
    /// Use the language's stemmer ([`Language::stemmer`]).
    #[default]
    Language,
    /// Match exact forms only.
    Off,
}

/// Parameters of a [`LexiconScorer`]; build with [`LexiconScorer::params`].
///
/// | parameter | default | meaning | valid |
/// |---|---|---|---|
/// | `lexicon` | bundled for `en`/`pt` | token valences | non-empty; phrases (here and in `rules`) of at most 8 words |
/// | `rules` | [`Rules::for_language`] | negators, boosters, contrast, idioms | booster steps −10..=10, idiom valences within ±100 |
/// | `stemming` | off for the bundled English lexicon, else [`Stemming::Language`] | stem words that miss the lexicon | |
/// | `stem_weight` | 0.8 | factor on stem-only matches | 0..=1 |
/// | `negation_window` | 3 | words before a sentiment word, within its sentence, that negators and boosters reach | 1..=10 |
/// | `negation_scalar` | −0.74 | factor a negator applies | −2..=0 |
/// | `accents` | `Fold` for Portuguese, else `Keep` | fold accents before lookup | |
#[derive(Debug)]
pub struct ScorerParams {
    language: Language,
    lexicon: Option<Lexicon>,
    rules: Option<Rules>,
    /// `None` until set: then off for the bundled English lexicon (VADER
    /// lists inflected forms itself), on otherwise.
    stemming: Option<Stemming>,
    stemmer: Option<Box<dyn Stemmer>>,
    stem_weight: f64,
    negation_window: usize,
    negation_scalar: f64,
    accents: Accents,
}

impl ScorerParams {
    /// Sets the lexicon (required for languages without a bundled one).
    #[must_use]
    pub fn lexicon(mut self, lexicon: Lexicon) -> ScorerParams {
        self.lexicon = Some(lexicon);
        self
    }
    /// Replaces the language's built-in rules.
    #[must_use]
    pub fn rules(mut self, rules: Rules) -> ScorerParams {
        self.rules = Some(rules);
        self
    }
    /// Chooses whether words that miss the lexicon are stemmed.
    #[must_use]
    pub fn stemming(mut self, stemming: Stemming) -> ScorerParams {
        self.stemming = Some(stemming);
        self
    }
    /// Uses `stemmer` instead of the language's own (stemming on).
    #[must_use]
    pub fn stemmer(mut self, stemmer: Box<dyn Stemmer>) -> ScorerParams {
        self.stemmer = Some(stemmer);
        self.stemming = Some(Stemming::Language);
        self
    }
    /// Chooses whether accents are folded before lookup.
    #[must_use]
    pub fn accents(mut self, accents: Accents) -> ScorerParams {
        self.accents = accents;
        self
    }
    /// Sets the factor on stem-only matches.
    #[must_use]
    pub fn stem_weight(mut self, weight: f64) -> ScorerParams {
        self.stem_weight = weight;
        self
    }
    /// Sets how many words before a sentiment word negators and boosters reach.
    #[must_use]
    pub fn negation_window(mut self, words: usize) -> ScorerParams {
        self.negation_window = words;
        self
    }
    /// Sets the factor a negator applies to the valence it reaches.
    #[must_use]
    pub fn negation_scalar(mut self, scalar: f64) -> ScorerParams {
        self.negation_scalar = scalar;
        self
    }

    /// Builds the scorer with the default [`TextTokenizer`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for a parameter out of its range, a
    /// missing lexicon for a language without a bundled one, a phrase
    /// (lexicon entry, idiom or booster) of more than eight words, booster
    /// steps outside −10..=10 or an idiom valence outside
    /// ±[`Lexicon::MAX_VALENCE`] (or NaN).
    pub fn build(self) -> Result<LexiconScorer> {
        self.build_with_tokenizer(TextTokenizer::new())
    }

    /// Builds the scorer with another tokenizer.
    ///
    /// # Errors
    ///
    /// As [`ScorerParams::build`].
    pub fn build_with_tokenizer<T: Tokenizer>(self, tokenizer: T) -> Result<LexiconScorer<T>> {
        let out_of_range = |name, value, range| {
            Err(Error::new(
                ErrorKind::InvalidParameter,
                Detail::ParamOutOfRange { name, value, range },
            ))
        };
        if !(0.0..=1.0).contains(&self.stem_weight) {
            return out_of_range("stem_weight", self.stem_weight, "0..=1");
        }
        if !(1..=10).contains(&self.negation_window) {
            return out_of_range("negation_window", self.negation_window as f64, "1..=10");
        }
        if !(-2.0..=0.0).contains(&self.negation_scalar) {
            return out_of_range("negation_scalar", self.negation_scalar, "-2..=0");
        }
        // VADER's English lexicon lists inflected forms (love, loved, loves,
        // loving); on its tweets, stem matching lowered Pearson r from 0.8772
        // to 0.8765 and cost a quarter of the throughput, so it is off there
        // unless asked for. Lemma lexicons (and every other language) need it.
        // 2026-12-05: with stem matching as it now is (#14), turning it on
        // for the bundled English lexicon would lower macro-F1 on the VADER
        // tweets from 0.7071 to 0.6929 (below VADER's 0.7024) and on NusaX-en
        // from 0.6816 to 0.6556, so it stays off there.
        let bundled_english = self.lexicon.is_none() && self.language == Language::English;
        let stemming = self.stemming.unwrap_or(if bundled_english {
            Stemming::Off
        } else {
            Stemming::Language
        });
        let lexicon = match self.lexicon {
            Some(l) => l,
            None => Lexicon::bundled(self.language).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidParameter,
                    Detail::NoLexicon {
                        language: self.language.code(),
                    },
                )
            })?,
        };
        if lexicon.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                Detail::LexiconEmpty,
            ));
        }
        let rules = self
            .rules
            .unwrap_or_else(|| Rules::for_language(self.language));
        check_phrases(lexicon.iter().map(|(w, _)| w))?;
        check_phrases(rules.idioms.iter().map(|(w, _)| w.as_str()))?;
        check_phrases(rules.boosters.iter().map(|(w, _)| w.as_str()))?;
        for (word, steps) in rules.boosters.iter().chain(&rules.post_boosters) {
            if !(-MAX_BOOSTER_STEPS..=MAX_BOOSTER_STEPS).contains(steps) {
                return Err(rule_error(
                    word,
                    f64::from(*steps),
                    "booster steps",
                    "-10..=10",
                ));
            }
        }
        for (phrase, valence) in &rules.idioms {
            if valence.is_nan() || f64::from(valence.abs()) > Lexicon::MAX_VALENCE {
                return Err(rule_error(
                    phrase,
                    f64::from(*valence),
                    "idiom valence",
                    "-100..=100",
                ));
            }
        }
        let stemmer = match stemming {
            Stemming::Off => None,
            Stemming::Language => Some(self.stemmer.unwrap_or_else(|| self.language.stemmer())),
        };
        #[allow(clippy::cast_possible_truncation)] // checked ranges above
        let (stem_weight, negation_scalar) = (self.stem_weight as f32, self.negation_scalar as f32);
        Ok(LexiconScorer::assemble(
            self.language,
            tokenizer,
            &lexicon,
            &rules,
            stemmer,
            stem_weight,
            self.negation_window,
            negation_scalar,
            self.accents,
        ))
    }
}

/// Most words a phrase (lexicon entry, idiom or booster) may have. Matching
/// tries every phrase length at each phrase start, so the cap bounds the work
/// per word; published lexicons and the built-in idioms use at most four.
const MAX_PHRASE_WORDS: usize = 8;

/// Largest magnitude of a booster's steps (each step is ±0.293 of valence).
const MAX_BOOSTER_STEPS: f32 = 10.0;

/// Refuses phrases longer than [`MAX_PHRASE_WORDS`].
fn check_phrases<'a>(phrases: impl Iterator<Item = &'a str>) -> Result<()> {
    for phrase in phrases {
        let words = phrase.split_whitespace().count();
        if words > MAX_PHRASE_WORDS {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                Detail::PhraseTooLong {
                    phrase: phrase.chars().take(40).collect(),
                    words,
                    max: MAX_PHRASE_WORDS,
                },
            ));
        }
    }
    Ok(())
}

#[cold]
fn rule_error(word: &str, value: f64, what: &'static str, range: &'static str) -> Error {
    Error::new(
        ErrorKind::InvalidParameter,
        Detail::RuleOutOfRange {
            word: word.chars().take(40).collect(),
            what,
            value,
            range,
        },
    )
}

/// Longest ending (in bytes) the stemmer may remove from a lexicon word for
/// the word to lend its valence to its stem. Inflections are short endings
/// (`adorar` → `ador`, `loved` → `love`); longer cuts are mostly derivations
/// (`thoughtfulness` → `thought`) whose meaning drifts from the stem's.
///
/// 2026-12-05: was 0 (only words that were their own stem lent valence), so
/// the lemma lexicons (LeIA lists `adorar`, not `adorei`) missed inflected
/// text; 3 with the sign and size guards of [`MAX_STEM_ENTRIES`] (#14).
const MAX_INFLECTION: usize = 3;

/// Most lexicon entries one stem may gather and still give valence. A stem
/// shared by more words is not an inflection class but a stemmer collapsing
/// unrelated words, and capping it keeps the per-token choice among a stem's
/// entries (longest shared prefix) bounded.
const MAX_STEM_ENTRIES: usize = 32;

/// The lexicon entries filed under one stem, sorted by word, all of one sign.
type StemEntries = Box<[(Box<str>, f32)]>;

/// Length in bytes of the common prefix of `a` and `b`.
#[inline]
fn shared_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// Whether `stem` is `word` with only its ending rewritten: all of the stem
/// but its last letter starts the word (`adorar` → `ador`, `loving` → `love`,
/// `happy` → `happi`). A stemmer that removed a prefix (Indonesian
/// `menyenangkan` → `senang`, `dipakai` → `pakai`) or whose stem is one letter
/// gives `false`: prefixes change a word's meaning more than endings do.
fn ends_only(word: &str, stem: &str) -> bool {
    let mut chars = stem.chars();
    chars.next_back();
    let kept = chars.as_str();
    !kept.is_empty() && word.starts_with(kept)
}

/// Picks the valence of the entry sharing the longest prefix with `word`
/// (the first in word order on a tie): `adorei` takes `adorar`'s valence
/// rather than `adoravel`'s.
fn nearest_entry(entries: &[(Box<str>, f32)], word: &str) -> Option<f32> {
    let mut best: Option<(usize, f32)> = None;
    for (w, v) in entries {
        let len = shared_prefix(w, word);
        if best.is_none_or(|(b, _)| len > b) {
            best = Some((len, *v));
        }
    }
    best.map(|(_, v)| v)
}

/// Bytes of a word's start compared against the stems' starts before
/// stemming it. Stemmers rewrite endings, and may change a stem's last letter
/// (`loving` → `love`), so a stem of five bytes or more is keyed by its first
/// four bytes and a shorter one by its first three (zero-padded).
const STEM_PREFIX: usize = 4;

/// The key under which `stem` is filed, or `None` for stems under three bytes.
fn stem_key(stem: &str) -> Option<[u8; STEM_PREFIX]> {
    let b = stem.as_bytes();
    let n = match b.len() {
        0..=2 => return None,
        3 | 4 => 3,
        _ => 4,
    };
    let mut key = [0u8; STEM_PREFIX];
    key[..n].copy_from_slice(&b[..n]);
    Some(key)
}

/// Whether `word` (at least four bytes) may stem to one of the known stems.
fn may_stem(prefixes: &FxHashMap<[u8; STEM_PREFIX], ()>, word: &str) -> bool {
    let b = word.as_bytes();
    let mut key = [0u8; STEM_PREFIX];
    key.copy_from_slice(&b[..STEM_PREFIX]);
    if prefixes.contains_key(&key) {
        return true;
    }
    key[3] = 0;
    prefixes.contains_key(&key)
}

/// Files every single-word lexicon entry under its stem (when the stemmer
/// removed at most [`MAX_INFLECTION`] bytes), keeping only the stems whose
/// entries agree in sign and number at most [`MAX_STEM_ENTRIES`]: when
/// `affected` (−) and `affection` (+) share a stem, the stem says nothing.
/// Linear in the lexicon (plus sorting each stem's entries).
fn stem_index(
    vocab: &FxHashMap<Box<str>, Entry>,
    stemmer: &dyn Stemmer,
) -> FxHashMap<Box<str>, StemEntries> {
    let mut by_stem: FxHashMap<Box<str>, Vec<(Box<str>, f32)>> = FxHashMap::default();
    for (word, e) in vocab {
        // Closed-class words have lost their valence by now and stay out.
        if !e.has_valence || e.valence == 0.0 || !word.chars().all(char::is_alphabetic) {
            continue;
        }
        let stem = stemmer.stem(word);
        // Only a word that is its stem plus a short ending lends valence: a
        // word that lost a prefix (Indonesian `menyenangkan` → `senang`)
        // changes meaning more often than one that lost an inflection.
        if !ends_only(word, &stem) || word.len() > stem.len() + MAX_INFLECTION {
            continue;
        }
        let list = by_stem.entry(stem.as_ref().into()).or_default();
        // Past the cap the stem is dropped anyway; stop growing it.
        if list.len() <= MAX_STEM_ENTRIES {
            list.push((word.clone(), e.valence));
        }
    }
    by_stem
        .into_iter()
        .filter(|(_, list)| {
            list.len() <= MAX_STEM_ENTRIES
                && (list.iter().all(|(_, v)| *v > 0.0) || list.iter().all(|(_, v)| *v < 0.0))
        })
        .map(|(stem, mut list)| {
            // Hash order is arbitrary; word order makes ties deterministic.
            list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            (stem, list.into_boxed_slice())
        })
        .collect()
}

const NEGATOR: u8 = 1;
const CONTRAST: u8 = 2;
const PHRASE_START: u8 = 4;
/// Set per token, never in the vocabulary: the token belongs to a matched phrase.
const CONSUMED: u8 = 8;
/// The word is the second word of some phrase.
const PHRASE_SECOND: u8 = 16;
/// The booster follows the word it modifies (Indonesian `enak banget`).
const POST_BOOSTER: u8 = 32;

#[derive(Clone, Copy, Debug)]
struct Entry {
    valence: f32,
    has_valence: bool,
    booster: f32,
    flags: u8,
}

const EMPTY: Entry = Entry {
    valence: 0.0,
    has_valence: false,
    booster: 0.0,
    flags: 0,
};

#[derive(Clone, Copy, Debug)]
struct Phrase {
    valence: Option<f32>,
    booster: f32,
}

/// A lexicon-and-rules scorer: VADER's method with its known slips fixed,
/// stem matching, and closed-class word lists for several languages.
///
/// How a text is scored:
/// 1. tokens come from the tokenizer (punctuation is not scored, so `ok.`
///    matches `ok`, one of VADER's slips);
/// 2. each token is looked up in lower case; a miss is stemmed and looked up
///    among the stems of the lexicon's words (stem both sides: `adorei` and
///    the entry `adorar` share the stem `ador`), weighted by `stem_weight`.
///    A lexicon word lends its valence to its stem only when the stemmer cut
///    at most three bytes from its end (a word that lost a prefix, like
///    Indonesian `dipakai` → `pakai`, lends nothing), and a token borrows
///    only when the stemmer shortened it, from its end; among the entries of one stem, the one
///    sharing the longest prefix with the token gives the valence; a stem
///    whose entries disagree in sign, or that gathers more than 32 entries,
///    gives nothing. An exact entry always wins over a stem;
///    emoji and emoticons keep their own valence whatever precedes them;
/// 3. idioms and multi-word entries replace their words' valences;
/// 4. boosters/dampeners and negators in the `negation_window` words before a
///    sentiment word, within its sentence (unlike VADER, they do not reach
///    past a `.`, `!` or `?`), scale it (VADER's ±0.293 steps, × −0.74), ALL CAPS among
///    lower-case words adds 0.733, and a contrast word ("but") halves what
///    comes before it and multiplies what follows by 1.5;
/// 5. `!` (up to four) and `?` (two or more) add emphasis, and the sum `s`
///    is normalised to `s / sqrt(s² + 15)`.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::{LexiconScorer, SentimentScorer};
/// let scorer = LexiconScorer::english()?;
/// let good = scorer.score("The support team was great!");
/// let not_good = scorer.score("The support team was not great.");
/// assert!(good.compound() > 0.5);
/// assert!(not_good.compound() < 0.0);
/// # Ok::<(), custodia::Error>(())
/// ```
pub struct LexiconScorer<T = TextTokenizer> {
    language: Language,
    tokenizer: T,
    vocab: FxHashMap<Box<str>, Entry>,
    /// Lexicon words by stem (see [`MAX_INFLECTION`], [`MAX_STEM_ENTRIES`]).
    stems: FxHashMap<Box<str>, StemEntries>,
    /// The first [`STEM_PREFIX`] bytes of every stem: a word whose start is
    /// not among them cannot stem to a known stem, so it is not stemmed.
    stem_prefixes: FxHashMap<[u8; STEM_PREFIX], ()>,
    phrases: FxHashMap<Box<str>, Phrase>,
    max_phrase: usize,
    stemmer: Option<Box<dyn Stemmer>>,
    stem_weight: f32,
    window: usize,
    negation_scalar: f32,
    english: bool,
    accents: Accents,
}

impl<T> fmt::Debug for LexiconScorer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LexiconScorer")
            .field("language", &self.language)
            .field("entries", &self.vocab.len())
            .field("stems", &self.stems.len())
            .field("stemmer", &self.stemmer)
            .field("stem_weight", &self.stem_weight)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

fn lower_into(buf: &mut String, text: &str, accents: Accents) {
    if text.is_ascii() {
        let start = buf.len();
        buf.push_str(text);
        buf[start..].make_ascii_lowercase();
    } else {
        for c in text.chars() {
            match c {
                '’' | '\u{2018}' => buf.push('\''),
                '\u{FE0F}' => {}
                c => {
                    for l in c.to_lowercase() {
                        match accents {
                            Accents::Fold => buf.push(fold_accent(l)),
                            Accents::Keep => buf.push(l),
                        }
                    }
                }
            }
        }
    }
}

/// Folds the accented Latin letters of Western European languages to their
/// base letter (`ã` → `a`, `ç` → `c`); other characters are kept.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        c => c,
    }
}

fn lower(text: &str, accents: Accents) -> String {
    let mut s = String::with_capacity(text.len());
    lower_into(&mut s, text, accents);
    s
}

impl LexiconScorer {
    /// Returns the parameters of a scorer for `language`, to adjust and
    /// [`build`](ScorerParams::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::{Language, Lexicon, LexiconScorer, SentimentScorer};
    /// let lexicon = Lexicon::from_tsv("bagus\t3\nenak\t3\njelek\t-3\n")?;
    /// let scorer = LexiconScorer::params(Language::Indonesian).lexicon(lexicon).build()?;
    /// assert!(scorer.score("makanannya enak banget").compound() > 0.0);
    /// assert!(scorer.score("makanannya tidak enak").compound() < 0.0);
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn params(language: Language) -> ScorerParams {
        ScorerParams {
            language,
            lexicon: None,
            rules: None,
            stemming: None,
            stemmer: None,
            stem_weight: 0.8,
            negation_window: 3,
            negation_scalar: f64::from(NEGATION_SCALAR),
            accents: if language == Language::Portuguese {
                Accents::Fold
            } else {
                Accents::Keep
            },
        }
    }

    /// Returns the English scorer with the bundled VADER lexicon and emoji.
    ///
    /// # Errors
    ///
    /// None in practice; the signature matches [`ScorerParams::build`].
    #[cfg(feature = "lexicon-en")]
    #[cfg_attr(docsrs_custodia, doc(cfg(feature = "lexicon-en")))]
    pub fn english() -> Result<LexiconScorer> {
        LexiconScorer::params(Language::English).build()
    }

    /// Returns the Portuguese scorer with the bundled LeIA lexicon.
    ///
    /// # Errors
    ///
    /// None in practice; the signature matches [`ScorerParams::build`].
    #[cfg(feature = "lexicon-pt")]
    #[cfg_attr(docsrs_custodia, doc(cfg(feature = "lexicon-pt")))]
    pub fn portuguese() -> Result<LexiconScorer> {
        LexiconScorer::params(Language::Portuguese).build()
    }
}

#[derive(Clone, Copy, Debug)]
struct Item {
    span: Span,
    /// The token's lower-case form is `text[lo..hi]` when `in_text` (already
    /// lower-case ASCII, the common case, copied nowhere), else `buf[lo..hi]`.
    lo: usize,
    hi: usize,
    in_text: bool,
    valence: f32,
    has_valence: bool,
    booster: f32,
    flags: u8,
    caps: bool,
    /// An emoji or emoticon: it keeps its own valence, untouched by
    /// negators, boosters and the emphasis of shouted words.
    symbol: bool,
    matched: MatchKind,
}

#[derive(Default)]
struct Scratch {
    exclamations: u32,
    questions: u32,
    buf: String,
    key: String,
    items: Vec<Item>,
    values: Vec<f32>,
}

thread_local! {
    // Reused buffers, so scoring allocates nothing per token (or per text,
    // once warm).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

type Notes = Vec<(usize, Rule)>;

/// The lower-case form of a collected token.
#[inline]
fn key_of<'a>(it: &Item, text: &'a str, buf: &'a str) -> &'a str {
    if it.in_text {
        &text[it.lo..it.hi]
    } else {
        &buf[it.lo..it.hi]
    }
}

/// What one scoring pass returns: the sentiment, the punctuation emphasis,
/// and (when explaining) the tokens with their final valences.
type Run = (Sentiment, f64, Vec<Item>, Vec<f32>);

impl<T: Tokenizer> LexiconScorer<T> {
    #[allow(clippy::too_many_arguments)] // private; called once, from build
    fn assemble(
        language: Language,
        tokenizer: T,
        lexicon: &Lexicon,
        rules: &Rules,
        stemmer: Option<Box<dyn Stemmer>>,
        stem_weight: f32,
        window: usize,
        negation_scalar: f32,
        accents: Accents,
    ) -> LexiconScorer<T> {
        let mut vocab: FxHashMap<Box<str>, Entry> = FxHashMap::default();
        let mut phrases: FxHashMap<Box<str>, Phrase> = FxHashMap::default();
        let mut phrase_words = Vec::new();
        let mut add_phrase = |phrase: &str, p: Phrase, vocab: &mut FxHashMap<Box<str>, Entry>| {
            let words: Vec<&str> = phrase.split_whitespace().collect();
            if words.len() < 2 {
                return;
            }
            phrase_words.push(words.len());
            vocab.entry(words[0].into()).or_insert(EMPTY).flags |= PHRASE_START;
            vocab.entry(words[1].into()).or_insert(EMPTY).flags |= PHRASE_SECOND;
            phrases.insert(words.join(" ").into(), p);
        };
        for (word, valence) in lexicon.iter() {
            let key = lower(word, accents);
            if key.contains(' ') {
                // Phrases whose words the tokenizer keeps apart.
                #[allow(clippy::cast_possible_truncation)]
                add_phrase(
                    &key,
                    Phrase {
                        valence: Some(valence as f32),
                        booster: 0.0,
                    },
                    &mut vocab,
                );
                continue;
            }
            if word != key && !word.chars().all(char::is_alphanumeric) {
                // Keep emoticons' own case too (looked up first).
                let e = vocab.entry(word.into()).or_insert(EMPTY);
                #[allow(clippy::cast_possible_truncation)]
                {
                    e.valence = valence as f32;
                }
                e.has_valence = true;
            }
            let e = vocab.entry(key.as_str().into()).or_insert(EMPTY);
            // Keep an entry already written in lower case over a case variant.
            if !e.has_valence || word == key {
                #[allow(clippy::cast_possible_truncation)]
                {
                    e.valence = valence as f32;
                }
                e.has_valence = true;
            }
        }
        for word in &rules.negators {
            vocab
                .entry(lower(word, accents).into())
                .or_insert(EMPTY)
                .flags |= NEGATOR;
        }
        for word in &rules.contrast {
            let w = lower(word, accents);
            if w.contains(' ') {
                continue;
            }
            vocab.entry(w.into()).or_insert(EMPTY).flags |= CONTRAST;
        }
        for (word, steps) in &rules.boosters {
            let w = lower(word, accents);
            if w.contains(' ') {
                add_phrase(
                    &w,
                    Phrase {
                        valence: None,
                        booster: *steps,
                    },
                    &mut vocab,
                );
            } else {
                vocab.entry(w.into()).or_insert(EMPTY).booster = *steps;
            }
        }
        for (word, steps) in &rules.post_boosters {
            let e = vocab.entry(lower(word, accents).into()).or_insert(EMPTY);
            e.booster = *steps;
            e.flags |= POST_BOOSTER;
        }
        for (phrase, valence) in &rules.idioms {
            let w = lower(phrase, accents);
            if w.contains(' ') {
                add_phrase(
                    &w,
                    Phrase {
                        valence: Some(*valence),
                        booster: 0.0,
                    },
                    &mut vocab,
                );
            } else {
                let e = vocab.entry(w.into()).or_insert(EMPTY);
                e.valence = *valence;
                e.has_valence = true;
            }
        }
        // Closed-class words act through the rules only: a user lexicon that
        // gives "tidak" or "sangat" a valence of its own would otherwise keep
        // them from negating or boosting the next word.
        for e in vocab.values_mut() {
            if e.flags & (NEGATOR | CONTRAST) != 0 || e.booster != 0.0 {
                e.has_valence = false;
                e.valence = 0.0;
            }
        }
        let max_phrase = phrase_words.iter().copied().max().unwrap_or(0);
        let stems = match &stemmer {
            Some(stemmer) => stem_index(&vocab, stemmer.as_ref()),
            None => FxHashMap::default(),
        };
        LexiconScorer {
            language,
            tokenizer,
            vocab,
            stem_prefixes: stems
                .keys()
                .filter_map(|k| stem_key(k))
                .map(|p| (p, ()))
                .collect(),
            stems,
            phrases,
            max_phrase,
            stemmer,
            stem_weight,
            window,
            negation_scalar,
            english: rules.english,
            accents,
        }
    }

    /// Returns the scorer's language.
    pub fn language(&self) -> Language {
        self.language
    }

    fn run(&self, text: &str, notes: Option<&mut Notes>) -> Run {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.run_in(text, &mut scratch, notes),
            Err(_) => self.run_in(text, &mut Scratch::default(), notes),
        })
    }

    fn collect_items(&self, text: &str, s: &mut Scratch) {
        s.buf.clear();
        s.items.clear();
        s.exclamations = 0;
        s.questions = 0;
        for token in self.tokenizer.tokens(text) {
            if matches!(token.kind(), TokenKind::Punctuation | TokenKind::Emoticon) {
                for b in token.text().bytes() {
                    match b {
                        b'!' => s.exclamations += 1,
                        b'?' => s.questions += 1,
                        _ => {}
                    }
                }
                if token.kind() == TokenKind::Punctuation {
                    continue;
                }
            }
            if token.kind() == TokenKind::Word && is_html_entity(text, token.span()) {
                continue;
            }
            let raw = token.text();
            let in_text = raw.is_ascii() && !raw.bytes().any(|b| b.is_ascii_uppercase());
            let (lo, hi) = if in_text {
                (token.span().start, token.span().end)
            } else {
                let lo = s.buf.len();
                lower_into(&mut s.buf, raw, self.accents);
                (lo, s.buf.len())
            };
            let key = if in_text { raw } else { &s.buf[lo..hi] };
            let exact = if token.kind() == TokenKind::Emoticon {
                // Emoticons are case-sensitive: `D:` is horror, `:d` a grin.
                self.vocab.get(token.text()).copied()
            } else {
                None
            };
            let entry = exact
                .or_else(|| self.vocab.get(key).copied())
                .unwrap_or(EMPTY);
            let mut item = Item {
                span: token.span(),
                lo,
                hi,
                in_text,
                valence: entry.valence,
                has_valence: entry.has_valence,
                booster: entry.booster,
                flags: entry.flags,
                // `:D` has no lower-case letter, but is no shouted word.
                caps: token.is_all_caps() && token.kind() == TokenKind::Word,
                symbol: matches!(token.kind(), TokenKind::Emoji | TokenKind::Emoticon),
                matched: if entry.has_valence {
                    MatchKind::Exact
                } else {
                    MatchKind::None
                },
            };
            if !entry.has_valence
                && entry.flags == 0
                && entry.booster == 0.0
                && token.kind() == TokenKind::Word
                && key.len() >= STEM_PREFIX
                && may_stem(&self.stem_prefixes, key)
            {
                if let Some(stemmer) = &self.stemmer {
                    let stem: Cow<'_, str> = stemmer.stem(key);
                    // As for the entries (see `stem_index`), a token reaches a
                    // stem only by losing an ending. A token that is its own
                    // stem is a root: it does not borrow the valence of longer
                    // words, mostly derivations (`pilih` is not `pilihan`).
                    let v = self
                        .stems
                        .get(stem.as_ref())
                        .filter(|_| ends_only(key, &stem) && stem.len() < key.len())
                        .and_then(|entries| nearest_entry(entries, key));
                    if let Some(v) = v {
                        item.valence = v * self.stem_weight;
                        item.has_valence = true;
                        item.matched = MatchKind::Stem;
                    }
                }
            }
            s.items.push(item);
        }
    }

    fn match_phrases(&self, text: &str, s: &mut Scratch) {
        let n = s.items.len();
        let mut i = 0;
        while i < n {
            // Most phrase starts ("the", "in") are followed by no phrase's second word.
            if s.items[i].flags & PHRASE_START == 0
                || i + 1 >= n
                || s.items[i + 1].flags & PHRASE_SECOND == 0
            {
                i += 1;
                continue;
            }
            let mut matched = 0;
            for len in (2..=self.max_phrase.min(n - i)).rev() {
                s.key.clear();
                for k in i..i + len {
                    if k > i {
                        s.key.push(' ');
                    }
                    let it = s.items[k];
                    s.key.push_str(key_of(&it, text, &s.buf));
                }
                if let Some(p) = self.phrases.get(s.key.as_str()) {
                    for k in i..i + len {
                        let it = &mut s.items[k];
                        it.flags = CONSUMED;
                        it.has_valence = false;
                        it.valence = 0.0;
                        it.booster = 0.0;
                    }
                    if let Some(v) = p.valence {
                        let it = &mut s.items[i];
                        it.valence = v;
                        it.has_valence = true;
                        it.flags = 0;
                        it.matched = MatchKind::Phrase;
                    } else {
                        // A booster phrase ("kind of") acts through its last word.
                        let it = &mut s.items[i + len - 1];
                        it.booster = p.booster;
                        it.flags = 0;
                    }
                    matched = len;
                    break;
                }
            }
            i += matched.max(1);
        }
    }

    #[allow(clippy::too_many_lines)] // one pass of VADER's rules, kept together to read against the paper
    fn run_in(&self, text: &str, s: &mut Scratch, mut notes: Option<&mut Notes>) -> Run {
        self.collect_items(text, s);
        if !self.phrases.is_empty() {
            self.match_phrases(text, s);
        }
        let n = s.items.len();
        s.values.clear();
        if n == 0 {
            let keep = notes.is_some();
            return (
                Sentiment::default(),
                0.0,
                if keep { s.items.clone() } else { Vec::new() },
                Vec::new(),
            );
        }
        let caps = s.items.iter().filter(|it| it.caps).count();
        let cap_diff = caps > 0 && caps < n;
        let items = &s.items;
        let buf = &s.buf;
        let word = |i: usize| key_of(&items[i], text, buf);
        let english = self.english;
        let negated =
            |j: usize| items[j].flags & NEGATOR != 0 || (english && word(j).contains("n't"));
        // Whether a sentence ends between item `j` and the next: negators
        // and boosters act within their sentence ("… tidak tahu. Itu
        // menyebalkan!" does not negate "menyebalkan").
        let sentence_ends_after = |j: usize| {
            let from = items[j].span.end;
            let to = items.get(j + 1).map_or(from, |next| next.span.start);
            text.get(from..to).is_some_and(|gap| {
                gap.contains(['.', '!', '?', '\u{3002}', '\u{ff01}', '\u{ff1f}'])
            })
        };
        let neg = self.negation_scalar;
        let mut note = |i: usize, rule: Rule| {
            if let Some(n) = notes.as_deref_mut() {
                n.push((i, rule));
            }
        };
        for i in 0..n {
            let it = items[i];
            if it.booster != 0.0 || it.flags & CONSUMED != 0 || !it.has_valence {
                if it.booster != 0.0 || it.flags & (CONSUMED | NEGATOR) != 0 {
                    note(i, Rule::Modifier);
                }
                s.values.push(0.0);
                continue;
            }
            let mut v = it.valence;
            if english && word(i) == "like" && !(i > 0 && like_is_verb(word(i - 1))) {
                // "feels like", "was like", "like a …": a comparison or a
                // filler, not liking (VADER scores every "like" +1.5).
                note(i, Rule::Modifier);
                s.values.push(0.0);
                continue;
            }
            if it.symbol {
                // "NOT fast :(" is still sad: a face or emoji states its own
                // feeling, so negators, boosters and caps before it do not
                // reach it (VADER flips `:(` after "not"). A contrast word
                // still weighs it, below, as it weighs every token.
                s.values.push(v);
                continue;
            }
            if english {
                if word(i) == "no" && i + 1 < n && items[i + 1].has_valence && word(i + 1) != "no" {
                    // "no" before a sentiment word negates it instead of scoring.
                    v = 0.0;
                    note(i, Rule::Modifier);
                }
                // Repeated "no no no" stays negative instead of negating itself.
                let no_before = word(i) != "no"
                    && ((i > 0 && word(i - 1) == "no")
                        || (i > 1 && word(i - 2) == "no")
                        || (i > 2 && word(i - 3) == "no" && matches!(word(i - 1), "or" | "nor")));
                if no_before {
                    v = it.valence * neg;
                    let by = (1..=3)
                        .map(|d| i - d.min(i))
                        .find(|&j| word(j) == "no")
                        .unwrap_or(i);
                    note(i, Rule::Negation { by: items[by].span });
                }
            }
            if it.caps && cap_diff {
                v += if v > 0.0 { CAPS_BOOST } else { -CAPS_BOOST };
                note(i, Rule::AllCaps);
            }
            for d in 0..self.window {
                if i <= d {
                    break;
                }
                let j = i - d - 1;
                let pj = items[j];
                if sentence_ends_after(j) {
                    break;
                }
                if pj.has_valence {
                    // A modifier belongs to the nearest sentiment word after
                    // it: in "don't care don't care" the first "don't" must
                    // not negate the second "care" again (VADER's windows
                    // overlap and flip it back).
                    break;
                }
                if pj.booster != 0.0 && pj.flags & POST_BOOSTER == 0 {
                    let mut scalar = pj.booster * BOOST;
                    if v < 0.0 {
                        scalar = -scalar;
                    }
                    if pj.caps && cap_diff {
                        scalar += if v > 0.0 { CAPS_BOOST } else { -CAPS_BOOST };
                    }
                    let decay = match d {
                        0 => 1.0,
                        1 => 0.95,
                        _ => 0.9,
                    };
                    v += scalar * decay;
                    note(
                        i,
                        Rule::Booster {
                            by: pj.span,
                            delta: f64::from(scalar * decay),
                        },
                    );
                }
                let never_so = english
                    && d >= 1
                    && j + 1 < i
                    && word(j) == "never"
                    && matches!(word(j + 1), "so" | "this");
                let without_doubt = english
                    && d >= 1
                    && word(j) == "without"
                    && (j + 1..i).any(|k| word(k) == "doubt");
                if never_so {
                    v *= 1.25;
                    note(i, Rule::Intensified);
                } else if without_doubt {
                    // "without doubt" affirms rather than negates.
                } else if negated(j) {
                    v *= neg;
                    note(i, Rule::Negation { by: pj.span });
                }
            }
            if i + 1 < n && items[i + 1].flags & POST_BOOSTER != 0 {
                let next = items[i + 1];
                let scalar = next.booster * BOOST * if v < 0.0 { -1.0 } else { 1.0 };
                v += scalar;
                note(
                    i,
                    Rule::Booster {
                        by: next.span,
                        delta: f64::from(scalar),
                    },
                );
            }
            if english && i > 0 && word(i - 1) == "least" && !items[i - 1].has_valence {
                let at_least = i > 1 && matches!(word(i - 2), "at" | "very");
                if !at_least {
                    v *= neg;
                    note(
                        i,
                        Rule::Negation {
                            by: items[i - 1].span,
                        },
                    );
                }
            }
            s.values.push(v);
        }
        if let Some(bi) = items.iter().position(|it| it.flags & CONTRAST != 0) {
            for (i, v) in s.values.iter_mut().enumerate() {
                if i < bi {
                    *v *= 0.5;
                    if *v != 0.0 {
                        note(i, Rule::BeforeContrast);
                    }
                } else if i > bi {
                    *v *= 1.5;
                    if *v != 0.0 {
                        note(i, Rule::AfterContrast);
                    }
                }
            }
        }
        let emphasis = punctuation_emphasis(s.exclamations, s.questions);
        let sentiment = combine(&s.values, emphasis);
        if notes.is_some() {
            (sentiment, emphasis, s.items.clone(), s.values.clone())
        } else {
            (sentiment, emphasis, Vec::new(), Vec::new())
        }
    }
}

/// Whether "like" after `prev` is the verb (I like, would like, don't like).
fn like_is_verb(prev: &str) -> bool {
    matches!(
        prev,
        "i" | "you"
            | "we"
            | "they"
            | "u"
            | "ya"
            | "people"
            | "really"
            | "also"
            | "still"
            | "totally"
            | "would"
            | "do"
            | "did"
            | "does"
            | "to"
            | "will"
            | "might"
            | "definitely"
            | "actually"
            | "kinda"
            | "sorta"
            | "genuinely"
            | "honestly"
            | "always"
            | "never"
            | "who"
            | "ppl"
            | "def"
            | "dont"
            | "didnt"
            | "doesnt"
            | "wont"
            | "wouldnt"
            | "cant"
    ) || prev.ends_with("'d")
        || prev.ends_with("n't")
}

/// HTML entities left in scraped text (`&amp;`, `&gt;`) are not words.
#[inline]
fn is_html_entity(text: &str, span: Span) -> bool {
    span.start > 0
        && text.as_bytes()[span.start - 1] == b'&'
        && text.as_bytes().get(span.end) == Some(&b';')
        && matches!(
            &text[span.range()],
            "amp" | "gt" | "lt" | "quot" | "apos" | "nbsp"
        )
}

/// VADER's emphasis from `!` (up to four) and `?` (two or more) marks.
fn punctuation_emphasis(ep: u32, qm: u32) -> f64 {
    let ep = f64::from(ep.min(4)) * EXCLAMATION_STEP;
    let qm = match qm {
        0 | 1 => 0.0,
        2 | 3 => f64::from(qm) * QUESTION_STEP,
        _ => QUESTION_MAX,
    };
    ep + qm
}

/// VADER's `score_valence`: compound from the sum, shares from the parts.
fn combine(values: &[f32], emphasis: f64) -> Sentiment {
    let mut sum: f64 = values.iter().map(|v| f64::from(*v)).sum();
    if sum > 0.0 {
        sum += emphasis;
    } else if sum < 0.0 {
        sum -= emphasis;
    }
    let compound = (sum / (sum * sum + NORMALIZE_ALPHA).sqrt()).clamp(-1.0, 1.0);
    let (mut pos, mut neg, mut neu) = (0.0f64, 0.0f64, 0.0f64);
    for v in values {
        let v = f64::from(*v);
        if v > 0.0 {
            pos += v + 1.0;
        } else if v < 0.0 {
            neg += v - 1.0;
        } else {
            neu += 1.0;
        }
    }
    if pos > neg.abs() {
        pos += emphasis;
    } else if pos < neg.abs() {
        neg -= emphasis;
    }
    let total = pos + neg.abs() + neu;
    if total == 0.0 || !compound.is_finite() {
        return Sentiment::default();
    }
    Sentiment {
        compound,
        positive: (pos / total).abs(),
        negative: (neg / total).abs(),
        neutral: (neu / total).abs(),
    }
}

impl<T: Tokenizer + Send + Sync> SentimentScorer for LexiconScorer<T> {
    fn score(&self, text: &str) -> Sentiment {
        self.run(text, None).0
    }

    fn explain(&self, text: &str) -> Explanation {
        let mut notes = Notes::new();
        let (sentiment, emphasis, items, values) = self.run(text, Some(&mut notes));
        // Notes come in token order except the contrast ones, added in a
        // second pass. A stable sort keeps each token's rules in the order
        // applied and lets one cursor hand them out, instead of a scan of all
        // notes per token (quadratic on long texts).
        notes.sort_by_key(|(k, _)| *k);
        let mut notes = notes.into_iter().peekable();
        let contributions = items
            .iter()
            .enumerate()
            .map(|(i, it)| Contribution {
                span: it.span,
                token: text[it.span.range()].to_owned(),
                matched: if it.has_valence {
                    it.matched
                } else {
                    MatchKind::None
                },
                lexicon_valence: if it.has_valence {
                    f64::from(it.valence)
                } else {
                    0.0
                },
                valence: values.get(i).map_or(0.0, |v| f64::from(*v)),
                rules: std::iter::from_fn(|| notes.next_if(|(k, _)| *k == i).map(|(_, r)| r))
                    .collect(),
            })
            .collect();
        Explanation {
            sentiment,
            contributions,
            punctuation_emphasis: emphasis,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn small() -> LexiconScorer {
        let lexicon =
            Lexicon::from_tsv("good\t1.9\nbad\t-2.5\ngreat\t3.1\nno\t-1.2\nlike\t2.0\nlove\t3.2\n")
                .unwrap_or_default();
        LexiconScorer::params(Language::English)
            .lexicon(lexicon)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn vader_arithmetic_for_one_word() {
        let s = small().score("good");
        let expected = 1.9f32 as f64 / ((1.9f32 as f64).powi(2) + 15.0).sqrt();
        assert!((s.compound() - expected).abs() < 1e-9);
        assert_eq!(s.neutral(), 0.0);
        assert_eq!(s.positive(), 1.0);
    }

    #[test]
    fn negation_boosters_caps_contrast_and_punctuation() {
        let sc = small();
        let c = |t: &str| sc.score(t).compound();
        assert!(c("not good") < 0.0);
        assert!(c("very good") > c("good"));
        assert!(c("slightly good") < c("good"));
        assert!(c("it is GOOD") > c("it is good"));
        assert!(c("good!!") > c("good"));
        assert!(c("good, but bad") < 0.0);
        assert!(c("bad, but good") > 0.0);
        // VADER's "ok." slip: punctuation no longer hides the word.
        assert_eq!(c("good."), c("good"));
        // Overlapping windows no longer flip the second "good" back.
        assert!(c("not good not good") < c("not good"));
        // "no no no" stays negative.
        assert!(c("no no no") < 0.0);
        // "like" as a comparison carries nothing.
        assert_eq!(c("it looks like rain"), 0.0);
        assert!(c("i like it") > 0.0);
        // Idioms replace their words.
        assert!(c("under the weather") < 0.0);
        assert_eq!(c(""), 0.0);
        assert_eq!(c("   \n"), 0.0);
    }

    #[test]
    fn explain_names_the_rules() {
        let e = small().explain("not VERY good");
        let good = &e.contributions()[2];
        assert_eq!(good.token(), "good");
        assert_eq!(good.matched(), MatchKind::Exact);
        assert!(good
            .rules()
            .iter()
            .any(|r| matches!(r, Rule::Negation { by } if by.start == 0)));
        assert!(good
            .rules()
            .iter()
            .any(|r| matches!(r, Rule::Booster { .. })));
        let sum: f64 = e.contributions().iter().map(Contribution::valence).sum();
        assert!((sum / (sum * sum + 15.0).sqrt() - e.sentiment().compound()).abs() < 1e-9);
    }

    #[test]
    fn stem_matches_are_weighted_down() {
        let lexicon = Lexicon::from_tsv("love\t3.2\n").unwrap_or_default();
        let sc = LexiconScorer::params(Language::English)
            .lexicon(lexicon)
            .stem_weight(0.5)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let e = sc.explain("loving");
        assert_eq!(e.contributions()[0].matched(), MatchKind::Stem);
        assert!((e.contributions()[0].lexicon_valence() - 1.6).abs() < 1e-6);
        let off = LexiconScorer::params(Language::English)
            .lexicon(Lexicon::from_tsv("love\t3.2\n").unwrap_or_default())
            .stemming(Stemming::Off)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(off.score("loving").compound(), 0.0);
    }

    #[test]
    fn parameters_are_checked_at_build() {
        let p = || {
            LexiconScorer::params(Language::English)
                .lexicon(Lexicon::from_tsv("a\t1").unwrap_or_default())
        };
        assert!(p().stem_weight(1.5).build().is_err());
        assert!(p().negation_window(0).build().is_err());
        assert!(p().negation_scalar(0.5).build().is_err());
        let err = LexiconScorer::params(Language::Hungarian)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        let err = LexiconScorer::params(Language::Hungarian)
            .lexicon(Lexicon::new())
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        assert!(Sentiment::new(1.5, 0.0, 0.0, 0.0).is_err());
        assert!(Sentiment::new(0.5, 0.5, 0.0, 0.5).is_ok());
    }

    /// Issue #13: phrase matching tries every length up to the longest
    /// phrase at each phrase start, so one 50,000-word lexicon entry made
    /// scoring quadratic; NaN or huge rule strengths poisoned every score.
    #[test]
    fn long_phrases_and_wild_rule_strengths_are_refused() {
        let build = |lexicon: &str, rules: Rules| {
            LexiconScorer::params(Language::English)
                .lexicon(Lexicon::from_tsv(lexicon).unwrap_or_default())
                .rules(rules)
                .build()
        };
        let long = format!("{}\t2\n", ["a"; 9].join(" "));
        let err = build(&long, Rules::empty()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            err.to_string(),
            "phrase \"a a a a a a a a a\" has 9 words, more than 8"
        );
        let eight = format!("{}\t2\n", ["a"; 8].join(" "));
        assert!(build(&eight, Rules::empty()).is_ok());
        let idiom = Rules::empty().with_idiom(&["b"; 20].join(" "), 1.0);
        assert!(build("good\t2", idiom).is_err());
        for steps in [f32::NAN, 11.0, -1e30] {
            assert!(build("good\t2", Rules::empty().with_booster("so", steps)).is_err());
            assert!(build("good\t2", Rules::empty().with_post_booster("so", steps)).is_err());
        }
        for valence in [f32::NAN, f32::INFINITY, 3.4e38] {
            let err = build("good\t2", Rules::empty().with_idiom("on fire", valence)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        }
        assert!(build("good\t2", Rules::empty().with_booster("so", -10.0)).is_ok());
    }

    /// Issue #14: "NOT fast :(" scored +0.687, the negation flipping `:(`.
    #[test]
    fn negators_and_boosters_stay_in_their_sentence() {
        let lexicon = Lexicon::from_tsv("great\t3.1\nmenyebalkan\t-2.0\n").unwrap_or_default();
        let en = LexiconScorer::params(Language::English)
            .lexicon(lexicon.clone())
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let c = |t: &str| en.score(t).compound();
        assert!(c("I did not. Great service!") > 0.0);
        assert_eq!(c("I did not. Great!"), c("I did. Great!"));
        assert_eq!(c("Really? Great!"), c("Great!"));
        assert!(c("not great!") < 0.0);
        // Within a sentence a comma does not stop them.
        assert!(c("not, great") < 0.0);
        let id = LexiconScorer::params(Language::Indonesian)
            .lexicon(lexicon)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = "jangan pura pura tidak tahu. Itu menyebalkan!";
        assert!(id.score(text).compound() < 0.0);
        let e = id.explain(text);
        let last = e.contributions().iter().rev().find(|c| c.valence() != 0.0);
        assert!(last.is_some_and(|c| c.rules().is_empty()));
    }

    #[test]
    fn negation_does_not_reach_emoticons_or_emoji() {
        let lexicon = Lexicon::from_tsv("good\t1.9\n:(\t-1.9\n:D\t2.3\n😞\t-2.0\n😊\t3.2\n")
            .unwrap_or_default();
        let sc = LexiconScorer::params(Language::English)
            .lexicon(lexicon)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let c = |t: &str| sc.score(t).compound();
        for face in [":(", "😞"] {
            assert_eq!(c(&format!("not {face}")), c(face), "{face}");
            assert_eq!(c(&format!("was NOT fast {face}")), c(face), "{face}");
            assert_eq!(c(&format!("very {face}")), c(face), "{face}");
            assert!(c(face) < 0.0);
        }
        for face in [":D", "😊"] {
            assert_eq!(c(&format!("never {face}")), c(face), "{face}");
            // Shouting elsewhere does not emphasise a face.
            assert_eq!(
                c(&format!("OK ok {face}")),
                c(&format!("ok ok {face}")),
                "{face}"
            );
        }
        // Words are still negated, and a contrast still weighs a face.
        assert!(c("not good") < 0.0);
        assert!(c("good, but :(") < c("good :("));
        let e = sc.explain("NOT :(");
        assert!(e.contributions()[1].rules().is_empty());
        assert_eq!(
            e.contributions()[1].valence(),
            e.contributions()[1].lexicon_valence()
        );
    }

    #[cfg(feature = "lexicon-en")]
    #[test]
    fn the_issue_sentence_reads_negative() -> Result<()> {
        let sc = LexiconScorer::english()?;
        let s = sc
            .score("Great boots, but the delivery was NOT fast :(")
            .compound();
        assert!((-0.5..=-0.1).contains(&s), "{s}");
        Ok(())
    }

    /// Issue #14: "adorei" missed LeIA's "adorar" and the text scored 0.
    #[cfg(feature = "lexicon-pt")]
    #[test]
    fn portuguese_inflections_reach_lemma_entries() -> Result<()> {
        let sc = LexiconScorer::portuguese()?;
        let e = sc.explain("Adorei os sapatos, entrega muito rápida!");
        assert!(e.sentiment().compound() > 0.3, "{e:?}");
        let adorei = &e.contributions()[0];
        assert_eq!(adorei.matched(), MatchKind::Stem);
        assert!(adorei.lexicon_valence() > 0.0);
        assert!(Lexicon::portuguese().get("adorei").is_none());
        for (text, sign) in [
            ("odiei", -1.0),
            ("detestei a entrega", -1.0),
            ("gostei", 1.0),
        ] {
            let c = sc.score(text).compound();
            assert!(c * sign > 0.0, "{text}: {c}");
        }
        Ok(())
    }

    /// How the first word of `text` met the lexicon, and the valence found.
    fn first_match(sc: &LexiconScorer, text: &str) -> (MatchKind, f64) {
        let e = sc.explain(text);
        let c = &e.contributions()[0];
        (c.matched(), c.lexicon_valence())
    }

    #[test]
    fn inflections_meet_lemmas_but_opposite_derivations_stay_apart() -> Result<()> {
        let lexicon = Lexicon::from_tsv(
            "love\t3.2\naffected\t-0.6\naffection\t2.4\nchallenge\t0.3\nchallenging\t0.6\n\
             thought\t0.5\nthoughtfulness\t2.0\nloves\t2.9\n",
        )?;
        let sc = LexiconScorer::params(Language::English)
            .lexicon(lexicon)
            .stem_weight(1.0)
            .build()?;
        let lex = |t: &str| first_match(&sc, t);
        // Inflections reach their lemma (the nearest one by shared prefix).
        assert_eq!(lex("loved"), (MatchKind::Stem, f64::from(3.2f32)));
        assert_eq!(lex("challenges"), (MatchKind::Stem, f64::from(0.3f32)));
        // An exact entry wins over its stem's.
        assert_eq!(lex("loves"), (MatchKind::Exact, f64::from(2.9f32)));
        // `affected` and `affection` share a stem but not a sign: nothing.
        assert_eq!(lex("affecting"), (MatchKind::None, 0.0));
        // `thoughtfulness` lost more than an ending: it lends `thought` nothing.
        assert_eq!(lex("thoughts"), (MatchKind::Stem, f64::from(0.5f32)));
        Ok(())
    }

    /// Issue #14: the Indonesian stemmer strips prefixes (`meN-`, `di-`,
    /// `ke-`), which make new words rather than inflect them.
    #[test]
    fn only_words_that_lose_an_ending_lend_or_borrow_valence() -> Result<()> {
        let lexicon =
            Lexicon::from_tsv("menyenangkan\t2.0\ndipakai\t-1.0\nbaik\t1.5\npilihan\t1.6\n")?;
        let sc = LexiconScorer::params(Language::Indonesian)
            .lexicon(lexicon)
            .stem_weight(1.0)
            .build()?;
        let lex = |t: &str| first_match(&sc, t);
        let stemmer = crate::sentiment::IndonesianStemmer::new();
        assert_eq!(stemmer.stem("menyenangkan"), "senang");
        assert_eq!(stemmer.stem("kebaikan"), "baik");
        assert_eq!(stemmer.stem("dipakai"), "pakai");
        assert_eq!(lex("senang"), (MatchKind::None, 0.0));
        assert_eq!(lex("pakai"), (MatchKind::None, 0.0));
        assert_eq!(lex("kebaikan"), (MatchKind::None, 0.0));
        // An ending alone (`-nya`) still reaches the entry.
        assert_eq!(lex("baiknya"), (MatchKind::Stem, f64::from(1.5f32)));
        // A root does not borrow from a longer word (`pilihan` → `pilih`).
        assert_eq!(stemmer.stem("pilihan"), "pilih");
        assert_eq!(lex("pilih"), (MatchKind::None, 0.0));
        assert!(ends_only("loving", "love"));
        assert!(ends_only("happy", "happi"));
        assert!(!ends_only("dipakai", "pakai"));
        assert!(!ends_only("ab", "a"));
        Ok(())
    }

    /// A stemmer that keeps the first four characters of every word.
    #[derive(Debug)]
    struct FourChars;

    impl Stemmer for FourChars {
        fn stem<'w>(&self, word: &'w str) -> Cow<'w, str> {
            Cow::Borrowed(word.char_indices().nth(4).map_or(word, |(i, _)| &word[..i]))
        }
    }

    #[test]
    fn a_lexicon_sharing_one_stem_gives_it_nothing_and_stays_linear() -> Result<()> {
        let mut lexicon = Lexicon::new();
        let letters = b'a'..=b'z';
        for a in letters.clone() {
            for b in letters.clone() {
                for c in [b'a', b'b', b'c'] {
                    let word = format!("good{}", String::from_utf8_lossy(&[a, b, c]));
                    lexicon.insert(&word, 2.0)?;
                }
            }
        }
        assert_eq!(lexicon.len(), 26 * 26 * 3);
        let sc = LexiconScorer::params(Language::English)
            .lexicon(lexicon)
            .stemmer(Box::new(FourChars))
            .rules(Rules::empty())
            .build()?;
        assert!(sc.stems.is_empty());
        assert!(sc.score("goodaaa").compound() > 0.0);
        // 100 KB of words that miss the lexicon and stem to the crowded stem.
        let text = "goodzz ".repeat(100_000 / 7);
        assert_eq!(sc.score(&text).compound(), 0.0);
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_text_scores_in_range(text in "\\PC{0,120}") {
            let sc = small();
            let s = sc.score(&text);
            prop_assert!((-1.0..=1.0).contains(&s.compound()));
            let shares = s.positive() + s.negative() + s.neutral();
            prop_assert!(shares == 0.0 || (shares - 1.0).abs() < 1e-9);
            let e = sc.explain(&text);
            prop_assert_eq!(e.sentiment(), s);
            for c in e.contributions() {
                prop_assert_eq!(&text[c.span().range()], c.token());
            }
        }

        #[test]
        fn word_soup_scores_in_range(words in proptest::collection::vec(
            prop::sample::select(vec!["not", "very", "GOOD", "bad", "but", "no", "like", "!", "?", "kind", "of", "least", "at", "the", "weather", "under", ":)", "never", "so"]), 0..25)
        ) {
            let text = words.join(" ");
            let s = small().score(&text);
            prop_assert!((-1.0..=1.0).contains(&s.compound()));
        }
    }
}
