//! `wicket grant list`, `wicket grant revoke` and `wicket grant extend`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use serde_json::json;

use crate::api::{Grant, Items, Request, decode};
use crate::args::Global;
use crate::client::{Client, segment};
use crate::commands::subject;
use crate::exit::Verdict;
use crate::output::{self, Format, Table, outln, when};

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// List grants: your own, or everyone's with `wicket:requests.read`
    List {
        /// Only grants in this status
        #[arg(long, value_parser = ["scheduled", "active", "expired", "revoked"])]
        status: Option<String>,
        /// Only grants of this user (`alice` or `user:alice`)
        #[arg(long)]
        subject: Option<String>,
    },
    /// End a grant now: your own, or anyone's with `wicket:grants.revoke`
    Revoke {
        /// The grant (`gr_...`)
        id: String,
        /// Why, for the audit log
        #[arg(long)]
        reason: String,
    },
    /// Ask for more time on your own live grant; the grant's policy decides
    Extend {
        /// The grant (`gr_...`)
        id: String,
        /// How much longer (`30m`, `1h`)
        #[arg(long)]
        by: String,
        /// Why, for the approvers and the audit log
        #[arg(long)]
        reason: Option<String>,
    },
}

pub async fn run(global: &Global, cmd: GrantCommand) -> Result<Verdict> {
    let client = Client::new(global)?;
    match cmd {
        GrantCommand::List {
            status,
            subject: who,
        } => {
            let query = [("status", status), ("subject", who.as_deref().map(subject))];
            let answer = client.get("/v1/grants", &query).await?;
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => {
                    print_table(&decode::<Items<Grant>>(&answer, "list of grants")?.items)?
                }
            }
        }
        GrantCommand::Revoke { id, reason } => {
            let path = format!("/v1/grants/{}/revoke", segment(&id));
            let answer = client.post(&path, &json!({ "reason": reason })).await?;
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => {
                    let g: Grant = decode(&answer, "grant")?;
                    outln!(
                        "grant {} revoked: {} no longer holds {}",
                        g.id,
                        g.user,
                        g.role
                    );
                }
            }
        }
        GrantCommand::Extend { id, by, reason } => {
            let path = format!("/v1/grants/{}/extend", segment(&id));
            let answer = client
                .post(&path, &json!({ "by": by, "reason": reason }))
                .await?;
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => print_extension(&decode::<Request>(&answer, "request")?)?,
            }
        }
    }
    Ok(Verdict::Yes)
}

/// Where an extension stands: the grant's new end once approved, else who decides.
fn print_extension(r: &Request) -> Result<()> {
    let grant = r.extends.as_deref().unwrap_or("?");
    match (r.state.as_str(), r.grants.first()) {
        ("approved", Some(g)) => outln!(
            "grant {grant} extended by {}: {} now holds {} until {} ({})",
            r.duration,
            g.user,
            g.role,
            g.expires_at,
            expiry(g, Utc::now())
        ),
        ("pending", _) => outln!(
            "extension {} of grant {grant} by {} is pending: step {} awaits approval (policy {}); \
             `wicket request show {}` follows it",
            r.id,
            r.duration,
            crate::commands::request::step_of(r),
            r.policy,
            r.id
        ),
        (state, _) => outln!("extension {} of grant {grant} is {state}", r.id),
    }
    Ok(())
}

pub fn print_table(grants: &[Grant]) -> Result<()> {
    if grants.is_empty() {
        outln!("no grants");
        return Ok(());
    }
    let now = Utc::now();
    let mut table = Table::new(&["ID", "USER", "ROLE", "STATUS", "EXPIRES"]);
    for g in grants {
        table.row(vec![
            g.id.clone(),
            g.user.clone(),
            g.role.clone(),
            g.status.clone(),
            expiry(g, now),
        ]);
    }
    table.print()?;
    // A revoked grant says who ended it and why, under the table.
    for g in grants {
        if let Some(why) = revocation(g) {
            outln!("{} {why}", g.id);
        }
    }
    Ok(())
}

/// `revoked by wicket:monitor: anomaly rule `denied-burst`: ...` for a revoked grant.
pub fn revocation(g: &Grant) -> Option<String> {
    if g.status != "revoked" {
        return None;
    }
    let mut text = "revoked".to_string();
    if let Some(by) = &g.revoked_by {
        text.push_str(&format!(" by {by}"));
    }
    match g.revoke_reason.as_deref() {
        Some(reason) if !reason.is_empty() => text.push_str(&format!(": {reason}")),
        _ => text.push_str(" (no reason given)"),
    }
    Some(text)
}

/// When the grant ends or ended: `in 42m`, `starts in 5m, for 1h`, `3m ago`, `revoked 2m ago`.
pub fn expiry(g: &Grant, now: DateTime<Utc>) -> String {
    match g.status.as_str() {
        "revoked" => format!(
            "revoked {}",
            g.revoked_at
                .as_deref()
                .map_or("-".into(), |at| when::relative(at, now))
        ),
        "scheduled" => match (when::parse(&g.starts_at), when::parse(&g.expires_at)) {
            (Some(start), Some(end)) => {
                format!(
                    "starts {}, for {}",
                    when::relative(&g.starts_at, now),
                    when::span((end - start).num_seconds())
                )
            }
            _ => when::relative(&g.expires_at, now),
        },
        _ => when::relative(&g.expires_at, now),
    }
}
