//! The audit tail: committed audit events, in chain order, for in-process consumers
//! (monitoring rules, notifications).
//!
//! Each consumer keeps its own cursor (the last `seq` it handled) and reads the log itself, so
//! a slow consumer never loses events and never holds up a fast one. Local commits wake the
//! readers at once; a short poll picks up what other replicas sharing the database wrote.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::Notify;
use wicket_core::AuditEvent;
use wicket_store::{AuditFilter, Store, StoreError};

/// How long a reader waits for a local wake-up before looking anyway.
pub const POLL_EVERY: StdDuration = StdDuration::from_millis(200);
/// Events one read returns at most.
const PAGE: i64 = 1000;

/// Shared by every clone of the app; cheap to clone.
#[derive(Clone, Default)]
pub struct Tail {
    wake: Arc<Notify>,
}

impl Tail {
    /// Tells readers that new events were committed (called after every local commit).
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// A reader that starts after `seq` (use [`Tail::reader_at_head`] to skip history).
    pub fn reader(&self, store: Arc<dyn Store>, after: i64) -> TailReader {
        TailReader {
            store,
            wake: self.wake.clone(),
            after,
        }
    }

    /// A reader that starts after the events committed so far.
    pub async fn reader_at_head(&self, store: Arc<dyn Store>) -> Result<TailReader, StoreError> {
        let after = store.audit_head().await?.map_or(0, |(seq, _)| seq);
        Ok(self.reader(store, after))
    }
}

/// One consumer's position in the log.
pub struct TailReader {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    after: i64,
}

impl TailReader {
    /// The `seq` of the last event returned.
    pub fn position(&self) -> i64 {
        self.after
    }

    /// The next events after the cursor, waiting (for a wake-up or [`POLL_EVERY`]) while
    /// there are none. Returns at most one page; the cursor moves past what is returned.
    pub async fn next(&mut self) -> Result<Vec<AuditEvent>, StoreError> {
        loop {
            // Register for the wake-up before reading, so a commit between the read and the
            // wait is not missed.
            let woken = self.wake.notified();
            let events = self
                .store
                .list_events(&AuditFilter {
                    after: Some(self.after),
                    limit: Some(PAGE),
                    ..AuditFilter::default()
                })
                .await?;
            if let Some(last) = events.last() {
                self.after = last.seq;
                return Ok(events);
            }
            let _ = tokio::time::timeout(POLL_EVERY, woken).await;
        }
    }
}
