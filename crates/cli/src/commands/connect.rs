//! `wicket connect TARGET`: mints a short-lived token for you and opens `psql` through the
//! gateway with it (or prints the connection string with `--print`).

use std::net::IpAddr;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde_json::json;

use super::config_file;
use crate::args::Global;
use crate::client::Client;
use crate::exit::Verdict;

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The gateway target: its `name` under `[[gateway.postgres]]`, the dbname to connect to
    pub target: String,
    /// Print the connection string (token included) instead of starting psql
    #[arg(long)]
    pub print: bool,
    /// How long the minted token lasts; the session lasts as long as your grant
    #[arg(long, default_value = "15m", value_name = "DURATION")]
    pub ttl: String,
    /// The gateway's host (default: the target's listen address from the configuration)
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// The gateway's port (default: the target's, from the configuration)
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// More arguments for psql, after `--`
    #[arg(last = true, value_name = "PSQL_ARGS")]
    pub psql_args: Vec<String>,
}

pub async fn run(global: &Global, args: ConnectArgs) -> Result<Verdict> {
    let (host, port) = address(global, &args)?;
    let minted = Client::new(global)?
        .post("/v1/tokens", &json!({ "ttl": args.ttl }))
        .await
        .context("minting a token for the gateway")?;
    let (Some(token), Some(user)) = (minted["token"].as_str(), minted["user"].as_str()) else {
        bail!("the server's answer to `POST /v1/tokens` has no token");
    };
    let conninfo = format!("host={host} port={port} dbname={} user={user}", args.target);
    if args.print {
        println!("{conninfo} password={token}");
        return Ok(Verdict::Yes);
    }
    // The token goes through the environment, not the command line other users can read.
    let status = tokio::process::Command::new("psql")
        .arg(&conninfo)
        .args(&args.psql_args)
        .env("PGPASSWORD", token)
        .status()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot start psql ({e}); install it, or use `--print` for the connection string"
            )
        })?;
    Ok(Verdict::from_bool(status.success()))
}

/// Where the target listens: `--host`/`--port`, else the configuration's `listen`.
fn address(global: &Global, args: &ConnectArgs) -> Result<(String, u16)> {
    if let (Some(host), Some(port)) = (&args.host, args.port) {
        return Ok((host.clone(), port));
    }
    let path = config_file(global)
        .context("finding the gateway target (or pass `--host` and `--port`)")?;
    let config = wicket_engine::open::load_config(path)?;
    let target = config
        .gateway
        .postgres
        .iter()
        .find(|t| t.name == args.target)
        .ok_or_else(|| {
            let names: Vec<String> = config
                .gateway
                .postgres
                .iter()
                .map(|t| format!("`{}`", t.name))
                .collect();
            anyhow!(
                "no gateway target `{}` in {}; targets: {}",
                args.target,
                path.display(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )
        })?;
    let ip = target.listen.ip();
    let default_host = match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(v6) if v6.is_unspecified() => "::1".to_string(),
        other => other.to_string(),
    };
    Ok((
        args.host.clone().unwrap_or(default_host),
        args.port.unwrap_or(target.listen.port()),
    ))
}
