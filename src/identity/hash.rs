//! A small, fixed 64-bit hasher for blocking keys and internal maps.
//!
//! Blocking groups records by a hash of each key's text instead of the
//! text itself (no allocation per key, 8 bytes per entry). The hash must be
//! the same on every run, platform and thread count, so that results are
//! reproducible: FNV-1a over the bytes, finished with the SplitMix64
//! avalanche so that the high bits spread well.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a with a final avalanche; a byte stream, so writing `"ab"` then
/// `"c"` hashes as writing `"abc"`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyHasher(u64);

impl Default for KeyHasher {
    fn default() -> KeyHasher {
        KeyHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Integers (record indices, hashes) are mixed whole: faster than
        // eight bytes, and still fixed across platforms.
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The hasher of internal maps.
pub(crate) type FixedState = BuildHasherDefault<KeyHasher>;
/// A map with the fixed hasher.
pub(crate) type FixedMap<K, V> = HashMap<K, V, FixedState>;
/// A set with the fixed hasher.
pub(crate) type FixedSet<K> = HashSet<K, FixedState>;

/// A set of strings that answers most lookups of absent strings without
/// hashing them: it also keeps which lengths its members have (one bit per
/// length, lengths from 63 on sharing the last). Scoring asks whether a
/// value is generic millions of times, and almost none is.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(from = "FixedSet<String>", into = "FixedSet<String>")
)]
pub(crate) struct TextSet {
    set: FixedSet<String>,
    lengths: u64,
}

impl TextSet {
    fn length_bit(s: &str) -> u64 {
        1 << s.len().min(63)
    }

    /// Returns `true` when `s` is a member.
    pub(crate) fn contains(&self, s: &str) -> bool {
        self.lengths & TextSet::length_bit(s) != 0 && self.set.contains(s)
    }

    /// Returns the number of members.
    pub(crate) fn len(&self) -> usize {
        self.set.len()
    }
}

impl From<FixedSet<String>> for TextSet {
    fn from(set: FixedSet<String>) -> TextSet {
        let lengths = set.iter().fold(0, |m, s| m | TextSet::length_bit(s));
        TextSet { set, lengths }
    }
}

impl From<TextSet> for FixedSet<String> {
    fn from(t: TextSet) -> FixedSet<String> {
        t.set
    }
}

impl PartialEq for TextSet {
    fn eq(&self, other: &TextSet) -> bool {
        self.set == other.set
    }
}

impl Eq for TextSet {}

/// Returns the hash of the concatenation of `parts`.
pub(crate) fn hash_parts(parts: &[&[u8]]) -> u64 {
    let mut h = KeyHasher::default();
    for p in parts {
        h.write(p);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_is_a_byte_stream_and_fixed() {
        assert_eq!(hash_parts(&[b"ab", b"c"]), hash_parts(&[b"abc"]));
        assert_ne!(hash_parts(&[b"abc"]), hash_parts(&[b"abd"]));
        // Frozen: a change of hash would change which pairs a hash collision
        // could add, so it must be deliberate.
        assert_eq!(hash_parts(&[b""]), KeyHasher::default().finish());
    }

    proptest::proptest! {
        #[test]
        fn text_sets_answer_as_their_members(
            members in proptest::collection::vec("[ab]{0,3}|[ab]{60,70}", 0..6),
            probes in proptest::collection::vec("[ab]{0,3}|[ab]{60,70}", 0..12),
        ) {
            let set: FixedSet<String> = members.iter().cloned().collect();
            let text = TextSet::from(set.clone());
            for p in probes.iter().chain(&members) {
                proptest::prop_assert_eq!(text.contains(p), set.contains(p.as_str()));
            }
            proptest::prop_assert_eq!(text.len(), set.len());
            #[cfg(feature = "serde")]
            {
                let back: TextSet = serde_json::from_str(&serde_json::to_string(&text).unwrap()).unwrap();
                for p in &probes {
                    proptest::prop_assert_eq!(back.contains(p), set.contains(p.as_str()));
                }
            }
        }
    }
}
