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
}
