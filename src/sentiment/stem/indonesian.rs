//! A rule-based Indonesian stemmer without a root dictionary.
//!
//! It follows the Porter-style algorithm for Bahasa Indonesia of
//! F. Z. Tala (2003), *A Study of Stemming Effects on Information Retrieval in
//! Bahasa Indonesia* (M.Sc. thesis, Universiteit van Amsterdam): strip, in
//! order, an inflectional particle (`-lah`, `-kah`, `-tah`, `-pun`), a possessive
//! pronoun (`-ku`, `-mu`, `-nya`), a first-order prefix (`meng-`, `meny-`,
//! `men-`, `mem-`, `me-`, `peng-`, `peny-`, `pen-`, `pem-`, `di-`, `ter-`,
//! `ke-`, `se-`), a second-order prefix (`ber-`, `be-`, `per-`, `pe-`) and a
//! derivational suffix (`-kan`, `-an`, `-i`). Each step runs only while the
//! word keeps more than two syllables, which protects short roots. Nasal
//! prefixes restore the initial consonant they replaced (`menyapu` → `sapu`,
//! `menulis` → `tulis`, `memakai` → `pakai`).

use std::borrow::Cow;

use super::Stemmer;

/// The Indonesian stemmer (Tala 2003, dictionary-free).
///
/// # Examples
///
/// ```
/// use custodia::sentiment::{IndonesianStemmer, Stemmer};
/// let s = IndonesianStemmer::new();
/// assert_eq!(s.stem("bukunya"), "buku");
/// assert_eq!(s.stem("menyenangkan"), "senang");
/// assert_eq!(s.stem("makan"), "makan");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IndonesianStemmer {
    _private: (),
}

impl IndonesianStemmer {
    /// Returns the stemmer.
    pub const fn new() -> IndonesianStemmer {
        IndonesianStemmer { _private: () }
    }
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Counts syllables as vowels, with a final `ai`/`au`/`oi` diphthong as one
/// (`pakai` has two syllables, `baikan` three).
fn syllables(w: &[u8]) -> usize {
    let vowels = w.iter().filter(|b| is_vowel(**b)).count();
    let diphthong = w.ends_with(b"ai") || w.ends_with(b"au") || w.ends_with(b"oi");
    vowels - usize::from(diphthong)
}

fn strip_suffix<'a>(w: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    if syllables(w.as_bytes()) <= 2 {
        return None;
    }
    suffixes.iter().find_map(|s| w.strip_suffix(s))
}

/// A stripped prefix: the rest of the word and a consonant to put back.
struct Stripped<'a> {
    rest: &'a str,
    restore: Option<char>,
    kind: Prefix,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Me,
    Pe,
    Di,
    Ter,
    Ke,
    Se,
    Ber,
    Per,
}

fn first_order(w: &str) -> Option<Stripped<'_>> {
    if syllables(w.as_bytes()) <= 2 {
        return None;
    }
    let vowel_after = |rest: &str| rest.as_bytes().first().is_some_and(|b| is_vowel(*b));
    for (p, kind) in [("me", Prefix::Me), ("pe", Prefix::Pe)] {
        let Some(after) = w.strip_prefix(p) else {
            continue;
        };
        let out = |rest, restore| {
            Some(Stripped {
                rest,
                restore,
                kind,
            })
        };
        if let Some(rest) = after.strip_prefix("ng") {
            return out(rest, None);
        }
        if let Some(rest) = after.strip_prefix("ny") {
            if vowel_after(rest) {
                return out(rest, Some('s'));
            }
        }
        if let Some(rest) = after.strip_prefix('n') {
            if vowel_after(rest) {
                return out(rest, Some('t'));
            }
            if rest.starts_with(['c', 'd', 'j', 'z', 's', 't']) {
                return out(rest, None);
            }
        }
        if let Some(rest) = after.strip_prefix('m') {
            if vowel_after(rest) {
                return out(rest, Some('p'));
            }
            if rest.starts_with(['b', 'f', 'p', 'v']) {
                return out(rest, None);
            }
        }
        if after.starts_with(['l', 'm', 'n', 'r', 'w', 'y']) && kind == Prefix::Me {
            return out(after, None);
        }
        if kind == Prefix::Pe
            && !after.starts_with('r')
            && !after.starts_with("lajar")
            && !vowel_after(after)
        {
            return out(after, None);
        }
    }
    for (p, kind) in [
        ("di", Prefix::Di),
        ("ter", Prefix::Ter),
        ("ke", Prefix::Ke),
        ("se", Prefix::Se),
    ] {
        if let Some(rest) = w.strip_prefix(p) {
            return Some(Stripped {
                rest,
                restore: None,
                kind,
            });
        }
    }
    None
}

