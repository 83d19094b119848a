//! Retention in PostgreSQL: the chain's anchor, and moving archived events out of the table.

use sqlx::{PgConnection, Row};
use wicket_core::{AuditEvent, NewEvent, Time};

use super::chain;
use crate::StoreError;

/// The `(seq, hash)` the chain verifies from, once events were archived.
pub(super) async fn anchor(conn: &mut PgConnection) -> Result<Option<(i64, String)>, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_anchor WHERE id = 1")
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => Ok(Some((row.try_get("seq")?, row.try_get("hash")?))),
        None => Ok(None),
    }
}

/// Inside a transaction: appends `event` (taking the chain lock, so no other server appends
/// or archives meanwhile), moves the anchor to `through` and deletes every event up to it.
/// `through` must still be in the table with the hash the archive file recorded.
pub(super) async fn archive(
    conn: &mut PgConnection,
    through: (i64, &str),
    event: NewEvent,
    at: Time,
) -> Result<AuditEvent, StoreError> {
    let mut sealed = chain::append(&mut *conn, vec![event]).await?;
    let event = sealed
        .pop()
        .ok_or_else(|| StoreError::Conflict("the archive event was not appended".into()))?;
    let stored: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
        .bind(through.0)
        .fetch_optional(&mut *conn)
        .await?;
    if stored.as_deref() != Some(through.1) {
        return Err(StoreError::Conflict(format!(
            "audit event {} is not as archived; nothing was removed",
            through.0
        )));
    }
    sqlx::query(
        "INSERT INTO audit_anchor (id, seq, hash, archived_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
         archived_at = excluded.archived_at",
    )
    .bind(through.0)
    .bind(through.1)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
        .bind(through.0)
        .execute(&mut *conn)
        .await?;
    Ok(event)
}
