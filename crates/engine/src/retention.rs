//! Retention (`[audit] retain`): events older than the horizon move to a JSONL archive file,
//! and the database keeps the chain's anchor — the seq and hash of the last archived event —
//! so the events that remain still verify, from the anchor instead of from genesis.
//!
//! Runs once at start and then daily. One run: find the oldest stretch of events before the
//! horizon (never the head), write it to a temporary file, verify it, sync and rename it,
//! then in one transaction record `audit.archived`, move the anchor and delete the stretch.
//! A crash before the transaction leaves a complete file and an untouched table; the next
//! run writes the stretch again.

pub mod file;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use crate::error::{Context, EngineResult as Result};
use tokio::sync::watch;
use wicket_core::audit::{EventBuilder, GENESIS};
use wicket_core::{AuditEvent, Time};
use wicket_store::{AuditFilter, Store};

use crate::app::{App, now};
use crate::ids::new_id;
use wicket_core::audit::EventKind;

pub use file::{ArchiveReport, Header, verify};

/// How often retention runs after the run at start.
pub const EVERY: StdDuration = StdDuration::from_secs(24 * 3600);
/// Events read per page.
const PAGE: i64 = 1000;

/// What one run archived.
#[derive(Clone, Debug)]
pub struct Archived {
    pub path: PathBuf,
    pub header: Header,
    pub event: AuditEvent,
}

/// The archive directory: `[audit] archive_dir`, else `audit-archive` beside a SQLite file,
/// else `audit-archive` in the working directory.
pub fn archive_dir(app: &App, database_url: &str) -> PathBuf {
    if let Some(dir) = &app.config.audit.archive_dir {
        return PathBuf::from(dir);
    }
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    match file.and_then(|f| Path::new(f).parent()) {
        Some(parent) => parent.join("audit-archive"),
        None => PathBuf::from("audit-archive"),
    }
}

/// Runs retention at start and every [`EVERY`] until `stop`; does nothing without `retain`.
pub async fn run(app: App, dir: PathBuf, mut stop: watch::Receiver<bool>) {
    let Some(retain) = app.config.audit.retain_secs else {
        return;
    };
    loop {
        let at = now();
        match archive(&app, &dir, at - chrono::Duration::seconds(retain), at).await {
            Ok(Some(a)) => tracing::info!(
                file = %a.path.display(),
                events = a.header.events,
                through_seq = a.header.through_seq,
                "archived old audit events"
            ),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "audit retention failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Archives the events before `horizon` into a new file in `dir`. `None` when there is
/// nothing to archive.
pub async fn archive(app: &App, dir: &Path, horizon: Time, now: Time) -> Result<Option<Archived>> {
    let store = app.store.as_ref();
    let (after, prev_hash) = store
        .audit_anchor()
        .await?
        .unwrap_or((0, GENESIS.to_string()));
    let Some((head, _)) = store.audit_head().await? else {
        return Ok(None);
    };
    // Pass 1: how far the stretch reaches, so the header can name its anchor.
    let Some((through_seq, through_hash, count)) = stretch(store, after, head, horizon).await?
    else {
        return Ok(None);
    };
    let header = Header {
        wicket_audit_archive: file::FORMAT,
        from_seq: after + 1,
        prev_hash,
        through_seq,
        through_hash: through_hash.clone(),
        events: count,
        created_at: now,
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the archive directory {}", dir.display()))?;
    let name = format!("audit-{:012}-{:012}.jsonl", header.from_seq, through_seq);
    let path = dir.join(&name);
    let tmp = dir.join(format!("{name}.tmp"));
    // Pass 2: write the stretch, then read the file back through the verifier.
    write(store, &tmp, &header).await?;
    let report =
        verify(std::fs::File::open(&tmp).with_context(|| format!("reopening {}", tmp.display()))?)?;
    if !report.ok {
        let _ = std::fs::remove_file(&tmp);
        let (seq, reason) = report.first_bad.unwrap_or_default();
        crate::bail!("not archiving: the audit chain does not verify at seq {seq}: {reason}");
    }
    std::fs::rename(&tmp, &path)
        .with_context(|| format!("renaming the archive to {}", path.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    let event = EventBuilder::new(new_id("ev"), now, "wicket", EventKind::AuditArchived)
        .detail("file", name)
        .detail("from_seq", header.from_seq)
        .detail("through_seq", through_seq)
        .detail("through_hash", through_hash.clone())
        .detail("events", count)
        .detail("horizon", wicket_core::time::format(horizon))
        .build();
    let event = store
        .archive_events((through_seq, through_hash), event, now)
        .await
        .context("removing the archived events")?;
    app.metrics.audit_events(1);
    app.tail.wake();
    Ok(Some(Archived {
        path,
        header,
        event,
    }))
}

/// The last event of the oldest stretch after `after` whose events are all before
/// `horizon`, stopping before `head`; with how many events it holds.
async fn stretch(
    store: &dyn Store,
    after: i64,
    head: i64,
    horizon: Time,
) -> Result<Option<(i64, String, u64)>> {
    let mut last: Option<(i64, String)> = None;
    let mut count = 0u64;
    let mut cursor = after;
    loop {
        let page = store
            .list_events(&AuditFilter {
                after: Some(cursor),
                limit: Some(PAGE),
                ..AuditFilter::default()
            })
            .await?;
        let n = page.len();
        for e in page {
            if e.at >= horizon || e.seq >= head {
                return Ok(last.map(|(s, h)| (s, h, count)));
            }
            count += 1;
            cursor = e.seq;
            last = Some((e.seq, e.hash));
        }
        if (n as i64) < PAGE {
            return Ok(last.map(|(s, h)| (s, h, count)));
        }
    }
}

/// Writes the header and the events `header.from_seq..=header.through_seq` to `path`, synced.
async fn write(store: &dyn Store, path: &Path, header: &Header) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::new(file);
    let what = || format!("writing {}", path.display());
    serde_json::to_writer(&mut out, header).with_context(what)?;
    out.write_all(b"\n").with_context(what)?;
    let mut cursor = header.from_seq - 1;
    while cursor < header.through_seq {
        let page = store
            .list_events(&AuditFilter {
                after: Some(cursor),
                limit: Some(PAGE.min(header.through_seq - cursor)),
                ..AuditFilter::default()
            })
            .await
            .context("reading events to archive")?;
        let Some(last) = page.last() else {
            crate::bail!("events after seq {cursor} vanished while archiving");
        };
        cursor = last.seq;
        for e in &page {
            serde_json::to_writer(&mut out, &file::Line::from(e)).with_context(what)?;
            out.write_all(b"\n").with_context(what)?;
        }
    }
    let file = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(what)?;
    file.sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    Ok(())
}
