//! Resource patterns compiled for the decision index: a literal prefix (the trie key) and a
//! wildcard tail matched against path segments without allocating.

use crate::resource::{Resource, ResourcePattern};

/// One segment of a pattern's tail; a literal is its text, or its id in the index's table of
/// segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seg<L> {
    Literal(L),
    /// `*`: exactly one segment.
    One,
    /// `**`: zero or more segments.
    Any,
}

/// Splits `pattern` into its literal prefix and the tail from the first wildcard on.
///
/// A pattern that parsed has `*` and `**` only as whole segments, so splitting its text on
/// `/` gives back exactly the segments it was parsed from.
pub(crate) fn compile(pattern: &ResourcePattern) -> (Vec<&str>, Vec<Seg<&str>>) {
    let parts: Vec<&str> = pattern.as_str().split('/').collect();
    let literal = parts.iter().take_while(|p| !p.contains('*')).count();
    let mut tail: Vec<Seg<&str>> = Vec::with_capacity(parts.len() - literal);
    for part in &parts[literal..] {
        let seg = match *part {
            "*" => Seg::One,
            "**" if tail.last() == Some(&Seg::Any) => continue,
            "**" => Seg::Any,
            lit => Seg::Literal(lit),
        };
        tail.push(seg);
    }
    (parts[..literal].to_vec(), tail)
}

/// Whether `tail` matches all of `path`: wildcard matching with backtracking to the last
/// `**`, linear in practice and O(tail × path) at worst. `is(literal, segment)` says whether a
/// literal of the tail is that segment of the path.
pub(crate) fn matches<L>(tail: &[Seg<L>], path: &[&str], is: impl Fn(&L, &str) -> bool) -> bool {
    let (mut p, mut s) = (0, 0);
    // After a `**`: where the pattern resumes, and the path position it has absorbed up to.
    let mut star: Option<(usize, usize)> = None;
    while s < path.len() {
        match tail.get(p) {
            Some(Seg::Any) => {
                star = Some((p + 1, s));
                p += 1;
                continue;
            }
            Some(Seg::One) => {
                p += 1;
                s += 1;
                continue;
            }
            Some(Seg::Literal(l)) if is(l, path[s]) => {
                p += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((resume, absorbed)) => {
                star = Some((resume, absorbed + 1));
                p = resume;
                s = absorbed + 1;
            }
            None => return false,
        }
    }
    tail[p.min(tail.len())..]
        .iter()
        .all(|seg| matches!(seg, Seg::Any))
}

/// Segments that fit here are split without allocating; deeper paths go to the heap.
const INLINE: usize = 16;

/// A resource split into segments once per check.
pub(crate) struct Path<'a> {
    inline: [&'a str; INLINE],
    heap: Vec<&'a str>,
    len: usize,
}

impl<'a> Path<'a> {
    #[inline(always)]
    pub(crate) fn new(resource: &'a Resource) -> Path<'a> {
        let mut path = Path {
            inline: [""; INLINE],
            heap: Vec::new(),
            len: 0,
        };
        let text = resource.as_str();
        let mut start = 0;
        for (i, b) in text.bytes().enumerate() {
            if b == b'/' {
                path.push(&text[start..i]);
                start = i + 1;
            }
        }
        path.push(&text[start..]);
        path
    }

    #[inline(always)]
    fn push(&mut self, seg: &'a str) {
        if self.len < INLINE {
            self.inline[self.len] = seg;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(seg);
        }
        self.len += 1;
    }

    pub(crate) fn segments(&self) -> &[&'a str] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(pattern: &str, resource: &str) -> bool {
        let pattern = ResourcePattern::parse(pattern).unwrap();
        let resource = Resource::parse(resource).unwrap();
        let (prefix, tail) = compile(&pattern);
        let path = Path::new(&resource);
        let segs = path.segments();
        segs.len() >= prefix.len()
            && segs[..prefix.len()] == prefix[..]
            && matches(&tail, &segs[prefix.len()..], |l, s| *l == s)
    }

    #[test]
    fn compiles_prefix_and_tail() {
        let p = ResourcePattern::parse("a/b/*/c/**/**").unwrap();
        let (prefix, tail) = compile(&p);
        assert_eq!(prefix, vec!["a", "b"]);
        assert_eq!(&*tail, &[Seg::One, Seg::Literal("c"), Seg::Any]);
    }

    #[test]
    fn deep_paths_spill_to_the_heap() {
        let deep = (0..40)
            .map(|i| format!("s{i}"))
            .collect::<Vec<_>>()
            .join("/");
        assert!(check("s0/**/s39", &deep));
        assert!(!check("s0/**/s38", &deep));
        assert_eq!(
            Path::new(&Resource::parse(&deep).unwrap()).segments().len(),
            40
        );
    }

    fn segment() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just("a"), Just("b"), Just("*"), Just("**")]
    }

    proptest! {
        #[test]
        fn agrees_with_resource_pattern(
            pat in prop::collection::vec(segment(), 1..6),
            res in prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("c")], 1..20),
        ) {
            let (pat, res) = (pat.join("/"), res.join("/"));
            let expected = ResourcePattern::parse(&pat).unwrap().matches(&Resource::parse(&res).unwrap());
            prop_assert_eq!(check(&pat, &res), expected, "{} on {}", pat, res);
        }
    }
}
