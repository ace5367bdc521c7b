//! Topics of feedback texts per group and period: which themes customers
//! write about, how many texts each theme holds, and a few texts that show
//! it.
//!
//! The input is the same slice of plain rows `(group, at, language, text)`
//! as [`key_phrases`](super::text::key_phrases) takes: a group key of the
//! caller's choosing (a segment name, an RFM group, `()` for none), the time
//! of the feedback, its [`Language`] and its text. [`topics`] cuts time into
//! [`Granularity`] periods (UTC) and finds up to `k` topics in the texts of
//! every group and period. A topic is a set of terms that are used together
//! (its best three terms make its [label](Topic::label)), the texts assigned
//! to it, their share of the period's texts, and the indices into `rows` of
//! its most typical texts, so that a report can quote them.
//!
//! # The method: clustering terms on their co-occurrence, then texts
//!
//! Feedback texts are short: a dozen words, often fewer. Models that fit a
//! topic mixture to every document (LDA, NMF on the document-term matrix)
//! see too few words per document to estimate it, and their iterations
//! touch every document, which does not scale to millions of texts.
//! Corpus-level word co-occurrence is the usual remedy for short texts (Yan,
//! Guo, Lan, Cheng, *A biterm topic model for short texts*, WWW 2013): which
//! terms appear in the same texts is well estimated even when each text is
//! short. So the terms are clustered, on a capped vocabulary, and each text
//! then joins the topic its terms belong to. For the texts of one group and
//! period (`N` texts):
//!
//! 1. **Terms.** Each text is split by the sentiment tokenizer
//!    ([`TextTokenizer`]) exactly as for key phrases: a *term* is a word,
//!    lower-cased (`’` read as `'`), without digits and at most
//!    [`MAX_WORD_BYTES`] long. A term is a
//!    *content term* of a text unless it is a stopword in the text's
//!    language (the bundled lists of [`text`](super::text), or fewer than
//!    three characters). Only whether a text holds a content term counts,
//!    not how often: the *document frequency* `df(t)` of a term is the
//!    number of texts holding it.
//! 2. **Vocabulary.** The terms with `df(t) ≥ min_document_frequency` are
//!    ranked by `df` (ties in the order of their texts), and the first
//!    `max_terms` (at most [`MAX_VOCABULARY`]) form the vocabulary `V`.
//!    Rarer terms are ignored from here on.
//! 3. **Co-occurrence.** `C(a, b)` is the number of texts holding both `a`
//!    and `b` (`C(a, a) = df(a)`), and each term's vector is its row of
//!    positive pointwise mutual information (Church and Hanks,
//!    *Computational Linguistics* 16, 1990; positive part as in Bullinaria
//!    and Levy, *Behavior Research Methods* 39, 2007):
//!    `PPMI(a, b) = max(0, ln(C(a, b) · (N + 1) / (df(a) · df(b))))`, scaled
//!    to length 1. Counting one more text than there are (as if one text
//!    held none of the terms) keeps `PPMI(a, a) = ln((N + 1) / df(a))`
//!    positive, so that a term found in every text still has a vector: a
//!    period whose texts all say "late delivery" has that topic.
//! 4. **Clusters of terms.** Spherical k-means (Dhillon and Modha, *Concept
//!    decompositions for large sparse text data using clustering*, Machine
//!    Learning 42, 2001) on those vectors, each term weighing `df(t)`, with
//!    cosine similarity. The `k` seeds are chosen greedily, as a
//!    deterministic k-means++ (Arthur and Vassilvitskii, SODA 2007): first
//!    the most frequent term, then each time the term with the largest
//!    `df(t) · (1 − s(t))`, `s(t)` being its highest similarity to a seed
//!    so far; the seeding stops early when every term is already a seed's
//!    twin (`s = 1`), so there may be fewer than `k` topics. Then, at most
//!    [`MAX_ITERATIONS`] times, every term joins the centre it is most
//!    similar to (ties to the earlier seed; a term similar to none, cosine
//!    0, joins no topic) and each centre becomes the normalised
//!    `df`-weighted sum of its terms (a centre left with no terms keeps its
//!    place), until no term moves.
//! 5. **Term weights.** A term's *fit* is its cosine similarity to the
//!    centre of its topic. Its weight in the topic is `df(t) · fit(t)` over
//!    the sum of the same over the topic's terms, so a topic's weights add
//!    up to 1; the topic lists its best `terms_per_topic` terms by weight
//!    (ties in the order of their texts).
//! 6. **Texts.** Each text joins the topic whose terms among the text's
//!    content terms have the largest sum of fits (ties to the earlier seed).
//!    A text with no vocabulary term in any topic (no content term at all,
//!    or only rare ones) is *unassigned*:
//!    counted in [`TopicPeriod::unassigned_texts`], never dropped. A topic's
//!    *examples* are its `examples` texts with the largest part of their
//!    total fit in the topic (its *purity*), then the largest fit, then by
//!    text and row index.
//! 7. **Order.** Topics with no text are dropped; the rest come by number of
//!    texts, most first, ties in the order of their labels.
//!
//! Every step reads integer counts or sums them in vocabulary order, so the
//! topics, terms, weights and counts do not depend on the order of the rows,
//! the thread count or the feature set; the examples are the same texts
//! whatever the order (their indices follow the rows).
//!
//! Terms are surface forms: `entrega` and `entregas` are two terms (which
//! usually land in one topic, as they keep the same company). Topics are
//! found per period, so topic 1 of one month need not be topic 1 of the
//! next; compare periods by terms or by
//! [`phrase_shifts`](super::text::phrase_shifts).
//!
//! # Cost and caps
//!
//! Each text is read up to [`MAX_TEXT_BYTES`] (100 KiB), as for key phrases;
//! a longer one is cut and counted in [`TopicPeriod::truncated_texts`].
//! Reading costs one hash lookup per word. A text with `m` vocabulary terms
//! adds `m (m − 1) / 2` co-occurrences, at most `|V|² / 2`; the term
//! vectors cost `|V|²`; each k-means iteration `k` times the non-zero
//! entries of the vectors (at most `k |V|²`); assigning texts is linear in
//! their vocabulary terms. One group and period holds at most `u32::MAX`
//! texts and 4 GiB of text (an error past that, never a wrap). Under the
//! `rayon` feature the groups and periods are analysed in parallel. One
//! million short texts (about 70 bytes, twelve groups, 24 months, the
//! defaults) take 0.75 to 0.85 of the time of their key phrases, measured
//! in the same run (`benches/text.rs`).
//!
//! # Examples
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia::insights::topic::{topics, TopicParams};
//! use custodia::sentiment::Language;
//!
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
//! let pt = Language::Portuguese;
//! let rows = [
//!     ("loja", at, pt, "A entrega atrasou de novo."),
//!     ("loja", at, pt, "Entrega atrasou uma semana."),
//!     ("loja", at, pt, "Pedido atrasou, entrega lenta."),
//!     ("loja", at, pt, "O aplicativo trava no login."),
//!     ("loja", at, pt, "Aplicativo trava sempre."),
//!     ("loja", at, pt, "Ok."),
//! ];
//! let params = TopicParams::default().topics(2);
//! let report = topics(&rows, &params)?;
//! let march = &report.series()[0].periods()[0];
//! assert_eq!(march.texts(), 6);
//! assert_eq!(march.unassigned_texts(), 1); // "Ok." has no content term
//! let found: Vec<(String, u64)> = march.topics().iter().map(|t| (t.label(), t.texts())).collect();
//! assert_eq!(found, [("atrasou, entrega".to_owned(), 3), ("aplicativo, trava".to_owned(), 2)]);
//! // Equally typical texts come in the order of their texts.
//! assert_eq!(march.topics()[1].examples(), [4, 3]);
//! # Ok::<(), custodia::Error>(())
//! ```

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::error::Detail;
use super::period::{Granularity, Period};
use super::text::{
    is_stopword_once, is_term, lower_into, prefix, stopwords, Buckets, TextDetail, MAX_TEXT_BYTES,
};
use crate::error::{Error, ErrorKind, Result};
use crate::sentiment::{FxHashMap, Language, TextTokenizer, TokenKind, Tokenizer};

