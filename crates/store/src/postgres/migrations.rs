//! The schema migrations, embedded in the binary and applied under an advisory lock, so that
//! servers starting at once against a new database take turns and each migration runs once.

use sqlx::migrate::Migrator;
use sqlx::{Connection, PgPool};

use crate::StoreError;
use crate::sql::migrations::{Embedded, Migrations};

/// Every migration in version order (see [`Migrations`]).
const MIGRATIONS: Migrations = &[
    (
        1,
        "initial",
        include_str!("../../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "audit anchor",
        include_str!("../../migrations/postgres/0002_audit_anchor.sql"),
    ),
    (
        3,
        "directory",
        include_str!("../../migrations/postgres/0003_directory.sql"),
    ),
    (
        4,
        "grant extension",
        include_str!("../../migrations/postgres/0004_grant_extension.sql"),
    ),
    (
        5,
        "access reviews",
        include_str!("../../migrations/postgres/0005_access_reviews.sql"),
    ),
    (
        6,
        "slack messages",
        include_str!("../../migrations/postgres/0006_slack_messages.sql"),
    ),
];

/// The session advisory lock that migrating servers take turns on ("wicket" and 1).
const MIGRATION_LOCK: i64 = 0x7769_636b_6574_0001;

/// Brings the schema up to date: waits for the migration lock, applies what is missing (each
/// migration in its own transaction), and lets go.
///
/// The connection is taken out of the pool and closed afterwards rather than returned: a
/// session lock lives as long as its connection, so should this future be dropped half-way,
/// closing the connection is what releases the lock.
pub(super) async fn run(pool: &PgPool) -> Result<(), StoreError> {
    let migrator = Migrator::new(Embedded(MIGRATIONS)).await?;
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut conn)
        .await?;
    let migrated = migrator.run_direct(&mut conn).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut conn)
        .await;
    let closed = conn.close().await;
    migrated?;
    unlocked?;
    closed?;
    Ok(())
}
