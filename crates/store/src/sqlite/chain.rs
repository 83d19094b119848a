//! The audit chain in SQLite: its head, appending sealed events, and reading them back.

use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use wicket_core::audit::{GENESIS, seal};
use wicket_core::time::truncate;
use wicket_core::{AuditEvent, NewEvent};

use super::codec::{self, millis, prefix_end};
use crate::StoreError;
use crate::filter::{self, AuditFilter};

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
    let (mut seq, mut prev) = head(&mut *conn).await?.unwrap_or((0, GENESIS.to_string()));
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
    for chunk in sealed.chunks(ROWS_PER_INSERT) {
        insert_many(&mut *conn, chunk).await?;
    }
    Ok(sealed)
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
    // The page comes back as one JSON array built inside SQLite: sqlx hands rows over from
    // its SQLite thread one by one, and that handover, not SQLite, was most of the cost of
    // reading events (verification reads every one of them).
    let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
        "SELECT json_group_array(json_array({COLUMNS})) FROM \
         (SELECT {COLUMNS} FROM audit_events WHERE 1 = 1"
    ));
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
    if let Some(since) = f.since {
        q.push(" AND at >= ").push_bind(millis(since));
    }
    if let Some(until) = f.until {
        q.push(" AND at < ").push_bind(millis(until));
    }
    q.push(" ORDER BY seq LIMIT ")
        .push_bind(filter::limit(f.limit));
    q.push(") ");
    let page: Option<String> = q.build_query_scalar().fetch_one(conn).await?;
    let mut events = from_page(page.as_deref().unwrap_or("[]"))?;
    // The subquery's order is the order SQLite aggregates in; sorting here costs one pass
    // over events already in order, where an `ORDER BY` inside the aggregate sorted again.
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

/// One event as a JSON array, in [`COLUMNS`] order.
type PageRow = (
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

/// The events of a page that SQLite aggregated into one JSON array of arrays.
fn from_page(page: &str) -> Result<Vec<AuditEvent>, StoreError> {
    let rows: Vec<PageRow> = serde_json::from_str(page)
        .map_err(|e| StoreError::Corrupt(format!("a page of audit events: {e}")))?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            seq: r.0,
            id: r.1,
            at: wicket_core::time::from_millis(r.2),
            actor: r.3,
            kind: r.4,
            subject: r.5,
            action: r.6,
            resource: r.7,
            decision: r.8,
            request_id: r.9,
            grant_id: r.10,
            details: r.11,
            prev_hash: r.12,
            hash: r.13,
        })
        .collect())
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
