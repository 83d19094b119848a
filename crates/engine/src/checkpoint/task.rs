//! The checkpointing task: follows the audit tail and signs the head every `every_events`
//! events, every `every` while the head moves, and once more at shutdown.
//!
//! Several replicas sharing one database may write to one directory: the same head gives the
//! same file name, and the rename makes the last write win whole.

use std::path::PathBuf;
use std::time::Duration as StdDuration;

use ed25519_dalek::SigningKey;
use tokio::sync::watch;

use super::Checkpoint;
use super::files::{newest_seq, write};
use crate::app::{App, now};

/// What the task needs: where to write, the key, and how often.
pub struct Signer {
    pub dir: PathBuf,
    pub key: SigningKey,
    pub every_events: u64,
    pub every: StdDuration,
}

/// How long to wait after a failed read of the log before trying again.
const RETRY: StdDuration = StdDuration::from_secs(1);

/// Runs until `stop` turns true, then signs the final head if it moved.
pub async fn run(app: App, signer: Signer, mut stop: watch::Receiver<bool>) {
    let mut signed = {
        let dir = signer.dir.clone();
        tokio::task::spawn_blocking(move || newest_seq(&dir))
            .await
            .ok()
            .flatten()
            .unwrap_or(0)
    };
    let start = loop {
        match app.store.audit_head().await {
            Ok(head) => break head.map_or(0, |h| h.0),
            Err(e) => {
                tracing::warn!(error = %e, "audit checkpoints: cannot read the audit head");
                tokio::select! {
                    _ = tokio::time::sleep(RETRY) => {},
                    _ = stop.changed() => return,
                }
            }
        }
    };
    if start < signed {
        tracing::error!(
            head = start,
            checkpoint = signed,
            "the audit log ends before the newest checkpoint: events were deleted; \
             run `wicket audit verify --checkpoints`"
        );
    }
    let mut reader = app.tail.reader(app.store.clone(), start);
    let mut since: u64 = 0;
    let mut tick = crate::ticker::every(signer.every);
    loop {
        tokio::select! {
            events = reader.next() => match events {
                Ok(events) => {
                    since += events.len() as u64;
                    if since >= signer.every_events
                        && let Some(last) = events.last()
                    {
                        // INVARIANT: a seq already signed is never signed again, so a
                        // checkpoint once written is never replaced by one of a rewritten log.
                        if last.seq > signed && sign(&signer, last.seq, &last.hash).await {
                            signed = last.seq;
                        }
                        since = 0;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "audit checkpoints: cannot read the audit log");
                    tokio::time::sleep(RETRY).await;
                }
            },
            _ = tick.tick() => signed = sign_head(&app, &signer, signed).await,
            _ = stop.changed() => {
                sign_head(&app, &signer, signed).await;
                return;
            }
        }
    }
}

/// Signs the stored head if it is past `signed`; returns the newest seq signed.
async fn sign_head(app: &App, signer: &Signer, signed: i64) -> i64 {
    match app.store.audit_head().await {
        Ok(Some((seq, hash))) if seq > signed => {
            if sign(signer, seq, &hash).await {
                seq
            } else {
                signed
            }
        }
        Ok(_) => signed,
        Err(e) => {
            tracing::warn!(error = %e, "audit checkpoints: cannot read the audit head");
            signed
        }
    }
}

/// Signs and writes one checkpoint; false (and an error in the log) when it could not be written.
async fn sign(signer: &Signer, seq: i64, hash: &str) -> bool {
    let cp = Checkpoint::sign(&signer.key, seq, hash, now());
    let dir = signer.dir.clone();
    match tokio::task::spawn_blocking(move || write(&dir, &cp)).await {
        Ok(Ok(path)) => {
            tracing::debug!(seq, file = %path.display(), "audit checkpoint signed");
            true
        }
        Ok(Err(e)) => {
            tracing::error!(
                seq,
                error = format!("{e:#}"),
                "audit checkpoint not written"
            );
            false
        }
        Err(e) => {
            tracing::error!(seq, error = %e, "audit checkpoint not written");
            false
        }
    }
}
