//! One listen address: the targets it serves (chosen by dbname), its TLS setup, and the
//! accept loop that gives each connection a session of its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use wicket_engine::App;

use crate::cancel::Cancels;
use crate::session;
use crate::target::Target;

pub struct Listener {
    pub app: App,
    pub addr: SocketAddr,
    pub targets: Vec<Arc<Target>>,
    pub tls: Option<TlsAcceptor>,
    pub cancels: Cancels,
    /// Turns true when the gateway shuts down; sessions end within a watch tick.
    pub stop: watch::Receiver<bool>,
    /// Classifications by statement shape (see [`crate::sql::Cache`]).
    pub cache: Arc<crate::sql::Cache>,
    /// Upstream connections kept between sessions (see [`crate::pool`]).
    pub pool: crate::pool::Pool,
}

/// Sessions one listener keeps open at most: each holds two descriptors (client and
/// upstream), and the rest of the process needs some too. Over the cap, connections wait in
/// the kernel's backlog until a session ends.
fn max_sessions() -> usize {
    let soft = wicket_engine::limits::nofile();
    usize::try_from((soft.saturating_sub(512) / 4).clamp(32, 8_192)).unwrap_or(32)
}

/// Accepts connections until `stop`; a failing connection never stops the loop.
pub async fn accept(listener: Arc<Listener>, socket: TcpListener) {
    let mut stop = listener.stop.clone();
    let permits = Arc::new(Semaphore::new(max_sessions()));
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = stop.changed() => return,
        };
        tokio::select! {
            accepted = socket.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let listener = listener.clone();
                    tokio::spawn(async move {
                        session::serve(tcp, peer, listener).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(addr = %listener.addr, error = %e, "accepting a gateway connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = stop.changed() => return,
        }
    }
}

/// Closes idle upstream connections as they outlive [`crate::pool::IDLE`], and all of them
/// when the gateway stops.
pub async fn sweep(listener: Arc<Listener>) {
    let mut stop = listener.stop.clone();
    let mut tick = tokio::time::interval(crate::pool::IDLE / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let closed = listener.pool.sweep();
                if closed > 0 {
                    tracing::debug!(addr = %listener.addr, closed, "idle upstream connections closed");
                }
            }
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    listener.pool.clear();
}