#[cfg(doc)]
use super::text::MAX_WORD_BYTES;

/// The most topics [`TopicParams::topics`] may ask for per group and period.
pub const MAX_TOPICS: usize = 50;

/// The most terms [`TopicParams::terms_per_topic`] may list per topic.
pub const MAX_TERMS_PER_TOPIC: usize = 100;

/// The largest vocabulary [`TopicParams::max_terms`] may ask for per group
/// and period; the co-occurrence table of one group and period holds
/// `max_terms²` counts.
pub const MAX_VOCABULARY: usize = 2000;

/// The most example texts [`TopicParams::examples`] may ask for per topic.
pub const MAX_EXAMPLES: usize = 20;

/// The most k-means iterations (module documentation, step 4).
pub const MAX_ITERATIONS: usize = 30;

/// How many of its best terms make a topic's label.
const LABEL_TERMS: usize = 3;

/// Marks a term or text in no topic, and a term outside the vocabulary.
const NONE: u32 = u32::MAX;

/// Settings of [`topics`].
///
/// | setting | default | meaning | valid |
/// |---|---|---|---|
/// | `granularity` | `Month` | how time is cut into periods | any [`Granularity`] |
/// | `topics` | 5 | the most topics per group and period (`k`) | `1..=`[`MAX_TOPICS`] |
/// | `terms_per_topic` | 10 | terms listed per topic | `1..=`[`MAX_TERMS_PER_TOPIC`] |
/// | `max_terms` | 300 | vocabulary cap: the most frequent terms clustered per group and period | `2..=`[`MAX_VOCABULARY`] |
/// | `min_document_frequency` | 2 | the fewest texts a term must occur in to be clustered | `1..=u32::MAX` |
/// | `examples` | 3 | example texts kept per topic | `0..=`[`MAX_EXAMPLES`] |
///
/// Setters only record values; [`topics`] checks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicParams {
    granularity: Granularity,
    topics: usize,
    terms_per_topic: usize,
    max_terms: usize,
    min_document_frequency: u64,
    examples: usize,
}

impl Default for TopicParams {
    fn default() -> TopicParams {
        TopicParams {
            granularity: Granularity::Month,
            topics: 5,
            terms_per_topic: 10,
            max_terms: 300,
            min_document_frequency: 2,
            examples: 3,
        }
    }
}

impl TopicParams {
    /// Sets how time is cut into periods.
    pub fn granularity(mut self, granularity: Granularity) -> TopicParams {
        self.granularity = granularity;
        self
    }

    /// Sets the most topics found per group and period (`k`).
    pub fn topics(mut self, topics: usize) -> TopicParams {
        self.topics = topics;
        self
    }

    /// Sets how many terms each topic lists.
    pub fn terms_per_topic(mut self, terms: usize) -> TopicParams {
        self.terms_per_topic = terms;
        self
    }

    /// Sets the vocabulary cap: how many of the most frequent terms of a
    /// group and period are clustered.
    pub fn max_terms(mut self, max_terms: usize) -> TopicParams {
        self.max_terms = max_terms;
        self
    }

    /// Sets the fewest texts of a group and period a term must occur in to
    /// be clustered.
    pub fn min_document_frequency(mut self, texts: u64) -> TopicParams {
        self.min_document_frequency = texts;
        self
    }

    /// Sets how many example texts each topic keeps.
    pub fn examples(mut self, examples: usize) -> TopicParams {
        self.examples = examples;
        self
    }

    fn check(&self) -> Result<()> {
        let bad = |name, value: f64, rule| -> Result<()> {
            Err(Detail::Setting { name, value, rule }.into())
        };
        if !(1..=MAX_TOPICS).contains(&self.topics) {
            return bad("topics", self.topics as f64, "between 1 and 50");
        }
        if !(1..=MAX_TERMS_PER_TOPIC).contains(&self.terms_per_topic) {
            return bad(
                "terms_per_topic",
                self.terms_per_topic as f64,
                "between 1 and 100",
            );
        }
        if !(2..=MAX_VOCABULARY).contains(&self.max_terms) {
            return bad("max_terms", self.max_terms as f64, "between 2 and 2000");
        }
        if !(1..=u64::from(u32::MAX)).contains(&self.min_document_frequency) {
            return bad(
                "min_document_frequency",
                self.min_document_frequency as f64,
                "between 1 and 4294967295",
            );
        }
        if self.examples > MAX_EXAMPLES {
            return bad("examples", self.examples as f64, "between 0 and 20");
        }
        Ok(())
    }
}

