//! Bearer tokens in SQLite, kept only as hashes: insert, revoke, look up.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use wicket_core::{Time, TokenRecord};

use super::codec::{self, millis, opt_millis};
use crate::StoreError;

const COLUMNS: &str = "id, user_name, hash, created_at, expires_at, created_by, revoked_at";

pub(super) async fn insert(conn: &mut SqliteConnection, t: &TokenRecord) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO tokens ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(t.id.as_str())
    .bind(t.user.as_str())
    .bind(t.hash.as_str())
    .bind(millis(t.created_at))
    .bind(opt_millis(t.expires_at))
    .bind(t.created_by.as_str())
    .bind(opt_millis(t.revoked_at))
    .execute(conn)
    .await
    // Names the id only: the hash is a credential's fingerprint and stays out of messages.
    .map_err(|e| codec::conflict_if_unique(e, || format!("token `{}` already exists", t.id)))?;
    Ok(())
}

/// Marks token `id` revoked at `at`, unless it already is (the first revocation stands).
pub(super) async fn revoke(
    conn: &mut SqliteConnection,
    id: &str,
    at: Time,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .bind(millis(at))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn find_by_hash(
    conn: &mut SqliteConnection,
    hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens WHERE hash = ?"))
        .bind(hash)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn get(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(row: &SqliteRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        user: row.try_get("user_name")?,
        hash: row.try_get("hash")?,
        created_at: codec::time(row, "created_at")?,
        expires_at: codec::opt_time(row, "expires_at")?,
        created_by: row.try_get("created_by")?,
        revoked_at: codec::opt_time(row, "revoked_at")?,
    })
}
