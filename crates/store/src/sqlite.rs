//! The SQLite backend: one file in WAL mode; every write is one `BEGIN IMMEDIATE` transaction.

mod anomalies;
mod append;
mod archive;
mod bulk;
mod chain;
mod codec;
mod commit;
mod connect;
mod direct;
mod grants;
mod migrations;
mod requests;
mod sweep;
mod tokens;
mod write;

use async_trait::async_trait;
use sqlx::SqlitePool;
use tokio::sync::Mutex;
use wicket_core::workflow::Changes;
use wicket_core::{Anomaly, AuditEvent, Grant, NewEvent, Request, Time, TokenRecord};

use crate::filter::{AnomalyFilter, AuditFilter, GrantFilter, RequestFilter};
use crate::{Store, StoreError};

/// A [`Store`] in one SQLite file.
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

    /// Starts a write transaction: this process's turn first, then SQLite's write lock.
    async fn begin_write(&self) -> Result<write::WriteTx<'_>, StoreError> {
        write::WriteTx::begin(&self.pool, &self.writer).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn commit(&self, changes: Changes) -> Result<Vec<AuditEvent>, StoreError> {
        commit::commit(self, changes).await
    }

    async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<AuditEvent>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.writer.lock().await;
        self.direct.append(events).await
    }

    async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        // One read transaction, so the request and its reviews come from one snapshot.
        let mut tx = self.pool.begin().await?;
        let request = requests::get(&mut tx, id).await?;
        tx.rollback().await?;
        Ok(request)
    }

    async fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let list = requests::list(&mut tx, filter).await?;
        tx.rollback().await?;
        Ok(list)
    }

    async fn get_grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        grants::get(&mut conn, id).await
    }

    async fn list_grants(&self, filter: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        grants::list(&mut conn, filter).await
    }

    async fn live_grants(&self, now: Time) -> Result<Vec<Grant>, StoreError> {
        let mut all = Vec::new();
        self.direct
            .live_grants(codec::millis(now), &mut |page| all.extend(page))
            .await?;
        Ok(all)
    }

    async fn live_grants_by_page(
        &self,
        now: Time,
        each: &mut (dyn FnMut(Vec<Grant>) + Send),
    ) -> Result<(), StoreError> {
        self.direct.live_grants(codec::millis(now), each).await
    }

    async fn expire_requests(&self, now: Time, limit: i64) -> Result<Vec<Request>, StoreError> {
        sweep::expire_requests(self, now, limit).await
    }

    async fn record_activations(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError> {
        sweep::record_activations(self, now, limit).await
    }

    async fn record_expiries(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError> {
        sweep::record_expiries(self, now, limit).await
    }

    async fn list_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        self.direct.events(filter).await
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        chain::head(&mut conn).await
    }

    async fn audit_anchor(&self) -> Result<Option<(i64, String)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        archive::anchor(&mut conn).await
    }

    async fn archive_events(
        &self,
        through: (i64, String),
        event: NewEvent,
        now: Time,
    ) -> Result<AuditEvent, StoreError> {
        let mut tx = self.begin_write().await?;
        let result = archive::archive(tx.conn(), (through.0, &through.1), event, now).await;
        tx.finish(result).await
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        tokens::find_by_hash(&mut conn, hash).await
    }

    async fn get_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        tokens::get(&mut conn, id).await
    }

    async fn list_anomalies(&self, filter: &AnomalyFilter) -> Result<Vec<Anomaly>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        anomalies::list(&mut conn, filter).await
    }

    async fn count_requests(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows)
    }
}
