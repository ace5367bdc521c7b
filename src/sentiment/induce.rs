//! Learning a lexicon from labelled texts.
//!
//! For a language (or a domain) without a lexicon, [`LexiconInducer`] learns
//! one from texts with a polarity label: star ratings, NPS answers with their
//! comments, or pos/neu/neg labels. Each word's valence is its smoothed mean
//! label, centred on the corpus mean:
//!
//! `valence(w) = 4 · (Σ_{d ∋ w} (label_d − μ)) / (n_w + prior)`
//!
//! where the sum runs over the `n_w` texts that contain `w` (counted once per
//! text) and `μ` is the mean label. The `prior` pseudo-count pulls rare words
//! toward 0 (additive smoothing, as in a Beta-Binomial posterior mean), and
//! centring keeps a corpus with more positive than negative texts from making
//! every word positive. Words seen in fewer than `min_count` texts, words whose
//! |valence| is below `min_valence`, and the language's negators, boosters and
//! contrast words (the rules handle those) are left out. With stemming on,
//! counts are pooled per stem and every surface form seen gets its stem's
//! valence.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};

use super::error::Detail;
use super::lexicon::Lexicon;
use super::rules::Rules;
use super::score::Stemming;
use super::stem::Stemmer;
use super::tokenize::{TextTokenizer, TokenKind, Tokenizer};
use super::Language;

/// One labelled text: the text and its polarity in −1..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelledText<'t> {
    text: &'t str,
    label: f64,
}

fn label_error(what: &'static str, value: f64, range: &'static str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        Detail::LabelOutOfRange { what, value, range },
    )
}

impl<'t> LabelledText<'t> {
    /// Returns a text with polarity `label` (−1 negative, 0 neutral, +1
    /// positive, or anything between).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `label` is outside −1..=1 or NaN.
    pub fn new(text: &'t str, label: f64) -> Result<LabelledText<'t>> {
        if !(-1.0..=1.0).contains(&label) {
            return Err(label_error("label", label, "-1..=1"));
        }
        Ok(LabelledText { text, label })
    }

    /// Returns a text with a star rating `stars` out of `max` (1 star is −1,
    /// `max` stars +1).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `max` < 2 or `stars` is outside 1..=max.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::LabelledText;
    /// assert_eq!(LabelledText::from_stars("fine", 3, 5)?.label(), 0.0);
    /// assert!(LabelledText::from_stars("?", 6, 5).is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn from_stars(text: &'t str, stars: u8, max: u8) -> Result<LabelledText<'t>> {
        if max < 2 || stars == 0 || stars > max {
            return Err(label_error(
                "star rating",
                f64::from(stars),
                "1..=max with max >= 2",
            ));
        }
        let label = 2.0 * f64::from(stars - 1) / f64::from(max - 1) - 1.0;
        LabelledText::new(text, label)
    }

    /// Returns a text with the NPS answer (0..=10) given alongside it:
    /// promoters (9–10) are +1, passives (7–8) 0, detractors (0–6) −1.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `score` > 10.
    pub fn from_nps(text: &'t str, score: u8) -> Result<LabelledText<'t>> {
        let label = match score {
            0..=6 => -1.0,
            7 | 8 => 0.0,
            9 | 10 => 1.0,
            _ => return Err(label_error("nps", f64::from(score), "0..=10")),
        };
        LabelledText::new(text, label)
    }

    /// Returns the text.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// Returns the polarity in −1..=1.
    pub fn label(&self) -> f64 {
        self.label
    }
}

/// Parameters of a [`LexiconInducer`]; start from [`LexiconInducer::params`].
///
/// | parameter | default | meaning | valid |
/// |---|---|---|---|
/// | `min_count` | 2 | texts a word must appear in | ≥ 1 |
/// | `prior` | 4.0 | pseudo-count pulling valences toward 0 | ≥ 0, finite |
/// | `min_valence` | 1.6 | smallest \|valence\| kept (−4..+4 scale) | 0..4 |
/// | `stemming` | [`Stemming::Off`] | pool counts per stem | |
/// | `rules` | [`Rules::for_language`] | closed-class words left out | |
///
/// The defaults were chosen by 5-fold cross-validation inside the training
/// part of NusaX-Indonesian (500 texts, three classes): a strong prior and a
/// high `min_valence` keep only words that several texts agree on, which
/// leaves texts without such words neutral.
#[derive(Debug, Clone)]
pub struct InducerParams {
    language: Language,
    min_count: usize,
    prior: f64,
    min_valence: f64,
    stemming: Stemming,
    rules: Option<Rules>,
}

impl InducerParams {
    /// Sets how many texts a word must appear in to be kept.
    #[must_use]
    pub fn min_count(mut self, n: usize) -> InducerParams {
        self.min_count = n;
        self
    }
    /// Sets the smoothing pseudo-count.
    #[must_use]
    pub fn prior(mut self, prior: f64) -> InducerParams {
        self.prior = prior;
        self
    }
    /// Sets the smallest |valence| kept.
    #[must_use]
    pub fn min_valence(mut self, v: f64) -> InducerParams {
        self.min_valence = v;
        self
    }
    /// Chooses whether counts are pooled per stem.
    #[must_use]
    pub fn stemming(mut self, stemming: Stemming) -> InducerParams {
        self.stemming = stemming;
        self
    }
    /// Replaces the closed-class words left out of the lexicon.
    #[must_use]
    pub fn rules(mut self, rules: Rules) -> InducerParams {
        self.rules = Some(rules);
        self
    }

