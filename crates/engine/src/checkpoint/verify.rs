//! Checking the database's audit chain against signed checkpoints: every checkpoint must be
//! signed by the pinned key, and the chain must hold an event at its `seq` with exactly its
//! hash. A truncated table, deleted last events, or a chain rewritten consistently from some
//! point on all fail here, since no one without the key can sign the new head.

use std::path::Path;

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use wicket_store::{AuditFilter, Store};

use super::files::read_dir;
use super::public_key_hex;

/// What [`verify_checkpoints`] found.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointReport {
    pub ok: bool,
    /// Checkpoint files that verified.
    pub verified: usize,
    /// The public key checkpoints were verified with, hex.
    pub public_key: String,
    /// The newest checkpoint that verified: `(seq, file)`.
    pub newest: Option<(i64, String)>,
    /// Events after the newest checkpoint (not yet vouched for by any signature).
    pub unvouched: i64,
    /// One line per failed checkpoint, naming its file.
    pub failures: Vec<String>,
}

/// Verifies every checkpoint in `dir` against `store` with the pinned `key`.
pub async fn verify_checkpoints(
    store: &dyn Store,
    dir: &Path,
    key: &VerifyingKey,
) -> crate::error::EngineResult<CheckpointReport> {
    let loaded = read_dir(dir)?;
    let head = store.audit_head().await?;
    let head_seq = head.as_ref().map_or(0, |h| h.0);
    // After retention the chain starts at its anchor; the events up to it live in archives.
    let anchor = store.audit_anchor().await?;
    let mut report = CheckpointReport {
        ok: true,
        verified: 0,
        public_key: public_key_hex(key),
        newest: None,
        unvouched: 0,
        failures: Vec::new(),
    };
    for l in &loaded {
        let cp = match &l.checkpoint {
            Ok(cp) => cp,
            Err(reason) => {
                report
                    .failures
                    .push(format!("checkpoint `{}` {reason}", l.file));
                continue;
            }
        };
        if let Err(reason) = cp.verify(key) {
            report
                .failures
                .push(format!("checkpoint `{}`: {reason}", l.file));
            continue;
        }
        if cp.seq > head_seq {
            report.failures.push(format!(
                "checkpoint `{}`: truncated: it vouches for seq {} but the log ends at seq {head_seq}; \
                 events were deleted",
                l.file, cp.seq
            ));
            continue;
        }
        if let Some((anchor_seq, anchor_hash)) = &anchor
            && cp.seq <= *anchor_seq
        {
            if cp.seq == *anchor_seq && *anchor_hash == cp.hash {
                report.verified += 1;
                report.newest = Some((cp.seq, l.file.clone()));
            } else {
                // Not taken on the anchor's word: whoever can write the anchor can also move it.
                report.failures.push(format!(
                    "checkpoint `{}`: event seq {} is not in the database (archived up to seq \
                     {anchor_seq}, or deleted); keep checkpoints at or before the anchor with the \
                     archive and verify it with `--archive`",
                    l.file, cp.seq
                ));
            }
            continue;
        }
        let at = store
            .list_events(&AuditFilter {
                after: Some(cp.seq - 1),
                limit: Some(1),
                ..AuditFilter::default()
            })
            .await?;
        match at.first() {
            Some(e) if e.seq == cp.seq && e.hash == cp.hash => {
                report.verified += 1;
                report.newest = Some((cp.seq, l.file.clone()));
            }
            Some(e) if e.seq == cp.seq => report.failures.push(format!(
                "checkpoint `{}`: rewritten: event seq {} has hash {} but the checkpoint signed {}",
                l.file, cp.seq, e.hash, cp.hash
            )),
            _ => report.failures.push(format!(
                "checkpoint `{}`: event seq {} is missing from the log; events were deleted",
                l.file, cp.seq
            )),
        }
    }
    if loaded.is_empty() {
        report.failures.push(format!(
            "no checkpoint in `{}`: nothing vouches for the log",
            dir.display()
        ));
    }
    report.unvouched = head_seq - report.newest.as_ref().map_or(0, |n| n.0);
    report.ok = report.failures.is_empty();
    Ok(report)
}
