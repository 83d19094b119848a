//! The trie of literal resource prefixes, flat: nodes in one `Vec` addressed by `u32`, every
//! edge of every node in one table keyed by (parent, segment), segment texts interned once.
//!
//! A step down reads one slot of the edge table and the child node, which keeps the first
//! bytes of its segment inline to confirm the match (the per-node maps this replaces read a
//! map header, a bucket and the key's own allocation at each level).

use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use super::hash::FxHasher;
use super::interner::Interner;
use super::short::Short;
use super::table::IdTable;

/// The root: the node of the empty prefix.
pub(crate) const ROOT: u32 = 0;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Node {
    parent: u32,
    /// The segment leading here from `parent`, by id in [`Trie::segments`].
    seg: u32,
    key: Short,
    /// The rules whose literal prefix ends here: `rules[start..end]` of the rule table.
    pub(crate) start: u32,
    pub(crate) end: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Trie {
    pub(crate) nodes: Vec<Node>,
    edges: IdTable,
    pub(crate) segments: Interner,
}

#[inline]
fn edge_hash(parent: u32, seg: &str) -> u64 {
    let mut h = BuildHasherDefault::<FxHasher>::default().build_hasher();
    h.write_u32(parent);
    h.write(seg.as_bytes());
    h.finish()
}

impl Trie {
    pub(crate) fn new() -> Trie {
        Trie {
            nodes: vec![Node::default()],
            edges: IdTable::default(),
            segments: Interner::default(),
        }
    }

    /// The child of `parent` by segment `seg`, if the trie has it.
    #[inline]
    pub(crate) fn child(&self, parent: u32, seg: &str) -> Option<u32> {
        self.edges.find(edge_hash(parent, seg), |c| {
            let n = &self.nodes[c as usize];
            n.parent == parent && n.key.is(seg, || self.segments.get(n.seg))
        })
    }

    /// The node of `prefix`, added with the nodes leading to it if new.
    pub(crate) fn insert(&mut self, prefix: &[&str]) -> u32 {
        let mut node = ROOT;
        for seg in prefix {
            node = match self.child(node, seg) {
                Some(child) => child,
                None => {
                    let child = self.nodes.len() as u32;
                    self.nodes.push(Node {
                        parent: node,
                        seg: self.segments.intern(seg),
                        key: Short::new(seg),
                        start: 0,
                        end: 0,
                    });
                    self.edges.insert(edge_hash(node, seg), child);
                    child
                }
            };
        }
        node
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_children_by_parent_and_segment() {
        let mut t = Trie::new();
        let a = t.insert(&["pg", "prod", "a-segment-longer-than-twelve"]);
        let b = t.insert(&["pg", "staging"]);
        let pg = t.child(ROOT, "pg").unwrap();
        let prod = t.child(pg, "prod").unwrap();
        assert_eq!(t.child(prod, "a-segment-longer-than-twelve"), Some(a));
        assert_eq!(t.child(prod, "a-segment-longer-than-twelvf"), None);
        assert_eq!(t.child(pg, "staging"), Some(b));
        assert_eq!(t.child(ROOT, "prod"), None);
        assert_eq!(t.child(prod, "staging"), None);
        assert_eq!(t.insert(&["pg", "staging"]), b);
        assert_eq!(t.insert(&[]), ROOT);
        assert_eq!(t.nodes.len(), 5);
    }
}
