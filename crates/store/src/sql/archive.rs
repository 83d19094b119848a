//! Retention: the chain's anchor, and moving archived events out of the table.

use wicket_core::{AuditEvent, NewEvent, Time};

use super::{Columns, Conn, Statement, Work, chain};
use crate::StoreError;

/// The `(seq, hash)` the chain verifies from, once events were archived.
pub(crate) async fn anchor<C: Conn>(conn: &mut C) -> Result<Option<(i64, String)>, StoreError> {
    chain::seq_and_hash(conn, "SELECT seq, hash FROM audit_anchor WHERE id = 1").await
}

/// Appends `event` (an `audit.archived` record), moves the anchor to `through` — the
/// `(seq, hash)` of the last event written to an archive file — and deletes every event up
/// to it. `through` must still be in the table with the hash the archive file recorded, or
/// nothing is written.
pub(crate) struct Archive {
    pub(crate) through: (i64, String),
    pub(crate) event: NewEvent,
    pub(crate) at: Time,
}

impl Work for Archive {
    type Done = AuditEvent;

    /// Appends first: the append takes the chain's lock (PostgreSQL's advisory lock; in
    /// SQLite the transaction holds the write lock already), so no other server appends or
    /// archives between the check of `through` and the delete.
    async fn run<C: Conn>(self, conn: &mut C) -> Result<AuditEvent, StoreError> {
        let (seq, hash) = self.through;
        let mut sealed = chain::append(&mut *conn, vec![self.event]).await?;
        let event = sealed
            .pop()
            .ok_or_else(|| StoreError::Conflict("the archive event was not appended".into()))?;
        let mut st = Statement::new(C::DIALECT, "SELECT hash FROM audit_events WHERE seq = ");
        st.bind(seq);
        let stored = match conn.fetch_optional(&st).await? {
            Some(row) => Some(row.text(0)?),
            None => None,
        };
        if stored.as_deref() != Some(hash.as_str()) {
            return Err(StoreError::Conflict(format!(
                "audit event {seq} is not as archived; nothing was removed"
            )));
        }
        let mut st = Statement::new(
            C::DIALECT,
            "INSERT INTO audit_anchor (id, seq, hash, archived_at) VALUES (1, ",
        );
        st.bind(seq)
            .push(", ")
            .bind(hash.as_str())
            .push(", ")
            .bind(self.at)
            .push(
                ") ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
                 archived_at = excluded.archived_at",
            );
        conn.execute(&st).await?;
        let mut st = Statement::new(C::DIALECT, "DELETE FROM audit_events WHERE seq <= ");
        st.bind(seq);
        conn.execute(&st).await?;
        Ok(event)
    }
}
