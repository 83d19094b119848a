//! Bearer tokens in PostgreSQL, kept only as hashes: insert, revoke, look up.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use wicket_core::{Time, TokenRecord};

use super::codec::{self, ms, opt_ms};
use crate::StoreError;

const COLUMNS: &str = "id, user_name, hash, created_at, expires_at, created_by, revoked_at";

pub(super) async fn insert(conn: &mut PgConnection, t: &TokenRecord) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(t.id.as_str())
    .bind(t.user.as_str())
    .bind(t.hash.as_str())
    .bind(ms(t.created_at))
    .bind(opt_ms(t.expires_at))
    .bind(t.created_by.as_str())
    .bind(opt_ms(t.revoked_at))
    .execute(conn)
    .await
    // Names the id only: the hash is a credential's fingerprint and stays out of messages.
    .map_err(|e| codec::conflict_if_unique(e, || format!("token `{}` already exists", t.id)))?;
    Ok(())
}

/// Marks token `id` revoked at `at`, unless it already is (the first revocation stands).
pub(super) async fn revoke(conn: &mut PgConnection, id: &str, at: Time) -> Result<(), StoreError> {
    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(ms(at))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn find_by_hash(
    conn: &mut PgConnection,
    hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens WHERE hash = $1"))
        .bind(hash)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn get(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(row: &PgRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        user: row.try_get("user_name")?,
        hash: row.try_get("hash")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        created_by: row.try_get("created_by")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}
