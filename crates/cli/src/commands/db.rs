//! `wicket db creds TARGET`: fresh credentials for your provisioned role in a
//! `[[provision.postgres]]` target. The connection string goes to stdout (so
//! `psql "$(wicket db creds orders)"` works), when it stops working to stderr.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;
use crate::output::{self, Format};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Print fresh credentials for your provisioned role (valid until your grant ends)
    Creds(CredsArgs),
}

#[derive(Debug, Args)]
pub struct CredsArgs {
    /// The provisioning target: its `name` under `[[provision.postgres]]`
    pub target: String,
}

pub async fn run(global: &Global, cmd: DbCommand) -> Result<Verdict> {
    match cmd {
        DbCommand::Creds(args) => creds(global, args).await,
    }
}

async fn creds(global: &Global, args: CredsArgs) -> Result<Verdict> {
    let answer = Client::new(global)?
        .post("/v1/db/creds", &json!({ "target": args.target }))
        .await?;
    if global.output == Format::Json {
        output::json(&answer)?;
        return Ok(Verdict::Yes);
    }
    let (Some(connection), Some(until), Some(role)) = (
        answer["connection"].as_str(),
        answer["valid_until"].as_str(),
        answer["role"].as_str(),
    ) else {
        bail!("the server's answer to `POST /v1/db/creds` has no connection string");
    };
    output::outln!("{connection}");
    eprintln!("role `{role}`, valid until {until}; the password is shown only this once");
    Ok(Verdict::Yes)
}