/// One term of a topic.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicTerm {
    text: String,
    weight: f64,
    texts: u64,
}

impl TopicTerm {
    /// Returns the term, lower-cased.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Returns the term's weight in its topic, in 0..=1: its number of
    /// texts times its cosine similarity to the topic's centre, over the
    /// same summed over the topic's terms (the weights of all the topic's
    /// terms, listed or not, add up to 1).
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Returns the number of texts of the group and period holding the term
    /// (its document frequency).
    pub fn texts(&self) -> u64 {
        self.texts
    }
}

/// One topic of a group and period.
#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    terms: Vec<TopicTerm>,
    texts: u64,
    share: f64,
    examples: Vec<usize>,
}

impl Topic {
    /// Returns the topic's best terms, heaviest first (ties in the order of
    /// their texts), at most `terms_per_topic`.
    pub fn terms(&self) -> &[TopicTerm] {
        &self.terms
    }

    /// Returns a readable label: the topic's best three terms, joined by
    /// `", "`.
    pub fn label(&self) -> String {
        let best: Vec<&str> = self
            .terms
            .iter()
            .take(LABEL_TERMS)
            .map(|t| t.text.as_str())
            .collect();
        best.join(", ")
    }

    /// Returns the number of texts assigned to the topic.
    pub fn texts(&self) -> u64 {
        self.texts
    }

    /// Returns the topic's share of all the texts of its group and period
    /// (unassigned ones included), in 0..=1.
    pub fn share(&self) -> f64 {
        self.share
    }

    /// Returns the indices into the analysed rows of the topic's most
    /// typical texts, most typical first, at most `examples`.
    pub fn examples(&self) -> &[usize] {
        &self.examples
    }
}

/// The topics of one group in one period.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicPeriod {
    period: Period,
    texts: u64,
    unassigned_texts: u64,
    truncated_texts: u64,
    vocabulary: usize,
    topics: Vec<Topic>,
}

impl TopicPeriod {
    /// Returns the period.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Returns the number of texts of the group in the period.
    pub fn texts(&self) -> u64 {
        self.texts
    }

    /// Returns the number of texts in no topic: those without a vocabulary
    /// term in any topic (no content term, or only rare ones). The topics'
    /// texts and these add up to [`texts`](Self::texts).
    pub fn unassigned_texts(&self) -> u64 {
        self.unassigned_texts
    }

    /// Returns how many texts were longer than [`MAX_TEXT_BYTES`] and read
    /// only up to it.
    pub fn truncated_texts(&self) -> u64 {
        self.truncated_texts
    }

    /// Returns the number of terms clustered: the vocabulary after the
    /// `min_document_frequency` and `max_terms` caps.
    pub fn vocabulary(&self) -> usize {
        self.vocabulary
    }

    /// Returns the topics, most texts first (ties in label order), at most
    /// `topics`.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }
}

/// The topics of one group, period by period.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicSeries<G> {
    group: G,
    periods: Vec<TopicPeriod>,
}

impl<G> TopicSeries<G> {
    /// Returns the group key.
    pub fn group(&self) -> &G {
        &self.group
    }

    /// Returns the periods with texts, in time order.
    pub fn periods(&self) -> &[TopicPeriod] {
        &self.periods
    }
}

/// The result of [`topics`]: one series per group, in group order.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicReport<G> {
    granularity: Granularity,
    series: Vec<TopicSeries<G>>,
}

impl<G> TopicReport<G> {
    /// Returns the series, one per group with texts, in the groups' order.
    pub fn series(&self) -> &[TopicSeries<G>] {
        &self.series
    }

    /// Returns the granularity of the periods.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }
}

/// Returns up to `k` topics of the texts of every group and period of
/// `rows`.
///
/// Each row is `(group, at, language, text)`; the topics' examples are
/// indices into `rows`. See the [module documentation](self) for the method
/// and its costs.
///
/// # Errors
///
/// - [`ErrorKind::InvalidParameter`] when a setting is out of its range
///   (see [`TopicParams`]).
/// - [`ErrorKind::LimitExceeded`] when the period of a row cannot be
///   represented (years beyond ±262,000), or one group and period holds more
///   than `u32::MAX` texts or bytes of text (4 GiB).
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::topic::{topics, TopicParams};
/// use custodia::sentiment::Language;
///
/// let at = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
/// let hu = Language::Hungarian;
/// let rows = [
///     ((), at, hu, "A szállítás lassú volt."),
///     ((), at, hu, "Lassú szállítás, drága csomag."),
///     ((), at, hu, "Drága csomag."),
/// ];
/// let report = topics(&rows, &TopicParams::default().topics(2))?;
/// let may = &report.series()[0].periods()[0];
/// // "szállítás" and "lassú" share two texts, "drága" and "csomag" two;
/// // the pairs never meet in a text, so they make two topics.
/// let labels: Vec<String> = may.topics().iter().map(|t| t.label()).collect();
/// assert_eq!(labels, ["csomag, drága", "lassú, szállítás"]);
/// assert_eq!(may.topics()[0].examples(), [2, 1]);
/// assert_eq!(may.topics()[1].examples(), [0]); // text 1 is in the first
/// assert_eq!(may.topics()[0].terms()[0].weight(), 0.5);
/// assert_eq!(may.unassigned_texts(), 0);
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn topics<G, T>(
    rows: &[(G, DateTime<Utc>, Language, T)],
    params: &TopicParams,
) -> Result<TopicReport<G>>
where
    G: Ord + Clone,
    T: AsRef<str>,
{
    params.check()?;
    let buckets = Buckets::new(rows, params.granularity, |_| true)?;
    let results = buckets.map(rows, |scratch: &mut Scratch, texts, indices| {
        scratch.clear();
        for &(text, language) in texts {
            scratch.add(text, language)?;
        }
        Ok(scratch.topics(params, texts, indices))
    })?;
    let mut series: Vec<TopicSeries<G>> = Vec::new();
    let mut previous = None;
    for ((gid, index), found) in buckets.keys.iter().zip(results) {
        let entry = TopicPeriod {
            period: Period::from_index(params.granularity, *index)
                .ok_or_else(|| Error::new(ErrorKind::LimitExceeded, TextDetail::Period))?,
            texts: found.texts,
            unassigned_texts: found.unassigned_texts,
            truncated_texts: found.truncated_texts,
            vocabulary: found.vocabulary,
            topics: found.topics,
        };
        match series.last_mut() {
            Some(s) if previous == Some(*gid) => s.periods.push(entry),
            _ => series.push(TopicSeries {
                group: buckets.group(*gid).clone(),
                periods: vec![entry],
            }),
        }
        previous = Some(*gid);
    }
    Ok(TopicReport {
        granularity: params.granularity,
        series,
    })
}

