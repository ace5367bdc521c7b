//! Sentiment integration tests: the named corpus in `testdata/sentiment/`,
//! custom tokenizers and stemmers through the public traits, and the public
//! types' auto traits.

// Helpers outside #[test] functions build fixtures; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;
use std::collections::HashMap;

use custodia::error::Span;
use custodia::sentiment::{
    AggregateParams, BoxTokenizer, IndonesianStemmer, Language, Lexicon, LexiconInducer,
    LexiconScorer, NoStemmer, Rules, Sentiment, SentimentScorer, SentimentSummary, SnowballStemmer,
    Stemmer, TextTokenizer, Token, TokenKind, Tokenizer,
};

const CASES: &str = include_str!("../testdata/sentiment/cases.json");

fn corpus() -> serde_json::Value {
    serde_json::from_str(CASES).expect("testdata/sentiment/cases.json is valid JSON")
}

/// One scorer per language of the corpus: bundled lexicons for en/pt, the
/// corpus's own small lexicons for the others.
fn scorers(corpus: &serde_json::Value) -> HashMap<String, Box<dyn SentimentScorer>> {
    let mut out: HashMap<String, Box<dyn SentimentScorer>> = HashMap::new();
    if cfg!(feature = "lexicon-en") {
        out.insert(
            "en".into(),
            Box::new(LexiconScorer::params(Language::English).build().unwrap()),
        );
    }
    if cfg!(feature = "lexicon-pt") {
        out.insert(
            "pt".into(),
            Box::new(LexiconScorer::params(Language::Portuguese).build().unwrap()),
        );
    }
    for (code, entries) in corpus["lexicons"].as_object().unwrap() {
        let mut lexicon = Lexicon::new();
        for (word, valence) in entries.as_object().unwrap() {
            lexicon.insert(word, valence.as_f64().unwrap()).unwrap();
        }
        let lang: Language = code.parse().unwrap();
        let scorer = LexiconScorer::params(lang)
            .lexicon(lexicon)
            .build()
            .unwrap();
        out.insert(code.clone(), Box::new(scorer));
    }
    out
}

#[test]
fn named_cases_have_the_expected_sign() {
    let corpus = corpus();
    let scorers = scorers(&corpus);
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in corpus["cases"].as_array().unwrap() {
        let Some(scorer) = scorers.get(case["lang"].as_str().unwrap()) else {
            continue; // a bundled lexicon left out by the features
        };
        let text = case["text"].as_str().unwrap();
        let compound = scorer.score(text).compound();
        let got = if compound > 0.05 {
            "positive"
        } else if compound < -0.05 {
            "negative"
        } else {
            "neutral"
        };
        checked += 1;
        if got != case["expect"].as_str().unwrap() {
            failures.push(format!(
                "{}: {text:?} scored {compound:.3} ({got})",
                case["name"]
            ));
        }
    }
    assert!(checked >= 10, "only {checked} cases ran");
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
}

#[test]
fn named_orderings_hold() {
    let corpus = corpus();
    let scorers = scorers(&corpus);
    let mut failures = Vec::new();
    for case in corpus["orderings"].as_array().unwrap() {
        let Some(scorer) = scorers.get(case["lang"].as_str().unwrap()) else {
            continue;
        };
        let (hi, lo) = (
            case["stronger"].as_str().unwrap(),
            case["weaker"].as_str().unwrap(),
        );
        let (a, b) = (scorer.score(hi).compound(), scorer.score(lo).compound());
        if a <= b {
            failures.push(format!("{}: {a:.3} <= {b:.3}", case["name"]));
        }
    }
    assert!(
        failures.is_empty(),
        "failing orderings:\n{}",
        failures.join("\n")
    );
}

/// A tokenizer written outside custodia: splits on spaces only.
#[derive(Debug, Clone, Copy)]
struct SpaceTokenizer;

impl Tokenizer for SpaceTokenizer {
    type Tokens<'t> = std::vec::IntoIter<Token<'t>>;

    fn tokens<'t>(&self, text: &'t str) -> Self::Tokens<'t> {
        let mut out = Vec::new();
        let mut start = 0;
        for part in text.split(' ') {
            let end = start + part.len();
            if !part.is_empty() {
                out.push(Token::new(text, Span::new(start, end), TokenKind::Word).unwrap());
            }
            start = end + 1;
        }
        out.into_iter()
    }
}

