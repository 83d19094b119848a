//! Requests in PostgreSQL: insert, the versioned update, and reads with their reviews.

mod reviews;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use wicket_core::{Duration, Request, RequestState, Time};

use crate::StoreError;
use crate::filter::{self, RequestFilter};
use crate::postgres::codec;

pub(super) use reviews::insert as insert_review;

/// Every column but `id`, in the order [`bind_fields`] binds them.
const FIELDS: &str = "requester, roles, policy, reason, ticket, duration_secs, start_at, break_glass, \
                      action, resource, state, step, created_at, pending_until, decided_at, version";

/// How many columns [`FIELDS`] names.
const FIELD_COUNT: usize = 16;

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

fn bind_fields<'q>(q: Query<'q>, r: &'q Request) -> Query<'q> {
    q.bind(r.requester.as_str())
        .bind(r.roles.as_slice())
        .bind(r.policy.as_str())
        .bind(r.reason.as_deref())
        .bind(r.ticket.as_deref())
        .bind(r.duration.as_secs())
        .bind(codec::opt_ms(r.start_at))
        .bind(r.break_glass)
        .bind(r.action.as_deref())
        .bind(r.resource.as_deref())
        .bind(r.state.as_str())
        .bind(i64::from(r.step))
        .bind(codec::ms(r.created_at))
        .bind(codec::ms(r.pending_until))
        .bind(codec::opt_ms(r.decided_at))
        .bind(r.version)
}

/// `$1, $2, ..., $n`.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts a new request (its reviews are written separately).
pub(super) async fn insert(conn: &mut PgConnection, r: &Request) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO requests ({FIELDS}, id) VALUES ({})",
        placeholders(FIELD_COUNT + 1)
    );
    bind_fields(sqlx::query(&sql), r)
        .bind(r.id.as_str())
        .execute(conn)
        .await
        .map_err(|e| {
            codec::conflict_if_unique(e, || format!("request `{}` already exists", r.id))
        })?;
    Ok(())
}

/// Writes `r` over the stored request only if that is still at `expected_version`.
///
/// Of two transactions updating one version, the second waits for the first's row lock and
/// then, READ COMMITTED, re-checks its condition on the row the first committed: it no longer
/// holds, nothing is updated, and the loser gets a conflict.
pub(super) async fn update(
    conn: &mut PgConnection,
    r: &Request,
    expected_version: i64,
) -> Result<(), StoreError> {
    let assignments = FIELDS
        .split(", ")
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE requests SET {assignments} WHERE id = ${} AND version = ${}",
        FIELD_COUNT + 1,
        FIELD_COUNT + 2
    );
    let done = bind_fields(sqlx::query(&sql), r)
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

/// One request with its reviews (the caller runs both reads on one snapshot).
pub(super) async fn get(conn: &mut PgConnection, id: &str) -> Result<Option<Request>, StoreError> {
    let sql = format!("SELECT id, {FIELDS} FROM requests WHERE id = $1");
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
    conn: &mut PgConnection,
    f: &RequestFilter,
) -> Result<Vec<Request>, StoreError> {
    let mut q: QueryBuilder<'_, Postgres> =
        QueryBuilder::new(format!("SELECT id, {FIELDS} FROM requests WHERE true"));
    if let Some(state) = f.state {
        q.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(requester) = &f.requester {
        q.push(" AND requester = ").push_bind(requester.as_str());
    }
    q.push(" ORDER BY created_at DESC, pos DESC LIMIT ")
        .push_bind(filter::limit(f.limit));
    let rows = q.build().fetch_all(&mut *conn).await?;
    let mut requests = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    reviews::attach(conn, &mut requests).await?;
    Ok(requests)
}

/// Claims up to `limit` pending requests whose `pending_until` is at or before `now`, the
/// longest overdue first: each is row-locked until the caller's transaction ends, and rows
/// another sweeper holds are skipped rather than waited for.
pub(super) async fn claim_due(
    conn: &mut PgConnection,
    now: Time,
    limit: i64,
) -> Result<Vec<Request>, StoreError> {
    let sql = format!(
        "SELECT id, {FIELDS} FROM requests WHERE state = 'pending' AND pending_until <= $1 \
         ORDER BY pending_until, pos LIMIT $2 FOR UPDATE SKIP LOCKED"
    );
    let rows = sqlx::query(&sql)
        .bind(codec::ms(now))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut requests = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    reviews::attach(conn, &mut requests).await?;
    Ok(requests)
}

fn from_row(row: &PgRow) -> Result<Request, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: String| StoreError::Corrupt(format!("request `{id}`: {what}"));
    let secs: i64 = row.try_get("duration_secs")?;
    let duration = Duration::from_secs(secs)
        .ok_or_else(|| corrupt(format!("duration of {secs} seconds is out of range")))?;
    let state: String = row.try_get("state")?;
    let state = RequestState::parse(&state).map_err(|e| corrupt(e.message))?;
    Ok(Request {
        requester: row.try_get("requester")?,
        roles: row.try_get("roles")?,
        policy: row.try_get("policy")?,
        reason: row.try_get("reason")?,
        ticket: row.try_get("ticket")?,
        duration,
        start_at: row.try_get("start_at")?,
        break_glass: row.try_get("break_glass")?,
        action: row.try_get("action")?,
        resource: row.try_get("resource")?,
        state,
        step: codec::step(row, &format!("request `{id}`"))?,
        created_at: row.try_get("created_at")?,
        pending_until: row.try_get("pending_until")?,
        decided_at: row.try_get("decided_at")?,
        reviews: Vec::new(),
        version: row.try_get("version")?,
        id,
    })
}