/// Counts of one term over the texts of a group and period.
#[derive(Clone, Copy, Debug, Default)]
struct TermInfo {
    /// Texts holding the term as a content term.
    df: u32,
    /// The number (from 1) of the last text counted in `df`.
    last_text: u32,
    /// Stopword bits per language (see `text::is_stopword_once`).
    checked: u32,
    stop_in: u32,
}

/// The tables of one group and period, kept between them by each thread.
#[derive(Debug, Default)]
struct Scratch {
    terms: FxHashMap<Box<str>, u32>,
    info: Vec<TermInfo>,
    /// The content terms of every text, distinct, one text after another.
    text_terms: Vec<u32>,
    /// Where each text's terms end in `text_terms`.
    ends: Vec<usize>,
    texts: u32,
    truncated: u64,
    bytes: u64,
    lower: String,
}

impl Scratch {
    /// Empties the tables, keeping their allocations.
    fn clear(&mut self) {
        self.terms.clear();
        self.info.clear();
        self.text_terms.clear();
        self.ends.clear();
        (self.texts, self.truncated, self.bytes) = (0, 0, 0);
    }

    /// Adds the content terms of one text in `language` (step 1).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitExceeded`] past `u32::MAX` texts or bytes read.
    fn add(&mut self, text: &str, language: Language) -> Result<()> {
        let text = if text.len() > MAX_TEXT_BYTES {
            self.truncated += 1;
            prefix(text, MAX_TEXT_BYTES)
        } else {
            text
        };
        self.bytes += text.len() as u64;
        self.texts = self
            .texts
            .checked_add(1)
            .filter(|_| self.bytes <= u64::from(u32::MAX))
            .ok_or_else(|| Error::new(ErrorKind::LimitExceeded, TextDetail::TooMuchText))?;
        let text_id = self.texts;
        let (bit, stops) = stopwords(language);
        for token in TextTokenizer::new().tokens(text) {
            let word = token.text();
            if token.kind() != TokenKind::Word || !is_term(word) {
                continue;
            }
            lower_into(word, &mut self.lower);
            let id = match self.terms.get(self.lower.as_str()) {
                Some(&id) => id,
                None => {
                    // At most one term per byte read, so fewer than u32::MAX.
                    let id = self.info.len() as u32;
                    self.terms.insert(self.lower.as_str().into(), id);
                    self.info.push(TermInfo::default());
                    id
                }
            };
            let info = &mut self.info[id as usize];
            let stop = is_stopword_once(
                &self.lower,
                bit,
                stops,
                &mut info.checked,
                &mut info.stop_in,
            );
            if !stop && info.last_text != text_id {
                info.last_text = text_id;
                info.df += 1;
                self.text_terms.push(id);
            }
        }
        self.ends.push(self.text_terms.len());
        Ok(())
    }

