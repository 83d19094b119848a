//! `FETCH` and `MOVE`: the cursor they read, and the same statement naming another one. A
//! portal the client bound with the protocol is known upstream by the gateway's name for
//! it, so SQL that reads it (asyncpg moves its cursors with `MOVE FORWARD n "portal"`) is
//! rewritten to name that one.

use serde_json::Value;

use pg_query::protobuf::FetchDirection;

/// PostgreSQL's `FETCH_ALL`: the count of `FETCH ALL`, `FORWARD ALL` and `BACKWARD ALL`.
const ALL: i64 = i64::MAX;

/// A `FETCH` or `MOVE`, as the server reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    /// The cursor or portal it reads, by the client's name.
    pub cursor: String,
    direction: i64,
    how_many: i64,
    is_move: bool,
}

impl Fetch {
    /// The `FetchStmt` with fields `f`.
    pub(super) fn of(f: &Value, cursor: String) -> Fetch {
        Fetch {
            cursor,
            direction: f.get("direction").and_then(Value::as_i64).unwrap_or(0),
            how_many: f.get("how_many").and_then(Value::as_i64).unwrap_or(0),
            is_move: f.get("ismove").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    /// The same statement reading `cursor` instead: every spelling of the grammar (`NEXT`,
    /// `LAST`, `-2`, `ALL`, ...) is one of these four directions with a count.
    pub fn naming(&self, cursor: &str) -> String {
        let verb = if self.is_move { "MOVE" } else { "FETCH" };
        let direction = match FetchDirection::try_from(self.direction as i32) {
            Ok(FetchDirection::FetchBackward) => "BACKWARD",
            Ok(FetchDirection::FetchAbsolute) => "ABSOLUTE",
            Ok(FetchDirection::FetchRelative) => "RELATIVE",
            _ => "FORWARD",
        };
        let count = if self.how_many == ALL {
            "ALL".to_string()
        } else {
            self.how_many.to_string()
        };
        format!("{verb} {direction} {count} FROM {}", quoted(cursor))
    }
}

/// `name` as a quoted identifier.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::sql::{Strings, classify};

    fn renamed(sql: &str) -> String {
        let st = classify(sql, Strings::Conforming).unwrap().remove(0);
        st.fetch.unwrap().naming("__wicket_p1")
    }

    #[test]
    fn every_spelling_reads_the_same_rows_of_the_other_cursor() {
        let cases = [
            ("fetch c", "FETCH FORWARD 1 FROM \"__wicket_p1\""),
            ("FETCH NEXT FROM c", "FETCH FORWARD 1 FROM \"__wicket_p1\""),
            ("fetch prior in c", "FETCH BACKWARD 1 FROM \"__wicket_p1\""),
            ("fetch first c", "FETCH ABSOLUTE 1 FROM \"__wicket_p1\""),
            ("fetch last c", "FETCH ABSOLUTE -1 FROM \"__wicket_p1\""),
            ("fetch 10 c", "FETCH FORWARD 10 FROM \"__wicket_p1\""),
            ("fetch -3 from c", "FETCH FORWARD -3 FROM \"__wicket_p1\""),
            ("fetch all c", "FETCH FORWARD ALL FROM \"__wicket_p1\""),
            (
                "fetch backward all c",
                "FETCH BACKWARD ALL FROM \"__wicket_p1\"",
            ),
            (
                "fetch relative 0 c",
                "FETCH RELATIVE 0 FROM \"__wicket_p1\"",
            ),
            (
                "MOVE FORWARD 5 \"__asyncpg_portal_3__\"",
                "MOVE FORWARD 5 FROM \"__wicket_p1\"",
            ),
            (
                "move absolute -2 in c",
                "MOVE ABSOLUTE -2 FROM \"__wicket_p1\"",
            ),
        ];
        for (sql, expected) in cases {
            let out = renamed(sql);
            assert_eq!(out, expected, "{sql}");
            // And the server's grammar reads it back the same (named otherwise here: the
            // classifier refuses the gateway's own names).
            let again = out.replace("__wicket_p1", "p1");
            let back = classify(&again, Strings::Conforming).unwrap().remove(0);
            let orig = classify(sql, Strings::Conforming).unwrap().remove(0);
            let (back, orig) = (back.fetch.unwrap(), orig.fetch.unwrap());
            assert_eq!(
                (back.direction, back.how_many, back.is_move),
                (orig.direction, orig.how_many, orig.is_move),
                "{sql}"
            );
        }
        assert_eq!(super::quoted("a\"b"), "\"a\"\"b\"");
    }
}
