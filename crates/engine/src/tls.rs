//! TLS server identities: a rustls configuration from PEM files (`[server] tls_cert` and
//! `tls_key`, or a gateway target's `tls`), shared by every front door that speaks TLS.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use wicket_core::config::TlsFiles;

/// The HTTPS acceptor for `[server] tls_cert` and `tls_key`; speaks HTTP/1 only.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, String> {
    let mut config = server_config(files, "server.")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A rustls server identity from a PEM certificate chain and key; errors name the file, the
/// setting (`{section}tls_cert`, `{section}tls_key`) and what is wrong. The gateway's
/// listeners use it too.
pub fn server_config(files: &TlsFiles, section: &str) -> Result<ServerConfig, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|i| i.collect::<Result<_, _>>())
        .map_err(|e| {
            format!(
                "cannot read certificates from `{section}tls_cert` `{}`: {e}",
                files.cert
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "`{section}tls_cert` `{}` holds no certificate",
            files.cert
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        format!(
            "cannot read a private key from `{section}tls_key` `{}`: {e}",
            files.key
        )
    })?;
    ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "`{section}tls_cert` `{}` and `{section}tls_key` `{}` do not make a server identity: {e}",
                files.cert, files.key
            )
        })
}
