//! The schema migrations, embedded in the binary and applied under the write lock.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::SqlitePool;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::StoreError;

/// Every migration in version order: `(version, description, sql)`. A released migration is
/// never edited (its checksum is recorded); a change is a new file appended here.
///
/// Listed by hand rather than with `sqlx::migrate!`, which needs sqlx's proc macros (and a
/// second build of SQLite for them); `include_str!` still rebuilds when a file changes, and
/// the version, description and checksum are the ones `sqlx::migrate!` would record.
const MIGRATIONS: &[(i64, &str, &str)] = &[
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
];

#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Brings the schema up to date. Runs inside one `BEGIN IMMEDIATE` transaction (sqlx nests
/// each migration in a savepoint), so two processes opening a new file at once take turns
/// instead of both creating the tables.
pub(super) async fn run(pool: &SqlitePool) -> Result<(), StoreError> {
    let migrator = Migrator::new(Embedded).await?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // `run_direct` is `run` on one connection; `run` itself, generic over `Acquire`, makes
    // this future not provably `Send`, and `open` could then not be spawned on a runtime.
    migrator.run_direct(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
