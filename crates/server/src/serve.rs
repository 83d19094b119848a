//! Starting and stopping a server: open the store, load the index, bind, run the jobs, and
//! shut down gracefully on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wicket_core::Config;
use wicket_core::audit::EventBuilder;

use crate::app::{App, now};
use crate::ids::new_id;
use crate::open::{load_config, open_store};
use crate::{checkpoint, jobs, replicate, routes};

/// What `wicket serve` was told on its command line.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub config_path: PathBuf,
    pub listen: Option<String>,
    pub database: Option<String>,
}

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
    /// True when serving HTTPS (`[server] tls_cert`).
    pub tls: bool,
    pub app: App,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    jobs: JoinHandle<()>,
    replicate: JoinHandle<()>,
    /// The webhook dispatcher and its sink workers.
    notify: JoinHandle<()>,
    /// The audit retention job (`[audit] retain`).
    retention: JoinHandle<()>,
    /// The checkpoint signer, stopped last so that it signs the final head.
    checkpoints: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Running {
    /// Stops accepting, finishes requests in flight, stops the jobs.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop.send(true);
        self.http
            .await
            .context("joining the http server")?
            .context("serving http")?;
        self.jobs.await.context("joining the background jobs")?;
        self.replicate
            .await
            .context("joining the replica updates")?;
        self.notify.await.context("joining the notifications")?;
        self.retention
            .await
            .context("joining the audit retention")?;
        if let Some((stop, task)) = self.checkpoints {
            let _ = stop.send(true);
            task.await.context("joining the audit checkpoints")?;
        }
        Ok(())
    }
}

/// Opens the store, records `policy.loaded`, loads live grants into the index, binds `listen`
/// (port 0 picks a free port) and starts serving.
pub async fn spawn(config: Config, database: Option<&str>, listen: &str) -> Result<Running> {
    let config = Arc::new(config);
    // Key and certificate problems stop the start before anything is written.
    let tls = config
        .tls
        .as_ref()
        .map(crate::tls::acceptor)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let signer = config
        .checkpoints
        .as_ref()
        .map(|c| -> Result<checkpoint::Signer> {
            Ok(checkpoint::Signer {
                dir: PathBuf::from(&c.dir),
                key: checkpoint::load_signing_key(std::path::Path::new(&c.key_file))?,
                every_events: c.every_events,
                every: std::time::Duration::from_secs(c.every.as_secs().unsigned_abs()),
            })
        })
        .transpose()?;
    let store = open_store(&config, database).await?;
    // Listening starts before the index is loaded, so no other server's write falls between.
    let feed = store
        .watch()
        .await
        .context("listening for other servers' changes")?;
    let at = now();
    let event = EventBuilder::new(new_id("ev"), at, "wicket", "policy.loaded")
        .detail("file", config.file.clone())
        .detail("hash", config.hash.clone())
        .detail("roles", config.roles.len())
        .detail("policies", config.policies.len())
        .build();
    store
        .append_events(vec![event])
        .await
        .context("recording policy.loaded")?;
    let index = replicate::load_index(&*store, config.clone(), at)
        .await
        .context("loading grants")?;
    let app = App::new(config, store, index);
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding `{listen}`"))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    // Before serving: a webhook secret that cannot be read stops the start.
    let notify = crate::notify::start(app.clone(), stopped.clone()).await?;
    let retention = tokio::spawn(crate::retention::run(
        app.clone(),
        crate::retention::archive_dir(&app, &crate::open::database_url(&app.config, database)),
        stopped.clone(),
    ));
    let router = routes::router(app.clone());
    let mut http_stop = stopped.clone();
    let stopping = async move {
        let _ = http_stop.changed().await;
    };
    let http = match tls.clone() {
        Some(acceptor) => {
            let listener = crate::tls::TlsListener::new(listener, acceptor)?;
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(stopping)
                    .await
            })
        }
        None => tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stopping)
                .await
        }),
    };
    let checkpoints = signer.map(|signer| {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(checkpoint::run(app.clone(), signer, stopped));
        (stop, task)
    });
    // Stops on its own when `stop` turns true; holds no state that needs a flush.
    tokio::spawn(crate::monitor::run(app.clone(), stopped.clone()));
    let jobs = tokio::spawn(jobs::run(app.clone(), stopped.clone()));
    let replicate = tokio::spawn(replicate::run(app.clone(), feed, stopped));
    Ok(Running {
        addr,
        tls: tls.is_some(),
        app,
        stop,
        http,
        jobs,
        replicate,
        notify,
        retention,
        checkpoints,
    })
}

/// Stops what [`serve_with`] started beside the server; awaited before the server stops.
pub type StopBeside = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// `wicket serve`: runs until SIGTERM or Ctrl-C.
pub async fn serve(opts: ServeOptions) -> Result<()> {
    serve_with(opts, |_| async { Ok(None) }).await
}

/// [`serve`], with `beside` started once the server runs (the PostgreSQL gateway starts its
/// listeners so); what it returns is awaited at shutdown, before the server stops.
pub async fn serve_with<F, Fut>(opts: ServeOptions, beside: F) -> Result<()>
where
    F: FnOnce(App) -> Fut,
    Fut: std::future::Future<Output = Result<Option<StopBeside>>>,
{
    let config = load_config(&opts.config_path)?;
    let listen = opts
        .listen
        .clone()
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:7070".to_string());
    let running = spawn(config, opts.database.as_deref(), &listen).await?;
    if !running.tls && !running.addr.ip().is_loopback() {
        tracing::warn!(addr = %running.addr, "serving plain HTTP on a non-loopback address; tokens cross the network in clear text");
    }
    let stop_beside = match beside(running.app.clone()).await {
        Ok(stop) => stop,
        Err(e) => {
            running.shutdown().await?;
            return Err(e);
        }
    };
    let scheme = if running.tls { "https" } else { "http" };
    println!("listening on {scheme}://{}", running.addr);
    tracing::info!(addr = %running.addr, "wicket is serving");
    shutdown_signal().await;
    tracing::info!("shutting down");
    if let Some(stop) = stop_beside {
        stop.await;
    }
    running.shutdown().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
