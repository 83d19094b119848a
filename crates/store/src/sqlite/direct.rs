//! Connections of this process's own to the database file, beside sqlx's pool: read-only
//! ones for reads of many rows (`bulk`) and one writer for audit appends (`append`).
//!
//! They use SQLite through rusqlite on tokio's blocking threads, so rows and parameters
//! pass by reference instead of being handed one by one to sqlx's connection thread. They
//! take the same locks as the pool's connections: WAL readers see committed snapshots, and a
//! write takes the database's write lock at `BEGIN IMMEDIATE`, after this process's turn.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Idle read connections kept for the next read.
const KEEP_IDLE: usize = 4;

/// The connections, opened on first use and kept for reuse.
#[derive(Debug, Clone)]
pub(super) struct Direct {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    busy_timeout: Duration,
    readers: Mutex<Vec<Connection>>,
    writer: Mutex<Option<Connection>>,
}

impl Direct {
    pub(super) fn new(path: PathBuf, busy_timeout: Duration) -> Direct {
        Direct {
            shared: Arc::new(Shared {
                path,
                busy_timeout,
                readers: Mutex::new(Vec::new()),
                writer: Mutex::new(None),
            }),
        }
    }

    /// Runs `read` on a blocking thread with a read-only connection.
    pub(super) async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = self.shared.clone();
        blocking(move || {
            let idle = shared.readers.lock().ok().and_then(|mut idle| idle.pop());
            let conn = match idle {
                Some(conn) => conn,
                None => shared.open(OpenFlags::SQLITE_OPEN_READ_ONLY)?,
            };
            let out = read(&conn);
            if let Ok(mut idle) = shared.readers.lock()
                && idle.len() < KEEP_IDLE
            {
                idle.push(conn);
            }
            out
        })
        .await
    }

    /// Runs `write` on a blocking thread with the write connection (`synchronous = FULL`, so
    /// a commit is on disk before it returns). The caller holds this process's write turn.
    ///
    /// Should the caller be cancelled, the write still runs to its end on its thread:
    /// a transaction is committed whole or not at all either way.
    pub(super) async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = self.shared.clone();
        blocking(move || {
            let mut slot = shared
                .writer
                .lock()
                .map_err(|_| StoreError::Corrupt("the audit writer failed before".into()))?;
            let mut conn = match slot.take() {
                Some(conn) => conn,
                None => {
                    let conn = shared.open(OpenFlags::SQLITE_OPEN_READ_WRITE)?;
                    conn.pragma_update(None, "synchronous", "FULL")?;
                    conn
                }
            };
            let out = write(&mut conn);
            *slot = Some(conn);
            out
        })
        .await
    }
}

impl Shared {
    fn open(&self, flags: OpenFlags) -> Result<Connection, StoreError> {
        let conn =
            Connection::open_with_flags(&self.path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(self.busy_timeout)?;
        Ok(conn)
    }
}

async fn blocking<T, F>(work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        StoreError::Corrupt(format!("a database call on its own thread stopped: {e}"))
    })?
}
