//! `wicket review list|start|certify|revoke|report`: access review campaigns from the
//! command line.

use std::io::Write as _;

use anyhow::Result;
use clap::Subcommand;
use serde::Deserialize;
use serde_json::json;

use crate::api::{Items, decode};
use crate::args::Global;
use crate::client::{Client, segment};
use crate::exit::Verdict;
use crate::output::{self, Format, Table, outln};

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// List the campaigns and the items you review (every item with `wicket:reviews.manage`)
    List {
        /// Only items still waiting for a decision
        #[arg(long)]
        pending: bool,
    },
    /// Start a campaign of a `[[reviews]]` now (takes `wicket:reviews.manage`)
    Start {
        /// The review's name
        name: String,
    },
    /// Keep an item of a campaign
    Certify {
        /// The campaign (`rc_...`)
        campaign: String,
        /// The item (`ri_...`)
        item: String,
        /// Why, for the audit log
        #[arg(long)]
        comment: Option<String>,
    },
    /// Take an item away: a standing binding is suspended, a grant revoked
    Revoke {
        /// The campaign (`rc_...`)
        campaign: String,
        /// The item (`ri_...`)
        item: String,
        /// Why, for the audit log
        #[arg(long)]
        comment: Option<String>,
    },
    /// A campaign's report: every item, who decided it, how, when and why
    Report {
        /// The campaign (`rc_...`)
        campaign: String,
        /// `csv` for a spreadsheet; JSON otherwise
        #[arg(long, value_parser = ["csv", "json"], default_value = "json")]
        format: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Campaign {
    id: String,
    review: String,
    deadline: String,
    closed_at: Option<String>,
    items: Vec<Item>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Item {
    id: String,
    kind: String,
    subject: String,
    role: String,
    grant_id: Option<String>,
    decision: String,
    decided_by: Option<String>,
}

pub async fn run(global: &Global, cmd: ReviewCommand) -> Result<Verdict> {
    let client = Client::new(global)?;
    match cmd {
        ReviewCommand::List { pending } => {
            let answer = client.get("/v1/reviews", &[]).await?;
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => {
                    let list: Items<Campaign> = decode(&answer, "list of campaigns")?;
                    print_campaigns(&list.items, pending)?;
                }
            }
        }
        ReviewCommand::Start { name } => {
            let path = format!("/v1/reviews/{}/start", segment(&name));
            let answer = client.post(&path, &json!({})).await?;
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => {
                    let c: Campaign = decode(&answer, "campaign")?;
                    outln!(
                        "campaign {} of review {} started: {} items to decide by {}",
                        c.id,
                        c.review,
                        c.items.len(),
                        c.deadline
                    );
                }
            }
        }
        ReviewCommand::Certify {
            campaign,
            item,
            comment,
        } => decide(global, &client, &campaign, &item, "certify", comment).await?,
        ReviewCommand::Revoke {
            campaign,
            item,
            comment,
        } => decide(global, &client, &campaign, &item, "revoke", comment).await?,
        ReviewCommand::Report { campaign, format } => {
            let path = format!("/v1/reviews/{}/report", segment(&campaign));
            if format == "csv" {
                let query = [("format", Some("csv".to_string()))];
                let mut response = client.stream(&path, &query).await?;
                let mut out = std::io::stdout().lock();
                while let Some(chunk) = client.chunk(&mut response).await? {
                    out.write_all(&chunk)?;
                }
                out.flush()?;
            } else {
                output::json(&client.get(&path, &[]).await?)?;
            }
        }
    }
    Ok(Verdict::Yes)
}

async fn decide(
    global: &Global,
    client: &Client,
    campaign: &str,
    item: &str,
    action: &str,
    comment: Option<String>,
) -> Result<()> {
    let path = format!(
        "/v1/reviews/{}/items/{}/{action}",
        segment(campaign),
        segment(item)
    );
    let answer = client.post(&path, &json!({ "comment": comment })).await?;
    match global.output {
        Format::Json => output::json(&answer)?,
        Format::Human => {
            let i: Item = decode(&answer, "review item")?;
            let what = match i.decision.as_str() {
                "revoked" if i.kind == "grant" => "revoked: the grant is revoked",
                "revoked" => "revoked: the binding is suspended",
                _ => "certified",
            };
            outln!("item {} ({} {}) {what}", i.id, i.subject, i.role);
        }
    }
    Ok(())
}

fn print_campaigns(campaigns: &[Campaign], pending: bool) -> Result<()> {
    if campaigns.is_empty() {
        outln!("no campaigns to review");
        return Ok(());
    }
    for c in campaigns {
        let state = match &c.closed_at {
            Some(at) => format!("closed {at}"),
            None => format!("open until {}", c.deadline),
        };
        outln!("campaign {} of review {} ({state})", c.id, c.review);
        let mut table = Table::new(&["ITEM", "KIND", "SUBJECT", "ROLE", "DECISION", "BY"]);
        for i in c
            .items
            .iter()
            .filter(|i| !pending || i.decision == "pending")
        {
            let kind = match &i.grant_id {
                Some(g) => format!("grant {g}"),
                None => i.kind.clone(),
            };
            table.row(vec![
                i.id.clone(),
                kind,
                i.subject.clone(),
                i.role.clone(),
                i.decision.clone(),
                i.decided_by.clone().unwrap_or_default(),
            ]);
        }
        table.print()?;
    }
    Ok(())
}
