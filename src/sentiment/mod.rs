//! Sentiment scoring of customer feedback: reviews, survey comments, tickets.
//!
//! The pipeline is tokenize → look up → apply rules → normalise:
//!
//! - [`Tokenizer`] / [`TextTokenizer`] split text into [`Token`]s (words of
//!   any script, emoji, emoticons, punctuation runs; byte spans kept; ALL
//!   CAPS noted). [`BoxTokenizer`] stores any tokenizer behind a pointer.
//! - [`Stemmer`] reduces words to stems: [`SnowballStemmer`] for the Snowball
//!   languages, [`IndonesianStemmer`] for Indonesian, [`NoStemmer`].
//! - [`Lexicon`] holds valences (VADER's −4..+4 scale), loaded from VADER or
//!   plain `token<TAB>score` text; English (VADER, with emoji) and Portuguese
//!   (LeIA) are bundled behind the `lexicon-en` and `lexicon-pt` features.
//! - [`Rules`] are the per-language closed-class words: negators, boosters,
//!   dampeners, contrast words and idioms.
//! - [`LexiconScorer`] implements [`SentimentScorer`]: VADER's method with its
//!   slips fixed, stem matching, and [`explain`](SentimentScorer::explain)
//!   giving each token's [`Contribution`].
//! - [`LexiconInducer`] learns a lexicon from labelled texts (star ratings,
//!   NPS answers, pos/neu/neg labels) for a language that has none.
//! - [`SentimentSummary`] aggregates one customer's scored feedback over time
//!   (mean, recency-weighted mean, trend, latest).
//!
//! This module uses nothing else in custodia but the error type, so it can be
//! used on its own.
//!
//! # Invariants
//!
//! - Scoring never fails and never panics; compound scores lie in −1..=1.
//! - Loading a lexicon, scoring and explaining take time linear in the text
//!   (phrases have at most eight words; [`ScorerParams::build`] refuses
//!   longer ones).
//! - Token spans always slice the scored text.
//! - Results do not depend on thread count or feature set.
//!
//! # Examples
//!
//! ```
//! use custodia::sentiment::{LexiconScorer, SentimentScorer};
//!
//! let scorer = LexiconScorer::english()?;
//! let s = scorer.score("The app is GREAT, but delivery was slow :(");
//! assert!(s.compound() < 0.5);
//!
//! // Every score explains itself token by token.
//! let explanation = scorer.explain("not bad at all");
//! let bad = &explanation.contributions()[1];
//! assert_eq!(bad.token(), "bad");
//! assert!(bad.lexicon_valence() < 0.0 && bad.valence() > 0.0);
//! # Ok::<(), custodia::Error>(())
//! ```

mod aggregate;
mod error;
mod hash;
mod induce;
mod language;
mod lexicon;
mod rules;
mod score;
mod stem;
mod tokenize;

/// The fast hash map of word lookups, shared with `insights::text`.
pub(crate) use hash::FxHashMap;

pub use aggregate::{AggregateParams, SentimentSummary};
pub use induce::{InducerParams, LabelledText, LexiconInducer};
pub use language::Language;
#[cfg(feature = "detect")]
pub use language::{Detection, DETECT_MAX_BYTES};
pub use lexicon::Lexicon;
pub use rules::Rules;
pub use score::{
    Accents, Contribution, Explanation, LexiconScorer, MatchKind, Rule, ScorerParams, Sentiment,
    SentimentScorer, Stemming,
};
pub use stem::{IndonesianStemmer, NoStemmer, SnowballStemmer, Stemmer};
pub use tokenize::{
    BoxTokenizer, BoxTokens, TextTokenizer, TextTokens, Token, TokenKind, Tokenizer,
};
