//! `wicket serve`: logging to stderr, then the engine with its front doors side by side (the
//! HTTP server, and the PostgreSQL and SSH gateways' listeners when targets are configured) until
//! SIGTERM or Ctrl-C; at shutdown the front doors stop first, then the engine.

use std::io::IsTerminal;

use anyhow::Result;
use clap::Args;
use tracing_subscriber::EnvFilter;
use wicket_engine::Engine;
use wicket_engine::open::load_config;
use wicket_server::serve::{Http, ServeError, ServeOptions, listen_addr, shutdown_signal};

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
    let opts = ServeOptions {
        config_path: config_file(global)?.to_path_buf(),
        listen: args.listen,
        database: args.database,
    };
    let config = load_config(&opts.config_path)?;
    let listen = listen_addr(&opts, &config);
    // Key and certificate problems stop the start before anything is written.
    if let Some(files) = &config.tls {
        wicket_engine::tls::acceptor(files).map_err(anyhow::Error::msg)?;
    }
    let engine = Engine::start(config, opts.database.as_deref()).await?;
    let http = match Http::start(engine.app.clone(), &listen).await {
        Ok(h) => h,
        Err(e) => {
            engine.shutdown().await?;
            return Err(bind_error(e, &listen));
        }
    };
    let gateway = if engine.app.config.gateway.postgres.is_empty() {
        None
    } else {
        match wicket_gateway::start(engine.app.clone()).await {
            Ok(g) => Some(g),
            Err(e) => {
                http.shutdown().await?;
                engine.shutdown().await?;
                return Err(e.into());
            }
        }
    };
    if let Some(g) = &gateway {
        for (name, addr) in &g.addrs {
            println!("gateway target `{name}` on postgres://{addr}/{name}");
        }
    }
    let ssh = match super::ssh::gateway::start(&engine.app).await {
        Ok(g) => g,
        Err(e) => {
            if let Some(g) = gateway {
                g.shutdown().await;
            }
            http.shutdown().await?;
            engine.shutdown().await?;
            return Err(e);
        }
    };
    let scheme = if http.tls { "https" } else { "http" };
    println!("listening on {scheme}://{}", http.addr);
    println!(
        "web UI: {scheme}://{}/ (sign in with a token from `wicket token create USER --config {}`)",
        http.addr,
        opts.config_path.display()
    );
    tracing::info!(addr = %http.addr, "wicket is serving");
    shutdown_signal().await;
    tracing::info!("shutting down");
    if let Some(g) = ssh {
        g.shutdown().await;
    }
    if let Some(g) = gateway {
        g.shutdown().await;
    }
    http.shutdown().await?;
    engine.shutdown().await?;
    Ok(Verdict::Yes)
}

/// An address in use says what to do about it; other failures stay as they are.
fn bind_error(e: ServeError, listen: &str) -> anyhow::Error {
    match &e {
        ServeError::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
            let host = listen.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
            anyhow::anyhow!(
                "address `{listen}` is already in use (another `wicket serve`?); pass `--listen {host}:PORT` with a free port, or `--listen {host}:0` to take any"
            )
        }
        _ => e.into(),
    }
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
