//! `wicket audit verify --archive FILE`: checks an archive file written by retention on its
//! own: every event chains from the header's start to the header's anchor.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use crate::args::Global;
use crate::exit::Verdict;
use crate::output::{self, Format, outln};

pub fn run(global: &Global, path: &Path) -> Result<Verdict> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open archive `{}`", path.display()))?;
    let report = wicket_engine::retention::verify(file)
        .with_context(|| format!("archive `{}`", path.display()))?;
    let h = &report.header;
    match global.output {
        Format::Json => output::json(&json!({
            "ok": report.ok,
            "events": report.events,
            "from_seq": h.from_seq,
            "prev_hash": h.prev_hash,
            "anchor": {"seq": h.through_seq, "hash": h.through_hash},
            "first_bad": report.first_bad.as_ref().map(|(seq, reason)| json!({"seq": seq, "reason": reason})),
        }))?,
        Format::Human => match &report.first_bad {
            Some((seq, reason)) => outln!("archive broken at seq {seq}: {reason}"),
            None => outln!(
                "archive ok: {} events, seq {} to {}, anchor hash {}",
                report.events,
                h.from_seq,
                h.through_seq,
                h.through_hash
            ),
        },
    }
    Ok(Verdict::from_bool(report.ok))
}