fn second_order(w: &str) -> Option<Stripped<'_>> {
    if syllables(w.as_bytes()) <= 2 {
        return None;
    }
    let table = [
        ("ber", Prefix::Ber),
        ("bel", Prefix::Ber),
        ("per", Prefix::Per),
        ("pel", Prefix::Per),
        ("be", Prefix::Ber),
        ("pe", Prefix::Per),
    ];
    for (p, kind) in table {
        if let Some(rest) = w.strip_prefix(p) {
            // `bel-`/`pel-` only before `ajar`; `be-`/`pe-` only before `r`-less consonant + `er` (bekerja).
            let ok = match p {
                "bel" | "pel" => rest.starts_with("ajar"),
                "be" | "pe" => {
                    rest.len() > 2 && !is_vowel(rest.as_bytes()[0]) && rest[1..].starts_with("er")
                }
                _ => true,
            };
            if ok {
                return Some(Stripped {
                    rest,
                    restore: None,
                    kind,
                });
            }
        }
    }
    None
}

/// Confixes Indonesian does not form: no suffix is removed after these prefixes.
fn forbidden(prefix: Prefix, suffix: &str) -> bool {
    matches!(
        (prefix, suffix),
        (Prefix::Ber, "i")
            | (Prefix::Di, "an")
            | (Prefix::Ke, "i")
            | (Prefix::Ke, "kan")
            | (Prefix::Me, "an")
            | (Prefix::Se, "i")
            | (Prefix::Se, "kan")
            | (Prefix::Ter, "an")
    )
}

fn strip_derivational(w: &str, prefix: Option<Prefix>) -> &str {
    if syllables(w.as_bytes()) <= 2 {
        return w;
    }
    for s in ["kan", "an", "i"] {
        if let Some(rest) = w.strip_suffix(s) {
            // The root keeps two syllables: `baikan` is `baik` + `-an`, not `bai` + `-kan`.
            if prefix.is_some_and(|p| forbidden(p, s)) || syllables(rest.as_bytes()) < 2 {
                continue;
            }
            return rest;
        }
    }
    w
}

impl Stemmer for IndonesianStemmer {
    fn stem<'w>(&self, word: &'w str) -> Cow<'w, str> {
        if !word.is_ascii() || word.len() < 4 {
            return Cow::Borrowed(word);
        }
        let mut w = word;
        if let Some(rest) = strip_suffix(w, &["lah", "kah", "tah", "pun"]) {
            w = rest;
        }
        if let Some(rest) = strip_suffix(w, &["nya", "ku", "mu"]) {
            w = rest;
        }
        let mut restore = None;
        let mut prefix = None;
        if let Some(s) = first_order(w) {
            w = s.rest;
            restore = s.restore;
            prefix = Some(s.kind);
            if let Some(s2) = second_order(w) {
                w = s2.rest;
            }
        } else if let Some(s) = second_order(w) {
            w = s.rest;
            prefix = Some(s.kind);
        }
        // The syllable guard counts the restored consonant's word, which
        // never changes the vowel count.
        w = strip_derivational(w, prefix);
        match restore {
            Some(c) => {
                let mut out = String::with_capacity(w.len() + 1);
                out.push(c);
                out.push_str(w);
                Cow::Owned(out)
            }
            None => Cow::Borrowed(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_examples() {
        let s = IndonesianStemmer::new();
        let cases = [
            ("bukunya", "buku"),
            ("bukumu", "buku"),
            ("dimakan", "makan"),
            ("makanan", "makan"),
            ("menulis", "tulis"),
            ("menyapu", "sapu"),
            ("memakai", "pakai"),
            ("membaca", "baca"),
            ("mengambil", "ambil"),
            ("berjalan", "jalan"),
            ("bekerja", "kerja"),
            ("belajar", "ajar"),
            ("perbaikan", "baik"),
            ("kebaikan", "baik"),
            ("terbesar", "besar"),
            ("menyenangkan", "senang"),
            ("mengecewakan", "ecewa"), // k-deletion is ambiguous without a dictionary
            ("bagaimanakah", "bagaimana"),
            ("makan", "makan"),
            ("enak", "enak"),
            ("pagi", "pagi"),
        ];
        for (word, stem) in cases {
            assert_eq!(s.stem(word), stem, "{word}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_never_grows(word in "\\PC{0,20}") {
            let lower = word.to_lowercase();
            let stem = IndonesianStemmer::new().stem(&lower);
            prop_assert!(stem.len() <= lower.len());
        }
    }
}
