//! The gateway's errors: starting listeners, and what ends a session.

use crate::protocol::ProtocolError;
use crate::protocol::error_response::ErrorFields;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("gateway target `{target}`: {reason}")]
    Target { target: String, reason: String },
    #[error("binding the gateway on `{addr}`: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// What ends a session early.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("protocol: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("the connection closed in the middle of a message")]
    Truncated,
    #[error("tls handshake failed: {0}")]
    Tls(std::io::Error),
    #[error("the client did not finish starting up in time")]
    StartupTimeout,
    /// Refused with this error, already sent to the client.
    #[error("refused: {}", .0.message())]
    Refused(ErrorFields),
    #[error("upstream: {0}")]
    Upstream(String),
    /// The server has no connection slot left (`53300`).
    #[error("upstream: {0}")]
    UpstreamFull(String),
}
