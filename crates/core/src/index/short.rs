//! A name's first bytes kept inline in the entry that a lookup reads anyway, so confirming a
//! hash match needs no trip to the name's own allocation (users' names, path segments).

/// Names of at most this many bytes are compared inline.
const INLINE: usize = 12;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Short {
    len: u32,
    bytes: [u8; INLINE],
}

impl Short {
    pub(crate) fn new(s: &str) -> Short {
        let mut bytes = [0u8; INLINE];
        let n = s.len().min(INLINE);
        bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
        Short {
            len: u32::try_from(s.len()).unwrap_or(u32::MAX),
            bytes,
        }
    }

    /// Whether `s` is the name this was made from; `full` gives that name, and is called
    /// only for a name too long to be kept inline.
    #[inline]
    pub(crate) fn is<'a>(&self, s: &str, full: impl FnOnce() -> &'a str) -> bool {
        if self.len as usize <= INLINE {
            s.len() == self.len as usize && self.bytes[..s.len()] == *s.as_bytes()
        } else {
            full() == s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_short_names_inline_and_long_ones_in_full() {
        let a = Short::new("u123");
        assert!(a.is("u123", || unreachable!()));
        assert!(!a.is("u12", || unreachable!()));
        assert!(!a.is("u1234", || unreachable!()));
        assert!(Short::new("").is("", || unreachable!()));
        let long = "a-rather-long-user-name";
        let b = Short::new(long);
        assert!(b.is(long, || long));
        assert!(!b.is("a-rather-long-user-nam", || long));
        assert!(!b.is("a-rather-long-user-name", || "a-rather-long-user-namf"));
    }
}
