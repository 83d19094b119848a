//! The audit chain in SQLite: its head and appending sealed events (`bulk` reads them back).

use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use wicket_core::audit::{GENESIS, seal};
use wicket_core::time::truncate;
use wicket_core::{AuditEvent, NewEvent};

use super::codec::{self, millis};
use crate::StoreError;

pub(super) const COLUMNS: &str = "seq, id, at, actor, kind, subject, action, resource, decision, \
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
    let sealed = seal_after(head(&mut *conn).await?, events);
    for chunk in sealed.chunks(ROWS_PER_INSERT) {
        insert_many(&mut *conn, chunk).await?;
    }
    Ok(sealed)
}

/// Seals `events` in order after `head` (the last event's `(seq, hash)`, if any).
pub(super) fn seal_after(head: Option<(i64, String)>, events: Vec<NewEvent>) -> Vec<AuditEvent> {
    let (mut seq, mut prev) = head.unwrap_or((0, GENESIS.to_string()));
    let mut sealed = Vec::with_capacity(events.len());
    for mut event in events {
        // The store keeps milliseconds; sealing the stored value keeps what is returned here
        // equal to what is read back later.
        event.at = truncate(event.at);
        let event = seal(seq, &prev, event);
        seq = event.seq;
        prev.clone_from(&event.hash);
        sealed.push(event);
    }
    sealed
}

/// The statement inserting one event.
pub(super) const INSERT: &str = "INSERT INTO audit_events (seq, id, at, actor, kind, subject, \
    action, resource, decision, request_id, grant_id, details, prev_hash, hash) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// The message of the conflict when event `id` is already stored.
pub(super) fn duplicate_id(id: &str) -> String {
    format!("an audit event with id `{id}` already exists")
}

/// Rows per `INSERT` statement (14 parameters each, well under SQLite's 32766): one
/// statement per row made every event a round trip to sqlx's connection thread, which
/// capped appends at about 10k events/s whatever the batch.
const ROWS_PER_INSERT: usize = 64;

/// Inserts `events` with one statement; if one of their ids is taken, inserts them one by
/// one instead, so that the conflict names the id (the failed statement changed nothing).
async fn insert_many(conn: &mut SqliteConnection, events: &[AuditEvent]) -> Result<(), StoreError> {
    if let [one] = events {
        return insert(conn, one).await;
    }
    let mut q: QueryBuilder<'_, Sqlite> =
        QueryBuilder::new(format!("INSERT INTO audit_events ({COLUMNS}) "));
    q.push_values(events, |mut row, e| {
        row.push_bind(e.seq)
            .push_bind(e.id.as_str())
            .push_bind(millis(e.at))
            .push_bind(e.actor.as_str())
            .push_bind(e.kind.as_str())
            .push_bind(e.subject.as_deref())
            .push_bind(e.action.as_deref())
            .push_bind(e.resource.as_deref())
            .push_bind(e.decision.as_deref())
            .push_bind(e.request_id.as_deref())
            .push_bind(e.grant_id.as_deref())
            .push_bind(e.details.as_str())
            .push_bind(e.prev_hash.as_str())
            .push_bind(e.hash.as_str());
    });
    match q.build().execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(err) => match codec::conflict_if_unique(err, String::new) {
            StoreError::Conflict(_) => {
                for e in events {
                    insert(&mut *conn, e).await?;
                }
                Ok(())
            }
            other => Err(other),
        },
    }
}

async fn insert(conn: &mut SqliteConnection, e: &AuditEvent) -> Result<(), StoreError> {
    sqlx::query(INSERT)
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
        .map_err(|err| codec::conflict_if_unique(err, || duplicate_id(&e.id)))?;
    Ok(())
}
