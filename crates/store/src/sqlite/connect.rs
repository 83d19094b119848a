//! Opening the database file: the URL, the pragmas every connection runs with, the pool.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreError;

/// How long a writer waits for another process's write lock before giving up.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in the pool: enough for concurrent readers (writers take turns anyway).
const MAX_CONNECTIONS: u32 = 8;

fn config_error(message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Configuration(message.into()))
}

/// The connect options for `url`: created if missing, WAL, `synchronous = FULL` so that a
/// commit is on disk before it is acknowledged, foreign keys enforced.
pub(super) fn options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    if !url.starts_with("sqlite:") {
        return Err(config_error(format!(
            "`{url}` is not a SQLite URL; write it like `sqlite://wicket.db`"
        )));
    }
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(config_error(format!(
            "`{url}` is an in-memory database, which would lose everything on restart; \
             give a file like `sqlite://wicket.db`"
        )));
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| config_error(format!("cannot read the database URL `{url}`: {e}")))?;
    Ok(options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true))
}

/// Opens the pool, failing now (not at first use) if the file cannot be opened.
///
/// Switching a new file to WAL takes an exclusive lock that SQLite does not wait for, so a
/// process opening the file while another one does that sees "database is locked" at once;
/// opening is retried, like any wait for a lock, until the busy timeout.
pub(super) async fn pool(url: &str) -> Result<SqlitePool, StoreError> {
    let options = options(url)?;
    let path = options.get_filename().display().to_string();
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        let opened = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(1)
            .connect_with(options.clone())
            .await;
        match opened {
            Ok(pool) => return Ok(pool),
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => {
                return Err(config_error(format!(
                    "cannot open the database file `{path}`: {e}"
                )));
            }
        }
    }
}

/// Whether `e` is SQLite's `SQLITE_BUSY`, in any of its extended forms.
fn is_busy(e: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    match e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| code & 0xff == SQLITE_BUSY),
        _ => false,
    }
}
