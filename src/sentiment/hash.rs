//! A small, fast, non-cryptographic hasher for lexicon lookups.
//!
//! Lexicon keys are short words chosen by the lexicon's author, not by an
//! attacker probing for collisions, so the DoS resistance of the standard
//! SipHash buys nothing here while costing most of a lookup's time. This is the
//! "Fx" multiply-rotate hash used inside rustc, processing eight bytes at a time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The hasher state: one word, mixed in with a rotate, xor and multiply.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while bytes.len() >= 8 {
            let (head, rest) = bytes.split_at(8);
            let mut word = [0u8; 8];
            word.copy_from_slice(head);
            self.add(u64::from_le_bytes(word));
            bytes = rest;
        }
        if !bytes.is_empty() {
            // The tail, zero-padded and read little-endian, byte by byte:
            // a variable-length copy into a buffer compiles to a call to
            // `memcpy`, which cost more than the hashing itself.
            let word = bytes
                .iter()
                .enumerate()
                .fold(0u64, |w, (i, &b)| w | (u64::from(b) << (8 * i)));
            self.add(word);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` keyed through [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn hash(s: &str) -> u64 {
        let mut h = FxHasher::default();
        s.hash(&mut h);
        h.finish()
    }

    #[test]
    fn tails_hash_as_zero_padded_little_endian_words() {
        // Hand-computed: "abc" is the word 0x636261, "abcdefghij" the words
        // 0x6867666564636261 then 0x6a69.
        let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(SEED);
        let mut h = FxHasher::default();
        h.write(b"abc");
        assert_eq!(h.finish(), mix(0, 0x0063_6261));
        let mut h = FxHasher::default();
        h.write(b"abcdefghij");
        assert_eq!(h.finish(), mix(mix(0, 0x6867_6665_6463_6261), 0x6a69));
    }

    #[test]
    fn different_short_words_hash_differently() {
        let words = [
            "good", "goods", "bad", "ok", "okay", "not", "no", "n't", "", "a",
        ];
        let mut seen = std::collections::HashSet::new();
        for w in words {
            assert!(seen.insert(hash(w)), "collision on {w}");
        }
        assert_eq!(hash("great"), hash("great"));
    }
}
