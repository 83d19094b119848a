//! "Did you mean": the known name closest to a mistyped one, by edit distance.

/// The candidate closest to `typed`, when it is close enough to be a typo: at most a third of
/// the typed length in edits (at least one, at most three). Ties go to the first candidate.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (typed.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(typed, c);
        if d > 0 && d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit.
pub fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_nothing() {
        let roles = ["orders-db-read", "orders-db-write", "logs-read"];
        assert_eq!(closest("orders-db-raed", roles), Some("orders-db-read"));
        assert_eq!(closest("orders-db-wirte", roles), Some("orders-db-write"));
        assert_eq!(closest("logs-reed", roles), Some("logs-read"));
        assert_eq!(closest("billing", roles), None);
        assert_eq!(
            closest("logs-read", roles),
            None,
            "an exact name is no typo"
        );
        assert_eq!(
            closest("db:selct", ["db:select", "db:delete"]),
            Some("db:select")
        );
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("", "abc"), 3);
    }
}
