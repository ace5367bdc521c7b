//! Closed-class word lists that change the valence of nearby words.

use super::Language;

type Lists = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [(&'static str, f32)],
);

/// VADER's booster step: a booster adds this much to the magnitude of the
/// valence it modifies (Hutto & Gilbert 2014, `B_INCR`).
pub(crate) const BOOST: f32 = 0.293;

/// Per-language rules: negators, boosters and dampeners, contrast words and
/// idioms.
///
/// Built-in lists exist for English (VADER's, plus its idioms and special
/// cases), Portuguese, Indonesian, Hungarian, Spanish, German, French and
/// Italian; [`Rules::for_language`] returns empty lists for the others. Words
/// are lower case; entries with spaces are phrases.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::{Language, Rules};
/// let rules = Rules::for_language(Language::Indonesian)
///     .with_negator("ndak")
///     .with_booster("pol", 1.0);
/// assert!(rules.negators().any(|w| w == "tidak"));
/// assert!(rules.negators().any(|w| w == "ndak"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub(crate) negators: Vec<String>,
    /// Word and signed strength in booster steps (+1 boosts, −1 dampens).
    pub(crate) boosters: Vec<(String, f32)>,
    /// Boosters that follow the word they modify (Indonesian `enak banget`).
    pub(crate) post_boosters: Vec<(String, f32)>,
    pub(crate) contrast: Vec<String>,
    pub(crate) idioms: Vec<(String, f32)>,
    /// English only: `n't` inside a word negates, and VADER's special words
    /// (`no`, `least`, `kind of`, `never so`, `without doubt`) apply.
    pub(crate) english: bool,
}

impl Rules {
    /// Returns the built-in rules of `language` (empty lists where custodia
    /// has none).
    pub fn for_language(language: Language) -> Rules {
        let (neg, boost, damp, contrast, idioms): Lists = match language {
            Language::English => (EN_NEGATE, EN_BOOST, EN_DAMP, &["but"], EN_IDIOMS),
            Language::Portuguese => (PT_NEGATE, PT_BOOST, PT_DAMP, PT_CONTRAST, &[]),
            Language::Indonesian => (ID_NEGATE, ID_BOOST, ID_DAMP, ID_CONTRAST, &[]),
            Language::Hungarian => (HU_NEGATE, HU_BOOST, HU_DAMP, HU_CONTRAST, &[]),
            Language::Spanish => (ES_NEGATE, ES_BOOST, ES_DAMP, ES_CONTRAST, &[]),
            Language::German => (DE_NEGATE, DE_BOOST, DE_DAMP, DE_CONTRAST, &[]),
            Language::French => (FR_NEGATE, FR_BOOST, FR_DAMP, FR_CONTRAST, &[]),
            Language::Italian => (IT_NEGATE, IT_BOOST, IT_DAMP, IT_CONTRAST, &[]),
            _ => (&[], &[], &[], &[], &[]),
        };
        Rules {
            negators: neg.iter().map(|w| (*w).to_owned()).collect(),
            boosters: boost
                .iter()
                .map(|w| ((*w).to_owned(), 1.0))
                .chain(damp.iter().map(|w| ((*w).to_owned(), -1.0)))
                .collect(),
            post_boosters: match language {
                Language::Indonesian => ID_POST_BOOST
                    .iter()
                    .map(|w| ((*w).to_owned(), 1.0))
                    .collect(),
                _ => Vec::new(),
            },
            contrast: contrast.iter().map(|w| (*w).to_owned()).collect(),
            idioms: idioms.iter().map(|(w, v)| ((*w).to_owned(), *v)).collect(),
            english: language == Language::English,
        }
    }

    /// Returns rules with no words at all (the lexicon alone decides).
    pub fn empty() -> Rules {
        Rules {
            negators: Vec::new(),
            boosters: Vec::new(),
            post_boosters: Vec::new(),
            contrast: Vec::new(),
            idioms: Vec::new(),
            english: false,
        }
    }

    /// Adds a negator: a word that flips (and damps) the valence of the
    /// words after it within the negation window.
    #[must_use]
    pub fn with_negator(mut self, word: &str) -> Rules {
        self.negators.push(word.to_lowercase());
        self
    }

    /// Adds a booster (`steps` > 0) or dampener (`steps` < 0); one step adds
    /// 0.293 to the magnitude of the next sentiment word's valence.
    #[must_use]
    pub fn with_booster(mut self, word: &str, steps: f32) -> Rules {
        self.boosters.push((word.to_lowercase(), steps));
        self
    }

    /// Adds a booster that follows the word it modifies (`steps` as in
    /// [`Rules::with_booster`]), like Indonesian `banget` in `enak banget`.
    #[must_use]
    pub fn with_post_booster(mut self, word: &str, steps: f32) -> Rules {
        self.post_boosters.push((word.to_lowercase(), steps));
        self
    }

