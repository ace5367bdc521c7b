//! Comparators: similarity of two normalised values, and the helpers that
//! turn similarities into comparison levels.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;

use crate::error::Result;
use crate::identity::error::Detail;

/// A similarity in `0.0..=1.0` (1 is identical).
///
/// # Examples
///
/// ```
/// use custodia::identity::Similarity;
/// assert_eq!(Similarity::new(0.5)?.get(), 0.5);
/// assert!(Similarity::new(1.5).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Similarity(f64);

impl Similarity {
    /// Identical values.
    pub const ONE: Similarity = Similarity(1.0);
    /// Nothing in common.
    pub const ZERO: Similarity = Similarity(0.0);

    /// Returns a similarity.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when `value` is not in `0.0..=1.0` (or is NaN).
    pub fn new(value: f64) -> Result<Similarity> {
        if (0.0..=1.0).contains(&value) {
            Ok(Similarity(value))
        } else {
            Err(Detail::Similarity { value }.into())
        }
    }

    /// Returns a similarity, clamping into range (NaN becomes 0).
    pub(crate) fn clamped(value: f64) -> Similarity {
        if value.is_nan() {
            Similarity(0.0)
        } else {
            Similarity(value.clamp(0.0, 1.0))
        }
    }

    /// Returns the value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Similarity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}", self.0)
    }
}

/// A string comparator: a pure, symmetric function of two normalised values.
///
/// Implement it to plug your own similarity into custom levels; the
/// built-ins are [`Exact`], [`JaroWinkler`], [`Levenshtein`],
/// [`DamerauLevenshtein`], [`Phonetic`] and [`TokenSet`].
pub trait Comparator: fmt::Debug + Send + Sync {
    /// Returns how similar `a` and `b` are.
    fn similarity(&self, a: &str, b: &str) -> Similarity;
}

/// 1 when the strings are equal, else 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exact;

impl Comparator for Exact {
    fn similarity(&self, a: &str, b: &str) -> Similarity {
        if a == b {
            Similarity::ONE
        } else {
            Similarity::ZERO
        }
    }
}

/// The most characters of each value that the similarity comparators
/// ([`JaroWinkler`], [`Levenshtein`], [`DamerauLevenshtein`]) read: a
/// longer value is compared on its first `MAX_COMPARED_CHARS` characters.
///
/// Those similarities cost time in the product of the two lengths, and no
/// name, street or postcode needs more to be told apart, so the cap bounds
/// every comparison (a pair of 100 KB values costs what a pair of
/// 256-character ones does) without changing any real comparison.
/// [`Exact`], [`Phonetic`] and [`TokenSet`] read whole values: they are
/// linear (or `n log n`) in them.
///
/// # Examples
///
/// ```
/// use custodia::identity::{Comparator, Levenshtein, MAX_COMPARED_CHARS};
/// let a = "a".repeat(100_000);
/// let b = format!("{}b", "a".repeat(MAX_COMPARED_CHARS));
/// // Equal on the compared prefix: the tail past the cap is not read.
/// assert_eq!(Levenshtein.similarity(&a, &b).get(), 1.0);
/// ```
pub const MAX_COMPARED_CHARS: usize = 256;

