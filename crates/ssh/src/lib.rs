//! Wicket's SSH front door: users reach a server with plain OpenSSH through the gateway,
//! authenticated by a wicket certificate or a token; `ssh:login` is checked at connect and
//! while the session lasts, shell, exec and `sftp` go upstream with a key wicket holds, every
//! session is recorded (asciicast v2), and the session is cut when the grant ends.

pub mod events;
pub mod gateway;
pub mod handler;
pub mod recording;
pub mod relay;
pub mod target;
pub mod upstream;
pub mod watch;

pub use gateway::{Gateway, start};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("ssh gateway target `{target}`: {reason}")]
    Target { target: String, reason: String },
    #[error("ssh gateway target `{target}` cannot listen on {addr}: {source}")]
    Bind {
        target: String,
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}
