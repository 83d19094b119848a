//! The archive file: a header line naming where the archived stretch of the chain starts and
//! ends, then one event per line with its details exactly as hashed. Verifiable on its own.

use std::io::{BufRead, BufReader, Read};

use crate::error::{Context, EngineResult as Result};
use serde::{Deserialize, Serialize};
use wicket_core::audit::Verifier;
use wicket_core::{AuditEvent, Time};

/// Format version written in every header.
pub const FORMAT: u32 = 1;

/// The first line of an archive file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub wicket_audit_archive: u32,
    /// The first archived event's seq.
    pub from_seq: i64,
    /// The hash before it (genesis, or the previous archive's anchor).
    pub prev_hash: String,
    /// The anchor: the last archived event's seq and hash.
    pub through_seq: i64,
    pub through_hash: String,
    pub events: u64,
    pub created_at: Time,
}

/// One archived event: every stored field, `details` as the exact text that was hashed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub seq: i64,
    pub id: String,
    pub at: Time,
    pub actor: String,
    pub kind: String,
    pub subject: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub decision: Option<String>,
    pub request_id: Option<String>,
    pub grant_id: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&AuditEvent> for Line {
    fn from(e: &AuditEvent) -> Line {
        Line {
            seq: e.seq,
            id: e.id.clone(),
            at: e.at,
            actor: e.actor.clone(),
            kind: e.kind.clone(),
            subject: e.subject.clone(),
            action: e.action.clone(),
            resource: e.resource.clone(),
            decision: e.decision.clone(),
            request_id: e.request_id.clone(),
            grant_id: e.grant_id.clone(),
            details: e.details.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

impl From<Line> for AuditEvent {
    fn from(l: Line) -> AuditEvent {
        AuditEvent {
            seq: l.seq,
            id: l.id,
            at: l.at,
            actor: l.actor,
            kind: l.kind,
            subject: l.subject,
            action: l.action,
            resource: l.resource,
            decision: l.decision,
            request_id: l.request_id,
            grant_id: l.grant_id,
            details: l.details,
            prev_hash: l.prev_hash,
            hash: l.hash,
        }
    }
}

/// What verifying an archive file found.
#[derive(Clone, Debug, Serialize)]
pub struct ArchiveReport {
    pub ok: bool,
    pub events: u64,
    pub header: Header,
    /// The first line that does not verify: its seq (or line number) and why.
    pub first_bad: Option<(i64, String)>,
}

/// Verifies an archive read from `input`: every event chains from the header's `prev_hash`,
/// and the last one is the header's anchor. Unreadable input is an error; a broken chain is
/// a report with `ok: false`.
pub fn verify(input: impl Read) -> Result<ArchiveReport> {
    let mut lines = BufReader::new(input).lines();
    let first = lines
        .next()
        .context("the archive is empty")?
        .context("reading the archive")?;
    let header: Header = serde_json::from_str(&first)
        .context("the archive's first line is not a wicket archive header")?;
    if header.wicket_audit_archive != FORMAT {
        crate::bail!(
            "archive format {} is not one this wicket reads ({FORMAT})",
            header.wicket_audit_archive
        );
    }
    let mut v = Verifier {
        last_seq: header.from_seq - 1,
        last_hash: header.prev_hash.clone(),
        events: 0,
    };
    let bad = |seq: i64, reason: String, v: &Verifier, header: &Header| ArchiveReport {
        ok: false,
        events: v.events,
        header: header.clone(),
        first_bad: Some((seq, reason)),
    };
    for (n, line) in lines.enumerate() {
        let line = line.context("reading the archive")?;
        if line.trim().is_empty() {
            continue;
        }
        let event: AuditEvent = match serde_json::from_str::<Line>(&line) {
            Ok(l) => l.into(),
            Err(e) => {
                return Ok(bad(
                    v.last_seq + 1,
                    format!("line {} is not an archived event: {e}", n + 2),
                    &v,
                    &header,
                ));
            }
        };
        if let Err(b) = v.push(&event) {
            return Ok(bad(b.seq, b.reason, &v, &header));
        }
    }
    if v.last_seq != header.through_seq || v.last_hash != header.through_hash {
        let seq = v.last_seq;
        return Ok(bad(
            seq,
            format!(
                "the archive ends at seq {seq}, not at its anchor seq {}",
                header.through_seq
            ),
            &v,
            &header,
        ));
    }
    if v.events != header.events {
        let seq = v.last_seq;
        return Ok(bad(
            seq,
            format!(
                "the header counts {} events, the file holds {}",
                header.events, v.events
            ),
            &v,
            &header,
        ));
    }
    Ok(ArchiveReport {
        ok: true,
        events: v.events,
        header,
        first_bad: None,
    })
}
