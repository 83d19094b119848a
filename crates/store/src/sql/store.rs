//! The one [`Store`] implementation, for every [`Backend`]: each method runs the shared
//! statements on the backend's pool or in its transactions, or takes the backend's own path
//! where it has one.

use async_trait::async_trait;
use wicket_core::audit::Stretch;
use wicket_core::review::Campaign;
use wicket_core::workflow::Changes;
use wicket_core::{Anomaly, AuditEvent, Grant, NewEvent, Request, Time, TokenRecord};

use super::archive::{self, Archive};
use super::grants::{self, Due};
use super::reviews::{self, Which};
use super::sweep::{ExpireRequests, RecordDue};
use super::{Backend, anomalies, chain, directory, requests, slack, tokens};
use crate::directory::{Directory, DirectoryWrite};
use crate::feed::ChangeFeed;
use crate::filter::{AnomalyFilter, AuditFilter, GrantFilter, RequestFilter};
use crate::reviews::{ReviewWrite, Suspension};
use crate::{SlackMessage, Store, StoreError};

#[async_trait]
impl<B: Backend> Store for B {
    async fn commit(&self, changes: Changes) -> Result<Vec<AuditEvent>, StoreError> {
        self.write(changes).await
    }

    async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<AuditEvent>, StoreError> {
        Backend::append_events(self, events).await
    }

    async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        // One snapshot, so that the request and its reviews are read as they stood together.
        let mut tx = self.snapshot().await?;
        let request = requests::get(tx.conn(), id).await?;
        tx.rollback().await?;
        Ok(request)
    }

    async fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let mut tx = self.snapshot().await?;
        let list = requests::list(tx.conn(), filter).await?;
        tx.rollback().await?;
        Ok(list)
    }

    async fn get_grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        grants::get(&mut *self.pool().acquire().await?, id).await
    }

    async fn list_grants(&self, filter: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
        grants::list(&mut *self.pool().acquire().await?, filter).await
    }

    async fn live_grants(&self, now: Time) -> Result<Vec<Grant>, StoreError> {
        Backend::live_grants(self, now).await
    }

    async fn live_grants_by_page(
        &self,
        now: Time,
        each: &mut (dyn FnMut(Vec<Grant>) + Send),
    ) -> Result<(), StoreError> {
        Backend::live_grants_by_page(self, now, each).await
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
        Backend::list_events(self, filter).await
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        chain::head(&mut *self.pool().acquire().await?).await
    }

    async fn verify_stretch(&self, after: i64, through: i64) -> Result<Stretch, StoreError> {
        Backend::verify_stretch(self, after, through).await
    }

    async fn audit_anchor(&self) -> Result<Option<(i64, String)>, StoreError> {
        archive::anchor(&mut *self.pool().acquire().await?).await
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
        tokens::find_by_hash(&mut *self.pool().acquire().await?, hash).await
    }

    async fn get_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        tokens::get(&mut *self.pool().acquire().await?, id).await
    }

    async fn live_tokens(&self, user: Option<&str>) -> Result<Vec<TokenRecord>, StoreError> {
        tokens::live(&mut *self.pool().acquire().await?, user).await
    }

    async fn read_directory(&self) -> Result<Directory, StoreError> {
        let mut tx = self.snapshot().await?;
        let directory = directory::read(tx.conn()).await?;
        tx.rollback().await?;
        Ok(directory)
    }

    async fn write_directory(&self, write: DirectoryWrite) -> Result<Vec<AuditEvent>, StoreError> {
        self.write(write).await
    }

    async fn write_reviews(&self, write: ReviewWrite) -> Result<Vec<AuditEvent>, StoreError> {
        self.write(write).await
    }

    async fn list_campaigns(&self, open_only: bool) -> Result<Vec<Campaign>, StoreError> {
        let which = if open_only { Which::Open } else { Which::All };
        read_campaigns(self, which).await
    }

    async fn get_campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        Ok(read_campaigns(self, Which::One(id)).await?.pop())
    }

    async fn last_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        read_campaigns(self, Which::Last).await
    }

    async fn suspensions(&self) -> Result<Vec<Suspension>, StoreError> {
        reviews::suspensions(&mut *self.pool().acquire().await?).await
    }

    async fn list_anomalies(&self, filter: &AnomalyFilter) -> Result<Vec<Anomaly>, StoreError> {
        anomalies::list(&mut *self.pool().acquire().await?, filter).await
    }

    async fn count_requests(&self) -> Result<Vec<(String, i64)>, StoreError> {
        requests::count(&mut *self.pool().acquire().await?).await
    }

    async fn put_slack_message(&self, message: SlackMessage) -> Result<bool, StoreError> {
        self.write(slack::PutMessage(message)).await
    }

    async fn slack_message(&self, id: &str) -> Result<Option<SlackMessage>, StoreError> {
        slack::get(&mut *self.pool().acquire().await?, id).await
    }

    async fn watch(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError> {
        Backend::watch(self).await
    }
}

/// Campaigns and their items, read on one snapshot.
async fn read_campaigns<B: Backend>(
    backend: &B,
    which: Which<'_>,
) -> Result<Vec<Campaign>, StoreError> {
    let mut tx = backend.snapshot().await?;
    let list = reviews::campaigns(tx.conn(), which).await?;
    tx.rollback().await?;
    Ok(list)
}
