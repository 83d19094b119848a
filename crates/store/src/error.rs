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

/// What sort of failure a [`StoreError`] is, for what to tell the caller and the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A concurrent writer won; try again.
    Conflict,
    /// The database cannot be reached (refused, timed out, shut down): it may come back.
    Unreachable,
    /// The database's disk is full: nothing can be written until space is freed.
    DiskFull,
    /// Anything else.
    Other,
}

impl StoreError {
    /// The sort of this failure.
    pub fn failure(&self) -> Failure {
        match self {
            StoreError::Conflict(_) => Failure::Conflict,
            StoreError::Database(e) => sqlx_failure(e),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => match e.code {
                rusqlite::ErrorCode::DiskFull => Failure::DiskFull,
                rusqlite::ErrorCode::CannotOpen => Failure::Unreachable,
                _ => Failure::Other,
            },
            _ => Failure::Other,
        }
    }
}

fn sqlx_failure(e: &sqlx::Error) -> Failure {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Failure::Unreachable
        }
        sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => Failure::Unreachable,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLite's primary result code is the low byte of the extended one.
                match code.parse::<i32>().map(|c| c & 0xff) {
                    Ok(13) => Failure::DiskFull,    // SQLITE_FULL
                    Ok(14) => Failure::Unreachable, // SQLITE_CANTOPEN
                    _ => Failure::Other,
                }
            } else if code == "53100" {
                // PostgreSQL's `disk_full`.
                Failure::DiskFull
            } else if code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
            {
                // Connection exceptions; the server shutting down or starting up.
                Failure::Unreachable
            } else {
                Failure::Other
            }
        }
        _ => Failure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_sorted_by_what_the_caller_should_hear() {
        let sqlite = |code: i32| {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        assert_eq!(sqlite(13).failure(), Failure::DiskFull);
        assert_eq!(sqlite(14).failure(), Failure::Unreachable);
        assert_eq!(sqlite(1).failure(), Failure::Other);
        assert_eq!(
            StoreError::Database(sqlx::Error::PoolTimedOut).failure(),
            Failure::Unreachable
        );
        assert_eq!(
            StoreError::Conflict("x".into()).failure(),
            Failure::Conflict
        );
    }
}
