//! Stemmers: reduce a word to a stem so that inflected forms meet their
//! lexicon entry (`loved` → `love`, `bukunya` → `buku`).
//!
//! [`SnowballStemmer`] wraps the Snowball algorithms of `rust-stemmers` for
//! every language they cover; [`IndonesianStemmer`] is custodia's own, since
//! Snowball has none; [`NoStemmer`] leaves words alone. Stemmers expect
//! lower-case words.

mod indonesian;

use std::borrow::Cow;
use std::fmt;

use rust_stemmers::Algorithm;

use super::Language;

pub use indonesian::IndonesianStemmer;

/// Reduces a lower-case word to its stem.
///
/// Implementations borrow the word when nothing changes. The trait is
/// object-safe, so a scorer can hold a `Box<dyn Stemmer>`.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::{Language, Stemmer};
/// let stemmer = Language::English.stemmer();
/// assert_eq!(stemmer.stem("loving"), "love");
/// # Ok::<(), custodia::Error>(())
/// ```
pub trait Stemmer: fmt::Debug + Send + Sync {
    /// Returns the stem of `word` (a lower-case word).
    fn stem<'w>(&self, word: &'w str) -> Cow<'w, str>;
}

impl<S: Stemmer + ?Sized> Stemmer for Box<S> {
    fn stem<'w>(&self, word: &'w str) -> Cow<'w, str> {
        (**self).stem(word)
    }
}

/// A stemmer that returns every word unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NoStemmer;

impl Stemmer for NoStemmer {
    fn stem<'w>(&self, word: &'w str) -> Cow<'w, str> {
        Cow::Borrowed(word)
    }
}

/// A Snowball stemmer (from `rust-stemmers`) for one language.
pub struct SnowballStemmer {
    language: Language,
    inner: rust_stemmers::Stemmer,
}

impl SnowballStemmer {
    /// Returns the Snowball stemmer of `language`, or `None` for a language
    /// Snowball does not cover (Indonesian: use [`IndonesianStemmer`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::sentiment::{Language, SnowballStemmer, Stemmer};
    /// let hu = SnowballStemmer::new(Language::Hungarian).expect("snowball has hungarian");
    /// assert_eq!(hu.stem("szépek"), "szép");
    /// assert!(SnowballStemmer::new(Language::Indonesian).is_none());
    /// ```
    pub fn new(language: Language) -> Option<SnowballStemmer> {
        let algorithm = match language {
            Language::Arabic => Algorithm::Arabic,
            Language::Danish => Algorithm::Danish,
            Language::Dutch => Algorithm::Dutch,
            Language::English => Algorithm::English,
            Language::Finnish => Algorithm::Finnish,
            Language::French => Algorithm::French,
            Language::German => Algorithm::German,
            Language::Greek => Algorithm::Greek,
            Language::Hungarian => Algorithm::Hungarian,
            Language::Italian => Algorithm::Italian,
            Language::Norwegian => Algorithm::Norwegian,
            Language::Portuguese => Algorithm::Portuguese,
            Language::Romanian => Algorithm::Romanian,
            Language::Russian => Algorithm::Russian,
            Language::Spanish => Algorithm::Spanish,
            Language::Swedish => Algorithm::Swedish,
            Language::Tamil => Algorithm::Tamil,
            Language::Turkish => Algorithm::Turkish,
            Language::Indonesian => return None,
        };
        Some(SnowballStemmer {
            language,
            inner: rust_stemmers::Stemmer::create(algorithm),
        })
    }

    /// Returns the stemmer's language.
    pub fn language(&self) -> Language {
        self.language
    }
}

impl fmt::Debug for SnowballStemmer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnowballStemmer")
            .field("language", &self.language)
            .finish()
    }
}

impl Stemmer for SnowballStemmer {
    fn stem<'w>(&self, word: &'w str) -> Cow<'w, str> {
        self.inner.stem(word)
    }
}

impl Language {
    /// Returns the stemmer of this language: Snowball where it exists,
    /// custodia's [`IndonesianStemmer`] for Indonesian.
    pub fn stemmer(self) -> Box<dyn Stemmer> {
        match SnowballStemmer::new(self) {
            Some(s) => Box::new(s),
            None => Box::new(IndonesianStemmer::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_stemmer_that_borrows_unchanged_words() {
        for lang in Language::all() {
            let stemmer = lang.stemmer();
            let _ = stemmer.stem("x");
        }
        assert!(matches!(NoStemmer.stem("loved"), Cow::Borrowed("loved")));
        assert_eq!(Language::Portuguese.stemmer().stem("amigos"), "amig");
    }
}
