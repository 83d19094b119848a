//! The change feed on PostgreSQL: `LISTEN` on the channel the schema's triggers `NOTIFY`.
//!
//! A notification is sent only when its transaction commits, and carries ids and versions,
//! never records (see [`Change::encode`]). The listener has a connection of its own, named
//! `wicket-listen` in `pg_stat_activity`; when it is lost, the feed reconnects, listens again
//! and only then reports [`Change::Missed`], so a reload that follows misses nothing.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use crate::StoreError;
use crate::feed::{Change, ChangeFeed};

/// The channel every server listens on and every change is announced on.
pub const CHANNEL: &str = "wicket_changes";

/// The listener's `application_name`.
const LISTENER_NAME: &str = "wicket-listen";

/// The pause before reconnecting, doubled after each failure up to the maximum.
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// A [`ChangeFeed`] listening on [`CHANNEL`].
pub(super) struct PgFeed {
    /// The listener's own pool: its connection is held for as long as it listens.
    pool: PgPool,
    /// `None` after an error, until the next call reconnects.
    listener: Option<PgListener>,
    retry: Duration,
}

impl PgFeed {
    /// Connects and listens; changes committed from now on will be announced.
    pub(super) async fn listen(options: &PgConnectOptions) -> Result<PgFeed, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .connect_lazy_with(options.clone().application_name(LISTENER_NAME));
        let listener = connect(&pool).await?;
        Ok(PgFeed {
            pool,
            listener: Some(listener),
            retry: RETRY_MIN,
        })
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, StoreError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[async_trait]
impl ChangeFeed for PgFeed {
    async fn next(&mut self) -> Result<Change, StoreError> {
        loop {
            let Some(listener) = self.listener.as_mut() else {
                tokio::time::sleep(self.retry).await;
                return match connect(&self.pool).await {
                    Ok(listener) => {
                        self.listener = Some(listener);
                        self.retry = RETRY_MIN;
                        Ok(Change::Missed)
                    }
                    Err(e) => {
                        self.retry = (self.retry * 2).min(RETRY_MAX);
                        Err(e)
                    }
                };
            };
            match listener.try_recv().await {
                // A form this version does not know is skipped; the periodic resync covers it.
                Ok(Some(notification)) => {
                    if let Some(change) = Change::parse(notification.payload()) {
                        return Ok(change);
                    }
                }
                // sqlx reconnected and listens again, but notifications sent meanwhile are lost.
                Ok(None) => return Ok(Change::Missed),
                Err(e) => {
                    self.listener = None;
                    return Err(e.into());
                }
            }
        }
    }
}
