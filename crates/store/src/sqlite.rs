//! The SQLite backend: one file in WAL mode; every write is one `BEGIN IMMEDIATE` transaction.
//!
//! The statements and the `Store` implementation are the shared ones (`crate::sql`), run on
//! sqlx's pool. Audit appends, audit pages, verifying the chain and the live grants take
//! SQLite's own path, for speed: connections of this process's own through rusqlite
//! (`direct`, `append`, `bulk`, `stretch`).

mod append;
mod bulk;
mod conn;
mod connect;
mod direct;
mod migrations;
mod stretch;
mod values;
mod write;

use sqlx::{Sqlite, SqlitePool};
use tokio::sync::Mutex;
use wicket_core::audit::Stretch;
use wicket_core::{AuditEvent, Grant, NewEvent, Time};

use crate::StoreError;
use crate::filter::AuditFilter;
use crate::sql::Guarded;
use crate::sql::{Backend, Work};

/// A [`Store`](crate::Store) in one SQLite file.
///
/// Readers run concurrently on a small pool (WAL lets them read while one writer writes).
/// Writers take turns: in this process through a queue, across processes through SQLite's
/// write lock, taken at `BEGIN IMMEDIATE` and waited for up to the busy timeout.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One writer at a time in this process, served in arrival order. Without it, writers
    /// would poll SQLite's lock with backoff, and a busy one could starve past the timeout.
    writer: Mutex<()>,
    /// Connections beside the pool: reads of many rows (audit pages, live grants) and
    /// audit appends.
    direct: direct::Direct,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` — `sqlite://path/to/wicket.db` or
    /// `sqlite:path` — and brings its schema up to date.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let pool = connect::pool(url).await?;
        migrations::run(&pool).await?;
        let path = connect::options(url)?.get_filename().to_path_buf();
        Ok(SqliteStore {
            pool,
            writer: Mutex::new(()),
            direct: direct::Direct::new(path, connect::BUSY_TIMEOUT),
        })
    }

    /// Waits for running queries and closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Backend for SqliteStore {
    type Db = Sqlite;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// This process's turn first, then SQLite's write lock (see `write::WriteTx`).
    async fn transact<W: Work>(&self, work: W) -> Result<W::Done, StoreError> {
        let mut tx = write::WriteTx::begin(&self.pool, &self.writer).await?;
        let result = work.run(tx.conn()).await;
        tx.finish(result).await
    }

    /// A deferred read transaction: in WAL mode its first read fixes its snapshot.
    async fn snapshot(&self) -> Result<Guarded<Sqlite>, StoreError> {
        Guarded::begin(&self.pool, "BEGIN").await
    }

    /// SQLite's own path, for speed (see `append`).
    async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<AuditEvent>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.writer.lock().await;
        self.direct.append(events).await
    }

    /// SQLite's own path, for speed (see `bulk`).
    async fn list_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        self.direct.events(filter).await
    }

    /// Where SQLite keeps the rows (see `stretch`).
    async fn verify_stretch(&self, after: i64, through: i64) -> Result<Stretch, StoreError> {
        self.direct.verify_stretch(after, through).await
    }

    /// SQLite's own path, for speed (see `bulk`).
    async fn live_grants(&self, now: Time) -> Result<Vec<Grant>, StoreError> {
        let mut all = Vec::new();
        self.direct
            .live_grants(values::millis(now), &mut |page| all.extend(page))
            .await?;
        Ok(all)
    }

    /// SQLite's own path, for speed (see `bulk`).
    async fn live_grants_by_page(
        &self,
        now: Time,
        each: &mut (dyn FnMut(Vec<Grant>) + Send),
    ) -> Result<(), StoreError> {
        self.direct.live_grants(values::millis(now), each).await
    }
}
