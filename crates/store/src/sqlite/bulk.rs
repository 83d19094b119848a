//! Bulk reads straight from the database file: audit pages and the live grants, on the
//! read-only connections of [`Direct`].
//!
//! Verifying the chain and loading a million grants at start read every row of a table.
//! sqlx hands each row over from its connection thread separately, and that handover cost
//! more than SQLite's own reading (a page aggregated into one JSON value inside SQLite cost
//! as much again in building and parsing the JSON). Here rows are read where SQLite keeps
//! them; each statement sees one committed snapshot.

use rusqlite::types::Value;
use rusqlite::{Row, params_from_iter};
use wicket_core::time::from_millis;
use wicket_core::{AuditEvent, Grant};

use super::chain::COLUMNS;
use super::codec::{millis, prefix_end};
use super::direct::Direct;
use crate::StoreError;
use crate::filter::{self, AuditFilter};

impl Direct {
    /// Events matching `f`, in `seq` order.
    pub(super) async fn events(&self, f: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let (sql, params) = events_query(f);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(params), event)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Every unrevoked grant with `expires_at` after `now_ms`, in the order they were stored,
    /// handed to `each` in pages: SQLite reads the next page on its thread while `each` works
    /// on this one.
    pub(super) async fn live_grants(
        &self,
        now_ms: i64,
        each: &mut (dyn FnMut(Vec<Grant>) + Send),
    ) -> Result<(), StoreError> {
        let (pages, mut received) = tokio::sync::mpsc::channel::<Vec<Grant>>(4);
        let reading = self.read(move |conn| {
            // Only the columns an unrevoked grant has: `revoke` sets `revoked_at`,
            // `revoked_by` and `revoke_reason` together. In table order: ordered by start,
            // a million grants were read through the start index, one random table lookup
            // each (4.8 s in the sqlite3 shell, against 1.2 s for the scan).
            let mut stmt = conn.prepare_cached(
                "SELECT id, user_name, role, request_id, starts_at, expires_at FROM grants \
                 WHERE revoked_at IS NULL AND expires_at > ? ORDER BY rowid",
            )?;
            let rows = stmt.query_map([now_ms], |r| {
                Ok(Grant {
                    id: r.get(0)?,
                    user: r.get(1)?,
                    role: r.get(2)?,
                    request_id: r.get(3)?,
                    starts_at: from_millis(r.get(4)?),
                    expires_at: from_millis(r.get(5)?),
                    revoked_at: None,
                    revoked_by: None,
                    revoke_reason: None,
                })
            })?;
            let mut page = Vec::with_capacity(GRANT_PAGE);
            for grant in rows {
                page.push(grant?);
                if page.len() == GRANT_PAGE {
                    let full = std::mem::replace(&mut page, Vec::with_capacity(GRANT_PAGE));
                    if pages.blocking_send(full).is_err() {
                        // The receiver is gone: nobody wants the rest.
                        return Ok(());
                    }
                }
            }
            if !page.is_empty() {
                let _ = pages.blocking_send(page);
            }
            Ok(())
        });
        let receiving = async {
            while let Some(page) = received.recv().await {
                each(page);
            }
        };
        // The read is polled first, so it is under way before the first page is awaited.
        let (read, ()) = futures_util::future::join(reading, receiving).await;
        read
    }
}

/// Grants per page handed over by [`Direct::live_grants`].
const GRANT_PAGE: usize = 4096;

/// The statement and its parameters for `f`.
fn events_query(f: &AuditFilter) -> (String, Vec<Value>) {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut params = Vec::new();
    let mut cond = |sql_part: &str, value: Value| {
        sql.push_str(sql_part);
        params.push(value);
    };
    if let Some(after) = f.after {
        cond(" AND seq > ?", Value::Integer(after));
    }
    if let Some(request_id) = &f.request_id {
        cond(" AND request_id = ?", Value::Text(request_id.clone()));
    }
    if let Some(grant_id) = &f.grant_id {
        cond(" AND grant_id = ?", Value::Text(grant_id.clone()));
    }
    if let Some(actor) = &f.actor {
        cond(" AND actor = ?", Value::Text(actor.clone()));
    }
    if let Some(kind) = &f.kind {
        // `kind` exactly, or every kind starting with the text before a final `*` (as a
        // range, so the index on `kind` serves it).
        match kind.strip_suffix('*') {
            None => cond(" AND kind = ?", Value::Text(kind.clone())),
            Some(prefix) => {
                cond(" AND kind >= ?", Value::Text(prefix.to_string()));
                if let Some(end) = prefix_end(prefix) {
                    cond(" AND kind < ?", Value::Text(end));
                }
            }
        }
    }
    if let Some(since) = f.since {
        cond(" AND at >= ?", Value::Integer(millis(since)));
    }
    if let Some(until) = f.until {
        cond(" AND at < ?", Value::Integer(millis(until)));
    }
    cond(
        " ORDER BY seq LIMIT ?",
        Value::Integer(filter::limit(f.limit)),
    );
    (sql, params)
}

/// One row of [`COLUMNS`].
fn event(r: &Row<'_>) -> rusqlite::Result<AuditEvent> {
    Ok(AuditEvent {
        seq: r.get(0)?,
        id: r.get(1)?,
        at: from_millis(r.get(2)?),
        actor: r.get(3)?,
        kind: r.get(4)?,
        subject: r.get(5)?,
        action: r.get(6)?,
        resource: r.get(7)?,
        decision: r.get(8)?,
        request_id: r.get(9)?,
        grant_id: r.get(10)?,
        details: r.get(11)?,
        prev_hash: r.get(12)?,
        hash: r.get(13)?,
    })
}
