//! Strings interned once into one flat table: each distinct text gets a `u32` id, and all
//! the texts sit side by side in one buffer (path segments, action patterns), so the few
//! thousand a check can touch share cache lines instead of each living in an allocation
//! of its own.

use std::hash::{BuildHasher, BuildHasherDefault};

use super::hash::FxHasher;
use super::table::IdTable;

#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    text: String,
    /// Where each id's text ends in `text` (it starts where the previous one ends).
    ends: Vec<u32>,
    ids: IdTable,
}

/// The hash the index's tables use for a name.
#[inline]
pub(crate) fn hash(s: &str) -> u64 {
    BuildHasherDefault::<FxHasher>::default().hash_one(s)
}

impl Interner {
    /// The id of `s`, added if new.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        let h = hash(s);
        if let Some(id) = self.find_hashed(h, s) {
            return id;
        }
        let id = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        self.ids.insert(h, id);
        id
    }

    fn find_hashed(&self, h: u64, s: &str) -> Option<u32> {
        self.ids.find(h, |id| self.get(id) == s)
    }

    /// The text of `id` (empty for an id this table never gave).
    #[inline]
    pub(crate) fn get(&self, id: u32) -> &str {
        let end = self.ends.get(id as usize).copied().unwrap_or(0) as usize;
        let start = match id.checked_sub(1) {
            Some(prev) => self.ends.get(prev as usize).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.text.get(start..end).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_one_id_per_text() {
        let mut i = Interner::default();
        let a = i.intern("prod");
        let b = i.intern("s12");
        assert_eq!(i.intern("prod"), a);
        assert_ne!(a, b);
        assert_eq!((i.get(a), i.get(b), i.get(99)), ("prod", "s12", ""));
        let e = i.intern("");
        assert_eq!(i.get(e), "");
    }
}
