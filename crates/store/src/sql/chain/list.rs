//! Reading the audit chain back: the statement for a filter, and an event from its row. Both
//! serve PostgreSQL through sqlx and SQLite on its direct connections (`sqlite::bulk`).

use wicket_core::AuditEvent;

use super::COLUMNS;
use crate::StoreError;
use crate::filter::{self, AuditFilter};
use crate::sql::{Columns, Conn, Dialect, Statement, Value, fetch_all_decoded};

/// Events matching `f`, in `seq` order (descending when `f.newest_first`).
pub(crate) async fn list<C: Conn>(
    conn: &mut C,
    f: &AuditFilter,
) -> Result<Vec<AuditEvent>, StoreError> {
    let st = list_statement(C::DIALECT, f);
    fetch_all_decoded(conn, &st, decode).await
}

/// The `SELECT` of the events matching `f`, in `seq` order.
pub(crate) fn list_statement(dialect: Dialect, f: &AuditFilter) -> Statement<'_> {
    let mut st = Statement::select(dialect, COLUMNS, "audit_events WHERE true");
    st.and_if(" AND seq > ", f.after)
        .and_if(" AND seq < ", f.before)
        .and_if(" AND request_id = ", f.request_id.as_deref())
        .and_if(" AND grant_id = ", f.grant_id.as_deref())
        .and_if(" AND actor = ", f.actor.as_deref());
    if let Some(kind) = &f.kind {
        // `kind` exactly, or every kind starting with the text before a final `*`, as a range
        // that the index on `kind` serves (both backends compare kinds by code point: SQLite
        // by its binary collation, PostgreSQL by the column's `COLLATE "C"`).
        match kind.strip_suffix('*') {
            None => st.push(" AND kind = ").bind(kind.as_str()),
            Some(prefix) => {
                st.push(" AND kind >= ").bind(prefix);
                if let Some(end) = prefix_end(prefix) {
                    st.push(" AND kind < ").bind(end);
                }
                &mut st
            }
        };
    }
    st.and_if(" AND at >= ", f.since.map(Value::Bound))
        .and_if(" AND at < ", f.until.map(Value::Bound))
        .push(if f.newest_first {
            " ORDER BY seq DESC LIMIT "
        } else {
            " ORDER BY seq LIMIT "
        })
        .bind(filter::limit(f.limit));
    st
}

/// An event from a row selected as [`COLUMNS`].
pub(crate) fn decode(row: &impl Columns) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: row.int(0)?,
        id: row.text(1)?,
        at: row.time(2)?,
        actor: row.text(3)?,
        kind: row.text(4)?,
        subject: row.opt_text(5)?,
        action: row.opt_text(6)?,
        resource: row.opt_text(7)?,
        decision: row.opt_text(8)?,
        request_id: row.opt_text(9)?,
        grant_id: row.opt_text(10)?,
        details: row.text(11)?,
        prev_hash: row.text(12)?,
        hash: row.text(13)?,
    })
}

/// The upper bound of the strings starting with `prefix`, in code point order (which is
/// UTF-8 byte order): `request.` gives `request/`. `None` when there is none (`prefix` is
/// empty or all `char::MAX`).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_exactly_the_prefixed_strings() {
        assert_eq!(prefix_end("request.").as_deref(), Some("request/"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end(""), None);
        let end = prefix_end("grant.").unwrap_or_default();
        assert_eq!(end, "grant/");
        for kind in ["grant.", "grant.expired", "grant.\u{10FFFF}x"] {
            assert!(kind >= "grant." && kind < end.as_str(), "{kind}");
        }
        for kind in ["grant", "grant/", "grants", "request.expired"] {
            assert!(!(kind >= "grant." && kind < end.as_str()), "{kind}");
        }
    }
}
