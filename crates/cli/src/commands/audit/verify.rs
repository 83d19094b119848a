//! `wicket audit verify`: walks the whole hash chain in the database, offline.

use anyhow::Result;
use serde_json::json;

use crate::args::Global;
use crate::commands::config_file;
use crate::exit::Verdict;
use crate::output::{self, Format, outln};

pub async fn run(global: &Global, database: Option<String>) -> Result<Verdict> {
    let config = config_file(global)?;
    let report = wicket_server::admin::verify_audit(config, database.as_deref()).await?;
    match global.output {
        Format::Json => output::json(&json!({
            "ok": report.ok,
            "events": report.events,
            "head": report.head.as_ref().map(|(seq, hash)| json!({ "seq": seq, "hash": hash })),
            "first_bad": report.first_bad.as_ref().map(|(seq, reason)| json!({ "seq": seq, "reason": reason })),
        }))?,
        Format::Human => match (&report.first_bad, &report.head) {
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
        },
    }
    Ok(Verdict::from_bool(report.ok && report.first_bad.is_none()))
}
