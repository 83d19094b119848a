//! The PostgreSQL backend, for many servers on one database.
//!
//! Writes are READ COMMITTED transactions. The audit chain serializes on a transaction-scoped
//! advisory lock, so concurrent servers keep one gapless chain; sweeps claim their rows with
//! `FOR UPDATE SKIP LOCKED`, so each expiry is recorded once; a request is updated only over
//! the version it was read at. Triggers announce every change with `NOTIFY` (see [`feed`]).
//!
//! The statements are the shared ones (`crate::sql`).

mod conn;
mod connect;
mod feed;
mod migrations;
mod values;

use async_trait::async_trait;
use sqlx::postgres::PgConnectOptions;
use sqlx::{PgPool, Postgres, Transaction};
use wicket_core::workflow::Changes;
use wicket_core::{Anomaly, AuditEvent, Grant, NewEvent, Request, Time, TokenRecord};

use crate::feed::ChangeFeed;
use crate::filter::{AnomalyFilter, AuditFilter, GrantFilter, RequestFilter};
use crate::sql::archive::{self, Archive};
use crate::sql::chain::{self, Append};
use crate::sql::grants::{self, Due};
use crate::sql::sweep::{ExpireRequests, RecordDue};
use crate::sql::{Work, anomalies, requests, tokens};
use crate::{Store, StoreError};

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

    /// Runs `work` in one READ COMMITTED transaction; committed if it succeeds, rolled back
    /// (the transaction dropped uncommitted) if not.
    async fn write<W: Work>(&self, work: W) -> Result<W::Done, StoreError> {
        if let Some(done) = work.nothing_to_do() {
            return Ok(done);
        }
        let mut tx = self.pool.begin().await?;
        let done = work.run(&mut *tx).await?;
        tx.commit().await?;
        Ok(done)
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
        self.write(changes).await
    }

    async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<AuditEvent>, StoreError> {
        self.write(Append(events)).await
    }

    async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        let mut tx = self.snapshot().await?;
        let request = requests::get(&mut *tx, id).await?;
        tx.rollback().await?;
        Ok(request)
    }

    async fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let mut tx = self.snapshot().await?;
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

    async fn live_grants(&self, now: Time) -> Result<Vec<Grant>, StoreError> {
        grants::live(&mut *self.pool.acquire().await?, now).await
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

    async fn list_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        chain::list(&mut *self.pool.acquire().await?, filter).await
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

    async fn watch(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError> {
        Ok(Some(Box::new(feed::PgFeed::listen(&self.options).await?)))
    }
}
