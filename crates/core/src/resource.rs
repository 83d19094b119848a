//! Resources (`postgres/prod/orders`) and resource patterns (`*` one segment, `**` any depth).

use crate::error::{ParseError, Parsed};
use std::fmt;

const MAX_SEGMENTS: usize = 64;

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && c != '*' && c != '/')
}

/// A concrete resource path such as `postgres/prod/orders/public/orders`.
// INVARIANT: 1..=64 non-empty segments without `*`, whitespace or control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource {
    text: String,
}

/// A name from another system (a schema, a table, a host, a login) as one resource segment.
///
/// Names are segments, never paths: `%`, `/`, `*`, whitespace and control characters are
/// written as `%XX` (UTF-8 bytes, uppercase hex), so `"reports/hr"` is the one segment
/// `reports%2Fhr` and can never fall under a pattern for `reports/**`, and `"my table"` is
/// `my%20table`. Every other character stays as it is, so ordinary names read as written.
pub fn segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c == '%' || c == '/' || c == '*' || c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        // No system names a thing with nothing; if one does, it is not a path.
        out.push_str("%22%22");
    }
    out
}

impl Resource {
    /// A resource the code names itself, valid by construction (checked by the tests of the
    /// place that names it).
    pub(crate) fn known(s: &'static str) -> Resource {
        Resource {
            text: s.to_string(),
        }
    }