    /// Checks the parameters and returns the inducer.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for a parameter out of its range.
    pub fn build(self) -> Result<LexiconInducer> {
        let bad = |name, value, range| {
            Err(Error::new(
                ErrorKind::InvalidParameter,
                Detail::ParamOutOfRange { name, value, range },
            ))
        };
        if self.min_count == 0 {
            return bad("min_count", 0.0, "1..");
        }
        if !(self.prior.is_finite() && self.prior >= 0.0) {
            return bad("prior", self.prior, "0..inf");
        }
        if !(0.0..4.0).contains(&self.min_valence) {
            return bad("min_valence", self.min_valence, "0..4");
        }
        let rules = self
            .rules
            .unwrap_or_else(|| Rules::for_language(self.language));
        let mut closed: Vec<String> = rules.negators().map(str::to_owned).collect();
        closed.extend(rules.boosters().map(|(w, _)| w.to_owned()));
        closed.extend(rules.post_boosters().map(|(w, _)| w.to_owned()));
        closed.extend(rules.contrast_words().map(str::to_owned));
        closed.sort();
        closed.dedup();
        Ok(LexiconInducer {
            stemmer: match self.stemming {
                Stemming::Off => None,
                Stemming::Language => Some(self.language.stemmer()),
            },
            min_count: self.min_count,
            prior: self.prior,
            min_valence: self.min_valence,
            closed,
        })
    }
}

/// Learns a [`Lexicon`] from labelled texts.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::{Language, LabelledText, LexiconInducer};
/// let texts = [
///     LabelledText::new("pelayanannya ramah dan cepat", 1.0)?,
///     LabelledText::new("pelayanan ramah sekali", 1.0)?,
///     LabelledText::new("makanannya dingin dan lambat", -1.0)?,
///     LabelledText::new("pesanan lambat datang", -1.0)?,
///     LabelledText::new("toko buka jam sembilan", 0.0)?,
/// ];
/// // A tiny corpus: keep words that only two texts agree on.
/// let lexicon = LexiconInducer::params(Language::Indonesian)
///     .min_valence(0.5)
///     .build()?
///     .induce(&texts)?;
/// assert!(lexicon.get("ramah").is_some_and(|v| v > 0.0));
/// assert!(lexicon.get("lambat").is_some_and(|v| v < 0.0));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Debug)]
pub struct LexiconInducer {
    stemmer: Option<Box<dyn Stemmer>>,
    min_count: usize,
    prior: f64,
    min_valence: f64,
    closed: Vec<String>,
}

impl LexiconInducer {
    /// Returns the default parameters for `language`.
    pub fn params(language: Language) -> InducerParams {
        InducerParams {
            language,
            min_count: 2,
            prior: 4.0,
            min_valence: 1.6,
            stemming: Stemming::Off,
            rules: None,
        }
    }

