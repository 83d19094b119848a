//! Starting the gateway on a running engine: one listener per distinct listen address,
//! the targets' passwords and certificates loaded first so that a mistake stops the start.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use wicket_engine::App;

use crate::cancel::Cancels;
use crate::error::StartError;
use crate::listener::{Listener, accept};
use crate::target::Target;
use crate::tls;

/// The running gateway: where each target listens, and how to stop it.
pub type Gateway = wicket_engine::door::Listeners;

/// Starts a listener for every `[[gateway.postgres]]` target of `app`'s configuration.
pub async fn start(app: App) -> Result<Gateway, StartError> {
    let (stop, stopped) = watch::channel(false);
    let cancels = Cancels::default();
    let mut by_listen: BTreeMap<SocketAddr, Vec<Arc<Target>>> = BTreeMap::new();
    for config in &app.config.gateway.postgres {
        let target = Target::load(config.clone()).map_err(|reason| StartError::Target {
            target: config.name.clone(),
            reason,
        })?;
        by_listen
            .entry(config.listen)
            .or_default()
            .push(Arc::new(target));
    }
    let mut addrs = Vec::new();
    let mut tasks = Vec::new();
    for t in by_listen.values().flatten() {
        if t.masking.is_some() {
            tasks.push(tokio::spawn(check_masking(t.clone())));
        }
    }
    for (listen, targets) in by_listen {
        let tls = match targets.first().and_then(|t| t.config.tls.as_ref()) {
            Some(files) => Some(tls::acceptor(files).map_err(|reason| {
                StartError::Target {
                    target: targets
                        .first()
                        .map(|t| t.config.name.clone())
                        .unwrap_or_default(),
                    reason,
                }
            })?),
            None => None,
        };
        let socket = TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: listen,
                source,
            })?;
        let addr = socket.local_addr().map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?;
        if tls.is_none() && !addr.ip().is_loopback() {
            tracing::warn!(%addr, "the gateway listens without TLS on a non-loopback address; tokens cross the network in clear text");
        }
        for t in &targets {
            tracing::info!(target = %t.config.name, %addr, resource = %t.config.resource, "gateway target listening");
            addrs.push((t.config.name.clone(), addr));
        }
        let listener = Arc::new(Listener {
            cache: Arc::default(),
            app: app.clone(),
            addr,
            targets,
            tls,
            cancels: cancels.clone(),
            stop: stopped.clone(),
            pool: crate::pool::Pool::default(),
        });
        tasks.push(tokio::spawn(crate::listener::sweep(listener.clone())));
        tasks.push(tokio::spawn(accept(listener, socket)));
    }
    let order: Vec<&str> = app
        .config
        .gateway
        .postgres
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    addrs.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
    Ok(Gateway::new(addrs, stop, tasks))
}

/// Reads the catalog once at start, warning about every masking pattern that names no
/// column of the database (a misspelled rule masks nothing).
async fn check_masking(target: Arc<Target>) {
    let Some(m) = &target.masking else { return };
    match m.current(&target).await {
        Ok(snapshot) => {
            for warning in crate::mask::unmatched(&m.rules, &snapshot) {
                tracing::warn!(target = %target.config.name, "{warning}");
            }
        }
        Err(e) => {
            tracing::warn!(target = %target.config.name, error = %e, "the masking rules could not be checked against the database's catalog");
        }
    }
}
