//! Grants in SQLite: insert, revoke once, read, and find those whose start or end is due.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use wicket_core::Grant;
use wicket_core::workflow::{NewGrant, Revocation};

use super::codec::{self, millis};
use crate::StoreError;
use crate::filter::{self, GrantFilter};

const COLUMNS: &str =
    "id, user_name, role, request_id, starts_at, expires_at, revoked_at, revoked_by, revoke_reason";

pub(super) async fn insert(conn: &mut SqliteConnection, new: &NewGrant) -> Result<(), StoreError> {
    let g = &new.grant;
    sqlx::query(&format!(
        "INSERT INTO grants ({COLUMNS}, activation_recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(g.id.as_str())
    .bind(g.user.as_str())
    .bind(g.role.as_str())
    .bind(g.request_id.as_str())
    .bind(millis(g.starts_at))
    .bind(millis(g.expires_at))
    .bind(codec::opt_millis(g.revoked_at))
    .bind(g.revoked_by.as_deref())
    .bind(g.revoke_reason.as_deref())
    .bind(new.activation_recorded)
    .execute(conn)
    .await
    .map_err(|e| codec::conflict_if_unique(e, || format!("grant `{}` already exists", g.id)))?;
    Ok(())
}

/// Revokes a grant that is not revoked yet; a missing or already revoked grant is a conflict.
pub(super) async fn revoke(conn: &mut SqliteConnection, r: &Revocation) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE grants SET revoked_at = ?, revoked_by = ?, revoke_reason = ? \
         WHERE id = ? AND revoked_at IS NULL",
    )
    .bind(millis(r.at))
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

pub(super) async fn get(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<Grant>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM grants WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Grants matching `f`, newest (latest start) first.
pub(super) async fn list(
    conn: &mut SqliteConnection,
    f: &GrantFilter,
) -> Result<Vec<Grant>, StoreError> {
    let mut q: QueryBuilder<'_, Sqlite> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM grants WHERE 1 = 1"));
    if let Some(user) = &f.user {
        q.push(" AND user_name = ").push_bind(user.as_str());
    }
    if let Some(request_id) = &f.request_id {
        q.push(" AND request_id = ").push_bind(request_id.as_str());
    }
    if let Some(at) = f.live_at {
        q.push(" AND revoked_at IS NULL AND expires_at > ")
            .push_bind(millis(at));
    }
    q.push(" ORDER BY starts_at DESC, rowid DESC LIMIT ")
        .push_bind(filter::limit(f.limit));
    let rows = q.build().fetch_all(conn).await?;
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
    /// The moment of the grant's life it records.
    pub(super) fn moment(self) -> wicket_core::workflow::Moment {
        match self {
            Due::Activation => wicket_core::workflow::Moment::Activation,
            Due::Expiry => wicket_core::workflow::Moment::Expiry,
        }
    }

    fn condition(self) -> &'static str {
        match self {
            Due::Activation => {
                "activation_recorded = 0 AND starts_at <= ? \
                 AND (revoked_at IS NULL OR revoked_at > starts_at) ORDER BY starts_at, rowid"
            }
            Due::Expiry => {
                "expiry_recorded = 0 AND revoked_at IS NULL AND expires_at <= ? \
                 ORDER BY expires_at, rowid"
            }
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Due::Activation => "activation_recorded",
            Due::Expiry => "expiry_recorded",
        }
    }
}

/// Up to `limit` grants whose `due` moment is at or before `now_ms` and not yet recorded,
/// the longest overdue first.
pub(super) async fn due(
    conn: &mut SqliteConnection,
    due: Due,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM grants WHERE {} LIMIT ?",
        due.condition()
    );
    let rows = sqlx::query(&sql)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Marks `due` as recorded for grant `id`.
pub(super) async fn mark(
    conn: &mut SqliteConnection,
    due: Due,
    id: &str,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE grants SET {} = 1 WHERE id = ?",
        due.flag()
    ))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A grant from a row selected as [`COLUMNS`], by position (cheaper than by name, which
/// counts when a million live grants are loaded at start).
fn from_row(row: &SqliteRow) -> Result<Grant, StoreError> {
    let time = |i: usize| row.try_get::<i64, _>(i).map(wicket_core::time::from_millis);
    Ok(Grant {
        id: row.try_get(0)?,
        user: row.try_get(1)?,
        role: row.try_get(2)?,
        request_id: row.try_get(3)?,
        starts_at: time(4)?,
        expires_at: time(5)?,
        revoked_at: row
            .try_get::<Option<i64>, _>(6)?
            .map(wicket_core::time::from_millis),
        revoked_by: row.try_get(7)?,
        revoke_reason: row.try_get(8)?,
    })
}
