//! `wicket audit verify`: walks the whole hash chain in the database, offline, and with
//! `--checkpoints DIR` checks it against the signed checkpoints.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use crate::args::Global;
use crate::commands::config_file;
use crate::exit::Verdict;
use crate::output::{self, Format, outln};
use crate::progress::Progress;

pub async fn run(global: &Global, database: Option<String>) -> Result<Verdict> {
    let config = config_file(global)?;
    let progress = Progress::new("verifying the audit chain", "events");
    let report =
        wicket_engine::admin::verify_audit_watched(config, database.as_deref(), &|done, total| {
            progress.set(done, total);
        })
        .await?;
    progress.finish();
    let recordings =
        wicket_engine::ssh::recordings::verify_offline(config, database.as_deref()).await?;
    let recordings_ok = recordings.changed.is_empty();
    match global.output {
        Format::Json => output::json(&json!({
            "ok": report.ok,
            "events": report.events,
            "head": report.head.as_ref().map(|(seq, hash)| json!({ "seq": seq, "hash": hash })),
            "anchor": report.anchor.as_ref().map(|(seq, hash)| json!({ "seq": seq, "hash": hash })),
            "first_bad": report.first_bad.as_ref().map(|(seq, reason)| json!({ "seq": seq, "reason": reason })),
            "recordings": recordings,
        }))?,
        Format::Human => {
            super::recordings::show(&recordings)?;
            match (&report.first_bad, &report.head) {
                (Some((seq, reason)), _) => outln!("audit chain broken at seq {seq}: {reason}"),
                // Not ok always comes with where; should it not, the answer is still no.
                (None, _) if !report.ok => outln!("audit chain broken"),
                (None, Some((seq, hash))) => {
                    outln!(
                        "audit chain ok: {} events, head seq {seq} hash {hash}",
                        report.events
                    )
                }
                (None, None) => outln!("audit chain ok: {} events", report.events),
            }
            if let Some((seq, hash)) = &report.anchor {
                outln!(
                    "verified from the archive anchor at seq {seq} hash {hash} (older events are in the archive; `wicket audit verify --archive FILE` checks it)"
                );
            }
        }
    }
    Ok(Verdict::from_bool(
        report.ok && report.first_bad.is_none() && recordings_ok,
    ))
}

/// `wicket audit verify --checkpoints DIR`: the chain, then the signed checkpoints; exit 1 if
/// either fails, naming each checkpoint that does.
pub async fn with_checkpoints(
    global: &Global,
    database: Option<String>,
    dir: &Path,
    public_key: Option<&str>,
) -> Result<Verdict> {
    let config = config_file(global)?;
    let (chain, cps) = wicket_engine::admin::verify_audit_checkpoints(
        config,
        database.as_deref(),
        dir,
        public_key,
    )
    .await?;
    let chain_ok = chain.ok && chain.first_bad.is_none();
    match global.output {
        Format::Json => output::json(&json!({
            "ok": chain_ok && cps.ok,
            "chain": {
                "ok": chain_ok,
                "events": chain.events,
                "head": chain.head.as_ref().map(|(seq, hash)| json!({ "seq": seq, "hash": hash })),
                "first_bad": chain.first_bad.as_ref().map(|(seq, reason)| json!({ "seq": seq, "reason": reason })),
            },
            "checkpoints": cps,
        }))?,
        Format::Human => {
            match &chain.first_bad {
                Some((seq, reason)) => outln!("audit chain broken at seq {seq}: {reason}"),
                None if !chain_ok => outln!("audit chain broken"),
                None => outln!("audit chain ok: {} events", chain.events),
            }
            for f in cps.failures.iter().take(MAX_SHOWN) {
                outln!("{f}");
            }
            if cps.failures.len() > MAX_SHOWN {
                outln!(
                    "... and {} more failed checkpoints",
                    cps.failures.len() - MAX_SHOWN
                );
            }
            match &cps.newest {
                Some((seq, file)) if cps.ok => outln!(
                    "checkpoints ok: {} verified with public key {}; newest `{file}` at seq {seq}; {} events since",
                    cps.verified,
                    cps.public_key,
                    cps.unvouched
                ),
                _ if cps.ok => outln!("checkpoints ok"),
                _ => outln!(
                    "checkpoints FAILED: {} failed, {} verified with public key {}",
                    cps.failures.len(),
                    cps.verified,
                    cps.public_key
                ),
            }
        }
    }
    Ok(Verdict::from_bool(chain_ok && cps.ok))
}

/// Failures listed one per line at most; the rest are counted.
const MAX_SHOWN: usize = 20;
