//! The PostgreSQL backend, for many servers on one database.
//!
//! Writes are READ COMMITTED transactions. The audit chain serializes on a transaction-scoped
//! advisory lock, so concurrent servers keep one gapless chain; sweeps claim their rows with
//! `FOR UPDATE SKIP LOCKED`, so each expiry is recorded once; a request is updated only over
//! the version it was read at. Triggers announce every change with `NOTIFY` (see [`feed`]).

mod anomalies;
mod archive;
mod chain;
mod codec;
mod commit;
mod connect;
mod feed;
mod grants;
mod migrations;
mod requests;
mod sweep;
mod tokens;

use async_trait::async_trait;
use sqlx::postgres::PgConnectOptions;
use sqlx::{PgPool, Postgres, Transaction};
use wicket_core::workflow::Changes;
use wicket_core::{Anomaly, AuditEvent, Grant, NewEvent, Request, Time, TokenRecord};

use crate::feed::ChangeFeed;
use crate::filter::{AnomalyFilter, AuditFilter, GrantFilter, RequestFilter};
use crate::{Store, StoreError};

pub use feed::CHANNEL;

/// A [`Store`] in a PostgreSQL database that any number of servers may share.
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

    /// A READ COMMITTED write transaction; dropped without commit, it rolls back.
    async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// A read-only transaction on one snapshot, for reads that span several queries.
    async fn snapshot(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn commit(&self, changes: Changes) -> Result<Vec<AuditEvent>, StoreError> {
        let mut tx = self.begin().await?;
        let sealed = commit::apply(&mut tx, changes).await?;
        tx.commit().await?;
        Ok(sealed)
    }

    async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<AuditEvent>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let sealed = chain::append(&mut tx, events).await?;
        tx.commit().await?;
        Ok(sealed)
    }

    async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        let mut tx = self.snapshot().await?;
        let request = requests::get(&mut tx, id).await?;
        tx.rollback().await?;
        Ok(request)
    }

    async fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let mut tx = self.snapshot().await?;
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
        let mut conn = self.pool.acquire().await?;
        grants::live(&mut conn, now).await
    }

    async fn expire_requests(&self, now: Time, limit: i64) -> Result<Vec<Request>, StoreError> {
        sweep::expire_requests(self, now, limit).await
    }

    async fn record_activations(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError> {
        sweep::record(self, grants::Due::Activation, now, limit).await
    }

    async fn record_expiries(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError> {
        sweep::record(self, grants::Due::Expiry, now, limit).await
    }

    async fn list_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        chain::list(&mut conn, filter).await
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
        let mut tx = self.begin().await?;
        let event = archive::archive(&mut tx, (through.0, &through.1), event, now).await?;
        tx.commit().await?;
        Ok(event)
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

    async fn watch(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError> {
        Ok(Some(Box::new(feed::PgFeed::listen(&self.options).await?)))
    }
}
