//! `wicket audit export`: every matching event, page after page, one JSON object per line.

use std::io::{BufWriter, Write};

use anyhow::{Result, bail};

use super::Filter;
use crate::api::{AuditPage, decode};
use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;

/// The largest page the server serves.
const PAGE: i64 = 1000;

pub async fn run(global: &Global, filter: &Filter) -> Result<Verdict> {
    let client = Client::new(global)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut after: i64 = 0;
    let mut total = 0usize;
    loop {
        let mut query = filter.query();
        query.push(("after", Some(after.to_string())));
        query.push(("limit", Some(PAGE.to_string())));
        let page: AuditPage = decode(
            &client.get("/v1/audit", &query).await?,
            "page of audit events",
        )?;
        for item in &page.items {
            writeln!(out, "{}", serde_json::to_string(item)?)?;
        }
        total += page.items.len();
        match page.next_after {
            Some(next) if next > after => after = next,
            Some(next) => {
                bail!("the server's next page starts at seq {next}, not after {after}; stopping")
            }
            None => break,
        }
    }
    out.flush()?;
    eprintln!("exported {total} events");
    Ok(Verdict::Yes)
}