/// Returns the first [`MAX_COMPARED_CHARS`] characters of `s`.
pub(crate) fn compared(s: &str) -> &str {
    match s.char_indices().nth(MAX_COMPARED_CHARS) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// Jaro-Winkler similarity (strsim), suited to names and short typos; reads
/// at most [`MAX_COMPARED_CHARS`] characters of each value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JaroWinkler;

impl Comparator for JaroWinkler {
    fn similarity(&self, a: &str, b: &str) -> Similarity {
        Similarity::clamped(jaro_winkler(a, b))
    }
}

/// Levenshtein edit distance normalised by the longer length (strsim);
/// reads at most [`MAX_COMPARED_CHARS`] characters of each value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Levenshtein;

impl Comparator for Levenshtein {
    fn similarity(&self, a: &str, b: &str) -> Similarity {
        Similarity::clamped(strsim::normalized_levenshtein(compared(a), compared(b)))
    }
}

/// Damerau-Levenshtein (transpositions count as one edit), normalised;
/// reads at most [`MAX_COMPARED_CHARS`] characters of each value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DamerauLevenshtein;

impl Comparator for DamerauLevenshtein {
    fn similarity(&self, a: &str, b: &str) -> Similarity {
        Similarity::clamped(strsim::normalized_damerau_levenshtein(
            compared(a),
            compared(b),
        ))
    }
}

/// 1 when the Soundex codes of the last word agree, else 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Phonetic;

impl Comparator for Phonetic {
    fn similarity(&self, a: &str, b: &str) -> Similarity {
        let code = |s: &str| soundex(s.rsplit(' ').next().unwrap_or(""));
        match (code(a), code(b)) {
            (Some(x), Some(y)) if x == y => Similarity::ONE,
            _ => Similarity::ZERO,
        }
    }
}

/// Token-set similarity: shared words over all distinct words (Jaccard), so
/// that "ana maria silva" and "silva ana" are close.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenSet;

impl Comparator for TokenSet {
    fn similarity(&self, a: &str, b: &str) -> Similarity {
        Similarity::clamped(token_set(a, b))
    }
}

/// Returns the Jaccard similarity of the space-separated words of `a` and `b`.
pub(crate) fn token_set(a: &str, b: &str) -> f64 {
    // Up to this many words per side, on the stack (scoring calls this for
    // most pairs of different streets).
    const WORDS: usize = 12;
    fn words<'t>(text: &'t str, out: &mut [&'t str; WORDS]) -> Option<usize> {
        let mut n = 0;
        for t in text.split(' ').filter(|t| !t.is_empty()) {
            *out.get_mut(n)? = t;
            n += 1;
        }
        out[..n].sort_unstable();
        let mut distinct = 0;
        for i in 0..n {
            if distinct == 0 || out[i] != out[distinct - 1] {
                out[distinct] = out[i];
                distinct += 1;
            }
        }
        Some(distinct)
    }
    let (mut x, mut y) = ([""; WORDS], [""; WORDS]);
    let (Some(nx), Some(ny)) = (words(a, &mut x), words(b, &mut y)) else {
        return token_set_any(a, b);
    };
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < nx && j < ny {
        match x[i].cmp(y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = nx + ny - common;
    if union == 0 {
        return 0.0;
    }
    common as f64 / union as f64
}

/// [`token_set`] of texts of any number of words.
fn token_set_any(a: &str, b: &str) -> f64 {
    let x: BTreeSet<&str> = a.split(' ').filter(|t| !t.is_empty()).collect();
    let y: BTreeSet<&str> = b.split(' ').filter(|t| !t.is_empty()).collect();
    let union = x.union(&y).count();
    if union == 0 {
        return 0.0;
    }
    x.intersection(&y).count() as f64 / union as f64
}

/// Returns the American Soundex code of the first word's ASCII letters
/// (`"robert"` → `"R163"`), or `None` when it has none.
///
/// # Examples
///
/// ```
/// use custodia::identity::soundex;
/// assert_eq!(soundex("Robert").as_deref(), Some("R163"));
/// assert_eq!(soundex("Rupert"), soundex("Robert"));
/// assert_eq!(soundex("Ashcraft").as_deref(), Some("A261"));
/// assert_eq!(soundex("123"), None);
/// ```
pub fn soundex(word: &str) -> Option<String> {
    soundex_code(word).and_then(|c| String::from_utf8(c.to_vec()).ok())
}

/// The Soundex code as bytes, without allocating (blocking computes one
/// per record and rule).
pub(crate) fn soundex_code(word: &str) -> Option<[u8; 4]> {
    fn digit(c: u8) -> u8 {
        match c {
            b'b' | b'f' | b'p' | b'v' => b'1',
            b'c' | b'g' | b'j' | b'k' | b'q' | b's' | b'x' | b'z' => b'2',
            b'd' | b't' => b'3',
            b'l' => b'4',
            b'm' | b'n' => b'5',
            b'r' => b'6',
            b'h' | b'w' => b'h',
            _ => b'0',
        }
    }
    let mut letters = word
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_lowercase());
    let first = letters.next()?;
    let mut code = [b'0'; 4];
    code[0] = first.to_ascii_uppercase();
    let mut len = 1;
    let mut last = digit(first);
    for c in letters {
        let d = digit(c);
        if d == b'h' {
            continue;
        }
        if d != b'0' && d != last {
            code[len] = d;
            len += 1;
            if len == 4 {
                break;
            }
        }
        last = d;
    }
    Some(code)
}

/// Returns the number of days between two dates.
pub fn date_distance(a: NaiveDate, b: NaiveDate) -> u64 {
    (a - b).num_days().unsigned_abs()
}

/// Returns how close two numbers are: `1 - |a - b| / max(|a|, |b|)`, 1 when
/// both are 0, clamped to `0..=1`.
///
/// # Examples
///
/// ```
/// use custodia::identity::numeric_closeness;
/// assert_eq!(numeric_closeness(100.0, 90.0).get(), 0.9);
/// assert_eq!(numeric_closeness(0.0, 0.0).get(), 1.0);
/// ```
pub fn numeric_closeness(a: f64, b: f64) -> Similarity {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        return Similarity::ONE;
    }
    Similarity::clamped(1.0 - (a - b).abs() / scale)
}

/// Returns the optimal string alignment distance of `a` and `b` (strsim's
/// `osa_distance`, the Damerau-Levenshtein variant without repeated edits
/// of one substring) when it is at most `k`, and `k + 1` otherwise. Short
/// ASCII text takes an allocation-free path that stops as soon as the
/// distance must exceed `k`: scoring calls this millions of times and only
/// tells apart small distances. Other text takes a banded path, `O(n·k)`
/// for strings of `n` characters, so that long values cost linear time.
pub(crate) fn edits_within(a: &str, b: &str, k: usize) -> usize {
    if a.is_ascii() && b.is_ascii() && a.len() < SHORT && b.len() < SHORT {
        osa_within(a.as_bytes(), b.as_bytes(), k)
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        osa_banded(&a, &b, k)
    }
}

/// [`edits_within`] of any two character strings: the table's cells more
/// than `k` off its diagonal are past `k` (one edit moves one step off it),
/// so only the band `|i - j| <= k` is computed, and the work stops once two
/// consecutive rows are past `k`.
fn osa_banded(a: &[char], b: &[char], k: usize) -> usize {
    if a.len().abs_diff(b.len()) > k {
        return k + 1;
    }
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    let over = k + 1;
    let width = b.len() + 1;
    // Three rows (two back for a transposition), cells outside the band
    // hold `over`.
    let mut rows = vec![vec![over; width]; 3];
    for (j, v) in rows[0].iter_mut().enumerate().take(k.min(b.len()) + 1) {
        *v = j;
    }
    let mut prev_min = 0;
    for i in 1..=a.len() {
        let (cur_i, prev_i, two_i) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        let lo = i.saturating_sub(k).max(1);
        let hi = (i + k).min(b.len());
        // Reset the cells this row may read from its last use.
        let reset_lo = lo.saturating_sub(2);
        for v in &mut rows[cur_i][reset_lo..=(hi + 1).min(b.len())] {
            *v = over;
        }
        rows[cur_i][0] = if i <= k { i } else { over };
        let mut row_min = rows[cur_i][0];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let (prev, cur) = (&rows[prev_i], &rows[cur_i]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[two_i][j - 2] + 1);
            }
            let d = d.min(over);
            rows[cur_i][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > k && prev_min > k {
            return over;
        }
        prev_min = row_min;
    }
    rows[a.len() % 3][b.len()].min(over)
}

/// [`edits_within`] of short byte strings, with the rows of the table on
/// the stack, stopping early: one edit changes the length by at most one,
/// and once two consecutive rows are past `k` (the earlier one at least
/// `k`, which a transposition reaches back to), every later row is too.
pub(crate) fn osa_within(a: &[u8], b: &[u8], k: usize) -> usize {
    debug_assert!(a.len() < SHORT && b.len() < SHORT);
    if a.len().abs_diff(b.len()) > k {
        return k + 1;
    }
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    let cap = u8::try_from(k.min(SHORT)).unwrap_or(u8::MAX);
    let mut rows = [[0u8; SHORT]; 3];
    for (j, v) in rows[0].iter_mut().enumerate().take(b.len() + 1) {
        *v = j as u8;
    }
    let mut prev_min = 0u8;
    for i in 1..=a.len() {
        let (cur_i, prev_i, two_i) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur_i][0] = i as u8;
        let mut row_min = i as u8;
        for j in 1..=b.len() {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let (prev, cur) = (&rows[prev_i], &rows[cur_i]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[two_i][j - 2] + 1);
            }
            rows[cur_i][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > cap && prev_min >= cap {
            return k + 1;
        }
        prev_min = row_min;
    }
    usize::from(rows[a.len() % 3][b.len()]).min(k + 1)
}

/// Strings shorter than this (in bytes) take the allocation-free paths.
const SHORT: usize = 64;

/// Jaro-Winkler similarity: `strsim::jaro_winkler` with an
/// allocation-free path for short ASCII text that gives the same value
/// (the same steps, in the same order, on bytes).
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    if !(a.is_ascii() && b.is_ascii() && a.len() < SHORT && b.len() < SHORT) {
        return strsim::jaro_winkler(compared(a), compared(b));
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let sim = jaro_bytes(a, b);
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// [`jaro_winkler`] of `a` and `b` when it may reach `floor`; otherwise an
/// upper bound of it that is below `floor`, found without aligning the
/// strings. The bound counts the characters the two strings share (in 64
/// buckets of bytes, which can only overcount) as if all matched in order,
/// with the largest prefix bonus; a margin keeps floating-point rounding
/// from mattering. Most pairs of different names are settled this way.
pub(crate) fn jaro_winkler_from(a: &str, b: &str, floor: f64) -> f64 {
    if a.is_ascii()
        && b.is_ascii()
        && !a.is_empty()
        && !b.is_empty()
        && a.len() < SHORT
        && b.len() < SHORT
    {
        let mut counts = [0u8; 64];
        for x in a.bytes() {
            counts[usize::from(x & 63)] += 1;
        }
        let mut common = 0usize;
        for y in b.bytes() {
            let c = &mut counts[usize::from(y & 63)];
            if *c > 0 {
                *c -= 1;
                common += 1;
            }
        }
        let c = common as f64;
        let jaro = (c / a.len() as f64 + c / b.len() as f64 + 1.0) / 3.0;
        let bound = if jaro > 0.7 {
            jaro + 0.4 * (1.0 - jaro)
        } else {
            jaro
        };
        if bound < floor - 1e-9 {
            return bound;
        }
    }
    jaro_winkler(a, b)
}

fn jaro_bytes(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    } else if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let range = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_flags = [false; SHORT];
    let mut b_flags = [false; SHORT];
    let mut matches = 0usize;
    for (i, x) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = b.len().min(i + range + 1);
        for j in lo..hi {
            if *x == b[j] && !b_flags[j] {
                a_flags[i] = true;
                b_flags[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0usize;
    for (i, x) in a.iter().enumerate() {
        if a_flags[i] {
            while !b_flags[k] {
                k += 1;
            }
            if *x != b[k] {
                transpositions += 1;
            }
            k += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / a.len() as f64)
        + (matches as f64 / b.len() as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn comparators_are_sensible() {
        assert_eq!(Exact.similarity("a", "a"), Similarity::ONE);
        assert!(JaroWinkler.similarity("martha", "marhta").get() > 0.95);
        assert!(Levenshtein.similarity("kitten", "sitting").get() < 0.6);
        assert!(DamerauLevenshtein.similarity("ab", "ba").get() >= 0.5);
        assert_eq!(Phonetic.similarity("ana smith", "smyth"), Similarity::ONE);
        assert_eq!(
            TokenSet.similarity("ana maria", "maria ana"),
            Similarity::ONE
        );
        assert_eq!(edits_within("19560409", "19560490", 2), 1);
        assert_eq!(edits_within("19560409", "29561490", 1), 2);
    }

    proptest! {
        #[test]
        fn fast_paths_equal_strsim(a in "[a-e ]{0,20}", b in "[a-e ]{0,20}") {
            prop_assert_eq!(edits_within(&a, &b, SHORT), strsim::osa_distance(&a, &b).min(SHORT + 1));
            prop_assert_eq!(
                jaro_winkler(&a, &b).to_bits(),
                strsim::jaro_winkler(&a, &b).to_bits()
            );
        }

        #[test]
        fn bounded_jaro_winkler_decides_as_the_exact_one(
            a in "[a-f ]{0,12}|\\PC{0,8}", b in "[a-f ]{0,12}|\\PC{0,8}", floor in 0.0f64..1.0,
        ) {
            let (exact, fast) = (jaro_winkler(&a, &b), jaro_winkler_from(&a, &b, floor));
            prop_assert_eq!(fast >= floor, exact >= floor);
            prop_assert!(fast >= exact);
            if exact >= floor {
                prop_assert_eq!(fast.to_bits(), exact.to_bits());
            }
        }

        #[test]
        fn capped_edits_equal_edits(a in "[0-3]{0,10}", b in "[0-3]{0,10}", k in 0usize..5) {
            prop_assert_eq!(edits_within(&a, &b, k), strsim::osa_distance(&a, &b).min(k + 1));
        }

        #[test]
        fn banded_edits_equal_edits_on_any_text(
            a in "[ab\u{e9}\u{4e2d}]{0,90}", b in "[ab\u{e9}\u{4e2d}]{0,90}", k in 0usize..4,
        ) {
            let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            prop_assert_eq!(osa_banded(&x, &y, k), strsim::osa_distance(&a, &b).min(k + 1));
        }

        #[test]
        fn word_sets_equal_on_any_text(a in "[ab ]{0,40}", b in "[ab c]{0,40}") {
            prop_assert_eq!(token_set(&a, &b).to_bits(), token_set_any(&a, &b).to_bits());
        }

        #[test]
        fn fast_paths_equal_strsim_on_any_text(a in "\\PC{0,70}", b in "\\PC{0,70}") {
            prop_assert_eq!(edits_within(&a, &b, SHORT), strsim::osa_distance(&a, &b).min(SHORT + 1));
            prop_assert_eq!(
                jaro_winkler(&a, &b).to_bits(),
                strsim::jaro_winkler(&a, &b).to_bits()
            );
        }
    }

    /// Two 100 KB values cost what two values of the cap do: the
    /// quadratic similarities read a bounded prefix and the capped edit
    /// distance a band. Work cannot be counted from outside, so a generous
    /// time bound guards against the quadratic cost (minutes before).
    #[test]
    fn long_values_compare_in_bounded_time() {
        let a: String = "abcdefghij".repeat(10_000);
        let b: String = a.replacen('e', "x", 1);
        let c: String = "\u{e9}a".repeat(50_000);
        let start = std::time::Instant::now();
        assert_eq!(edits_within(&a, &b, 1), 1);
        assert_eq!(edits_within(&c, &a, 2), 3);
        assert_eq!(edits_within(&c, &c, 2), 0);
        let all: [&dyn Comparator; 5] = [
            &JaroWinkler,
            &Levenshtein,
            &DamerauLevenshtein,
            &TokenSet,
            &Phonetic,
        ];
        for cmp in all {
            let s = cmp.similarity(&a, &c).get();
            assert!((0.0..=1.0).contains(&s));
            assert!(cmp.similarity(&a, &a).get() > 0.99);
        }
        assert!(jaro_winkler_from(&a, &a, 0.8) > 0.99);
        assert!(jaro_winkler_from(&a, &c, 0.8) < 0.8);
        let took = start.elapsed();
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    }

    proptest! {
        #[test]
        fn comparators_are_symmetric_and_bounded(a in "\\PC{0,12}", b in "\\PC{0,12}") {
            let all: [&dyn Comparator; 6] =
                [&Exact, &JaroWinkler, &Levenshtein, &DamerauLevenshtein, &Phonetic, &TokenSet];
            for c in all {
                let s = c.similarity(&a, &b).get();
                prop_assert!((0.0..=1.0).contains(&s));
                prop_assert!((s - c.similarity(&b, &a).get()).abs() < 1e-12);
            }
        }
    }
}
