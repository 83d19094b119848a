//! The SQLite backend: one file in WAL mode; every write is one `BEGIN IMMEDIATE` transaction.
//!
//! The statements are the shared ones (`crate::sql`), run on sqlx's pool. Audit appends, audit pages and the live grants take SQLite's own path, for
//! speed: connections of this process's own through rusqlite (`direct`, `append`, `bulk`).

mod append;
mod bulk;
mod conn;
mod connect;
mod direct;
mod migrations;
mod values;
mod write;

use async_trait::async_trait;
use sqlx::SqlitePool;
use tokio::sync::Mutex;
use wicket_core::workflow::Changes;
use wicket_core::{Anomaly, AuditEvent, Grant, NewEvent, Request, Time, TokenRecord};

use crate::filter::{AnomalyFilter, AuditFilter, GrantFilter, RequestFilter};
use crate::sql::archive::{self, Archive};
use crate::sql::grants::{self, Due};
use crate::sql::sweep::{ExpireRequests, RecordDue};
use crate::sql::{Work, anomalies, chain, requests, tokens};
use crate::{Store, StoreError};

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

    /// Runs `work` in one write transaction: this process's turn first, then SQLite's write
    /// lock (see `write::WriteTx`); committed if it succeeds, rolled back if not.
    async fn write<W: Work>(&self, work: W) -> Result<W::Done, StoreError> {
        if let Some(done) = work.nothing_to_do() {
            return Ok(done);
        }
        let mut tx = write::WriteTx::begin(&self.pool, &self.writer).await?;
        let result = work.run(tx.conn()).await;
        tx.finish(result).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn commit(&self, changes: Changes) -> Result<Vec<AuditEvent>, StoreError> {
        self.write(changes).await
    }

    /// SQLite's own path, for speed (see `append`).
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
        let request = requests::get(&mut *tx, id).await?;
        tx.rollback().await?;
        Ok(request)
    }

    async fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let list = requests::list(&mut *tx, filter).await?;
        tx.rollback().await?;
        Ok(list)
    }

    async fn get_grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        grants::get(&mut *self.pool.acquire().await?, id).await
    }

    async fn list_grants(&self, filter: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
        grants::list(&mut *self.pool.acquire().await?, filter).await
    }

    /// SQLite's own path, for speed (see `bulk`).
    async fn live_grants(&self, now: Time) -> Result<Vec<Grant>, StoreError> {
        let mut all = Vec::new();
        self.direct
            .live_grants(values::millis(now), &mut |page| all.extend(page))
            .await?;
        Ok(all)
    }

    async fn live_grants_by_page(
        &self,
        now: Time,
        each: &mut (dyn FnMut(Vec<Grant>) + Send),
    ) -> Result<(), StoreError> {
        self.direct.live_grants(values::millis(now), each).await
    }

    async fn expire_requests(&self, now: Time, limit: i64) -> Result<Vec<Request>, StoreError> {
        self.write(ExpireRequests { now, limit }).await
    }

    async fn record_activations(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError> {
        let due = Due::Activation;
        self.write(RecordDue { due, now, limit }).await
    }

    async fn record_expiries(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError> {
        let due = Due::Expiry;
        self.write(RecordDue { due, now, limit }).await
    }

    /// SQLite's own path, for speed (see `bulk`).
    async fn list_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        self.direct.events(filter).await
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        chain::head(&mut *self.pool.acquire().await?).await
    }

    async fn audit_anchor(&self) -> Result<Option<(i64, String)>, StoreError> {
        archive::anchor(&mut *self.pool.acquire().await?).await
    }

    async fn archive_events(
        &self,
        through: (i64, String),
        event: NewEvent,
        at: Time,
    ) -> Result<AuditEvent, StoreError> {
        self.write(Archive { through, event, at }).await
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        tokens::find_by_hash(&mut *self.pool.acquire().await?, hash).await
    }

    async fn get_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        tokens::get(&mut *self.pool.acquire().await?, id).await
    }

    async fn list_anomalies(&self, filter: &AnomalyFilter) -> Result<Vec<Anomaly>, StoreError> {
        anomalies::list(&mut *self.pool.acquire().await?, filter).await
    }

    async fn count_requests(&self) -> Result<Vec<(String, i64)>, StoreError> {
        requests::count(&mut *self.pool.acquire().await?).await
    }
}
