//! `wicket audit export`: every matching event, streamed from the server as it is read
//! (`GET /v1/audit?format=jsonl`), written out as JSON lines or CSV; memory stays flat.

use std::io::{BufWriter, Write};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use serde_json::Value;

use super::Filter;
use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;
use crate::progress::Progress;

/// `--format` of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line
    Jsonl,
    /// A header row, then one row per event (RFC 4180 quoting)
    Csv,
}

/// The CSV columns, in order.
pub const COLUMNS: &[&str] = &[
    "seq",
    "id",
    "at",
    "actor",
    "kind",
    "subject",
    "action",
    "resource",
    "decision",
    "request_id",
    "grant_id",
    "details",
    "prev_hash",
    "hash",
];

pub async fn run(
    global: &Global,
    filter: &Filter,
    since: Option<String>,
    until: Option<String>,
    format: ExportFormat,
) -> Result<Verdict> {
    let client = Client::new(global)?;
    let mut query = filter.query();
    query.push(("format", Some("jsonl".to_string())));
    query.push(("since", since));
    query.push(("until", until));
    // On a terminal, a bar over the seqs from the first event exported to the log's head.
    let progress = Progress::new("exporting the audit log", "seqs");
    let head = if progress.shown() {
        let page = client
            .get("/v1/audit", &[("limit", Some("1".to_string()))])
            .await?;
        page["head"].as_u64()
    } else {
        None
    };
    let mut first_seq = None;
    let mut response = client.stream("/v1/audit", &query).await?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    if format == ExportFormat::Csv {
        writeln!(out, "{}", COLUMNS.join(","))?;
    }
    let mut pending: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = client.chunk(&mut response).await? {
        pending.extend_from_slice(&chunk);
        // Whole lines out; a partial one waits for the next chunk.
        let Some(end) = pending.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        for line in pending[..end].split(|&b| b == b'\n') {
            total += write_line(&mut out, line, format)?;
        }
        if let (Some(head), Some(seq)) = (head, last_seq(&pending[..end])) {
            let first = *first_seq.get_or_insert(seq);
            progress.set(seq.saturating_sub(first), head.saturating_sub(first));
        }
        pending.drain(..=end);
    }
    if !pending.iter().all(u8::is_ascii_whitespace) {
        bail!("the export ended in the middle of an event; it is incomplete");
    }
    out.flush()?;
    progress.finish();
    eprintln!("exported {total} events");
    Ok(Verdict::Yes)
}

/// The `seq` of the last event in `lines` (the server writes `seq` first in each event).
fn last_seq(lines: &[u8]) -> Option<u64> {
    let start = lines
        .strip_suffix(b"\n")
        .unwrap_or(lines)
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let rest = lines[start..].strip_prefix(b"{\"seq\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// Writes one event line in `format`; how many events it wrote (0 for a blank line).
fn write_line(out: &mut impl Write, line: &[u8], format: ExportFormat) -> Result<usize> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(0);
    }
    match format {
        ExportFormat::Jsonl => {
            out.write_all(line)?;
            out.write_all(b"\n")?;
        }
        ExportFormat::Csv => {
            let event: Value = serde_json::from_slice(line)
                .context("the server sent a line that is not a JSON event")?;
            writeln!(out, "{}", csv_row(&event))?;
        }
    }
    Ok(1)
}

/// One CSV row of `event` in [`COLUMNS`] order; `details` as compact JSON text.
pub fn csv_row(event: &Value) -> String {
    COLUMNS
        .iter()
        .map(|c| match &event[*c] {
            Value::Null => String::new(),
            Value::String(s) => quote(s),
            other => quote(&other.to_string()),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_rows_quote_what_needs_quoting() {
        let e = json!({
            "seq": 7, "id": "ev_1", "at": "2026-01-01T00:00:00Z", "actor": "alice",
            "kind": "request.created", "subject": "user:alice", "action": null,
            "resource": null, "decision": null, "request_id": "req_1", "grant_id": null,
            "details": {"reason": "a \"quoted\", multi\nline reason"},
            "prev_hash": "00", "hash": "ab",
        });
        assert_eq!(
            csv_row(&e),
            "7,ev_1,2026-01-01T00:00:00Z,alice,request.created,user:alice,,,,req_1,,\
             \"{\"\"reason\"\":\"\"a \\\"\"quoted\\\"\", multi\\nline reason\"\"}\",00,ab"
        );
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
    }

    #[test]
    fn the_last_seq_is_read_from_the_last_line() {
        assert_eq!(
            last_seq(b"{\"seq\":7,\"id\":\"a\"}\n{\"seq\":12,\"id\":\"b\"}"),
            Some(12)
        );
        assert_eq!(last_seq(b"{\"seq\":3}\n"), Some(3));
        assert_eq!(last_seq(b"{\"id\":\"a\"}"), None);
    }
}
