//! The routes the server registers, read from its router source, so a route added without a
//! row in the matrix fails the test.

use std::collections::BTreeSet;

/// `(METHOD, PATH)` for every `.route(PATH, method(..).method(..))` in `file` (relative to the
/// crate); a path given as a constant is looked up in `consts` (a file of `pub const NAME:
/// &str = "..."` lines).
pub fn registered(file: &str, consts: Option<&str>) -> BTreeSet<(String, String)> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
    let consts = consts.map(|c| std::fs::read_to_string(format!("{dir}/{c}")).unwrap());
    let mut out = BTreeSet::new();
    for chunk in text.split(".route(").skip(1) {
        let end = [
            ".route(",
            ".merge(",
            ".layer(",
            ".fallback(",
            ".with_state(",
        ]
        .iter()
        .filter_map(|m| chunk.find(m))
        .min()
        .unwrap_or(chunk.len());
        let chunk = &chunk[..end];
        let (first, rest) = chunk.split_once(',').unwrap();
        let first = first.trim();
        let path = match first.strip_prefix('"') {
            Some(p) => p.trim_end_matches('"').to_string(),
            None => {
                let name = first.rsplit("::").next().unwrap();
                let consts = consts.as_deref().unwrap();
                let line = consts
                    .lines()
                    .find(|l| l.contains(&format!("const {name}:")))
                    .unwrap_or_else(|| panic!("no constant `{name}` for a route"));
                line.split('"').nth(1).unwrap().to_string()
            }
        };
        let mut found = false;
        for method in ["get", "post", "put", "delete", "patch"] {
            let needle = format!("{method}(");
            let hit = rest.match_indices(&needle).any(|(i, _)| {
                i == 0
                    || !rest.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && rest.as_bytes()[i - 1] != b'_'
            });
            if hit {
                out.insert((method.to_uppercase(), path.clone()));
                found = true;
            }
        }
        assert!(
            found,
            "route `{path}` with no method this test reads: {chunk}"
        );
    }
    assert!(!out.is_empty(), "no routes read from {file}");
    out
}
