//! HTTPS: a rustls server identity from `[server] tls_cert` and `tls_key` (PEM files), and a
//! listener that hands axum connections whose TLS handshake is done.
//!
//! Handshakes run in their own tasks with a deadline, so a slow or silent client holds up no
//! one; a client speaking plain HTTP to the TLS port fails its handshake and is closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;
use wicket_core::config::TlsFiles;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Handshaken connections waiting for axum to take them.
const QUEUE: usize = 128;

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

/// A TCP listener whose connections come out of a TLS handshake; for `axum::serve`.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let addr = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(QUEUE);
        let accepting = tokio::spawn(accept_loop(tcp, acceptor, tx));
        Ok(TlsListener {
            ready,
            addr,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // Stop accepting when axum lets go of the listener (graceful shutdown).
        self.accepting.abort();
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait, as axum's own listener does.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(StdDuration::from_millis(100)).await;
                continue;
            }
        };
        if tx.is_closed() {
            return;
        }
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "tls handshake failed"),
                Err(_) => tracing::debug!(%peer, "tls handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept loop only ends when aborted, which happens once this is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
