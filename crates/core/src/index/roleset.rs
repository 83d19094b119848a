//! The roles a check matched, collected without allocating in the common case.

/// The roles a check matched: a few on the stack, more on the heap; sorted and deduplicated
/// by [`RoleSet::finish`].
pub(crate) struct RoleSet {
    inline: [u32; 16],
    len: usize,
    heap: Vec<u32>,
}

impl RoleSet {
    pub(crate) fn new() -> RoleSet {
        RoleSet {
            inline: [0; 16],
            len: 0,
            heap: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, role: u32) {
        if self.len < self.inline.len() {
            self.inline[self.len] = role;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(role);
        }
        self.len += 1;
    }

    /// The roles, sorted, each once.
    pub(crate) fn finish(&mut self) -> &[u32] {
        let all = if self.heap.is_empty() {
            &mut self.inline[..self.len]
        } else {
            &mut self.heap[..]
        };
        all.sort_unstable();
        let mut kept = 0;
        for i in 0..all.len() {
            if kept == 0 || all[i] != all[kept - 1] {
                all[kept] = all[i];
                kept += 1;
            }
        }
        &all[..kept]
    }
}
