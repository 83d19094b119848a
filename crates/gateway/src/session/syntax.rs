//! SQL that does not parse, worded by the server's own grammar without anything being run.
//!
//! The gateway's parser is libpg_query, whose grammar is a later PostgreSQL's: it finds the
//! same SQL unparseable, but its messages can differ from the server's, and it keeps neither
//! the position of an error a grammar rule raises nor its detail and hint. So the stand-in of
//! an unparseable statement is a `Parse` of `SELECT;SELECT;` followed by the client's SQL.
//! PostgreSQL's `Parse` first runs the raw parser over the whole text (no catalog access, no
//! user code), then refuses more than one statement before analysing any: the server answers
//! either the grammar's error for the client's SQL, word for word with its position, detail
//! and hint (the position, less the prefix, goes to the client), or `cannot insert multiple
//! commands into a prepared statement` when its grammar reads the SQL after all, which is
//! replaced by the gateway's own syntax error. Either way nothing is planned or run, and no
//! statement is made: the `Parse` always fails.

use std::sync::Mutex;

use bytes::{Bytes, BytesMut};

use super::State;
use super::client::lock;
use crate::protocol::error_response::ErrorFields;
use crate::protocol::parse::Parse;
use crate::protocol::put_frame;

/// Two empty statements: whatever follows, the server's raw parser either fails on it or
/// finds more than one statement.
pub const PREFIX: &str = "SELECT;SELECT;";

/// The function of PostgreSQL's that refuses a `Parse` of several statements.
const MULTIPLE_COMMANDS: &str = "exec_parse_message";

/// Sends the stand-in for `sql`, which the gateway could not parse (`fallback` is its own
/// error for it); `simple` when it came in a `Query`, which a `Sync` then ends.
pub(super) fn stand_in(
    state: &Mutex<State>,
    out: &mut BytesMut,
    fallback: ErrorFields,
    sql: &str,
    simple: bool,
) {
    let mut st = lock(state);
    let nonce = st.inflight.nonce();
    Parse {
        name: nonce.clone(),
        sql: format!("{PREFIX}{sql}"),
        types: Bytes::from_static(&[0, 0]),
    }
    .encode_as(out, &nonce);
    if simple {
        put_frame(out, b'S', |_| {});
    }
    st.inflight.syntax(fallback, simple);
}

/// The error the client gets for the server's answer `server` to a stand-in: the server's
/// grammar error with its position moved back over the prefix, or `fallback` when the
/// server's grammar read the SQL (or the answer is anything else).
pub fn reworded(server: &ErrorFields, fallback: &ErrorFields) -> ErrorFields {
    let grammar = match server.get(b'R') {
        Some(routine) => routine != MULTIPLE_COMMANDS,
        None => server.message() != "cannot insert multiple commands into a prepared statement",
    };
    if !grammar {
        return fallback.clone();
    }
    match unshifted(server) {
        Some(e) => e,
        None => fallback.clone(),
    }
}

/// `e` with its position (`P`), if it has one, counted in the client's SQL; `None` when the
/// position is inside the prefix.
pub fn unshifted(e: &ErrorFields) -> Option<ErrorFields> {
    let prefix = PREFIX.chars().count() as u64;
    let mut out = e.clone();
    for (field, value) in &mut out.fields {
        if *field == b'P' {
            let at: u64 = value.parse().ok()?;
            *value = at.checked_sub(prefix).filter(|p| *p > 0)?.to_string();
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway() -> ErrorFields {
        ErrorFields::error("42601", "syntax error at or near \"x\"").with(b'P', "3")
    }

    #[test]
    fn the_servers_grammar_error_keeps_its_words_and_moves_its_position() {
        let server = ErrorFields::error("22023", "column number must be in range from 1 to 32767")
            .with(b'P', "58")
            .with(b'H', "a hint")
            .with(b'R', "base_yyparse");
        let e = reworded(&server, &gateway());
        assert_eq!(e.code(), "22023");
        assert_eq!(e.get(b'P'), Some("44"));
        assert_eq!(e.get(b'H'), Some("a hint"));
    }

    #[test]
    fn sql_the_server_reads_gets_the_gateways_error() {
        let multiple = ErrorFields::error(
            "42601",
            "cannot insert multiple commands into a prepared statement",
        );
        assert_eq!(reworded(&multiple, &gateway()), gateway());
        // Translated, it is still told by the routine that raised it.
        let translated =
            ErrorFields::error("42601", "mehrere Befehle").with(b'R', "exec_parse_message");
        assert_eq!(reworded(&translated, &gateway()), gateway());
        // A position inside the prefix is not the client's.
        let inside = ErrorFields::error("42601", "x")
            .with(b'P', "7")
            .with(b'R', "scanner_yyerror");
        assert_eq!(reworded(&inside, &gateway()), gateway());
    }
}
