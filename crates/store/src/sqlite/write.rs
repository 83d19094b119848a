//! The write transaction: this process's turn, then `BEGIN IMMEDIATE`; committed only by
//! [`WriteTx::finish`] with an `Ok`, rolled back in every other case.

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, MutexGuard};

use crate::StoreError;

/// An open `BEGIN IMMEDIATE` transaction holding SQLite's write lock.
///
/// Used as `let result = work(tx.conn()).await; tx.finish(result).await`: `finish` commits
/// an `Ok` and rolls back an `Err`. A transaction dropped before `finish` completes (the
/// future cancelled, a panic) cannot await a `ROLLBACK`, so its connection is closed instead
/// of returned to the pool, and SQLite rolls back on close.
///
/// Not sqlx's `Transaction` from `begin_with`: in sqlx 0.8.6, a future cancelled right after
/// a custom `BEGIN` ran but before the `Transaction` exists leaves the connection pooled with
/// the transaction (and the write lock) open — found by `dropped_writes_leave_nothing_half_done`.
// INVARIANT: `conn` is declared before `_turn`, so it is closed (or returned) before the next
// writer in this process gets its turn.
pub(super) struct WriteTx<'a> {
    conn: PoolConnection<Sqlite>,
    /// True from just before `BEGIN` is sent until `COMMIT` or `ROLLBACK` succeeded.
    open: bool,
    _turn: MutexGuard<'a, ()>,
}

impl<'a> WriteTx<'a> {
    /// Waits for this process's turn, then for the database's write lock (up to the busy
    /// timeout, then a "database is locked" error).
    ///
    /// `IMMEDIATE` takes the write lock at `BEGIN`: a deferred transaction that reads first
    /// and then writes could find another writer got there between, and fail without waiting.
    pub(super) async fn begin(
        pool: &SqlitePool,
        writer: &'a Mutex<()>,
    ) -> Result<WriteTx<'a>, StoreError> {
        let turn = writer.lock().await;
        let conn = pool.acquire().await?;
        let mut tx = WriteTx {
            conn,
            open: true,
            _turn: turn,
        };
        if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *tx.conn).await {
            // SQLite started no transaction; the connection can go back to the pool.
            tx.open = false;
            return Err(e.into());
        }
        Ok(tx)
    }

    pub(super) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    /// Commits if `result` is `Ok` (on disk once this returns, `synchronous = FULL`), rolls
    /// back if it is an `Err`, and returns it (or the error of the commit).
    pub(super) async fn finish<T>(
        mut self,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match result {
            Ok(value) => {
                sqlx::query("COMMIT").execute(&mut *self.conn).await?;
                self.open = false;
                Ok(value)
            }
            Err(err) => {
                // Should the rollback itself fail, `open` stays set and drop closes the connection.
                if sqlx::query("ROLLBACK")
                    .execute(&mut *self.conn)
                    .await
                    .is_ok()
                {
                    self.open = false;
                }
                Err(err)
            }
        }
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}
