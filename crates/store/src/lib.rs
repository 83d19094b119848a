//! Persistence: the [`Store`] trait every backend implements, the SQLite backend (one server,
//! one file) and the PostgreSQL backend (many servers, one database).
//!
//! The server only ever talks to `dyn Store`.

pub mod directory;
pub mod error;
pub mod feed;
pub mod filter;
mod ids;
pub mod postgres;
pub mod reviews;
pub mod slack;
mod sql;
pub mod sqlite;

use async_trait::async_trait;
use wicket_core::audit::Stretch;
use wicket_core::review::Campaign;
use wicket_core::workflow::Changes;
use wicket_core::{Anomaly, AuditEvent, Grant, NewEvent, Request, Time, TokenRecord};

pub use directory::{DirGroup, DirUser, Directory, DirectoryWrite};
pub use error::{Failure, StoreError};
pub use feed::{Change, ChangeFeed};
pub use filter::{AnomalyFilter, AuditFilter, GrantFilter, RequestFilter};
pub use reviews::{ReviewWrite, Suspension};
pub use slack::SlackMessage;

/// What every storage backend provides.
///
/// Every write method applies its whole effect, audit events included, in one transaction,
/// and appends the events to the one hash chain in `seq` order.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies a transition in one transaction and returns the events as sealed in the chain.
    /// A `RequestWrite::Update` over a stale version, a revocation of an already revoked grant,
    /// or a second review by the same reviewer is [`StoreError::Conflict`], and nothing is written.
    async fn commit(&self, changes: Changes) -> Result<Vec<AuditEvent>, StoreError>;

    /// Appends events that belong to no other write (checks, policy loads) in one transaction.
    async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<AuditEvent>, StoreError>;

    async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError>;
    /// Newest first, with their reviews.
    async fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError>;

    async fn get_grant(&self, id: &str) -> Result<Option<Grant>, StoreError>;
    /// Newest first.
    async fn list_grants(&self, filter: &GrantFilter) -> Result<Vec<Grant>, StoreError>;

    /// Every grant not revoked whose `expires_at` is after `now` (scheduled or active), without
    /// a page limit, in no promised order: the server loads them into its decision index at
    /// start.
    async fn live_grants(&self, now: Time) -> Result<Vec<Grant>, StoreError>;

    /// The same grants as [`Store::live_grants`], handed to `each` a page at a time as they
    /// are read, so that a caller building something from them works while the rest are read
    /// and never holds them all at once.
    async fn live_grants_by_page(
        &self,
        now: Time,
        each: &mut (dyn FnMut(Vec<Grant>) + Send),
    ) -> Result<(), StoreError> {
        each(self.live_grants(now).await?);
        Ok(())
    }

    /// Marks up to `limit` pending requests whose `pending_until` is at or before `now` as
    /// expired (one `request.expired` event each, actor `wicket`) and returns them.
    async fn expire_requests(&self, now: Time, limit: i64) -> Result<Vec<Request>, StoreError>;
    /// Records `grant.activated` for up to `limit` grants that started by `now` and were not
    /// recorded yet, and returns them.
    async fn record_activations(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError>;
    /// Records `grant.expired` for up to `limit` unrevoked grants whose `expires_at` is at or
    /// before `now` and were not recorded yet, and returns them. Each expiry is recorded once.
    async fn record_expiries(&self, now: Time, limit: i64) -> Result<Vec<Grant>, StoreError>;

    /// Events in `seq` order.
    async fn list_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError>;
    /// The last event's `(seq, hash)`, if any.
    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError>;
    /// Verifies the events with `after < seq <= through` as one stretch of the chain, each
    /// hashed as it is read ([`StretchVerifier`](wicket_core::audit::StretchVerifier)); the
    /// caller joins the stretches in order. Several stretches may be verified at once, each
    /// on a connection and a thread of its own.
    async fn verify_stretch(&self, after: i64, through: i64) -> Result<Stretch, StoreError>;

    /// The `(seq, hash)` of the last archived event: where verification starts once older
    /// events left the database (see [`Store::archive_events`]). `None` before any archive.
    async fn audit_anchor(&self) -> Result<Option<(i64, String)>, StoreError>;
    /// Retention, in one transaction: appends `event` (an `audit.archived` record), makes
    /// `through` — the `(seq, hash)` of the last event written to an archive file — the
    /// chain's anchor, and deletes every event up to it. When the event at `through.0` is
    /// gone or has another hash, nothing is written ([`StoreError::Conflict`]).
    async fn archive_events(
        &self,
        through: (i64, String),
        event: NewEvent,
        now: Time,
    ) -> Result<AuditEvent, StoreError>;

    async fn find_token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    async fn get_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Every token that is not revoked (expired ones too), of `user` or, with `None`, of
    /// everyone; oldest first.
    async fn live_tokens(&self, user: Option<&str>) -> Result<Vec<TokenRecord>, StoreError>;

    /// The whole user directory (see [`Directory`]), read on one snapshot.
    async fn read_directory(&self) -> Result<Directory, StoreError>;
    /// Applies a directory change and its events in one transaction.
    async fn write_directory(&self, write: DirectoryWrite) -> Result<Vec<AuditEvent>, StoreError>;

    /// Applies a change to the access reviews and its events in one transaction.
    async fn write_reviews(&self, write: ReviewWrite) -> Result<Vec<AuditEvent>, StoreError>;
    /// Campaigns with their items, newest first; only those not closed when `open_only`.
    async fn list_campaigns(&self, open_only: bool) -> Result<Vec<Campaign>, StoreError>;
    async fn get_campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError>;
    /// The newest campaign of each review, for deciding when the next one starts.
    async fn last_campaigns(&self) -> Result<Vec<Campaign>, StoreError>;
    /// Every standing binding a review suspended.
    async fn suspensions(&self) -> Result<Vec<Suspension>, StoreError>;

    /// Newest first.
    async fn list_anomalies(&self, filter: &AnomalyFilter) -> Result<Vec<Anomaly>, StoreError>;

    /// How many stored requests are in each state, as `(state, count)`; states with none are
    /// left out. One grouped query (for `/metrics`).
    async fn count_requests(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Keeps the Slack message posted for a request; false when the request has one already
    /// (the first is kept).
    async fn put_slack_message(&self, message: SlackMessage) -> Result<bool, StoreError>;

    /// The Slack message posted for request `id`, if any.
    async fn slack_message(&self, id: &str) -> Result<Option<SlackMessage>, StoreError>;

    /// Starts listening for the changes that any process commits to this database from now
    /// on, so that a server sharing the database with others can keep its in-memory state
    /// current (see [`ChangeFeed`]). Subscribe before loading that state, so that nothing
    /// committed in between goes unannounced.
    ///
    /// `None` for a backend that announces nothing: SQLite, where one server owns the file
    /// (a second process on the same file is seen only by a server's periodic full reload).
    async fn watch(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError> {
        Ok(None)
    }
}
