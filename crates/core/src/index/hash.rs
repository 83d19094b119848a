//! A fast, unkeyed hash for the index's maps (the multiply-rotate hash of rustc's `FxHasher`).
//!
//! SipHash's keying defends a map against an attacker who chooses its keys. These maps are
//! keyed by names from the configuration (users, resource pattern segments), which only an
//! administrator writes; a request can look a name up but never add one, so a lookup costs
//! at most one probe sequence of the existing keys.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

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

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
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
}
