//! `wicket serve`: logging to stderr, then the server and its gateway listeners until SIGTERM
//! or Ctrl-C.

use std::io::IsTerminal;

use anyhow::Result;
use clap::Args;
use tracing_subscriber::EnvFilter;
use wicket_server::ServeOptions;

use super::config_file;
use crate::args::Global;
use crate::exit::Verdict;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default: the configuration's, else 127.0.0.1:7070; port 0 picks one)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Database url, like `sqlite://wicket.db` (default: the configuration's)
    #[arg(long, env = "WICKET_DATABASE", value_name = "URL")]
    pub database: Option<String>,
}

pub async fn run(global: &Global, args: ServeArgs) -> Result<Verdict> {
    init_logging();
    let config_path = config_file(global)?.to_path_buf();
    wicket_gateway::serve(ServeOptions {
        config_path,
        listen: args.listen,
        database: args.database,
    })
    .await?;
    Ok(Verdict::Yes)
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A subscriber already set (never, in this binary) is not worth failing over.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
