//! Checking SSH session recordings against the audit chain: every `ssh.session.ended` event
//! seals its recording with a SHA-256, so a recording changed after the session is found by
//! hashing it again. A recording not on this machine is reported, not judged.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};
use wicket_core::audit::EventKind;
use wicket_store::Store;

use crate::error::EngineResult;
use crate::open::{load_config, open_store};

/// What re-hashing the recordings found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecordingReport {
    /// Recordings hashed again and found as sealed.
    pub ok: u64,
    /// `(session, path, why)` for each recording that does not match its seal.
    pub changed: Vec<(String, String, String)>,
    /// `(session, path)` for each sealed recording not found here.
    pub missing: Vec<(String, String)>,
}

/// Re-hashes every sealed recording the chain names.
pub async fn verify(store: &dyn Store) -> EngineResult<RecordingReport> {
    let mut report = RecordingReport::default();
    crate::of_kind::each(store, EventKind::SshSessionEnded, |e, d| {
        let (Some(path), Some(sealed)) = (
            d.get("recording").and_then(|v| v.as_str()),
            d.get("recording_sha256").and_then(|v| v.as_str()),
        ) else {
            return;
        };
        let session = d
            .get("session")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        match std::fs::read(Path::new(path)) {
            Ok(bytes) => {
                let now = hex::encode(Sha256::digest(&bytes));
                if now == sealed {
                    report.ok += 1;
                } else {
                    report.changed.push((
                        session,
                        path.to_string(),
                        format!("its SHA-256 is {now}, sealed as {sealed} at seq {}", e.seq),
                    ));
                }
            }
            Err(_) => report.missing.push((session, path.to_string())),
        }
    })
    .await?;
    Ok(report)
}

/// `wicket audit verify`'s look at the recordings, offline.
pub async fn verify_offline(
    config_path: &Path,
    database: Option<&str>,
) -> EngineResult<RecordingReport> {
    let config = load_config(config_path)?;
    let store = open_store(&config, database).await?;
    verify(store.as_ref()).await
}

/// The `ssh.session.ended` event of session `session` (which names and seals its recording);
/// none while the session is open or when no such session was recorded.
pub async fn ended_event(
    store: &dyn Store,
    session: &str,
) -> EngineResult<Option<wicket_core::AuditEvent>> {
    let mut found = None;
    crate::of_kind::each(store, EventKind::SshSessionEnded, |e, d| {
        if found.is_none() && d.get("session").and_then(|v| v.as_str()) == Some(session) {
            found = Some(e.clone());
        }
    })
    .await?;
    Ok(found)
}
