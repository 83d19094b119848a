//! An open-addressing table of `u32` ids by hash, for the index's lookups by name: a probe
//! reads 8-byte slots in one run of memory, and the caller, who knows where an id's text
//! lives, confirms the match.
//!
//! The maps it replaces kept each key behind a pointer of its own, so a lookup read the
//! table, the bucket and then the key elsewhere in memory; here the key is compared where the
//! caller keeps it anyway (inline in the entry that a lookup goes on to read).

const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The low 32 bits of the hash: where the probe starts and a first filter.
    tag: u32,
    id: u32,
}

/// Ids by hash, with linear probing, at most half full. Ids are never removed: the tables
/// that use it are built once per index.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdTable {
    slots: Vec<Slot>,
    len: usize,
}

impl IdTable {
    /// The id with hash `hash` for which `is` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let tag = hash as u32;
        let mut i = tag as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot.id == EMPTY {
                return None;
            }
            if slot.tag == tag && is(slot.id) {
                return Some(slot.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `id` under `hash`; the caller has checked with [`IdTable::find`] that it is new.
    pub(crate) fn insert(&mut self, hash: u64, id: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.place(hash as u32, id);
        self.len += 1;
    }

    fn place(&mut self, tag: u32, id: u32) {
        let mask = self.slots.len() - 1;
        let mut i = tag as usize & mask;
        while self.slots[i].id != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { tag, id };
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![Slot { tag: 0, id: EMPTY }; size]);
        for slot in old.into_iter().filter(|s| s.id != EMPTY) {
            self.place(slot.tag, slot.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_among_colliding_hashes() {
        let names: Vec<String> = (0..1000).map(|i| format!("n{i}")).collect();
        let mut t = IdTable::default();
        // Every tenth name shares one hash: the caller's check tells them apart.
        let hash = |i: usize| {
            if i.is_multiple_of(10) {
                7
            } else {
                i as u64 * 0x9e37_79b9
            }
        };
        for i in 0..names.len() {
            t.insert(hash(i), i as u32);
        }
        for i in 0..names.len() {
            let found = t.find(hash(i), |id| names[id as usize] == names[i]);
            assert_eq!(found, Some(i as u32));
        }
        assert_eq!(t.find(7, |id| names[id as usize] == "absent"), None);
        assert_eq!(IdTable::default().find(7, |_| true), None);
    }
}
