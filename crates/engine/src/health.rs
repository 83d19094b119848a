//! What the engine knows of its store: reachable, or down (and why) since a failure said so.
//!
//! While the store is known to be down, work that needs it fails at once with that reason
//! instead of queueing behind a connection wait; a watcher probes the store twice a second
//! with a short deadline and clears the mark when it answers, so the engine recovers without a
//! restart.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use wicket_store::{Failure, StoreError};

use crate::app::App;

/// How often a store known to be down is probed.
const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long a probe may take before it counts as a failure.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(1);

/// The store's known health; cheap to read on every request.
#[derive(Debug, Default)]
pub struct Health {
    down: RwLock<Option<(String, Instant)>>,
}

impl Health {
    /// Why the store is known to be down, if it is.
    pub fn down(&self) -> Option<String> {
        self.down
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(why, _)| why.clone())
    }

    /// Takes in a failure: one that says the store cannot be reached marks it down.
    pub fn failed(&self, e: &StoreError) {
        let why = match e.failure() {
            Failure::Unreachable => "the database is unreachable",
            Failure::DiskFull => "the database's disk is full",
            Failure::Conflict | Failure::Other => return,
        };
        let mut down = self.down.write().unwrap_or_else(|e| e.into_inner());
        if down.is_none() {
            tracing::error!(error = %e, "{why}; failing at once until it answers again");
            *down = Some((why.to_string(), Instant::now()));
        }
    }

    /// The store answered.
    pub fn ok(&self) {
        let mut down = self.down.write().unwrap_or_else(|e| e.into_inner());
        if let Some((_, since)) = down.take() {
            tracing::warn!(
                after_ms = since.elapsed().as_millis() as u64,
                "the database answers again"
            );
        }
    }
}

/// Probes a store known to be down until it answers, then clears the mark.
pub async fn watch(app: App, mut stop: watch::Receiver<bool>) {
    let mut tick = crate::ticker::every(PROBE_EVERY);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {}
        }
        if app.health.down().is_none() {
            continue;
        }
        match tokio::time::timeout(PROBE_DEADLINE, app.store.audit_head()).await {
            Ok(Ok(_)) => app.health.ok(),
            Ok(Err(e)) => tracing::debug!(error = %e, "the database still fails"),
            Err(_) => tracing::debug!("the database still does not answer"),
        }
    }
}