    /// Adds a contrast word: valence before it counts half, after it 1.5 times.
    #[must_use]
    pub fn with_contrast(mut self, word: &str) -> Rules {
        self.contrast.push(word.to_lowercase());
        self
    }

    /// Adds an idiom: a phrase of two or three words with its own valence.
    #[must_use]
    pub fn with_idiom(mut self, phrase: &str, valence: f32) -> Rules {
        self.idioms.push((phrase.to_lowercase(), valence));
        self
    }

    /// Returns the negators.
    pub fn negators(&self) -> impl Iterator<Item = &str> {
        self.negators.iter().map(String::as_str)
    }

    /// Returns the boosters and dampeners with their signed strength in steps.
    pub fn boosters(&self) -> impl Iterator<Item = (&str, f32)> {
        self.boosters.iter().map(|(w, s)| (w.as_str(), *s))
    }

    /// Returns the boosters that follow the word they modify.
    pub fn post_boosters(&self) -> impl Iterator<Item = (&str, f32)> {
        self.post_boosters.iter().map(|(w, s)| (w.as_str(), *s))
    }

    /// Returns the contrast words.
    pub fn contrast_words(&self) -> impl Iterator<Item = &str> {
        self.contrast.iter().map(String::as_str)
    }

    /// Returns the idioms with their valence.
    pub fn idioms(&self) -> impl Iterator<Item = (&str, f32)> {
        self.idioms.iter().map(|(w, v)| (w.as_str(), *v))
    }
}

// English: VADER's lists (Hutto & Gilbert 2014, vaderSentiment 3.3.2).
const EN_NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];
const EN_BOOST: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];
const EN_DAMP: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
];
const EN_IDIOMS: &[(&str, f32)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.1),
    ("broken heart", -2.9),
    ("cut the mustard", 2.0),
    ("hand to mouth", -2.0),
    ("back handed", -2.0),
    ("blow smoke", -2.0),
    ("blowing smoke", -2.0),
    ("upper hand", 1.0),
    ("break a leg", 2.0),
    ("cooking with gas", 2.0),
    ("in the black", 2.0),
    ("in the red", -2.0),
    ("on the ball", 2.0),
    ("under the weather", -2.0),
];

const PT_NEGATE: &[&str] = &[
    "não", "nao", "nunca", "jamais", "nem", "nenhum", "nenhuma", "nada", "sem", "ninguém",
    "ninguem", "tampouco",
];
const PT_BOOST: &[&str] = &[
    "muito",
    "muita",
    "muitos",
    "muitas",
    "bastante",
    "super",
    "extremamente",
    "totalmente",
    "demais",
    "tão",
    "tao",
    "mais",
    "completamente",
    "absolutamente",
    "realmente",
    "bem",
    "incrivelmente",
    "altamente",
];
const PT_DAMP: &[&str] = &[
    "pouco",
    "meio",
    "quase",
    "um pouco",
    "levemente",
    "ligeiramente",
    "menos",
];
const PT_CONTRAST: &[&str] = &["mas", "porém", "porem", "entretanto", "contudo", "todavia"];

const ID_NEGATE: &[&str] = &[
    "tidak", "tak", "bukan", "belum", "jangan", "tiada", "gak", "nggak", "ngga", "enggak", "ga",
    "kagak", "ndak", "tdk", "gk", "g", "ngak",
];
const ID_BOOST: &[&str] = &[
    "sangat",
    "paling",
    "amat",
    "terlalu",
    "sungguh",
    "benar-benar",
    "bener-bener",
    "begitu",
    "super",
    "makin",
    "semakin",
    "lebih",
];
/// Indonesian intensifiers placed after the adjective: `enak banget`, `bagus sekali`.
const ID_POST_BOOST: &[&str] = &["banget", "bgt", "sekali", "bener", "pisan"];
const ID_DAMP: &[&str] = &["agak", "sedikit", "cukup", "lumayan", "kurang"];
const ID_CONTRAST: &[&str] = &["tapi", "tetapi", "namun", "sayangnya", "padahal"];

