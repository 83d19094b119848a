//! Requests in SQLite: insert, the versioned update, and reads with their reviews.

mod reviews;

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use wicket_core::{Duration, Request, RequestState};

use super::codec::{self, millis, opt_millis};
use crate::StoreError;
use crate::filter::{self, RequestFilter};

pub(super) use reviews::insert as insert_review;

/// Every column but `id`, in the order [`bind_fields`] binds them.
const FIELDS: &str = "requester, roles, policy, reason, ticket, duration_secs, start_at, break_glass, \
                      action, resource, state, step, created_at, pending_until, decided_at, version";

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

fn roles_json(r: &Request) -> Result<String, StoreError> {
    serde_json::to_string(&r.roles).map_err(|e| {
        StoreError::Corrupt(format!(
            "roles of request `{}` cannot be encoded: {e}",
            r.id
        ))
    })
}

fn bind_fields<'q>(q: Query<'q>, r: &'q Request, roles: String) -> Query<'q> {
    q.bind(r.requester.as_str())
        .bind(roles)
        .bind(r.policy.as_str())
        .bind(r.reason.as_deref())
        .bind(r.ticket.as_deref())
        .bind(r.duration.as_secs())
        .bind(opt_millis(r.start_at))
        .bind(r.break_glass)
        .bind(r.action.as_deref())
        .bind(r.resource.as_deref())
        .bind(r.state.as_str())
        .bind(i64::from(r.step))
        .bind(millis(r.created_at))
        .bind(millis(r.pending_until))
        .bind(opt_millis(r.decided_at))
        .bind(r.version)
}

/// Inserts a new request (its reviews are written separately).
pub(super) async fn insert(conn: &mut SqliteConnection, r: &Request) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO requests ({FIELDS}, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    );
    bind_fields(sqlx::query(&sql), r, roles_json(r)?)
        .bind(r.id.as_str())
        .execute(conn)
        .await
        .map_err(|e| {
            codec::conflict_if_unique(e, || format!("request `{}` already exists", r.id))
        })?;
    Ok(())
}

/// Writes `r` over the stored request only if that is still at `expected_version`.
pub(super) async fn update(
    conn: &mut SqliteConnection,
    r: &Request,
    expected_version: i64,
) -> Result<(), StoreError> {
    let assignments = FIELDS
        .split(", ")
        .map(|c| format!("{c} = ?"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("UPDATE requests SET {assignments} WHERE id = ? AND version = ?");
    let done = bind_fields(sqlx::query(&sql), r, roles_json(r)?)
        .bind(r.id.as_str())
        .bind(expected_version)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "request `{}` changed meanwhile",
            r.id
        )));
    }
    Ok(())
}

/// One request with its reviews.
pub(super) async fn get(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<Request>, StoreError> {
    let sql = format!("SELECT id, {FIELDS} FROM requests WHERE id = ?");
    let Some(row) = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut request = from_row(&row)?;
    request.reviews = reviews::of(conn, &request.id).await?;
    Ok(Some(request))
}

/// Requests matching `f`, newest first, with their reviews.
pub(super) async fn list(
    conn: &mut SqliteConnection,
    f: &RequestFilter,
) -> Result<Vec<Request>, StoreError> {
    let mut q: QueryBuilder<'_, Sqlite> =
        QueryBuilder::new(format!("SELECT id, {FIELDS} FROM requests WHERE 1 = 1"));
    if let Some(state) = f.state {
        q.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(requester) = &f.requester {
        q.push(" AND requester = ").push_bind(requester.as_str());
    }
    q.push(" ORDER BY created_at DESC, rowid DESC LIMIT ")
        .push_bind(filter::limit(f.limit));
    let rows = q.build().fetch_all(&mut *conn).await?;
    let mut requests = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    reviews::attach(conn, &mut requests).await?;
    Ok(requests)
}

/// Pending requests whose `pending_until` is at or before `now_ms`, the longest overdue first.
pub(super) async fn due(
    conn: &mut SqliteConnection,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<Request>, StoreError> {
    let sql = format!(
        "SELECT id, {FIELDS} FROM requests WHERE state = 'pending' AND pending_until <= ? \
         ORDER BY pending_until, rowid LIMIT ?"
    );
    let rows = sqlx::query(&sql)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut requests = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    reviews::attach(conn, &mut requests).await?;
    Ok(requests)
}

fn from_row(row: &SqliteRow) -> Result<Request, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: String| StoreError::Corrupt(format!("request `{id}`: {what}"));
    let roles: String = row.try_get("roles")?;
    let roles = serde_json::from_str(&roles)
        .map_err(|e| corrupt(format!("roles are not a JSON list of names ({e})")))?;
    let secs: i64 = row.try_get("duration_secs")?;
    let duration = Duration::from_secs(secs)
        .ok_or_else(|| corrupt(format!("duration of {secs} seconds is out of range")))?;
    let state: String = row.try_get("state")?;
    let state = RequestState::parse(&state).map_err(|e| corrupt(e.message))?;
    Ok(Request {
        requester: row.try_get("requester")?,
        roles,
        policy: row.try_get("policy")?,
        reason: row.try_get("reason")?,
        ticket: row.try_get("ticket")?,
        duration,
        start_at: codec::opt_time(row, "start_at")?,
        break_glass: row.try_get("break_glass")?,
        action: row.try_get("action")?,
        resource: row.try_get("resource")?,
        state,
        step: codec::step(row, &format!("request `{id}`"))?,
        created_at: codec::time(row, "created_at")?,
        pending_until: codec::time(row, "pending_until")?,
        decided_at: codec::opt_time(row, "decided_at")?,
        reviews: Vec::new(),
        version: row.try_get("version")?,
        id,
    })
}
