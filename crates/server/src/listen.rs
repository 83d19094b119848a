//! Serving connections with the limits a public port needs: an idle timeout (which ends a
//! keep-alive connection idle between requests, and a client dripping its headers), a cap on
//! open connections kept below the process's file limit (at the cap the oldest idle
//! connection makes room), both kept by the connection registry of `shed.rs`, and a graceful
//! drain at stop.
//!
//! `axum::serve` has neither, so idle and half-sent connections were held forever there and
//! could exhaust the file descriptors.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Semaphore, watch};

mod shed;

/// How long a client has to send a request's headers, and the longest a keep-alive connection
/// waits idle for the next request (give or take a tenth: the registry sweeps ten times in it).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Sweeps of the registry within [`IDLE_TIMEOUT`].
const SWEEPS: u32 = 10;
/// How long requests in flight may take to finish once the server stops.
pub const GRACE: Duration = Duration::from_secs(10);

/// Connections the server keeps open at most: well below the file limit, so the store,
/// webhooks and the gateway always find a descriptor.
pub fn max_connections() -> usize {
    let soft = wicket_engine::limits::nofile();
    usize::try_from(soft.saturating_sub(256).clamp(64, 16_384)).unwrap_or(64)
}

/// Accepts from `listener` and serves `router` until `stop` turns true, then drains.
pub async fn serve<L>(
    listener: L,
    router: Router,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()>
where
    L: Listener,
    L::Io: Send + 'static,
{
    serve_with(listener, router, stop, IDLE_TIMEOUT).await
}

/// [`serve`], closing connections that answer nothing for `idle`.
async fn serve_with<L>(
    mut listener: L,
    router: Router,
    mut stop: watch::Receiver<bool>,
    idle: Duration,
) -> std::io::Result<()>
where
    L: Listener,
    L::Io: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(max_connections()));
    let registry = shed::Registry::default();
    let sweeper = tokio::spawn({
        let registry = registry.clone();
        async move {
            let mut every = tokio::time::interval(idle / SWEEPS);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await;
            loop {
                every.tick().await;
                let closed = registry.close_idle(u64::from(SWEEPS));
                if closed > 0 {
                    tracing::debug!(closed, "closed connections idle for the idle timeout");
                }
            }
        }
    });
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    // No timer: hyper's header-read timeout would set and clear one on every request, and the
    // registry's sweep closes idle and dripping connections instead.
    builder.http1().header_read_timeout(None).keep_alive(true);
    let builder = Arc::new(builder);
    loop {
        // At the cap the oldest idle connection makes room; when every one is answering a
        // request, a new connection waits in the kernel's backlog until one ends.
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if registry.shed_oldest_idle() {
                    tracing::debug!("connection cap reached: closed the oldest idle connection");
                }
                tokio::select! {
                    _ = stop.changed() => break,
                    permit = permits.clone().acquire_owned() => match permit {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                }
            }
        };
        let (io, _addr) = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => accepted,
        };
        let (registered, activity) = registry.register();
        let id = registered.id();
        let router = router.clone();
        let service = TowerToHyperService::new(tower::service_fn(move |req| {
            shed::track(router.clone(), activity.clone(), req)
        }));
        let builder = builder.clone();
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(io), service)
            .into_owned();
        let conn = graceful.watch(conn);
        let task = tokio::spawn(async move {
            let _registered = registered;
            let _permit = permit;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "http connection ended with an error");
            }
        });
        registry.set_abort(id, task.abort_handle());
    }
    // Stop accepting; let requests in flight finish, within the grace period.
    drop(listener);
    if tokio::time::timeout(GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = GRACE.as_secs(),
            "http connections still open after the grace period were closed"
        );
    }
    sweeper.abort();
    Ok(())
}

#[cfg(test)]
mod tests;
