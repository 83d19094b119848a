//! SQL that does not parse, reported as PostgreSQL reports it: the grammar's own message
//! (`syntax error at or near "x"`) and the character position a client draws its caret under.
//!
//! libpg_query returns that position (`cursorpos`), but the `pg_query` crate keeps only the
//! message, and reading the C struct directly would take `unsafe` code, which this workspace
//! forbids. So the position is found again from the message. `... at end of input` is one
//! past the last character. `... at or near "x"` names the text of the token where the error
//! was found (PostgreSQL's scanner hands the grammar the token's own source text); when `x`
//! occurs more than once, the offending one is the first whose prefix of the SQL, cut right
//! after it, fails with the same message: the grammar reads left to right, so a prefix that
//! stops before the offending token parses, or fails only at its end.

use std::fmt;

use pg_query::ParserOptions;

/// The error PostgreSQL's parser gives for some SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Word for word as PostgreSQL says it.
    pub message: String,
    /// 1-based, in characters of the whole SQL string, as the `P` field counts.
    pub position: Option<u32>,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

const NEAR: &str = " at or near \"";

/// The error for `sql`, which failed to parse with `message` under `options`.
pub(super) fn locate(sql: &str, message: String, options: ParserOptions) -> SyntaxError {
    let position = offset(sql, &message, options)
        .and_then(|at| u32::try_from(sql[..at].chars().count() + 1).ok());
    SyntaxError { message, position }
}

/// The byte offset of the error in `sql`.
fn offset(sql: &str, message: &str, options: ParserOptions) -> Option<usize> {
    if message.ends_with(" at end of input") {
        return Some(sql.len());
    }
    let (_, rest) = message.split_once(NEAR)?;
    let near = rest.strip_suffix('"')?;
    if near.is_empty() {
        return None;
    }
    let candidates = candidates(sql, near);
    let fails_there = |at: usize| {
        matches!(
            pg_query::parse(&sql[..at + near.len()], options),
            Err(pg_query::Error::Parse(m)) if m == message
        )
    };
    // The first candidate that fails there: a prefix that holds the offending token fails
    // with its message, and one that stops short of it does not, so a binary search finds it.
    let first = candidates.partition_point(|&at| !fails_there(at));
    candidates.get(first).copied()
}

/// Where the token `near` may start: the scanner's tokens with exactly that text, or, when
/// the SQL does not scan (the error is the scanner's own), every place the text occurs.
fn candidates(sql: &str, near: &str) -> Vec<usize> {
    if let Ok(tokens) = pg_query::scan_tokens(sql) {
        let found: Vec<usize> = tokens
            .iter()
            .filter_map(|t| {
                let (start, end) = (usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?);
                (sql.get(start..end) == Some(near)).then_some(start)
            })
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    sql.match_indices(near).map(|(at, _)| at).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(sql: &str) -> SyntaxError {
        match pg_query::parse(sql, ParserOptions::DEFAULT) {
            Err(pg_query::Error::Parse(m)) => locate(sql, m, ParserOptions::DEFAULT),
            other => panic!("{sql} parsed: {:?}", other.is_ok()),
        }
    }

    #[test]
    fn positions_are_those_postgresql_reports() {
        let cases = [
            (
                "SELEC * FROM customers",
                "syntax error at or near \"SELEC\"",
                1,
            ),
            ("select 1 from", "syntax error at end of input", 14),
            ("select (", "syntax error at end of input", 9),
            // The same text earlier, in a literal, an alias and a comment, is not the error.
            (
                "select 'a from' from, 1 /* from */ from from",
                "syntax error at or near \",\"",
                21,
            ),
            ("select x y z", "syntax error at or near \"z\"", 12),
            ("select 1; selec 2", "syntax error at or near \"selec\"", 11),
            // Characters, not bytes.
            ("select 'é' é é", "syntax error at or near \"é\"", 14),
            (
                "select 'abc",
                "unterminated quoted string at or near \"'abc\"",
                8,
            ),
        ];
        for (sql, message, position) in cases {
            let e = error(sql);
            assert_eq!(
                (e.message.as_str(), e.position),
                (message, Some(position)),
                "{sql}"
            );
        }
    }
}