    pub fn parse(s: &str) -> Result<Resource, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::Resource, m))
    }

    fn read(s: &str) -> Result<Resource, String> {
        if s.is_empty() {
            return Err("resource is empty; write a path like `postgres/prod/orders`".into());
        }
        // Counted, not collected: a check parses its resource on every request.
        if s.bytes().filter(|&b| b == b'/').count() + 1 > MAX_SEGMENTS {
            return Err(format!("resource has more than {MAX_SEGMENTS} segments"));
        }
        if let Some(bad) = s.split('/').find(|seg| !valid_segment(seg)) {
            return Err(if bad.is_empty() {
                format!("resource `{s}` has an empty segment (a leading, trailing or double `/`)")
            } else {
                format!(
                    "resource `{s}` has an invalid segment `{bad}` (no `*`, spaces or control characters)"
                )
            });
        }
        Ok(Resource {
            text: s.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.text.split('/')
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Segment {
    Literal(String),
    /// `*`: exactly one segment.
    One,
    /// `**`: zero or more segments.
    Any,
}

/// A resource pattern such as `postgres/prod/*/orders` or `postgres/prod/**`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourcePattern {
    text: String,
    segments: Vec<Segment>,
}

impl ResourcePattern {
    pub fn parse(s: &str) -> Result<ResourcePattern, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::ResourcePattern, m))
    }

    fn read(s: &str) -> Result<ResourcePattern, String> {
        if s.is_empty() {
            return Err("resource pattern is empty; write a path like `postgres/prod/**`".into());
        }
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() > MAX_SEGMENTS {
            return Err(format!(
                "resource pattern has more than {MAX_SEGMENTS} segments"
            ));
        }
        let mut segments = Vec::with_capacity(parts.len());
        for part in parts {
            let seg = match part {
                "*" => Segment::One,
                "**" => {
                    if segments.last() == Some(&Segment::Any) {
                        continue; // `**/**` is the same as `**`
                    }
                    Segment::Any
                }
                p if p.contains('*') => {
                    return Err(format!(
                        "resource pattern `{s}` has `{p}`: `*` and `**` must be whole segments"
                    ));
                }
                p if valid_segment(p) => Segment::Literal(p.to_string()),
                "" => {
                    return Err(format!(
                        "resource pattern `{s}` has an empty segment (a leading, trailing or double `/`)"
                    ));
                }
                p => {
                    return Err(format!(
                        "resource pattern `{s}` has an invalid segment `{p}` (no spaces or control characters)"
                    ));
                }
            };
            segments.push(seg);
        }
        Ok(ResourcePattern {
            text: s.to_string(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern has no wildcard.
    pub fn is_exact(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)))
    }

    /// The literal prefix before the first wildcard, as segments.
    pub fn literal_prefix(&self) -> Vec<&str> {
        self.segments
            .iter()
            .map_while(|s| match s {
                Segment::Literal(l) => Some(l.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn matches(&self, resource: &Resource) -> bool {
        let path: Vec<&str> = resource.segments().collect();
        match_segments(&self.segments, &path)
    }

    /// True when every resource this pattern matches is also matched by `other`.
    pub fn within(&self, other: &ResourcePattern) -> bool {
        within(&self.segments, &other.segments)
    }

    /// How broad the pattern is: wildcards count, `**` most.
    pub fn breadth(&self) -> u32 {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 0,
                Segment::One => 1,
                Segment::Any => 4,
            })
            .sum()
    }
}

/// Matches with `**` backtracking bounded by the path length: O(pattern × path).
fn match_segments(pattern: &[Segment], path: &[&str]) -> bool {
    // dp[j] = pattern[..i] matches path[..j]
    let mut dp = vec![false; path.len() + 1];
    dp[0] = true;
    for seg in pattern {
        let mut next = vec![false; path.len() + 1];
        match seg {
            Segment::Any => {
                let mut reachable = false;
                for j in 0..=path.len() {
                    reachable |= dp[j];
                    next[j] = reachable;
                }
            }
            Segment::One => next[1..].copy_from_slice(&dp[..path.len()]),
            Segment::Literal(l) => {
                for j in 1..=path.len() {
                    next[j] = dp[j - 1] && path[j - 1] == l;
                }
            }
        }
        dp = next;
    }
    dp[path.len()]
}

/// Language inclusion of segment patterns: is every path matched by `a` matched by `b`?
///
/// `memo[i][j]` answers it for `a[i..]` and `b[j..]`, filled from the ends so each pair is
/// decided once: O(a × b), where plain recursion is exponential in the `**`s of `b`.
fn within(a: &[Segment], b: &[Segment]) -> bool {
    let mut memo = vec![vec![false; b.len() + 1]; a.len() + 1];
    for i in (0..=a.len()).rev() {
        for j in (0..=b.len()).rev() {
            memo[i][j] = match (a.get(i), b.get(j)) {
                (None, None) => true,
                (None, Some(Segment::Any)) => memo[i][j + 1],
                (None, Some(_)) => false,
                (Some(_), None) => false,
                // `**` in b absorbs zero or more of a's leading segments (a `**` in a only as a whole).
                (Some(_), Some(Segment::Any)) => memo[i][j + 1] || memo[i + 1][j],
                (Some(Segment::Any), Some(_)) => false,
                (Some(Segment::One), Some(Segment::One)) => memo[i + 1][j + 1],
                (Some(Segment::One), Some(Segment::Literal(_))) => false,
                (Some(Segment::Literal(x)), Some(Segment::Literal(y))) => {
                    x == y && memo[i + 1][j + 1]
                }
                (Some(Segment::Literal(_)), Some(Segment::One)) => memo[i + 1][j + 1],
            };
        }
    }
    memo[0][0]
}

impl fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> ResourcePattern {
        ResourcePattern::parse(s).unwrap()
    }
    fn r(s: &str) -> Resource {
        Resource::parse(s).unwrap()
    }

    #[test]
    fn single_star_is_one_segment() {
        assert!(p("postgres/*/orders").matches(&r("postgres/prod/orders")));
        assert!(!p("postgres/*/orders").matches(&r("postgres/prod/eu/orders")));
        assert!(!p("postgres/*").matches(&r("postgres")));
    }

    #[test]
    fn double_star_is_any_depth_including_zero() {
        let pat = p("postgres/prod/orders/**");
        assert!(pat.matches(&r("postgres/prod/orders")));
        assert!(pat.matches(&r("postgres/prod/orders/public/orders")));
        assert!(!pat.matches(&r("postgres/prod/ordersx")));
        assert!(!pat.matches(&r("postgres/staging/orders")));
        assert!(p("**").matches(&r("anything/at/all")));
        assert!(p("a/**/z").matches(&r("a/z")));
        assert!(p("a/**/z").matches(&r("a/b/c/z")));
        assert!(!p("a/**/z").matches(&r("a/b/c")));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "/a", "a/", "a//b", "a/b*", "a/**x", "a b/c"] {
            assert!(ResourcePattern::parse(bad).is_err(), "{bad}");
        }
        for bad in ["", "a/*", "a/**", "/a", "a/", "a//b"] {
            assert!(Resource::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn inclusion() {
        assert!(p("a/b/c").within(&p("a/*/c")));
        assert!(p("a/*/c").within(&p("a/**")));
        assert!(p("a/**").within(&p("**")));
        assert!(!p("a/**").within(&p("a/*")));
        assert!(!p("a/*").within(&p("a/b")));
        assert!(p("a/b/**").within(&p("a/**")));
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a".to_string()),
            Just("b".to_string()),
            Just("*".to_string()),
            Just("**".to_string())
        ]
    }

    fn pattern() -> impl Strategy<Value = ResourcePattern> {
        prop::collection::vec(segment(), 1..5).prop_map(|s| p(&s.join("/")))
    }

    fn resource() -> impl Strategy<Value = Resource> {
        prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("c")], 1..6)
            .prop_map(|s| r(&s.join("/")))
    }

    /// A straightforward recursive matcher to check the dynamic-programming one against.
    fn reference(pat: &[&str], path: &[&str]) -> bool {
        match pat.first() {
            None => path.is_empty(),
            Some(&"**") => (0..=path.len()).any(|k| reference(&pat[1..], &path[k..])),
            Some(&"*") => !path.is_empty() && reference(&pat[1..], &path[1..]),
            Some(lit) => path.first() == Some(lit) && reference(&pat[1..], &path[1..]),
        }
    }

    #[test]
    fn names_are_escaped_not_split() {
        assert_eq!(super::segment("orders"), "orders");
        assert_eq!(super::segment("reports/hr"), "reports%2Fhr");
        assert_eq!(super::segment("my table"), "my%20table");
        assert_eq!(super::segment("a*b"), "a%2Ab");
        assert_eq!(super::segment("100%"), "100%25");
        assert_eq!(super::segment("Ünïcode"), "Ünïcode");
        assert_eq!(super::segment("tab\there"), "tab%09here");
        assert!(
            !p("postgres/prod/reports/**").matches(
                &Resource::parse(&format!(
                    "postgres/prod/{}/salaries",
                    super::segment("reports/hr")
                ))
                .unwrap()
            )
        );
    }

    proptest! {
        #[test]
        fn matcher_agrees_with_reference(pat in pattern(), res in resource()) {
            let segs: Vec<&str> = pat.as_str().split('/').collect();
            let path: Vec<&str> = res.segments().collect();
            prop_assert_eq!(pat.matches(&res), reference(&segs, &path));
        }

        #[test]
        fn exact_pattern_matches_only_itself(res in resource(), other in resource()) {
            let pat = p(res.as_str());
            prop_assert!(pat.matches(&res));
            prop_assert_eq!(pat.matches(&other), res == other);
        }

        #[test]
        fn within_is_sound(a in pattern(), b in pattern(), res in resource()) {
            if a.within(&b) && a.matches(&res) {
                prop_assert!(b.matches(&res), "{} within {} but {} only matched by the first", a, b, res);
            }
        }

        #[test]
        fn a_name_is_always_one_segment_and_never_another_name(a in "\\PC{0,12}|[a-z/* %]{0,8}", b in "\\PC{0,12}|[a-z/* %]{0,8}") {
            let (sa, sb) = (super::segment(&a), super::segment(&b));
            let r = Resource::parse(&format!("postgres/{}", sa)).unwrap();
            prop_assert_eq!(r.segments().count(), 2);
            let under = p("postgres/reports/**").matches(&Resource::parse(&format!("postgres/{}/t", sa)).unwrap());
            prop_assert!(!under || a == "reports");
            if a != b && !a.is_empty() && !b.is_empty() {
                prop_assert_ne!(sa, sb);
            }
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = ResourcePattern::parse(&s);
            let _ = Resource::parse(&s);
        }
    }
}
