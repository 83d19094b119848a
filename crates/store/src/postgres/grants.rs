//! Grants in PostgreSQL: insert, revoke once, read, and claim those whose start or end is due.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use wicket_core::workflow::{NewGrant, Revocation};
use wicket_core::{Grant, Time};

use super::codec::{self, ms, opt_ms};
use crate::StoreError;
use crate::filter::{self, GrantFilter};

const COLUMNS: &str =
    "id, user_name, role, request_id, starts_at, expires_at, revoked_at, revoked_by, revoke_reason";

pub(super) async fn insert(conn: &mut PgConnection, new: &NewGrant) -> Result<(), StoreError> {
    let g = &new.grant;
    sqlx::query(&format!(
        "INSERT INTO grants ({COLUMNS}, activation_recorded) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(g.id.as_str())
    .bind(g.user.as_str())
    .bind(g.role.as_str())
    .bind(g.request_id.as_str())
    .bind(ms(g.starts_at))
    .bind(ms(g.expires_at))
    .bind(opt_ms(g.revoked_at))
    .bind(g.revoked_by.as_deref())
    .bind(g.revoke_reason.as_deref())
    .bind(new.activation_recorded)
    .execute(conn)
    .await
    .map_err(|e| codec::conflict_if_unique(e, || format!("grant `{}` already exists", g.id)))?;
    Ok(())
}

/// Revokes a grant that is not revoked yet; a missing or already revoked grant is a conflict.
/// Of two concurrent revocations the second waits for the first, then finds the grant revoked.
pub(super) async fn revoke(conn: &mut PgConnection, r: &Revocation) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE grants SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
         WHERE id = $4 AND revoked_at IS NULL",
    )
    .bind(ms(r.at))
    .bind(r.by.as_str())
    .bind(r.reason.as_str())
    .bind(r.grant_id.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    Err(StoreError::Conflict(match get(conn, &r.grant_id).await? {
        Some(_) => format!("grant `{}` is already revoked", r.grant_id),
        None => format!("grant `{}` does not exist", r.grant_id),
    }))
}

pub(super) async fn get(conn: &mut PgConnection, id: &str) -> Result<Option<Grant>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM grants WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Grants matching `f`, newest (latest start) first.
pub(super) async fn list(
    conn: &mut PgConnection,
    f: &GrantFilter,
) -> Result<Vec<Grant>, StoreError> {
    let mut q: QueryBuilder<'_, Postgres> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM grants WHERE true"));
    if let Some(user) = &f.user {
        q.push(" AND user_name = ").push_bind(user.as_str());
    }
    if let Some(request_id) = &f.request_id {
        q.push(" AND request_id = ").push_bind(request_id.as_str());
    }
    if let Some(at) = f.live_at {
        q.push(" AND revoked_at IS NULL AND expires_at > ")
            .push_bind(ms(at));
    }
    q.push(" ORDER BY starts_at DESC, pos DESC LIMIT ")
        .push_bind(filter::limit(f.limit));
    let rows = q.build().fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// Every unrevoked grant with `expires_at` after `now`, without a page limit.
pub(super) async fn live(conn: &mut PgConnection, now: Time) -> Result<Vec<Grant>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM grants WHERE revoked_at IS NULL AND expires_at > $1 \
         ORDER BY starts_at, pos"
    );
    let rows = sqlx::query(&sql).bind(ms(now)).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// What a sweep looks for, and the flag it sets once recorded.
#[derive(Clone, Copy, Debug)]
pub(super) enum Due {
    /// Started, activation not recorded, and not revoked before it started.
    Activation,
    /// Ended, not revoked, expiry not recorded.
    Expiry,
}

impl Due {
    fn condition(self) -> &'static str {
        match self {
            Due::Activation => {
                "NOT activation_recorded AND starts_at <= $1 \
                 AND (revoked_at IS NULL OR revoked_at > starts_at) ORDER BY starts_at, pos"
            }
            Due::Expiry => {
                "NOT expiry_recorded AND revoked_at IS NULL AND expires_at <= $1 \
                 ORDER BY expires_at, pos"
            }
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Due::Activation => "activation_recorded",
            Due::Expiry => "expiry_recorded",
        }
    }

    /// The moment of the grant's life it records.
    pub(super) fn moment(self) -> wicket_core::workflow::Moment {
        match self {
            Due::Activation => wicket_core::workflow::Moment::Activation,
            Due::Expiry => wicket_core::workflow::Moment::Expiry,
        }
    }
}

/// Claims up to `limit` grants whose `due` moment is at or before `now` and not yet recorded,
/// the longest overdue first. Each is row-locked until the caller's transaction ends; rows
/// another sweeper holds are skipped, and a row that sweeper committed meanwhile is re-checked
/// (READ COMMITTED) and dropped, its flag being set.
pub(super) async fn claim_due(
    conn: &mut PgConnection,
    due: Due,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM grants WHERE {} LIMIT $2 FOR UPDATE SKIP LOCKED",
        due.condition()
    );
    let rows = sqlx::query(&sql)
        .bind(ms(now))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Marks `due` as recorded for the grants `ids`.
pub(super) async fn mark(
    conn: &mut PgConnection,
    due: Due,
    ids: &[&str],
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE grants SET {} = true WHERE id = ANY($1)",
        due.flag()
    ))
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

fn from_row(row: &PgRow) -> Result<Grant, StoreError> {
    Ok(Grant {
        id: row.try_get("id")?,
        user: row.try_get("user_name")?,
        role: row.try_get("role")?,
        request_id: row.try_get("request_id")?,
        starts_at: row.try_get("starts_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_by: row.try_get("revoked_by")?,
        revoke_reason: row.try_get("revoke_reason")?,
    })
}
