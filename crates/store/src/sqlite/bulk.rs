//! Bulk reads straight from the database file: audit pages and the live grants, on the
//! read-only connections of [`Direct`].
//!
//! Verifying the chain and loading a million grants at start read every row of a table.
//! sqlx hands each row over from its connection thread separately, and that handover cost
//! more than SQLite's own reading (a page aggregated into one JSON value inside SQLite cost
//! as much again in building and parsing the JSON). Here rows are read where SQLite keeps
//! them; each statement sees one committed snapshot. SQLite's own path, kept for speed; the
//! audit page's statement and decoding are the shared ones (`sql::chain`).

use rusqlite::params_from_iter;
use wicket_core::time::from_millis;
use wicket_core::{AuditEvent, Grant};

use super::direct::Direct;
use crate::StoreError;
use crate::filter::AuditFilter;
use crate::sql::{Dialect, chain};

impl Direct {
    /// Events matching `f`, in `seq` order.
    pub(super) async fn events(&self, f: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let f = f.clone();
        self.read(move |conn| {
            let st = chain::list_statement(Dialect::Sqlite, &f);
            let mut stmt = conn.prepare_cached(st.sql())?;
            let mut rows = stmt.query(params_from_iter(st.values()))?;
            let mut events = Vec::new();
            while let Some(row) = rows.next()? {
                events.push(chain::decode(row)?);
            }
            Ok(events)
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
