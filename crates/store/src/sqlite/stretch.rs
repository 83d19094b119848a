//! Verifying a stretch of the audit chain where SQLite keeps it: one statement over the
//! stretch on a read-only connection of [`Direct`], each row's fields borrowed from SQLite's
//! own buffers and hashed as the row is read, no event built.

use rusqlite::Row;
use rusqlite::types::ValueRef;
use wicket_core::audit::{EventRef, Stretch, StretchVerifier};
use wicket_core::time::from_millis;

use super::direct::Direct;
use crate::StoreError;
use crate::sql::chain::COLUMNS;

impl Direct {
    /// The events with `after < seq <= through`, verified as one stretch.
    pub(super) async fn verify_stretch(
        &self,
        after: i64,
        through: i64,
    ) -> Result<Stretch, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"
            ))?;
            let mut rows = stmt.query([after, through])?;
            let mut v = StretchVerifier::default();
            while let Some(row) = rows.next()? {
                let e = EventRef {
                    seq: row.get(0)?,
                    id: text(row, 1)?,
                    at: from_millis(row.get(2)?),
                    actor: text(row, 3)?,
                    kind: text(row, 4)?,
                    subject: opt_text(row, 5)?,
                    action: opt_text(row, 6)?,
                    resource: opt_text(row, 7)?,
                    decision: opt_text(row, 8)?,
                    request_id: opt_text(row, 9)?,
                    grant_id: opt_text(row, 10)?,
                    details: text(row, 11)?,
                    prev_hash: text(row, 12)?,
                    hash: text(row, 13)?,
                };
                if !v.push(&e) {
                    break;
                }
            }
            Ok(v.finish())
        })
        .await
    }
}

/// Column `i` as text, borrowed; like reading it as a `String`, anything but UTF-8 text is
/// an error.
fn text<'r>(row: &'r Row<'_>, i: usize) -> Result<&'r str, StoreError> {
    opt_text(row, i)?.ok_or_else(|| StoreError::Corrupt(format!("audit column {i} is NULL")))
}

fn opt_text<'r>(row: &'r Row<'_>, i: usize) -> Result<Option<&'r str>, StoreError> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("audit column {i} is not UTF-8 text: {e}"))),
        other => Err(StoreError::Corrupt(format!(
            "audit column {i} holds {}, not text",
            other.data_type()
        ))),
    }
}
