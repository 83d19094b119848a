//! The audit chain in SQLite: its head, appending sealed events, and reading them back.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use wicket_core::audit::{GENESIS, seal};
use wicket_core::time::truncate;
use wicket_core::{AuditEvent, NewEvent};

use super::codec::{self, millis, prefix_end};
use crate::StoreError;
use crate::filter::{self, AuditFilter};

const COLUMNS: &str = "seq, id, at, actor, kind, subject, action, resource, decision, \
                       request_id, grant_id, details, prev_hash, hash";

/// The last event's `(seq, hash)`, if any.
pub(super) async fn head(conn: &mut SqliteConnection) -> Result<Option<(i64, String)>, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => Ok(Some((row.try_get("seq")?, row.try_get("hash")?))),
        None => Ok(None),
    }
}

/// Seals `events` in order after the current head and inserts them.
///
/// Must run inside a write transaction: the head read here stays the head until commit.
pub(super) async fn append(
    conn: &mut SqliteConnection,
    events: Vec<NewEvent>,
) -> Result<Vec<AuditEvent>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let (mut seq, mut prev) = head(&mut *conn).await?.unwrap_or((0, GENESIS.to_string()));
    let mut sealed = Vec::with_capacity(events.len());
    for mut event in events {
        // The store keeps milliseconds; sealing the stored value keeps what is returned here
        // equal to what is read back later.
        event.at = truncate(event.at);
        let event = seal(seq, &prev, event);
        insert(&mut *conn, &event).await?;
        seq = event.seq;
        prev.clone_from(&event.hash);
        sealed.push(event);
    }
    Ok(sealed)
}

async fn insert(conn: &mut SqliteConnection, e: &AuditEvent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (seq, id, at, actor, kind, subject, action, resource, decision, \
         request_id, grant_id, details, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.seq)
    .bind(e.id.as_str())
    .bind(millis(e.at))
    .bind(e.actor.as_str())
    .bind(e.kind.as_str())
    .bind(e.subject.as_deref())
    .bind(e.action.as_deref())
    .bind(e.resource.as_deref())
    .bind(e.decision.as_deref())
    .bind(e.request_id.as_deref())
    .bind(e.grant_id.as_deref())
    .bind(e.details.as_str())
    .bind(e.prev_hash.as_str())
    .bind(e.hash.as_str())
    .execute(conn)
    .await
    .map_err(|err| {
        codec::conflict_if_unique(err, || {
            format!("an audit event with id `{}` already exists", e.id)
        })
    })?;
    Ok(())
}

/// Events matching `filter`, in `seq` order.
pub(super) async fn list(
    conn: &mut SqliteConnection,
    f: &AuditFilter,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut q: QueryBuilder<'_, Sqlite> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1"));
    if let Some(after) = f.after {
        q.push(" AND seq > ").push_bind(after);
    }
    if let Some(request_id) = &f.request_id {
        q.push(" AND request_id = ").push_bind(request_id.as_str());
    }
    if let Some(grant_id) = &f.grant_id {
        q.push(" AND grant_id = ").push_bind(grant_id.as_str());
    }
    if let Some(actor) = &f.actor {
        q.push(" AND actor = ").push_bind(actor.as_str());
    }
    if let Some(kind) = &f.kind {
        push_kind(&mut q, kind);
    }
    q.push(" ORDER BY seq LIMIT ")
        .push_bind(filter::limit(f.limit));
    let rows = q.build().fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// `kind` exactly, or every kind starting with the text before a final `*` (as a range, so
/// the index on `kind` serves it).
fn push_kind<'a>(q: &mut QueryBuilder<'a, Sqlite>, kind: &'a str) {
    match kind.strip_suffix('*') {
        None => {
            q.push(" AND kind = ").push_bind(kind);
        }
        Some(prefix) => {
            q.push(" AND kind >= ").push_bind(prefix);
            if let Some(end) = prefix_end(prefix) {
                q.push(" AND kind < ").push_bind(end);
            }
        }
    }
}

fn from_row(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        at: codec::time(row, "at")?,
        actor: row.try_get("actor")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        action: row.try_get("action")?,
        resource: row.try_get("resource")?,
        decision: row.try_get("decision")?,
        request_id: row.try_get("request_id")?,
        grant_id: row.try_get("grant_id")?,
        details: row.try_get("details")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
