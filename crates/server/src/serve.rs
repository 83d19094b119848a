//! The HTTP front door on a running engine: bind, serve the API and the web UI (HTTPS when
//! `[server] tls_cert` is set), and stop gracefully. [`spawn`] starts an engine and its HTTP
//! server together; [`serve`] runs them until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wicket_core::Config;
use wicket_engine::open::load_config;
use wicket_engine::{App, Engine, EngineError};

use crate::routes;

/// Why the HTTP server could not start, serve or stop.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// `[server] tls_cert` or `tls_key` cannot be used.
    #[error("{0}")]
    Tls(String),
    #[error("binding `{addr}`: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("serving http: {0}")]
    Serve(#[source] std::io::Error),
    #[error("the http server stopped abnormally: {0}")]
    Join(String),
}

type Result<T> = std::result::Result<T, ServeError>;

/// What `wicket serve` was told on its command line.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub config_path: PathBuf,
    pub listen: Option<String>,
    pub database: Option<String>,
}

/// The HTTP server of an engine.
pub struct Http {
    pub addr: SocketAddr,
    /// True when serving HTTPS (`[server] tls_cert`).
    pub tls: bool,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Http {
    /// Binds `listen` (port 0 picks a free port) and serves `app` on it.
    pub async fn start(app: App, listen: &str) -> Result<Http> {
        let tls = app
            .config
            .tls
            .as_ref()
            .map(wicket_engine::tls::acceptor)
            .transpose()
            .map_err(ServeError::Tls)?;
        let bind = |source| ServeError::Bind {
            addr: listen.to_string(),
            source,
        };
        let listener = TcpListener::bind(listen).await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let (stop, stopped) = watch::channel(false);
        let router = routes::router(app);
        let task = match tls.clone() {
            Some(acceptor) => {
                let listener =
                    crate::tls::TlsListener::new(listener, acceptor).map_err(ServeError::Serve)?;
                tokio::spawn(crate::listen::serve(listener, router, stopped))
            }
            None => tokio::spawn(crate::listen::serve(listener, router, stopped)),
        };
        if tls.is_none() && !addr.ip().is_loopback() {
            tracing::warn!(%addr, "serving plain HTTP on a non-loopback address; tokens cross the network in clear text");
        }
        Ok(Http {
            addr,
            tls: tls.is_some(),
            stop,
            task,
        })
    }

    /// Stops accepting and finishes requests in flight.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| ServeError::Join(e.to_string()))?
            .map_err(ServeError::Serve)
    }
}

/// An engine and its HTTP server, running in this process.
pub struct Running {
    pub addr: SocketAddr,
    /// True when serving HTTPS (`[server] tls_cert`).
    pub tls: bool,
    pub app: App,
    engine: Engine,
    http: Http,
}

impl Running {
    /// Stops accepting, finishes requests in flight, stops the engine's jobs.
    pub async fn shutdown(self) -> Result<()> {
        self.http.shutdown().await?;
        Ok(self.engine.shutdown().await?)
    }
}

/// Starts an engine on `config` and `database` and serves it on `listen`.
pub async fn spawn(config: Config, database: Option<&str>, listen: &str) -> Result<Running> {
    wicket_engine::limits::raise_nofile();
    // Key and certificate problems stop the start before anything is written.
    if let Some(files) = &config.tls {
        wicket_engine::tls::acceptor(files).map_err(ServeError::Tls)?;
    }
    // A SCIM token that cannot be read stops the start, as a missing client secret does.
    if let Some(scim) = &config.scim {
        crate::scim::read_token(&scim.token)
            .map_err(|e| ServeError::Engine(EngineError::Setup(e)))?;
    }
    let engine = Engine::start(config, database).await?;
    let http = match Http::start(engine.app.clone(), listen).await {
        Ok(h) => h,
        Err(e) => {
            engine.shutdown().await?;
            return Err(e);
        }
    };
    Ok(Running {
        addr: http.addr,
        tls: http.tls,
        app: engine.app.clone(),
        engine,
        http,
    })
}

/// The address to listen on: the command line's, else the configuration's, else the default.
pub fn listen_addr(opts: &ServeOptions, config: &Config) -> String {
    opts.listen
        .clone()
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:7070".to_string())
}

/// An engine and its HTTP server until SIGTERM or Ctrl-C (no gateway: `wicket serve` adds
/// the gateway's listeners beside them).
pub async fn serve(opts: ServeOptions) -> Result<()> {
    let config = load_config(&opts.config_path)?;
    let listen = listen_addr(&opts, &config);
    let running = spawn(config, opts.database.as_deref(), &listen).await?;
    let scheme = if running.tls { "https" } else { "http" };
    println!("listening on {scheme}://{}", running.addr);
    tracing::info!(addr = %running.addr, "wicket is serving");
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
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
