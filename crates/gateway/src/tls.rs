//! TLS with clients: a rustls acceptor from a target's PEM certificate chain and key.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use wicket_core::config::TlsFiles;

/// Loads the certificate chain and key; errors name the file and what is wrong.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, String> {
    let config = wicket_engine::tls::server_config(files, "")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
