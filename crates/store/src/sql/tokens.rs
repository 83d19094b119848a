//! Bearer tokens, kept only as hashes: insert, revoke, look up.

use wicket_core::{Time, TokenRecord};

use super::{
    Columns, Conn, Statement, Value, fetch_all_decoded, fetch_optional_decoded, insert_new,
};
use crate::StoreError;

/// The columns, in the order [`insert`] binds them and [`decode`] reads them.
const COLUMNS: &str = "id, user_name, hash, created_at, expires_at, created_by, revoked_at";

pub(crate) async fn insert<C: Conn>(conn: &mut C, t: &TokenRecord) -> Result<(), StoreError> {
    let values = [
        t.id.as_str().into(),
        t.user.as_str().into(),
        t.hash.as_str().into(),
        Value::Time(t.created_at),
        t.expires_at.into(),
        t.created_by.as_str().into(),
        t.revoked_at.into(),
    ];
    // Names the id only: the hash is a credential's fingerprint and stays out of messages.
    insert_new(conn, "tokens", COLUMNS, values, "token", &t.id).await
}

/// Marks token `id` revoked at `at`, unless it already is (the first revocation stands).
pub(crate) async fn revoke<C: Conn>(conn: &mut C, id: &str, at: Time) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, "UPDATE tokens SET revoked_at = ");
    st.bind(at)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND revoked_at IS NULL");
    conn.execute(&st).await?;
    Ok(())
}

pub(crate) async fn find_by_hash<C: Conn>(
    conn: &mut C,
    hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    one(conn, "hash", hash).await
}

pub(crate) async fn get<C: Conn>(
    conn: &mut C,
    id: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    one(conn, "id", id).await
}

/// Every token not revoked (expired ones included), of `user` or of everyone, oldest first.
pub(crate) async fn live<C: Conn>(
    conn: &mut C,
    user: Option<&str>,
) -> Result<Vec<TokenRecord>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "tokens WHERE revoked_at IS NULL");
    if let Some(user) = user {
        st.push(" AND user_name = ").bind(user);
    }
    st.push(" ORDER BY created_at, id");
    fetch_all_decoded(conn, &st, decode).await
}

/// The token whose unique `column` is `value`.
async fn one<C: Conn>(
    conn: &mut C,
    column: &str,
    value: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let mut st = Statement::new(
        C::DIALECT,
        format!("SELECT {COLUMNS} FROM tokens WHERE {column} = "),
    );
    st.bind(value);
    fetch_optional_decoded(conn, &st, decode).await
}

/// A token from a row selected as [`COLUMNS`].
fn decode(row: &impl Columns) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: row.text(0)?,
        user: row.text(1)?,
        hash: row.text(2)?,
        created_at: row.time(3)?,
        expires_at: row.opt_time(4)?,
        created_by: row.text(5)?,
        revoked_at: row.opt_time(6)?,
    })
}
