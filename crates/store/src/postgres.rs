//! The PostgreSQL backend, for many servers on one database.
//!
//! Writes are READ COMMITTED transactions. The audit chain serializes on a transaction-scoped
//! advisory lock, so concurrent servers keep one gapless chain; sweeps claim their rows with
//! `FOR UPDATE SKIP LOCKED`, so each expiry is recorded once; a request is updated only over
//! the version it was read at. Triggers announce every change with `NOTIFY` (see [`feed`]).
//!
//! The statements and the `Store` implementation are the shared ones (`crate::sql`).

mod conn;
mod connect;
mod feed;
mod migrations;
mod stretch;
mod values;

use sqlx::postgres::PgConnectOptions;
use sqlx::{PgPool, Postgres};
use wicket_core::audit::Stretch;

use crate::StoreError;
use crate::feed::ChangeFeed;
use crate::sql::Guarded;
use crate::sql::{Backend, Work};

pub use feed::CHANNEL;

/// A [`Store`](crate::Store) in a PostgreSQL database that any number of servers may share.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    options: PgConnectOptions,
}

impl PgStore {
    /// Connects to `url` (`postgres://` or `postgresql://`) and brings the schema up to date;
    /// servers starting at once take turns on an advisory lock, so each migration runs once.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = connect::options(url)?;
        let pool = connect::pool(&options).await?;
        migrations::run(&pool).await?;
        Ok(PgStore { pool, options })
    }

    /// Waits for running queries and closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Backend for PgStore {
    type Db = Postgres;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// READ COMMITTED; dropped uncommitted (on an error), the transaction rolls back.
    async fn transact<W: Work>(&self, work: W) -> Result<W::Done, StoreError> {
        let mut tx = Guarded::begin(&self.pool, "BEGIN").await?;
        match work.run(tx.conn()).await {
            Ok(done) => {
                tx.commit().await?;
                Ok(done)
            }
            Err(e) => {
                // A failed rollback leaves the guard open, and its connection is closed.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    /// One snapshot for reads that span several queries.
    async fn snapshot(&self) -> Result<Guarded<Postgres>, StoreError> {
        Guarded::begin(
            &self.pool,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )
        .await
    }

    /// From a binary `COPY` (see `stretch`).
    async fn verify_stretch(&self, after: i64, through: i64) -> Result<Stretch, StoreError> {
        stretch::verify_stretch(&self.pool, after, through).await
    }

    /// Announces what every server commits: the schema's triggers `NOTIFY`, and the feed
    /// listens on a connection of its own.
    async fn watch(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError> {
        Ok(Some(Box::new(feed::PgFeed::listen(&self.options).await?)))
    }
}