    /// Finds the topics of the texts added (steps 2 to 7); `texts` and
    /// `indices` are the bucket's texts and their row indices.
    fn topics(&self, params: &TopicParams, texts: &[(&str, Language)], indices: &[usize]) -> Found {
        let n = self.texts as usize;
        let mut names: Vec<&str> = vec![""; self.info.len()];
        for (name, &id) in &self.terms {
            names[id as usize] = name;
        }
        // Step 2: the vocabulary, by document frequency, then text.
        let min_df = params.min_document_frequency;
        let mut vocab: Vec<u32> = (0..self.info.len() as u32)
            .filter(|&t| u64::from(self.info[t as usize].df) >= min_df)
            .collect();
        let by_df = |a: &u32, b: &u32| {
            let (x, y) = (&self.info[*a as usize], &self.info[*b as usize]);
            y.df.cmp(&x.df)
                .then_with(|| names[*a as usize].cmp(names[*b as usize]))
        };
        if vocab.len() > params.max_terms {
            vocab.select_nth_unstable_by(params.max_terms - 1, by_df);
            vocab.truncate(params.max_terms);
        }
        vocab.sort_unstable_by(by_df);
        let v = vocab.len();
        let mut slot = vec![NONE; self.info.len()];
        for (i, &t) in vocab.iter().enumerate() {
            slot[t as usize] = i as u32;
        }
        let df: Vec<f64> = vocab
            .iter()
            .map(|&t| f64::from(self.info[t as usize].df))
            .collect();

        // Step 3: each text's vocabulary terms, sorted, and their pairs.
        let mut doc_terms: Vec<u32> = Vec::with_capacity(self.text_terms.len());
        let mut doc_ends: Vec<usize> = Vec::with_capacity(n);
        let mut co = vec![0u32; v * v];
        let mut start = 0;
        for &end in &self.ends {
            let from = doc_terms.len();
            doc_terms.extend(
                self.text_terms[start..end]
                    .iter()
                    .map(|&t| slot[t as usize])
                    .filter(|&s| s != NONE),
            );
            let terms = &mut doc_terms[from..];
            terms.sort_unstable();
            for (i, &a) in terms.iter().enumerate() {
                let row = &mut co[a as usize * v..(a as usize + 1) * v];
                for &b in &terms[i + 1..] {
                    row[b as usize] += 1;
                }
            }
            doc_ends.push(doc_terms.len());
            start = end;
        }
        let vectors = ppmi(&co, &df, n as f64 + 1.0);

        // Step 4: clusters of terms.
        let (assign, fit) = cluster(&vectors, &df, params.topics);
        let k = assign
            .iter()
            .filter(|&&j| j != NONE)
            .map(|&j| j as usize + 1)
            .max()
            .unwrap_or(0);

        // Step 6: texts, with their purity and fit for the examples.
        let mut sizes = vec![0u64; k];
        // (purity, fit, position in the bucket) of each topic's best texts.
        let mut best: Vec<Vec<(f64, f64, usize)>> = vec![Vec::new(); k];
        let mut scores = vec![0.0f64; k];
        let mut start = 0;
        for (d, &end) in doc_ends.iter().enumerate() {
            let terms = &doc_terms[start..end];
            start = end;
            let mut total = 0.0;
            let mut any = false;
            for &t in terms {
                let j = assign[t as usize];
                if j != NONE {
                    scores[j as usize] += fit[t as usize];
                    total += fit[t as usize];
                    any = true;
                }
            }
            if !any {
                continue;
            }
            let mut top = 0;
            for j in 1..k {
                if scores[j] > scores[top] {
                    top = j;
                }
            }
            let (score, purity) = (scores[top], scores[top] / total);
            for &t in terms {
                let j = assign[t as usize];
                if j != NONE {
                    scores[j as usize] = 0.0;
                }
            }
            sizes[top] += 1;
            if params.examples > 0 {
                keep_best(&mut best[top], (purity, score, d), params.examples, texts);
            }
        }
        let assigned: u64 = sizes.iter().sum();

        // Step 5: term weights, and step 7: the topics in order.
        let mut members: Vec<Vec<(f64, usize)>> = vec![Vec::new(); k];
        for (t, &j) in assign.iter().enumerate() {
            if j != NONE {
                members[j as usize].push((df[t] * fit[t], t));
            }
        }
        let mut found: Vec<Topic> = Vec::new();
        for (j, mut terms) in members.into_iter().enumerate() {
            if sizes[j] == 0 {
                continue;
            }
            let sum: f64 = terms.iter().map(|m| m.0).sum();
            terms.sort_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then_with(|| names[vocab[a.1] as usize].cmp(names[vocab[b.1] as usize]))
            });
            terms.truncate(params.terms_per_topic);
            found.push(Topic {
                terms: terms
                    .into_iter()
                    .map(|(w, t)| TopicTerm {
                        text: names[vocab[t] as usize].to_owned(),
                        weight: if sum > 0.0 { w / sum } else { 0.0 },
                        texts: u64::from(self.info[vocab[t] as usize].df),
                    })
                    .collect(),
                texts: sizes[j],
                share: sizes[j] as f64 / n as f64,
                examples: best[j].iter().map(|&(_, _, d)| indices[d]).collect(),
            });
        }
        found.sort_by(|a, b| {
            b.texts
                .cmp(&a.texts)
                .then_with(|| a.label().cmp(&b.label()))
        });
        Found {
            texts: u64::from(self.texts),
            unassigned_texts: u64::from(self.texts) - assigned,
            truncated_texts: self.truncated,
            vocabulary: v,
            topics: found,
        }
    }
}

/// The topics of one group and period, before its period is attached.
#[derive(Debug)]
struct Found {
    texts: u64,
    unassigned_texts: u64,
    truncated_texts: u64,
    vocabulary: usize,
    topics: Vec<Topic>,
}

/// Sparse term vectors: the non-zero entries `(column, value)` of each row,
/// one row after another, and where each row ends.
#[derive(Debug, Default)]
struct Rows {
    entries: Vec<(u32, f64)>,
    ends: Vec<usize>,
}