#[test]
fn custom_and_boxed_tokenizers_plug_into_the_scorer() {
    let lexicon = Lexicon::from_tsv("good\t2\n").unwrap();
    let plain = LexiconScorer::params(Language::English)
        .lexicon(lexicon.clone())
        .build_with_tokenizer(SpaceTokenizer)
        .unwrap();
    // Space splitting keeps the full stop: VADER's "good." slip comes back.
    assert_eq!(plain.score("good.").compound(), 0.0);
    assert!(plain.score("good").compound() > 0.0);
    let boxed = LexiconScorer::params(Language::English)
        .lexicon(lexicon)
        .build_with_tokenizer(BoxTokenizer::new(TextTokenizer::new()))
        .unwrap();
    assert!(boxed.score("good.").compound() > 0.0);
}

/// A stemmer written outside custodia: drops a trailing "z".
#[derive(Debug)]
struct DropZ;

impl Stemmer for DropZ {
    fn stem<'w>(&self, word: &'w str) -> Cow<'w, str> {
        Cow::Borrowed(word.strip_suffix('z').unwrap_or(word))
    }
}

#[test]
fn custom_stemmers_plug_into_the_scorer() {
    let scorer = LexiconScorer::params(Language::English)
        .lexicon(Lexicon::from_tsv("great\t3\n").unwrap())
        .stemmer(Box::new(DropZ))
        .build()
        .unwrap();
    assert!(scorer.score("greatz").compound() > 0.0);
    let stemmers: Vec<Box<dyn Stemmer>> = vec![
        Box::new(NoStemmer),
        Box::new(IndonesianStemmer::new()),
        Box::new(SnowballStemmer::new(Language::German).unwrap()),
    ];
    assert_eq!(stemmers[0].stem("häuser"), "häuser");
    assert_eq!(stemmers[1].stem("pelayanannya"), "layan");
}

#[test]
fn a_learned_lexicon_scores_held_out_text() {
    use custodia::sentiment::LabelledText;
    let train = [
        ("pelayanan ramah dan cepat", 1.0),
        ("kamarnya bersih dan ramah", 1.0),
        ("stafnya ramah sekali", 1.0),
        ("sarapan enak dan ramah", 1.0),
        ("kamar kotor dan bau", -1.0),
        ("kamar mandi kotor sekali", -1.0),
        ("lantainya kotor", -1.0),
        ("handuk kotor dan basah", -1.0),
        ("hotel di jalan merdeka", 0.0),
        ("check in jam dua", 0.0),
    ];
    let texts: Vec<LabelledText<'_>> = train
        .iter()
        .map(|(t, l)| LabelledText::new(t, *l).unwrap())
        .collect();
    let lexicon = LexiconInducer::params(Language::Indonesian)
        .build()
        .unwrap()
        .induce(&texts)
        .unwrap();
    let scorer = LexiconScorer::params(Language::Indonesian)
        .lexicon(lexicon)
        .build()
        .unwrap();
    assert!(scorer.score("resepsionisnya ramah").compound() > 0.05);
    assert!(scorer.score("wastafelnya kotor").compound() < -0.05);
    assert!(scorer.score("wastafelnya tidak kotor").compound() > 0.0);
}

#[test]
fn rules_can_be_extended() {
    let lexicon = Lexicon::from_tsv("mantap\t3\n").unwrap();
    let plain = LexiconScorer::params(Language::Indonesian)
        .lexicon(lexicon.clone())
        .build()
        .unwrap();
    let extended = LexiconScorer::params(Language::Indonesian)
        .lexicon(lexicon)
        .rules(Rules::for_language(Language::Indonesian).with_negator("kaga"))
        .build()
        .unwrap();
    assert!(plain.score("kaga mantap").compound() > 0.0);
    assert!(extended.score("kaga mantap").compound() < 0.0);
}

