//! Background work: record request-TTL expiry, grant activation and grant expiry in the audit
//! log within a second or two; start access review campaigns when due and close them at
//! their deadline. Decisions never wait on it: `decide` compares with `now`.

use std::time::Duration as StdDuration;

use tokio::sync::watch;

use crate::app::{App, now};

/// How often the sweeps run.
pub const SWEEP_EVERY: StdDuration = StdDuration::from_millis(500);
/// Rows one sweep transaction handles at most.
const SWEEP_BATCH: i64 = 1000;

/// Runs the sweeps until `stop` turns true.
pub async fn run(app: App, mut stop: watch::Receiver<bool>) {
    let mut tick = crate::ticker::every(SWEEP_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => sweep(&app).await,
            _ = stop.changed() => return,
        }
    }
}

/// One round of every sweep, each drained in batches.
pub async fn sweep(app: &App) {
    let now = now();
    loop {
        match app.store.expire_requests(now, SWEEP_BATCH).await {
            Ok(done) if done.len() as i64 == SWEEP_BATCH => continue,
            Ok(done) => {
                if !done.is_empty() {
                    tracing::info!(count = done.len(), "pending requests expired");
                }
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "request expiry sweep failed");
                break;
            }
        }
    }
    loop {
        match app.store.record_activations(now, SWEEP_BATCH).await {
            Ok(done) if done.len() as i64 == SWEEP_BATCH => continue,
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, "grant activation sweep failed");
                break;
            }
        }
    }
    loop {
        match app.store.record_expiries(now, SWEEP_BATCH).await {
            Ok(done) => {
                app.metrics.expiries(done.len());
                if (done.len() as i64) < SWEEP_BATCH {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "grant expiry sweep failed");
                break;
            }
        }
    }
    app.index
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .prune(now);
    if let Err(e) = crate::reviews::sweep(app).await {
        tracing::warn!(error = %e, "access review sweep failed");
    }
    // Whatever the sweeps recorded is news for the tail's readers.
    app.tail.wake();
}
