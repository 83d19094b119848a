//! One listen address: the targets it serves (chosen by dbname), its TLS setup, and the
//! accept loop that gives each connection a session of its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
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
}

/// Accepts connections until `stop`; a failing connection never stops the loop.
pub async fn accept(listener: Arc<Listener>, socket: TcpListener) {
    let mut stop = listener.stop.clone();
    loop {
        tokio::select! {
            accepted = socket.accept() => match accepted {
                Ok((tcp, peer)) => {
                    tokio::spawn(session::serve(tcp, peer, listener.clone()));
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
