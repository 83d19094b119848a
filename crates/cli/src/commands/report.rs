//! `wicket report usage`: per role, the permissions its grants exercised against those it
//! grants, and the roles granted but never used — the evidence for narrowing roles.

use anyhow::Result;
use clap::Subcommand;
use serde::Deserialize;

use crate::api::decode;
use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;
use crate::output::{self, Format, Table, outln};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Permissions granted versus exercised, per role (needs `wicket:audit.read`)
    Usage {
        /// The window's start: an age like `30d`, or an RFC 3339 time
        #[arg(long, default_value = "30d", value_name = "WHEN")]
        since: String,
        /// The window's end (default: now)
        #[arg(long, value_name = "WHEN")]
        until: Option<String>,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Usage {
    since: String,
    until: String,
    events: u64,
    roles: Vec<RoleUsage>,
    never_used: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoleUsage {
    role: String,
    grants: u64,
    used_grants: u64,
    uses: u64,
    permissions: Vec<Permission>,
    unused_permissions: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Permission {
    action: String,
    resource: String,
    uses: u64,
}

pub async fn run(global: &Global, cmd: ReportCommand) -> Result<Verdict> {
    let ReportCommand::Usage { since, until } = cmd;
    let client = Client::new(global)?;
    let answer = client
        .get(
            "/v1/reports/usage",
            &[("since", Some(since)), ("until", until)],
        )
        .await?;
    if global.output == Format::Json {
        output::json(&answer)?;
        return Ok(Verdict::Yes);
    }
    let usage: Usage = decode(&answer, "usage report")?;
    outln!(
        "usage from {} to {} ({} events)",
        usage.since,
        usage.until,
        usage.events
    );
    let mut table = Table::new(&["ROLE", "GRANTS", "USED", "USES", "PERMISSIONS USED"]);
    for r in &usage.roles {
        let total = r.permissions.len() as u64;
        table.row(vec![
            r.role.clone(),
            r.grants.to_string(),
            r.used_grants.to_string(),
            r.uses.to_string(),
            format!("{}/{total}", total - r.unused_permissions.min(total)),
        ]);
    }
    table.print()?;
    let unused: Vec<String> = usage
        .roles
        .iter()
        .filter(|r| r.uses > 0)
        .flat_map(|r| {
            r.permissions
                .iter()
                .filter(|p| p.uses == 0)
                .map(move |p| format!("  {}: {} on {}", r.role, p.action, p.resource))
        })
        .collect();
    if !unused.is_empty() {
        outln!("granted but never exercised (candidates to remove):");
        for line in unused {
            outln!("{line}");
        }
    }
    if !usage.never_used.is_empty() {
        outln!("granted but never used: {}", usage.never_used.join(", "));
    }
    Ok(Verdict::Yes)
}
