//! `wicket request`: create (and wait), list, show, approve, deny, cancel.

mod create;
mod view;

use anyhow::Result;
use clap::Subcommand;
use serde_json::{Value, json};

use crate::api::{Items, Request, decode};
use crate::args::Global;
use crate::client::{Client, segment};
use crate::exit::Verdict;
use crate::output::{self, Format};

pub use create::CreateArgs;
pub use view::step as step_of;

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Ask for roles, or for the smallest role that allows an action on a resource
    Create(CreateArgs),
    /// List the requests you may see
    List {
        /// Only requests in this state
        #[arg(long, value_parser = ["pending", "approved", "denied", "cancelled", "expired"])]
        state: Option<String>,
        /// Only your own requests
        #[arg(long)]
        mine: bool,
        /// Only pending requests you may review now
        #[arg(long)]
        reviewable: bool,
    },
    /// Show one request with its reviews and grants
    Show {
        /// The request (`req_...`)
        id: String,
    },
    /// Approve the step of a request that is now deciding
    Approve(Decide),
    /// Deny a request
    Deny(Decide),
    /// Withdraw your own pending request
    Cancel(Decide),
}

#[derive(Debug, clap::Args)]
pub struct Decide {
    /// The request (`req_...`)
    pub id: String,
    /// A note for the requester and the audit log
    #[arg(long)]
    pub comment: Option<String>,
}

pub async fn run(global: &Global, cmd: RequestCommand) -> Result<Verdict> {
    let client = Client::new(global)?;
    match cmd {
        RequestCommand::Create(args) => create::run(global, &client, args).await,
        RequestCommand::List {
            state,
            mine,
            reviewable,
        } => {
            let query = [
                ("state", state),
                ("mine", mine.then(|| "true".to_string())),
                ("reviewable", reviewable.then(|| "true".to_string())),
            ];
            let answer = client.get("/v1/requests", &query).await?;
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => {
                    view::table(&decode::<Items<Request>>(&answer, "list of requests")?.items)?
                }
            }
            Ok(Verdict::Yes)
        }
        RequestCommand::Show { id } => {
            let answer = client
                .get(&format!("/v1/requests/{}", segment(&id)), &[])
                .await?;
            match global.output {
                Format::Json => output::json(&answer)?,
                Format::Human => view::detail(&decode(&answer, "request")?)?,
            }
            Ok(Verdict::Yes)
        }
        RequestCommand::Approve(d) => decide(global, &client, "approve", d).await,
        RequestCommand::Deny(d) => decide(global, &client, "deny", d).await,
        RequestCommand::Cancel(d) => decide(global, &client, "cancel", d).await,
    }
}

async fn decide(global: &Global, client: &Client, verb: &str, d: Decide) -> Result<Verdict> {
    let mut body = json!({});
    if let Some(c) = d.comment {
        body["comment"] = Value::String(c);
    }
    let answer = client
        .post(&format!("/v1/requests/{}/{verb}", segment(&d.id)), &body)
        .await?;
    match global.output {
        Format::Json => output::json(&answer)?,
        Format::Human => view::summary(&decode(&answer, "request")?)?,
    }
    Ok(Verdict::Yes)
}
