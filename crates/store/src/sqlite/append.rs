//! Appending events that belong to no other write (checks, gateway statements, policy
//! loads) on the direct write connection: one `BEGIN IMMEDIATE` transaction, one prepared
//! `INSERT` run per event with its values passed by reference.
//!
//! SQLite's own path, kept for speed: through sqlx the same append was bound into 64-row
//! statements handed to its connection thread, and that handing over, not SQLite, was most of
//! the cost of a group commit. Writes that change state as well (`commit`) stay on the pool,
//! in their own transaction, through the shared `sql::chain::append`.

use rusqlite::{OptionalExtension, TransactionBehavior, params_from_iter};
use wicket_core::{AuditEvent, NewEvent};

use super::direct::Direct;
use crate::StoreError;
use crate::sql::chain::{self, COLUMNS, duplicate_id, seal_after};

impl Direct {
    /// Seals `events` after the chain's head and inserts them in one transaction, durable
    /// when this returns. The caller holds this process's write turn.
    pub(super) async fn append(
        &self,
        events: Vec<NewEvent>,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let insert_sql = format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES ({})",
            ["?"; 14].join(", ")
        );
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let head = tx
                .query_row(
                    "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let sealed = seal_after(head, events);
            {
                let mut insert = tx.prepare_cached(&insert_sql)?;
                for e in &sealed {
                    insert
                        .execute(params_from_iter(chain::values(e)))
                        .map_err(|err| conflict_if_unique(err, &e.id))?;
                }
            }
            // Dropped without `commit` (an error above), the transaction rolls back.
            tx.commit()?;
            Ok(sealed)
        })
        .await
    }
}

/// A unique violation (the event's id is taken) as a conflict naming the id.
fn conflict_if_unique(err: rusqlite::Error, id: &str) -> StoreError {
    match &err {
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            StoreError::Conflict(duplicate_id(id))
        }
        _ => StoreError::Sqlite(err),
    }
}
