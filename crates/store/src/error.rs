//! Store errors: conflicts the caller can act on, and everything else.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write lost a race or repeats something unique; nothing was written.
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the SQLite backend's own connections (`sqlite::direct`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}