const HU_NEGATE: &[&str] = &[
    "nem",
    "sem",
    "nincs",
    "nincsen",
    "nincsenek",
    "soha",
    "sosem",
    "semmi",
    "semmit",
    "se",
    "ne",
    "egyáltalán",
    "sehol",
    "senki",
    "nélkül",
];
const HU_BOOST: &[&str] = &[
    "nagyon",
    "igazán",
    "rendkívül",
    "teljesen",
    "annyira",
    "borzasztóan",
    "különösen",
    "roppant",
    "hihetetlenül",
    "abszolút",
    "legalább",
    "valóban",
    "igazi",
    "túlságosan",
    "elég",
    "eléggé",
    "kifejezetten",
    "szörnyen",
    "iszonyúan",
    "remekül",
];
const HU_DAMP: &[&str] = &[
    "kicsit",
    "kissé",
    "némileg",
    "alig",
    "valamennyire",
    "részben",
    "meglehetősen",
];
const HU_CONTRAST: &[&str] = &["de", "azonban", "viszont", "ám", "mégis", "ellenben"];

const ES_NEGATE: &[&str] = &[
    "no", "nunca", "jamás", "jamas", "ni", "nada", "nadie", "ninguno", "ninguna", "sin", "tampoco",
];
const ES_BOOST: &[&str] = &[
    "muy",
    "mucho",
    "muchísimo",
    "bastante",
    "demasiado",
    "totalmente",
    "súper",
    "super",
    "extremadamente",
    "tan",
    "más",
    "completamente",
    "realmente",
    "increíblemente",
];
const ES_DAMP: &[&str] = &["poco", "algo", "casi", "apenas", "un poco", "ligeramente"];
const ES_CONTRAST: &[&str] = &["pero", "sin embargo", "aunque", "mas"];

const DE_NEGATE: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nichts",
    "ohne", "weder", "nirgends",
];
const DE_BOOST: &[&str] = &[
    "sehr",
    "extrem",
    "total",
    "völlig",
    "absolut",
    "besonders",
    "wirklich",
    "echt",
    "so",
    "äußerst",
    "höchst",
    "unglaublich",
    "richtig",
    "super",
    "ganz",
];
const DE_DAMP: &[&str] = &[
    "etwas",
    "wenig",
    "kaum",
    "ziemlich",
    "fast",
    "ein bisschen",
    "leicht",
];
const DE_CONTRAST: &[&str] = &["aber", "jedoch", "doch", "allerdings", "trotzdem"];

const FR_NEGATE: &[&str] = &[
    "ne", "n'", "pas", "non", "jamais", "rien", "aucun", "aucune", "sans", "personne", "ni",
    "guère",
];
const FR_BOOST: &[&str] = &[
    "très",
    "trop",
    "vraiment",
    "tellement",
    "extrêmement",
    "totalement",
    "super",
    "si",
    "complètement",
    "absolument",
    "hyper",
    "particulièrement",
];
const FR_DAMP: &[&str] = &["peu", "assez", "presque", "un peu", "légèrement", "plutôt"];
const FR_CONTRAST: &[&str] = &["mais", "cependant", "pourtant", "toutefois", "néanmoins"];

const IT_NEGATE: &[&str] = &[
    "non", "mai", "né", "niente", "nulla", "nessuno", "nessuna", "senza",
];
const IT_BOOST: &[&str] = &[
    "molto",
    "tanto",
    "troppo",
    "davvero",
    "veramente",
    "estremamente",
    "totalmente",
    "super",
    "così",
    "assolutamente",
    "proprio",
];
const IT_DAMP: &[&str] = &[
    "poco",
    "quasi",
    "appena",
    "un po'",
    "leggermente",
    "abbastanza",
];
const IT_CONTRAST: &[&str] = &["ma", "però", "tuttavia", "eppure"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_lists_are_lower_case_and_free_of_duplicates() {
        for lang in Language::all() {
            let r = Rules::for_language(lang);
            let mut words: Vec<&str> = r
                .negators()
                .chain(r.boosters().map(|(w, _)| w))
                .chain(r.post_boosters().map(|(w, _)| w))
                .chain(r.contrast_words())
                .collect();
            for w in &words {
                assert_eq!(*w, w.to_lowercase(), "{lang}: {w}");
            }
            let n = words.len();
            words.sort_unstable();
            words.dedup();
            assert_eq!(words.len(), n, "{lang} lists a word twice");
        }
    }

    #[test]
    fn the_issue_languages_have_negators_boosters_and_contrast_words() {
        for lang in [
            Language::English,
            Language::Portuguese,
            Language::Indonesian,
            Language::Hungarian,
            Language::Spanish,
            Language::German,
            Language::French,
        ] {
            let r = Rules::for_language(lang);
            assert!(r.negators().count() >= 5, "{lang}");
            assert!(r.boosters().any(|(_, s)| s > 0.0), "{lang}");
            assert!(r.boosters().any(|(_, s)| s < 0.0), "{lang}");
            assert!(r.contrast_words().count() >= 1, "{lang}");
        }
        assert_eq!(Rules::empty().negators().count(), 0);
        assert!(Rules::for_language(Language::English).idioms().count() > 10);
    }
}