    /// Learns a lexicon from `texts`.
    ///
    /// The result does not depend on the order of `texts` beyond float
    /// rounding of sums (keys are processed in sorted order).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsufficientData`] when `texts` is empty.
    pub fn induce(&self, texts: &[LabelledText<'_>]) -> Result<Lexicon> {
        if texts.is_empty() {
            return Err(Error::new(ErrorKind::InsufficientData, Detail::NoExamples));
        }
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let mean = texts.iter().map(|t| t.label).sum::<f64>() / texts.len() as f64;
        let tokenizer = TextTokenizer::new();
        // key (stem or word) -> (texts containing it, sum of centred labels)
        let mut counts: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        let mut surfaces: BTreeMap<String, String> = BTreeMap::new();
        let mut seen: Vec<String> = Vec::new();
        for t in texts {
            seen.clear();
            for token in tokenizer.tokens(t.text) {
                if token.kind() != TokenKind::Word {
                    continue;
                }
                let word: String = token
                    .text()
                    .chars()
                    .flat_map(char::to_lowercase)
                    .map(|c| if c == '’' { '\'' } else { c })
                    .collect();
                if self.closed.binary_search(&word).is_ok() {
                    continue;
                }
                let key = match &self.stemmer {
                    Some(s) => s.stem(&word).into_owned(),
                    None => word.clone(),
                };
                surfaces.entry(word).or_insert_with(|| key.clone());
                if !seen.contains(&key) {
                    seen.push(key);
                }
            }
            for key in &seen {
                let c = counts.entry(key.clone()).or_insert((0, 0.0));
                c.0 += 1;
                c.1 += t.label - mean;
            }
        }
        let mut valences: BTreeMap<&str, f64> = BTreeMap::new();
        for (key, (n, sum)) in &counts {
            if *n < self.min_count {
                continue;
            }
            #[allow(clippy::cast_precision_loss)]
            let v = (4.0 * sum / (*n as f64 + self.prior)).clamp(-4.0, 4.0);
            if v.abs() >= self.min_valence {
                valences.insert(key, v);
            }
        }
        let mut lexicon = Lexicon::new();
        for (word, key) in &surfaces {
            if let Some(v) = valences.get(key.as_str()) {
                lexicon.insert(word, *v)?;
            }
        }
        Ok(lexicon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn labels_are_checked() {
        assert!(LabelledText::new("x", 1.5).is_err());
        assert!(LabelledText::new("x", f64::NAN).is_err());
        assert!(LabelledText::from_nps("x", 11).is_err());
        assert_eq!(
            LabelledText::from_nps("x", 9).map(|t| t.label()).ok(),
            Some(1.0)
        );
        assert_eq!(
            LabelledText::from_stars("x", 1, 5).map(|t| t.label()).ok(),
            Some(-1.0)
        );
        let e = LexiconInducer::params(Language::English)
            .build()
            .map(|i| i.induce(&[]));
        assert!(matches!(e, Ok(Err(ref err)) if err.kind() == ErrorKind::InsufficientData));
        assert!(LexiconInducer::params(Language::English)
            .prior(-1.0)
            .build()
            .is_err());
        assert!(LexiconInducer::params(Language::English)
            .min_count(0)
            .build()
            .is_err());
    }

    #[test]
    fn negators_are_left_to_the_rules_and_rare_words_dropped() -> Result<()> {
        let texts = [
            LabelledText::new("not nice at all", -1.0)?,
            LabelledText::new("not good", -1.0)?,
            LabelledText::new("nice and good", 1.0)?,
            LabelledText::new("good good", 1.0)?,
            LabelledText::new("zebra", 1.0)?,
        ];
        let lex = LexiconInducer::params(Language::English)
            .stemming(Stemming::Off)
            .min_valence(0.0)
            .build()?
            .induce(&texts)?;
        assert_eq!(lex.get("not"), None);
        assert_eq!(lex.get("zebra"), None);
        assert!(lex.get("good").is_some_and(|v| v > 0.0));
        Ok(())
    }

    proptest! {
        #[test]
        fn valences_stay_on_the_scale(
            texts in proptest::collection::vec(("\\PC{0,30}", -1.0f64..=1.0), 1..20)
        ) {
            let labelled: Vec<LabelledText<'_>> = texts
                .iter()
                .filter_map(|(t, l)| LabelledText::new(t, *l).ok())
                .collect();
            let inducer = LexiconInducer::params(Language::Indonesian).min_count(1).build()?;
            let lex = inducer.induce(&labelled)?;
            for (_, v) in lex.iter() {
                prop_assert!((-4.0..=4.0).contains(&v));
            }
        }
    }
}
