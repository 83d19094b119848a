//! Embedded schema migrations: each backend lists its own files and applies them under its
//! own lock (`sqlite::migrations`, `postgres::migrations`); this is the source sqlx reads
//! them from.
//!
//! Listed by hand rather than with `sqlx::migrate!`, which needs sqlx's proc macros (and a
//! second build of SQLite for them); `include_str!` still rebuilds when a file changes, and
//! the version, description and checksum are the ones `sqlx::migrate!` would record.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType};

/// Every migration of a backend in version order: `(version, description, sql)`. A released
/// migration is never edited (its checksum is recorded); a change is a new file appended.
pub(crate) type Migrations = &'static [(i64, &'static str, &'static str)];

/// A [`MigrationSource`] over a backend's [`Migrations`].
#[derive(Debug)]
pub(crate) struct Embedded(pub(crate) Migrations);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move {
            Ok(self
                .0
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
