//! Grants: insert, revoke once, read, and the live ones; the sweeps' due grants are in `due`.

mod due;

use wicket_core::workflow::{Extension, NewGrant, Revocation};
use wicket_core::{Grant, Time};

use super::{
    Columns, Conn, Statement, Value, change_one, fetch_all_decoded, fetch_optional_decoded,
    insert_new,
};
use crate::StoreError;
use crate::filter::GrantFilter;

pub(crate) use due::{Due, due, mark};

/// The columns a grant is read from, in the order [`decode`] reads them.
const COLUMNS: &str =
    "id, user_name, role, request_id, starts_at, expires_at, revoked_at, revoked_by, revoke_reason";

pub(crate) async fn insert<C: Conn>(conn: &mut C, new: &NewGrant) -> Result<(), StoreError> {
    let g = &new.grant;
    let values = [
        g.id.as_str().into(),
        g.user.as_str().into(),
        g.role.as_str().into(),
        g.request_id.as_str().into(),
        Value::Time(g.starts_at),
        Value::Time(g.expires_at),
        g.revoked_at.into(),
        g.revoked_by.as_deref().into(),
        g.revoke_reason.as_deref().into(),
        new.activation_recorded.into(),
    ];
    let columns = format!("{COLUMNS}, activation_recorded");
    insert_new(conn, "grants", &columns, values, "grant", &g.id).await
}

/// Revokes a grant that is not revoked yet; a missing or already revoked grant is a conflict.
/// In PostgreSQL, of two concurrent revocations the second waits for the first's row lock,
/// then finds the grant revoked.
pub(crate) async fn revoke<C: Conn>(conn: &mut C, r: &Revocation) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, "UPDATE grants SET revoked_at = ");
    st.bind(r.at)
        .push(", revoked_by = ")
        .bind(r.by.as_str())
        .push(", revoke_reason = ")
        .bind(r.reason.as_str())
        .push(" WHERE id = ")
        .bind(r.grant_id.as_str())
        .push(" AND revoked_at IS NULL");
    if conn.execute(&st).await? == 1 {
        return Ok(());
    }
    Err(StoreError::Conflict(match get(conn, &r.grant_id).await? {
        Some(_) => format!("grant `{}` is already revoked", r.grant_id),
        None => format!("grant `{}` does not exist", r.grant_id),
    }))
}

/// Moves a grant's end; a grant missing, revoked, or whose end moved meanwhile is a conflict.
pub(crate) async fn extend<C: Conn>(conn: &mut C, e: &Extension) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, "UPDATE grants SET expires_at = ");
    st.bind(e.grant.expires_at)
        .push(" WHERE id = ")
        .bind(e.grant.id.as_str())
        .push(" AND revoked_at IS NULL AND expires_at = ")
        .bind(e.previous_expires_at);
    change_one(conn, &st, || {
        format!("grant `{}` was revoked or changed meanwhile", e.grant.id)
    })
    .await
}

pub(crate) async fn get<C: Conn>(conn: &mut C, id: &str) -> Result<Option<Grant>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "grants WHERE id = ");
    st.bind(id);
    fetch_optional_decoded(conn, &st, decode).await
}

/// Grants matching `f`, newest (latest start) first.
pub(crate) async fn list<C: Conn>(conn: &mut C, f: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "grants WHERE true");
    st.and_if(" AND user_name = ", f.user.as_deref())
        .and_if(" AND request_id = ", f.request_id.as_deref())
        .and_if(" AND revoked_at IS NULL AND expires_at > ", f.live_at)
        .and_if(
            " AND revoked_at IS NOT NULL AND revoked_at < expires_at AND expires_at > ",
            f.revoked_live_at,
        )
        .newest_first("starts_at", f.limit);
    fetch_all_decoded(conn, &st, decode).await
}

/// Every unrevoked grant with `expires_at` after `now`, without a page limit. (SQLite reads
/// them on its own connections instead, page by page: `sqlite::bulk`.)
pub(crate) async fn live<C: Conn>(conn: &mut C, now: Time) -> Result<Vec<Grant>, StoreError> {
    let mut st = Statement::select(
        C::DIALECT,
        COLUMNS,
        "grants WHERE revoked_at IS NULL AND expires_at > ",
    );
    st.bind(now)
        .push(" ORDER BY starts_at, ")
        .push(C::DIALECT.insertion_order());
    fetch_all_decoded(conn, &st, decode).await
}

/// A grant from a row selected as [`COLUMNS`].
fn decode(row: &impl Columns) -> Result<Grant, StoreError> {
    Ok(Grant {
        id: row.text(0)?,
        user: row.text(1)?,
        role: row.text(2)?,
        request_id: row.text(3)?,
        starts_at: row.time(4)?,
        expires_at: row.time(5)?,
        revoked_at: row.opt_time(6)?,
        revoked_by: row.opt_text(7)?,
        revoke_reason: row.opt_text(8)?,
    })
}