impl Rows {
    fn row(&self, t: usize) -> &[(u32, f64)] {
        let start = if t == 0 { 0 } else { self.ends[t - 1] };
        &self.entries[start..self.ends[t]]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns the dot product of row `t` with the dense vector `dense`.
    #[inline]
    fn dot(&self, t: usize, dense: &[f64]) -> f64 {
        self.row(t)
            .iter()
            .map(|&(c, x)| x * dense[c as usize])
            .sum()
    }
}

/// Returns the PPMI vector of every vocabulary term, scaled to length 1
/// (step 3), from the upper triangle of the co-occurrence counts `co`
/// (`co[a · V + b]` for `a < b`), the document frequencies and the number
/// of texts `n` (plus one, from [`Scratch::topics`]). A term with no
/// positive entry keeps an empty row.
fn ppmi(co: &[u32], df: &[f64], n: f64) -> Rows {
    let v = df.len();
    let mut rows = Rows::default();
    for a in 0..v {
        let start = rows.entries.len();
        for b in 0..v {
            let c = match a.cmp(&b) {
                Ordering::Less => co[a * v + b],
                Ordering::Greater => co[b * v + a],
                // df(a) ≤ n ≤ u32::MAX texts.
                Ordering::Equal => df[a] as u32,
            };
            if c == 0 {
                continue;
            }
            let pmi = (f64::from(c) * n / (df[a] * df[b])).ln();
            if pmi > 0.0 {
                rows.entries.push((b as u32, pmi));
            }
        }
        let row = &mut rows.entries[start..];
        let norm = row.iter().map(|&(_, x)| x * x).sum::<f64>().sqrt();
        for e in row.iter_mut() {
            e.1 /= norm;
        }
        rows.ends.push(rows.entries.len());
    }
    rows
}

/// Clusters the term vectors by weighted spherical k-means (step 4) into at
/// most `k` clusters. Returns each term's cluster (`NONE` for none) and its
/// cosine similarity to that cluster's centre.
fn cluster(rows: &Rows, df: &[f64], k: usize) -> (Vec<u32>, Vec<f64>) {
    let v = rows.len();
    let mut assign = vec![NONE; v];
    let mut fit = vec![0.0; v];
    // Seeding: the most frequent term with a vector first (terms come by
    // document frequency), then the farthest by df · (1 − similarity).
    let mut centres: Vec<Vec<f64>> = Vec::new();
    let mut nearest = vec![0.0f64; v];
    let active: Vec<usize> = (0..v).filter(|&t| !rows.row(t).is_empty()).collect();
    let mut next = active.first().copied();
    while let Some(seed) = next {
        let mut centre = vec![0.0; v];
        for &(c, x) in rows.row(seed) {
            centre[c as usize] = x;
        }
        for &t in &active {
            nearest[t] = nearest[t].max(rows.dot(t, &centre));
        }
        centres.push(centre);
        next = None;
        if centres.len() == k {
            break;
        }
        let mut far = 0.0;
        for &t in &active {
            let d = df[t] * (1.0 - nearest[t]);
            // Rounding can leave a twin of a seed a hair below 1.
            if d > far && 1.0 - nearest[t] > 1e-9 {
                far = d;
                next = Some(t);
            }
        }
    }
    if centres.is_empty() {
        return (assign, fit);
    }
    let mut sums: Vec<Vec<f64>> = vec![vec![0.0; v]; centres.len()];
    for iteration in 0..MAX_ITERATIONS {
        let mut moved = false;
        for &t in &active {
            let (mut best, mut best_fit) = (NONE, 0.0);
            for (j, centre) in centres.iter().enumerate() {
                let s = rows.dot(t, centre);
                if s > best_fit {
                    (best, best_fit) = (j as u32, s);
                }
            }
            moved |= assign[t] != best;
            assign[t] = best;
            fit[t] = best_fit;
        }
        if !moved || iteration + 1 == MAX_ITERATIONS {
            break;
        }
        for sum in &mut sums {
            sum.fill(0.0);
        }
        for &t in &active {
            if assign[t] != NONE {
                let sum = &mut sums[assign[t] as usize];
                for &(c, x) in rows.row(t) {
                    sum[c as usize] += df[t] * x;
                }
            }
        }
        for (centre, sum) in centres.iter_mut().zip(&sums) {
            let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
            // A centre left with no terms keeps its place.
            if norm > 0.0 {
                for (c, x) in centre.iter_mut().zip(sum) {
                    *c = x / norm;
                }
            }
        }
    }
    (assign, fit)
}

/// Keeps in `best` the `max` most typical texts, most typical first: by
/// purity, then fit, then text, then position (module documentation, step 6).
fn keep_best(
    best: &mut Vec<(f64, f64, usize)>,
    candidate: (f64, f64, usize),
    max: usize,
    texts: &[(&str, Language)],
) {
    let before = |a: &(f64, f64, usize), b: &(f64, f64, usize)| {
        b.0.total_cmp(&a.0)
            .then_with(|| b.1.total_cmp(&a.1))
            .then_with(|| texts[a.2].0.cmp(texts[b.2].0))
            .then_with(|| a.2.cmp(&b.2))
    };
    if best.len() == max {
        match best.last() {
            Some(last) if before(&candidate, last).is_lt() => {
                best.pop();
            }
            _ => return,
        }
    }
    let at = best.partition_point(|b| before(b, &candidate).is_lt());
    best.insert(at, candidate);
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0).unwrap()
    }

    /// The topics of `texts` (one group and period, with their languages).
    fn one_period(texts: &[(Language, &str)], params: &TopicParams) -> TopicPeriod {
        let rows: Vec<_> = texts.iter().map(|&(l, t)| ((), at(3, 1), l, t)).collect();
        let report = topics(&rows, params).unwrap();
        assert_eq!(report.series().len(), 1);
        assert_eq!(report.series()[0].periods().len(), 1);
        report.series()[0].periods()[0].clone()
    }

    fn labels(p: &TopicPeriod) -> Vec<String> {
        p.topics().iter().map(Topic::label).collect()
    }

    #[test]
    fn two_portuguese_themes_and_a_hungarian_one_are_told_apart() {
        let (pt, hu) = (Language::Portuguese, Language::Hungarian);
        let texts = [
            (pt, "A entrega atrasou de novo."),
            (pt, "Entrega atrasou uma semana."),
            (pt, "Pedido atrasou, entrega lenta."),
            (pt, "O aplicativo trava no login."),
            (pt, "Aplicativo trava sempre."),
            (hu, "Túl drága a termék."),
            (hu, "A termék nagyon drága."),
            (hu, "Drága termék, rossz minőség."),
            (pt, "Ok, obrigado!"),
            (pt, "!!!"),
        ];
        let params = TopicParams::default().topics(3).examples(5);
        let p = one_period(&texts, &params);
        // Terms in two texts or more: atrasou, entrega, drága, termék (3
        // each), aplicativo, trava (2 each); each pair shares all its texts
        // and no text holds terms of two pairs.
        assert_eq!(p.vocabulary(), 6);
        assert_eq!(
            labels(&p),
            ["atrasou, entrega", "drága, termék", "aplicativo, trava"]
        );
        let sizes: Vec<u64> = p.topics().iter().map(Topic::texts).collect();
        assert_eq!(sizes, [3, 3, 2]);
        let shares: Vec<f64> = p.topics().iter().map(Topic::share).collect();
        assert_eq!(shares, [0.3, 0.3, 0.2]);
        // "obrigado" is in one text only, "ok" is too short, "!!!" has no word.
        assert_eq!(p.unassigned_texts(), 2);
        // Every text is equally typical: in the order of the texts.
        assert_eq!(p.topics()[0].examples(), [0, 1, 2]);
        assert_eq!(p.topics()[1].examples(), [6, 7, 5]);
        assert_eq!(p.topics()[2].examples(), [4, 3]);
        for topic in p.topics() {
            // Twin terms: the same vector, the same document frequency.
            let weights: Vec<f64> = topic.terms().iter().map(TopicTerm::weight).collect();
            assert_eq!(weights, [0.5, 0.5]);
        }
        assert_eq!(p.topics()[1].terms()[0].texts(), 3);
    }

    #[test]
    fn stopwords_follow_each_texts_language() {
        let texts = [
            "Pengiriman sangat lambat.",
            "Pengiriman yang lambat sekali.",
            "Barang rusak dan kotor.",
            "Barang yang rusak.",
        ];
        let tagged = |l| texts.map(|t| (l, t));
        let params = TopicParams::default().topics(2).examples(5);
        let p = one_period(&tagged(Language::Indonesian), &params);
        // "yang", "sangat", "sekali" and "dan" are Indonesian stopwords;
        // "kotor" is in one text only.
        assert_eq!(p.vocabulary(), 4);
        assert_eq!(labels(&p), ["barang, rusak", "lambat, pengiriman"]);
        assert_eq!(p.topics()[0].examples(), [2, 3]); // "Barang r…" < "Barang y…"
        assert_eq!(p.topics()[1].examples(), [0, 1]);
        // Read as English, "yang" (in two texts) is a content term.
        let p = one_period(&tagged(Language::English), &params);
        assert_eq!(p.vocabulary(), 5);
        let terms: Vec<&str> = p
            .topics()
            .iter()
            .flat_map(|t| t.terms().iter().map(TopicTerm::text))
            .collect();
        assert!(terms.contains(&"yang"), "{terms:?}");
    }

    #[test]
    fn weights_follow_the_ppmi_vectors_computed_by_hand() {
        let en = Language::English;
        let texts = [
            (en, "late delivery"),
            (en, "late delivery"),
            (en, "late courier"),
            (en, "refund slow"),
        ];
        let params = TopicParams::default().topics(1).min_document_frequency(1);
        let p = one_period(&texts, &params);
        // N + 1 = 5; df: late 3, delivery 2, courier 1, refund 1, slow 1.
        // Over (late, delivery, courier): PPMI(late, ·) = ln(5/3) each;
        // delivery: (ln(2·5/(3·2)), ln(5/2), 0); courier: (ln(5/3), 0, ln 5).
        let l = (5.0f64 / 3.0).ln();
        let unit = |v: [f64; 3]| {
            let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.map(|x| x / n)
        };
        let late = unit([l, l, l]);
        let delivery = unit([l, 2.5f64.ln(), 0.0]);
        let courier = unit([l, 0.0, 5f64.ln()]);
        // One seed, "late"; refund and slow are orthogonal to it and join
        // no topic. The centre: the df-weighted sum of the three.
        let centre = unit([0, 1, 2].map(|i| 3.0 * late[i] + 2.0 * delivery[i] + courier[i]));
        let cos = |v: [f64; 3]| (0..3).map(|i| v[i] * centre[i]).sum::<f64>();
        let raw = [3.0 * cos(late), 2.0 * cos(delivery), cos(courier)];
        let sum: f64 = raw.iter().sum();
        let topic = &p.topics()[0];
        let terms: Vec<&str> = topic.terms().iter().map(TopicTerm::text).collect();
        assert_eq!(terms, ["late", "delivery", "courier"]);
        for (term, w) in topic.terms().iter().zip(raw) {
            assert_relative_eq!(term.weight(), w / sum, epsilon = 1e-12);
        }
        assert_eq!(topic.texts(), 3);
        assert_eq!(p.unassigned_texts(), 1);
        // Two topics: "refund" (first of the tied) seeds the second.
        let p = one_period(&texts, &params.topics(2));
        assert_eq!(labels(&p), ["late, delivery, courier", "refund, slow"]);
        assert_eq!(p.topics()[1].examples(), [3]);
        assert_eq!(p.unassigned_texts(), 0);
    }

    #[test]
    fn ppmi_rows_by_hand() {
        // Three texts: {a, b}, {a, b}, {c}, counted as N + 1 = 4; upper
        // triangle of C.
        let co = [0, 2, 0, 0, 0, 0, 0, 0, 0];
        let rows = ppmi(&co, &[2.0, 2.0, 1.0], 4.0);
        // a: (ln(4/2), ln(2·4/4)) → both ln 2, scaled to length 1.
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert_eq!(rows.row(0), [(0, h), (1, h)]);
        assert_eq!(rows.row(1), [(0, h), (1, h)]);
        assert_eq!(rows.row(2), [(2, 1.0)]);
        // Unsmoothed, a term in every text would have no positive entry.
        let rows = ppmi(&[0, 1, 0, 0], &[1.0, 1.0], 1.0);
        assert!(rows.row(0).is_empty() && rows.row(1).is_empty());
    }

    #[test]
    fn texts_without_content_terms_are_unassigned_not_dropped() {
        let en = Language::English;
        let p = one_period(
            &[
                (en, "it was the best"),
                (en, "and so it is"),
                (en, "ok 42 :)"),
            ],
            &TopicParams::default(),
        );
        // "best" is a content term, but in one text only.
        assert_eq!((p.texts(), p.unassigned_texts()), (3, 3));
        assert_eq!(p.vocabulary(), 0);
        assert!(p.topics().is_empty());
        let p = one_period(&[(en, "Delivery was late.")], &TopicParams::default());
        assert_eq!((p.texts(), p.unassigned_texts()), (1, 1));
        // Alone, with no minimum: one topic of one text.
        let params = TopicParams::default().min_document_frequency(1);
        let p = one_period(&[(en, "Delivery was late.")], &params);
        assert_eq!((p.vocabulary(), p.unassigned_texts()), (2, 0));
        assert_eq!(labels(&p), ["delivery, late"]);
        assert_eq!(p.topics()[0].examples(), [0]);
        let empty: [((), DateTime<Utc>, Language, &str); 0] = [];
        assert!(topics(&empty, &params).unwrap().series().is_empty());
    }

    #[test]
    fn long_texts_and_large_vocabularies_stay_within_their_caps() {
        // 10,000 distinct words (made of letters only) in one 100 KB text,
        // then the same text again, once longer than the cap.
        let word = |i: usize| -> String {
            let mut w = String::from("w");
            let mut k = i;
            for _ in 0..4 {
                w.push(char::from(b'a' + (k % 26) as u8));
                k /= 26;
            }
            w
        };
        let mut text = String::new();
        let mut i = 0;
        while text.len() < MAX_TEXT_BYTES - 8 {
            text.push_str(&word(i % 10_000));
            text.push(' ');
            i += 1;
        }
        let long = format!("{text}{}", "é".repeat(100));
        let en = Language::English;
        let params = TopicParams::default().max_terms(MAX_VOCABULARY);
        let p = one_period(&[(en, &text), (en, &long), (en, "nothing")], &params);
        assert_eq!(p.truncated_texts(), 1);
        // Every word is in both long texts, so each has df = 2 of 3 texts.
        assert_eq!(p.vocabulary(), MAX_VOCABULARY);
        assert_eq!(p.texts(), 3);
        let assigned: u64 = p.topics().iter().map(Topic::texts).sum();
        assert_eq!(assigned + p.unassigned_texts(), 3);
        assert!(p.topics().len() <= 5);
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let rows = [((), at(1, 1), Language::English, "late delivery")];
        let bad = [
            TopicParams::default().topics(0),
            TopicParams::default().topics(MAX_TOPICS + 1),
            TopicParams::default().terms_per_topic(0),
            TopicParams::default().terms_per_topic(MAX_TERMS_PER_TOPIC + 1),
            TopicParams::default().max_terms(1),
            TopicParams::default().max_terms(MAX_VOCABULARY + 1),
            TopicParams::default().min_document_frequency(0),
            TopicParams::default().min_document_frequency(u64::from(u32::MAX) + 1),
            TopicParams::default().examples(MAX_EXAMPLES + 1),
        ];
        for params in bad {
            let err = topics(&rows, &params).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{params:?}");
        }
        let err = topics(&rows, &TopicParams::default().topics(0)).unwrap_err();
        assert_eq!(err.to_string(), "topics 0 must be between 1 and 50");
    }

    #[test]
    fn groups_and_periods_are_analysed_apart() {
        let en = Language::English;
        let rows = [
            ("b", at(2, 1), en, "slow refund"),
            ("a", at(1, 1), en, "late delivery"),
            ("a", at(1, 2), en, "late delivery"),
            ("b", at(2, 2), en, "slow refund"),
            ("a", at(3, 1), en, "broken screen"),
            ("a", at(3, 9), en, "broken screen"),
        ];
        let report = topics(&rows, &TopicParams::default()).unwrap();
        let found: Vec<(&str, String, String, Vec<usize>)> = report
            .series()
            .iter()
            .flat_map(|s| {
                s.periods().iter().map(|p| {
                    let t = &p.topics()[0];
                    (
                        *s.group(),
                        p.period().to_string(),
                        t.label(),
                        t.examples().to_vec(),
                    )
                })
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "a",
                    "2026-01".to_owned(),
                    "delivery, late".to_owned(),
                    vec![1, 2]
                ),
                (
                    "a",
                    "2026-03".to_owned(),
                    "broken, screen".to_owned(),
                    vec![4, 5]
                ),
                (
                    "b",
                    "2026-02".to_owned(),
                    "refund, slow".to_owned(),
                    vec![0, 3]
                ),
            ]
        );
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "delivery", "late", "refund", "slow", "entrega", "atrasou", "aplicativo",
                "trava", "drága", "termék", "pengiriman", "lambat", "the", "and", "de",
            ])
            .prop_map(str::to_owned),
            1 => "[a-zé]{1,8}",
            1 => prop::sample::select(vec![",", ".", "!", "42", "🙂", "\n"]).prop_map(str::to_owned),
        ]
    }

    fn row() -> impl Strategy<Value = (u8, u32, Language, String)> {
        (
            0u8..2,
            1u32..3,
            prop::sample::select(vec![
                Language::English,
                Language::Portuguese,
                Language::Hungarian,
                Language::Indonesian,
            ]),
            prop::collection::vec(word(), 0..10).prop_map(|w| w.join(" ")),
        )
    }

    /// A topic as (terms with weight bits, texts, example texts).
    type Seen = (Vec<(String, u64)>, u64, Vec<String>);

    /// A report with each example index replaced by its text.
    fn by_text(
        report: &TopicReport<u8>,
        rows: &[(u8, DateTime<Utc>, Language, String)],
    ) -> Vec<(u8, Period, u64, u64, Vec<Seen>)> {
        report
            .series()
            .iter()
            .flat_map(|s| {
                s.periods().iter().map(|p| {
                    let topics = p
                        .topics()
                        .iter()
                        .map(|t| {
                            (
                                t.terms()
                                    .iter()
                                    .map(|w| (w.text().to_owned(), w.weight().to_bits()))
                                    .collect(),
                                t.texts(),
                                t.examples().iter().map(|&i| rows[i].3.clone()).collect(),
                            )
                        })
                        .collect();
                    (
                        *s.group(),
                        p.period(),
                        p.texts(),
                        p.unassigned_texts(),
                        topics,
                    )
                })
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_text_is_assigned_once_or_counted_unassigned(
            rows in prop::collection::vec(row(), 0..20),
            k in 1usize..5,
        ) {
            let rows: Vec<_> = rows.into_iter().map(|(g, m, l, t)| (g, at(m, 1), l, t)).collect();
            let params = TopicParams::default()
                .topics(k)
                .min_document_frequency(1)
                .examples(MAX_EXAMPLES);
            let report = topics(&rows, &params).unwrap();
            let mut seen = vec![0; rows.len()];
            let mut total = 0;
            for s in report.series() {
                for p in s.periods() {
                    let assigned: u64 = p.topics().iter().map(Topic::texts).sum();
                    prop_assert_eq!(assigned + p.unassigned_texts(), p.texts());
                    prop_assert!(p.topics().len() <= k);
                    total += p.texts();
                    for t in p.topics() {
                        prop_assert!(t.texts() > 0);
                        // At most 20 texts: every assigned text is an example.
                        prop_assert_eq!(t.examples().len() as u64, t.texts());
                        for &i in t.examples() {
                            seen[i] += 1;
                            prop_assert_eq!(&rows[i].0, s.group());
                            prop_assert_eq!(Granularity::Month.period_of(rows[i].1).unwrap(), p.period());
                        }
                        let w: f64 = t.terms().iter().map(TopicTerm::weight).sum();
                        prop_assert!(w <= 1.0 + 1e-9 && w > 0.0);
                    }
                }
            }
            prop_assert_eq!(total, rows.len() as u64);
            prop_assert!(seen.iter().all(|&n| n <= 1));
        }

        #[test]
        fn results_do_not_depend_on_row_order(
            rows in prop::collection::vec(row(), 1..40),
            seed in any::<u64>(),
        ) {
            let rows: Vec<_> = rows.into_iter().map(|(g, m, l, t)| (g, at(m, 1), l, t)).collect();
            let mut shuffled = rows.clone();
            // Fisher-Yates with a fixed generator per case.
            let mut state = seed;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                shuffled.swap(i, (state >> 33) as usize % (i + 1));
            }
            let params = TopicParams::default().topics(3).min_document_frequency(1);
            let a = topics(&rows, &params).unwrap();
            let b = topics(&shuffled, &params).unwrap();
            prop_assert_eq!(by_text(&a, &rows), by_text(&b, &shuffled));
        }
    }
}
