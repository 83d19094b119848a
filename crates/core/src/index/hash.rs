//! A fast, unkeyed hash for the index's maps (the multiply-rotate hash of rustc's `FxHasher`,
//! finished with a folded multiply).
//!
//! SipHash's keying defends a map against an attacker who chooses its keys. These maps are
//! keyed by names from the configuration (users, resource pattern segments), which only an
//! administrator writes; a request can look a name up but never add one, so a lookup costs
//! at most one probe sequence of the existing keys.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
/// The finishing multiplier (the fractional part of pi, as foldhash and ahash use).
const FOLD: u64 = 0x24_3f_6a_88_85_a3_08_d3;

#[derive(Clone, Copy, Debug, Default)]
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
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
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

    /// Every bit mixed into every other by one folded 64×64→128-bit multiply: a map picks a
    /// key's bucket by the low bits, and the low bits of a plain product depend only on the
    /// low bits of what was multiplied. Without it, names that differ in a few ASCII digits
    /// (`gr-live-1`, `gr-live-2`, ...) varied in 12 of the low 21 bits, so a million of them
    /// shared 4,096 buckets and loading a million grants took 4 s.
    #[inline]
    fn finish(&self) -> u64 {
        let m = u128::from(self.hash) * u128::from(FOLD);
        (m as u64) ^ ((m >> 64) as u64)
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn distinguishes_lengths_and_contents() {
        let h = |s: &str| BuildHasherDefault::<FxHasher>::default().hash_one(s);
        assert_ne!(h("a"), h("a\0"));
        assert_ne!(h("pg/prod"), h("pg/prof"));
        assert_eq!(h("s12345678-read"), h("s12345678-read"));
        let mut m: FastMap<String, u32> = FastMap::default();
        m.insert("alice".into(), 1);
        assert_eq!(m.get("alice"), Some(&1));
        assert_eq!(m.get("bob"), None);
    }

    #[test]
    fn names_differing_in_digits_spread_over_the_low_bits() {
        let h = |s: &str| BuildHasherDefault::<FxHasher>::default().hash_one(s);
        for prefix in ["gr-live-", "user", "u", "s12345678-read-"] {
            let buckets: std::collections::HashSet<u64> = (0..100_000)
                .map(|i| h(&format!("{prefix}{i}")) & ((1 << 17) - 1))
                .collect();
            // 100,000 keys thrown at random into 131,072 buckets fill about 70,000.
            assert!(
                buckets.len() > 60_000,
                "{prefix}: {} buckets",
                buckets.len()
            );
        }
    }
}
