//! The audit chain in PostgreSQL: its head, appending sealed events, and reading them back.

use sqlx::postgres::{PgDatabaseError, PgRow};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use wicket_core::audit::{GENESIS, seal};
use wicket_core::time::truncate;
use wicket_core::{AuditEvent, NewEvent};

use super::codec;
use crate::StoreError;
use crate::filter::{self, AuditFilter};

const COLUMNS: &str = "seq, id, at, actor, kind, subject, action, resource, decision, \
                       request_id, grant_id, details, prev_hash, hash";

/// The transaction-scoped advisory lock that appends take turns on ("wicket" and 2).
pub(super) const CHAIN_LOCK: i64 = 0x7769_636b_6574_0002;

/// Rows per `INSERT`: 14 parameters each stays well below PostgreSQL's 65,535.
const INSERT_CHUNK: usize = 1000;

/// The last event's `(seq, hash)`, if any.
pub(super) async fn head(conn: &mut PgConnection) -> Result<Option<(i64, String)>, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => Ok(Some((row.try_get("seq")?, row.try_get("hash")?))),
        None => Ok(None),
    }
}

/// Seals `events` in order after the current head and inserts them, inside the caller's
/// transaction.
///
/// Takes the chain lock first: whoever holds it reads the head and appends, and lets go at
/// commit or rollback. A READ COMMITTED statement that starts after the lock is granted sees
/// the previous holder's commit, so the head read here is the real head.
// INVARIANT: this is the last lock a write transaction takes (every row it updates or locks
// comes before), so a transaction waiting here holds no lock that the chain holder waits for,
// and no deadlock can form through the chain.
pub(super) async fn append(
    conn: &mut PgConnection,
    events: Vec<NewEvent>,
) -> Result<Vec<AuditEvent>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CHAIN_LOCK)
        .execute(&mut *conn)
        .await?;
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
    for chunk in sealed.chunks(INSERT_CHUNK) {
        insert(&mut *conn, chunk).await?;
    }
    Ok(sealed)
}

async fn insert(conn: &mut PgConnection, events: &[AuditEvent]) -> Result<(), StoreError> {
    let mut q: QueryBuilder<'_, Postgres> =
        QueryBuilder::new(format!("INSERT INTO audit_events ({COLUMNS}) "));
    q.push_values(events, |mut row, e| {
        row.push_bind(e.seq)
            .push_bind(e.id.as_str())
            .push_bind(e.at)
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
    q.build().execute(conn).await.map_err(|err| {
        let id = duplicate_key(&err).unwrap_or_else(|| "?".to_string());
        codec::conflict_if_unique(err, || {
            format!("an audit event with id `{id}` already exists")
        })
    })?;
    Ok(())
}

/// The key a unique violation names (`Key (id)=(ev_1) already exists.`), if it names one.
fn duplicate_key(err: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    let detail = db.try_downcast_ref::<PgDatabaseError>()?.detail()?;
    let start = detail.find("=(")? + 2;
    let end = detail.rfind(") already exists")?;
    detail.get(start..end).map(str::to_string)
}

/// Events matching `filter`, in `seq` order.
pub(super) async fn list(
    conn: &mut PgConnection,
    f: &AuditFilter,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut q: QueryBuilder<'_, Postgres> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_events WHERE true"));
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
        // `kind` exactly, or every kind starting with the text before a final `*` (a range of
        // the index on `kind`, which compares bytes).
        match kind.strip_suffix('*') {
            None => q.push(" AND kind = ").push_bind(kind.as_str()),
            Some(prefix) => q
                .push(" AND kind LIKE ")
                .push_bind(codec::like_prefix(prefix))
                .push(" ESCAPE '\\'"),
        };
    }
    if let Some(since) = f.since {
        q.push(" AND at >= ").push_bind(since);
    }
    if let Some(until) = f.until {
        q.push(" AND at < ").push_bind(until);
    }
    q.push(" ORDER BY seq LIMIT ")
        .push_bind(filter::limit(f.limit));
    let rows = q.build().fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &PgRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        at: row.try_get("at")?,
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
