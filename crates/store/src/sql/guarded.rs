//! A transaction on a pooled connection that cannot leak into the pool.
//!
//! sqlx 0.8.6's `Pool::begin`, cancelled after its `BEGIN` was sent but before sqlx counted the
//! transaction, returns the connection to the pool still inside it: later reads ran in that
//! stray transaction and the next snapshot failed (25001). Here the transaction is marked open
//! before `BEGIN` is sent and closed only once `COMMIT` or `ROLLBACK` succeeded; a guard dropped
//! while open closes its connection instead of pooling it, and the server rolls back.

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};

use super::{Conn, Statement};
use crate::StoreError;

pub(crate) struct Guarded<DB: Database> {
    conn: PoolConnection<DB>,
    open: bool,
}

impl<DB> Guarded<DB>
where
    DB: Database,
    DB::Connection: Conn,
{
    /// Takes a connection from `pool` and opens a transaction on it with `begin`.
    pub(crate) async fn begin(pool: &Pool<DB>, begin: &str) -> Result<Guarded<DB>, StoreError> {
        let conn = pool.acquire().await?;
        let mut tx = Guarded { conn, open: true };
        tx.run(begin).await?;
        Ok(tx)
    }

    /// The connection, inside the transaction.
    pub(crate) fn conn(&mut self) -> &mut DB::Connection {
        &mut self.conn
    }

    /// Commits; on failure the connection is closed, not pooled.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        self.run("COMMIT").await?;
        self.open = false;
        Ok(())
    }

    /// Rolls back; on failure the connection is closed, not pooled.
    pub(crate) async fn rollback(mut self) -> Result<(), StoreError> {
        self.run("ROLLBACK").await?;
        self.open = false;
        Ok(())
    }

    async fn run(&mut self, sql: &str) -> Result<(), StoreError> {
        let st = Statement::new(<DB::Connection as Conn>::DIALECT, sql);
        self.conn.execute(&st).await.map(|_| ())
    }
}

impl<DB: Database> Drop for Guarded<DB> {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}
