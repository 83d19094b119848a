//! TLS with clients: a rustls acceptor from a target's PEM certificate chain and key.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use wicket_core::config::TlsFiles;

/// Loads the certificate chain and key; errors name the file and what is wrong.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|i| i.collect::<Result<_, _>>())
        .map_err(|e| {
            format!(
                "cannot read certificates from tls_cert `{}`: {e}",
                files.cert
            )
        })?;
    if certs.is_empty() {
        return Err(format!("tls_cert `{}` holds no certificate", files.cert));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        format!(
            "cannot read a private key from tls_key `{}`: {e}",
            files.key
        )
    })?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "tls_cert `{}` and tls_key `{}` do not make a server identity: {e}",
                files.cert, files.key
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
