//! `wicket audit list --follow`: prints new events as they are committed, until interrupted.

use std::time::Duration;

use anyhow::Result;

use super::{Filter, details};
use crate::api::{AuditPage, Event, decode};
use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;
use crate::output::{Format, outln};

/// How long to wait when there is nothing new.
const POLL: Duration = Duration::from_secs(1);
const PAGE: i64 = 1000;

/// Starts after `after`, or after the newest event when it is `None`; never returns by itself.
pub async fn run(global: &Global, after: Option<i64>, filter: &Filter) -> Result<Verdict> {
    let client = Client::new(global)?;
    let mut cursor = match after {
        Some(a) => a,
        None => {
            let page: AuditPage = decode(
                &client
                    .get("/v1/audit", &[("limit", Some("1".into()))])
                    .await?,
                "page of audit events",
            )?;
            page.head.unwrap_or(0)
        }
    };
    if global.output == Format::Human {
        eprintln!("following the audit log after seq {cursor}; Ctrl-C stops");
    }
    loop {
        let mut query = filter.query();
        query.push(("after", Some(cursor.to_string())));
        query.push(("limit", Some(PAGE.to_string())));
        let page: AuditPage = decode(
            &client.get("/v1/audit", &query).await?,
            "page of audit events",
        )?;
        for item in &page.items {
            let e: Event = decode(item, "audit event")?;
            cursor = cursor.max(e.seq);
            match global.output {
                Format::Json => outln!("{}", serde_json::to_string(item)?),
                Format::Human => outln!(
                    "{:>6}  {}  {:<10}  {:<22}  {}",
                    e.seq,
                    e.at,
                    e.actor,
                    e.kind,
                    details(&e)
                ),
            }
        }
        // A filtered page can end before the log does: move past what the server read.
        if let Some(next) = page.next_after {
            cursor = cursor.max(next);
            continue;
        }
        if page.items.is_empty()
            && let Some(head) = page.head
            && filter.is_empty()
        {
            cursor = cursor.max(head);
        }
        tokio::time::sleep(POLL).await;
    }
}