/// The smallest of three wall-clock times of `f`, to damp noise from a
/// shared machine.
fn best_of_three(mut f: impl FnMut()) -> std::time::Duration {
    (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// Text of about `bytes` bytes dense in what the rules note: negators,
/// boosters, contrast words, caps and punctuation.
fn rule_dense_text(bytes: usize) -> String {
    let unit = "not very good but REALLY bad, don't like it!! ";
    unit.repeat(bytes / unit.len() + 1)
}

fn small_english_scorer() -> LexiconScorer {
    LexiconScorer::params(Language::English)
        .lexicon(Lexicon::from_tsv("good\t1.9\nbad\t-2.5\nlike\t2\n").unwrap())
        .build()
        .unwrap()
}

/// Issue #13: `explain` scanned every rule note for every token, so a 400 KB
/// text took seconds. Quadrupling the input (50 KB → 200 KB) must cost
/// about four times as much, not sixteen; the bound is generous for a
/// shared machine and a debug build.
#[test]
fn explain_and_score_scale_linearly() {
    let scorer = small_english_scorer();
    let (short, long) = (rule_dense_text(50_000), rule_dense_text(200_000));
    for (name, run) in [
        (
            "explain",
            &(|t: &str| {
                std::hint::black_box(scorer.explain(t));
            }) as &dyn Fn(&str),
        ),
        ("score", &|t: &str| {
            std::hint::black_box(scorer.score(t));
        }),
    ] {
        let t_short = best_of_three(|| run(&short));
        let t_long = best_of_three(|| run(&long));
        assert!(
            t_long < t_short * 8 + std::time::Duration::from_millis(50),
            "{name}: 50 KB took {t_short:?}, 200 KB took {t_long:?}"
        );
        assert!(
            t_long < std::time::Duration::from_secs(5),
            "{name}: 200 KB took {t_long:?}"
        );
    }
    let e = scorer.explain(&long);
    assert_eq!(e.sentiment(), scorer.score(&long));
    assert!(e.contributions().len() > 30_000);
}

#[test]
fn summaries_feed_segmentation_fields() {
    use chrono::{TimeZone, Utc};
    let at = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
    let s = SentimentSummary::from_scores(
        &[(at(1), 0.5), (at(2), -0.5)],
        at(3),
        AggregateParams::default(),
    )
    .unwrap();
    let fields: HashMap<&str, f64> = s.fields().into_iter().collect();
    assert_eq!(fields["sentiment_count"], 2.0);
    assert_eq!(fields["sentiment_latest"], -0.5);
    assert_eq!(fields["sentiment_trend"], -1.0);
}

#[cfg(feature = "serde")]
#[test]
fn json_shapes_are_stable() {
    let s = Sentiment::new(0.5, 0.25, 0.0, 0.75).unwrap();
    insta::assert_json_snapshot!(s, @r#"
    {
      "compound": 0.5,
      "positive": 0.25,
      "negative": 0.0,
      "neutral": 0.75
    }
    "#);
}

#[test]
fn public_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<Sentiment>();
    check::<LexiconScorer>();
    check::<LexiconScorer<BoxTokenizer>>();
    check::<Lexicon>();
    check::<Rules>();
    check::<LexiconInducer>();
    check::<SentimentSummary>();
    check::<AggregateParams>();
    check::<Token<'static>>();
    check::<TextTokenizer>();
    check::<BoxTokenizer>();
    check::<IndonesianStemmer>();
    check::<SnowballStemmer>();
    check::<NoStemmer>();
    check::<Language>();
    check::<custodia::sentiment::Explanation>();
    check::<custodia::sentiment::ScorerParams>();
    check::<custodia::sentiment::InducerParams>();
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// The corpus scorers, built once for all cases.
    fn shared() -> &'static HashMap<String, Box<dyn SentimentScorer>> {
        static SCORERS: OnceLock<HashMap<String, Box<dyn SentimentScorer>>> = OnceLock::new();
        SCORERS.get_or_init(|| scorers(&corpus()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Arbitrary text never panics any corpus scorer (bundled lexicons
        /// with emoji and idioms included), scores stay in range, and spans
        /// slice the input.
        #[test]
        fn arbitrary_text_is_scored_safely(text in "\\PC{0,80}|[a-zA-Z :;()!?'’D<3-]{0,60}") {
            for scorer in shared().values() {
                let e = scorer.explain(&text);
                prop_assert!((-1.0..=1.0).contains(&e.sentiment().compound()));
                for c in e.contributions() {
                    prop_assert_eq!(&text[c.span().range()], c.token());
                }
            }
        }

        /// Batch scoring equals scoring one by one.
        #[test]
        fn score_all_matches_score(texts in proptest::collection::vec("\\PC{0,30}", 0..8)) {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            for scorer in shared().values() {
                let batch = scorer.score_all(&refs);
                let single: Vec<Sentiment> = refs.iter().map(|t| scorer.score(t)).collect();
                prop_assert_eq!(batch, single);
            }
        }
    }
}

/// Stable-toolchain fuzzing (#13): long, structured hostile inputs for the
/// lexicon loaders, the scorer and `explain`. The default cases are few and
/// run with the suite; the `fuzz_sentiment_campaign*` tests run the same
/// properties for many more cases (`cargo test -- --ignored fuzz_sentiment_campaign`).
mod fuzz {
    use super::*;
    use custodia::error::ErrorKind;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// Generous bound for one call on up to 100 KB in a debug build on a
    /// shared machine: linear work takes milliseconds, quadratic work minutes.
    const LIMIT: Duration = Duration::from_secs(5);
    const MAX_BYTES: usize = 100 * 1024;

    /// Scorers that exercise every code path: the bundled English one
    /// (idioms, emoji, the English special cases), a stemming English one,
    /// and Indonesian and Hungarian ones with their own stemmers and
    /// post-posed boosters.
    fn scorers() -> &'static Vec<(&'static str, LexiconScorer)> {
        static SCORERS: OnceLock<Vec<(&'static str, LexiconScorer)>> = OnceLock::new();
        SCORERS.get_or_init(|| {
            let small = "good\t1.9\nbad\t-2.5\nlove\t3.2\nlike\t2\nno\t-1.2\n\
                         kind of bad\t-1\ncut the mustard\t2\n:)\t2\n😍\t3\n";
            let mut out = vec![
                (
                    "en-stem",
                    LexiconScorer::params(Language::English)
                        .lexicon(Lexicon::from_tsv(small).unwrap())
                        .stemming(custodia::sentiment::Stemming::Language)
                        .build()
                        .unwrap(),
                ),
                (
                    "id",
                    LexiconScorer::params(Language::Indonesian)
                        .lexicon(Lexicon::from_tsv("bagus\t3\nenak\t3\njelek\t-3\n").unwrap())
                        .build()
                        .unwrap(),
                ),
                (
                    "hu",
                    LexiconScorer::params(Language::Hungarian)
                        .lexicon(Lexicon::from_tsv("jó\t2\nrossz\t-2\nszép\t2\n").unwrap())
                        .build()
                        .unwrap(),
                ),
            ];
            if cfg!(feature = "lexicon-en") {
                out.push((
                    "en",
                    LexiconScorer::params(Language::English).build().unwrap(),
                ));
            }
            out
        })
    }

    /// Pieces of hostile text: sentiment words and modifiers, emoji with
    /// modifiers and joiners, flags, stacked combining marks, emoticons,
    /// runs of `!` and `?`, contractions, entities, separators and none.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "good",
                "bad",
                "GOOD",
                "BAD",
                "not",
                "n't",
                "don't",
                "isn't",
                "very",
                "REALLY",
                "kind",
                "of",
                "but",
                "no",
                "never",
                "so",
                "least",
                "at",
                "like",
                "i",
                "without",
                "doubt",
                "cut",
                "the",
                "mustard",
                "love",
                "loving",
                "lovingly",
                "tidak",
                "enak",
                "banget",
                "nem",
                "jó",
                "szép",
                "😍",
                "👍🏽",
                "🇧🇷",
                "👨‍👩‍👧",
                "❤️",
                ":)",
                ":(",
                "D:",
                ";-)",
                "<3",
                "&amp;",
                "ok.",
                "e\u{301}",
                "\u{301}",
                "\u{200D}",
                "\u{FE0F}",
                "\u{FEFF}",
                "’",
                "'",
                "-",
                "42",
                " ",
                " ",
                " ",
                "\n",
                "\t",
                "\r\n",
                "",
            ])
            .prop_map(str::to_owned),
            (
                prop::sample::select(vec!["!", "?", "\u{301}", "a", "😍", "-", "'"]),
                1usize..4096
            )
                .prop_map(|(s, n)| s.repeat(n)),
            "\\PC{0,12}",
        ]
    }

    /// A text of up to 100 KB: a unit of pieces (joined with or without
    /// spaces) repeated, cut at a char boundary.
    fn hostile_text() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(piece(), 0..48),
            prop::sample::select(vec!["", " ", "  "]),
            1usize..4000,
        )
            .prop_map(|(pieces, sep, times)| {
                let unit = pieces.join(sep);
                let mut text = String::new();
                for _ in 0..times {
                    if text.len() + unit.len() > MAX_BYTES {
                        break;
                    }
                    text.push_str(&unit);
                }
                if text.is_empty() {
                    // A single over-long unit: keep its first 100 KB.
                    let mut end = unit.len().min(MAX_BYTES);
                    while !unit.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.push_str(&unit[..end]);
                }
                text
            })
    }

    fn timed<R>(what: &str, len: usize, f: impl FnOnce() -> R) -> Result<R, TestCaseError> {
        let start = Instant::now();
        let out = f();
        let took = start.elapsed();
        prop_assert!(took < LIMIT, "{what} of {len} bytes took {took:?}");
        Ok(out)
    }

    fn check_text(text: &str) -> Result<(), TestCaseError> {
        for (name, scorer) in scorers() {
            let s = timed(name, text.len(), || scorer.score(text))?;
            prop_assert!((-1.0..=1.0).contains(&s.compound()), "{name}: {s:?}");
            let shares = s.positive() + s.negative() + s.neutral();
            prop_assert!(
                shares == 0.0 || (shares - 1.0).abs() < 1e-9,
                "{name}: {s:?}"
            );
            let e = timed(name, text.len(), || scorer.explain(text))?;
            prop_assert_eq!(e.sentiment(), s);
            for c in e.contributions() {
                prop_assert_eq!(&text[c.span().range()], c.token());
                prop_assert!(c.valence().is_finite());
            }
        }
        Ok(())
    }

    /// One lexicon line: a token (with spaces, tabs, BOMs, emoji or nothing),
    /// a valence (ordinary, huge, infinite, NaN or junk) and maybe more fields.
    fn lexicon_line() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            prop::sample::select(vec![
                "good",
                "bad",
                "kind of",
                "\u{FEFF}good",
                " ",
                "",
                ":)",
                "😍"
            ])
            .prop_map(str::to_owned),
            "[a-z \\t\u{FEFF}]{0,12}",
            "\\PC{0,8}",
            (1usize..MAX_BYTES).prop_map(|n| "w ".repeat(n / 2)),
        ];
        let value = prop_oneof![
            (-5.0f64..5.0).prop_map(|v| v.to_string()),
            prop::sample::select(vec![
                "3.4e38", "-3.4e38", "1e309", "inf", "-inf", "NaN", "100", "-100", "100.01", "-9",
                "", " ", "1,5", "0x10", "4 0.5",
            ])
            .prop_map(str::to_owned),
            "\\PC{0,6}",
        ];
        let rest = prop::sample::select(vec!["", "\t0.5", "\t0.5\t[1, 2]", "\t", " 0.9"]);
        (token, value, rest).prop_map(|(t, v, r)| format!("{t}\t{v}{r}"))
    }

    /// A lexicon file: an optional BOM, lines (some without a tab, some up to
    /// 100 KB) ending in LF or CRLF.
    fn lexicon_file() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            prop::collection::vec(
                (
                    prop_oneof![4 => lexicon_line(), 1 => "\\PC{0,20}"],
                    prop::sample::select(vec!["\n", "\r\n", "\r\n\r\n"]),
                ),
                0..24,
            ),
        )
            .prop_map(|(bom, lines)| {
                let mut text = if bom {
                    "\u{FEFF}".to_owned()
                } else {
                    String::new()
                };
                for (line, end) in lines {
                    text.push_str(&line);
                    text.push_str(end);
                }
                text
            })
    }

    fn check_lexicon(text: &str) -> Result<(), TestCaseError> {
        for load in [Lexicon::from_tsv, Lexicon::from_vader] {
            match timed("loading", text.len(), || load(text))? {
                Ok(lexicon) => {
                    if !text.starts_with('\u{FEFF}') {
                        // A byte-order mark in front changes nothing.
                        let marked_text = format!("\u{FEFF}{text}");
                        let marked = load(&marked_text).ok();
                        prop_assert_eq!(marked.as_ref(), Some(&lexicon));
                    }
                    for (token, valence) in lexicon.iter() {
                        prop_assert!(!token.is_empty());
                        prop_assert!(valence.abs() <= Lexicon::MAX_VALENCE);
                    }
                    if lexicon.is_empty() {
                        continue;
                    }
                    let built = timed("building", text.len(), || {
                        LexiconScorer::params(Language::English)
                            .lexicon(lexicon)
                            .build()
                    })?;
                    match built {
                        Ok(scorer) => {
                            let s = timed("scoring", text.len(), || {
                                scorer.score("good bad kind of bad w w w w 😍 :)")
                            })?;
                            prop_assert!((-1.0..=1.0).contains(&s.compound()));
                        }
                        Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidParameter),
                    }
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::Lexicon);
                    let span = e.span().unwrap_or_default();
                    prop_assert!(text.get(span.range()).is_some());
                    prop_assert!(e.to_string().starts_with("lexicon line "), "{}", e);
                }
            }
        }
        let mut lexicon = Lexicon::from_tsv("smiling\t1.6\nface\t0.1\n").unwrap();
        if let Err(e) = lexicon.add_emoji_descriptions(text) {
            prop_assert_eq!(e.kind(), ErrorKind::Lexicon);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn hostile_texts_score_in_range_quickly(text in hostile_text()) {
            check_text(&text)?;
        }

        #[test]
        fn hostile_lexicon_files_load_or_fail_cleanly(text in lexicon_file()) {
            check_lexicon(&text)?;
        }
    }

    // Campaign sizes: each takes a few minutes in a debug build (texts
    // are up to 100 KB and go through four scorers twice).
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        #[ignore = "long fuzzing campaign; run in CI with --ignored"]
        fn fuzz_sentiment_campaign_texts(text in hostile_text()) {
            check_text(&text)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        #[ignore = "long fuzzing campaign; run in CI with --ignored"]
        fn fuzz_sentiment_campaign_lexicons(text in lexicon_file()) {
            check_lexicon(&text)?;
        }
    }

    /// Hand-picked worst cases at 100 KB, each run every time.
    #[test]
    fn worst_case_texts_of_100_kb() {
        let cases = [
            "!".repeat(MAX_BYTES),
            "?!".repeat(MAX_BYTES / 2),
            "a".repeat(MAX_BYTES),
            "love".repeat(MAX_BYTES / 4),
            "e\u{301}".repeat(MAX_BYTES / 3),
            "\u{301}".repeat(MAX_BYTES / 2),
            "😍".repeat(MAX_BYTES / 4),
            "👍\u{200D}".repeat(MAX_BYTES / 7),
            "not ".repeat(MAX_BYTES / 4),
            "very ".repeat(MAX_BYTES / 5),
            "no ".repeat(MAX_BYTES / 3),
            "don't like ".repeat(MAX_BYTES / 11),
            "kind of ".repeat(MAX_BYTES / 8),
            "but good ".repeat(MAX_BYTES / 9),
            ":) ".repeat(MAX_BYTES / 3),
            format!(":{}", ")".repeat(MAX_BYTES)),
            "GOOD bad ".repeat(MAX_BYTES / 9),
            "tidak enak banget ".repeat(MAX_BYTES / 18),
            // One 100 KB word through each stemmer.
            format!("me{}kan", "bagus".repeat(MAX_BYTES / 5)),
            "jó".repeat(MAX_BYTES / 3),
            format!("lov{}", "ing".repeat(MAX_BYTES / 3)),
        ];
        for text in &cases {
            check_text(text).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// A 100 KB lexicon line and a 100 KB lexicon of phrases load quickly.
    #[test]
    fn worst_case_lexicons_of_100_kb() {
        let cases = [
            format!("{}\t1\n", "a".repeat(MAX_BYTES)),
            format!("a\t{}\n", "1".repeat(MAX_BYTES)),
            format!("a\t1\t{}\n", "x".repeat(MAX_BYTES)),
            "w w w w w w w w\t1\n".repeat(MAX_BYTES / 18),
            format!("\u{FEFF}{}", "a\t1\r\n".repeat(MAX_BYTES / 5)),
            "\t".repeat(MAX_BYTES),
            "\n".repeat(MAX_BYTES),
        ];
        for text in &cases {
            check_lexicon(text).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
