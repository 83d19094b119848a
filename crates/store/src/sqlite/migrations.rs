//! The schema migrations, embedded in the binary and applied under the write lock.

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;

use crate::StoreError;
use crate::sql::migrations::{Embedded, Migrations};

/// Every migration in version order (see [`Migrations`]).
const MIGRATIONS: Migrations = &[
    (
        1,
        "initial",
        include_str!("../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "audit anchor",
        include_str!("../../migrations/sqlite/0002_audit_anchor.sql"),
    ),
    (
        3,
        "directory",
        include_str!("../../migrations/sqlite/0003_directory.sql"),
    ),
    (
        4,
        "grant extension",
        include_str!("../../migrations/sqlite/0004_grant_extension.sql"),
    ),
    (
        5,
        "access reviews",
        include_str!("../../migrations/sqlite/0005_access_reviews.sql"),
    ),
    (
        6,
        "slack messages",
        include_str!("../../migrations/sqlite/0006_slack_messages.sql"),
    ),
];

/// Brings the schema up to date. Runs inside one `BEGIN IMMEDIATE` transaction (sqlx nests
/// each migration in a savepoint), so two processes opening a new file at once take turns
/// instead of both creating the tables.
pub(super) async fn run(pool: &SqlitePool) -> Result<(), StoreError> {
    let migrator = Migrator::new(Embedded(MIGRATIONS)).await?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // `run_direct` is `run` on one connection; `run` itself, generic over `Acquire`, makes
    // this future not provably `Send`, and `open` could then not be spawned on a runtime.
    migrator.run_direct(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
