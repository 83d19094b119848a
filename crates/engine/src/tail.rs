//! The audit tail: committed audit events, in chain order, for in-process consumers
//! (monitoring rules, notifications).
//!
//! Each consumer keeps its own cursor (the last `seq` it handled) and reads the log itself, so
//! a slow consumer never loses events and never holds up a fast one. Local commits wake the
//! readers at once; a short poll picks up what other replicas sharing the database wrote.
//!
//! The audit writer's group commits also leave their sealed events here, the last
//! [`RECENT`] of them: a reader whose next events are all there, without a gap in `seq`,
//! takes them from memory instead of reading back from the store what was just written. Any
//! gap (an event another write path or replica committed) sends it to the store.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use tokio::sync::Notify;
use wicket_core::AuditEvent;
use wicket_store::{AuditFilter, Store, StoreError};

/// How long a reader waits for a local wake-up before looking anyway.
pub const POLL_EVERY: StdDuration = StdDuration::from_millis(200);
/// Events one read returns at most.
const PAGE: i64 = 1000;
/// Committed events kept in memory for the readers.
pub const RECENT: usize = 2048;

/// Shared by every clone of the app; cheap to clone.
#[derive(Clone, Default)]
pub struct Tail {
    wake: Arc<Notify>,
    recent: Arc<Mutex<Recent>>,
}

impl Tail {
    /// Tells readers that new events were committed (called after every local commit).
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Keeps `events`, just committed in this order, for the readers, and wakes them.
    pub fn committed(&self, events: Vec<AuditEvent>) {
        {
            let mut recent = lock(&self.recent);
            // Kept in `seq` order only; anything else starts over (readers then use the store).
            if let (Some(last), Some(first)) = (recent.back(), events.first())
                && first.seq <= last.seq
            {
                recent.clear();
            }
            recent.extend(events.into_iter().map(Arc::new));
            let excess = recent.len().saturating_sub(RECENT);
            recent.drain(..excess);
        }
        self.wake();
    }

    /// A reader that starts after `seq` (use [`Tail::reader_at_head`] to skip history).
    pub fn reader(&self, store: Arc<dyn Store>, after: i64) -> TailReader {
        TailReader {
            store,
            wake: self.wake.clone(),
            recent: self.recent.clone(),
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
    recent: Arc<Mutex<Recent>>,
    after: i64,
}

type Recent = VecDeque<Arc<AuditEvent>>;

fn lock(recent: &Mutex<Recent>) -> std::sync::MutexGuard<'_, Recent> {
    recent.lock().unwrap_or_else(|e| e.into_inner())
}

/// The events right after `after` that `recent` holds without a gap, at most `max`; empty
/// when the next one is not there.
fn following(recent: &Recent, after: i64, max: usize) -> Vec<Arc<AuditEvent>> {
    let start = recent.partition_point(|e| e.seq <= after);
    let mut out = Vec::new();
    for (next, e) in (after + 1..).zip(recent.range(start..).take(max)) {
        if e.seq != next {
            break;
        }
        out.push(e.clone());
    }
    out
}

impl TailReader {
    /// The `seq` of the last event returned.
    pub fn position(&self) -> i64 {
        self.after
    }

    /// The next events after the cursor, waiting (for a wake-up or [`POLL_EVERY`]) while
    /// there are none. Returns at most one page; the cursor moves past what is returned.
    pub async fn next(&mut self) -> Result<Vec<Arc<AuditEvent>>, StoreError> {
        loop {
            // Register for the wake-up before reading, so a commit between the read and the
            // wait is not missed.
            let woken = self.wake.notified();
            let kept = following(&lock(&self.recent), self.after, PAGE as usize);
            if let Some(last) = kept.last() {
                self.after = last.seq;
                return Ok(kept);
            }
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
                return Ok(events.into_iter().map(Arc::new).collect());
            }
            let _ = tokio::time::timeout(POLL_EVERY, woken).await;
        }
    }
}

#[cfg(test)]
mod tests;
