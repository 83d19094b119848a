//! The gateway's connection to the real server: the host key must be the pinned one, and the
//! gateway logs in with its own key; the user's credentials never go upstream.

use std::sync::Arc;

use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};

use crate::target::Target;

/// Checks the upstream server's key against the pinned one.
pub struct Pinned {
    key: PublicKey,
}

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(match server {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.key_data() == self.key.key_data(),
            PublicKeyOrCertificate::Certificate(_) => false,
        })
    }
}

pub type Upstream = client::Handle<Pinned>;

/// Connects to `target`'s server and logs in as `login`.
pub async fn connect(target: &Target, login: &str) -> Result<Upstream, String> {
    let config = Arc::new(client::Config {
        nodelay: true,
        ..client::Config::default()
    });
    let addr = (
        target.config.upstream_host.as_str(),
        target.config.upstream_port,
    );
    let pinned = Pinned {
        key: target.upstream_host_key.clone(),
    };
    let mut handle = client::connect(config, addr, pinned).await.map_err(|e| {
        format!(
            "cannot reach {}:{} (or its host key is not the pinned one): {e}",
            target.config.upstream_host, target.config.upstream_port
        )
    })?;
    let user = target.config.upstream_user.as_deref().unwrap_or(login);
    let key = PrivateKeyWithHashAlg::new(target.upstream_key.clone(), None);
    let auth = handle
        .authenticate_publickey(user, key)
        .await
        .map_err(|e| format!("logging in upstream as `{user}` failed: {e}"))?;
    if !auth.success() {
        return Err(format!("the server refused the gateway's key for `{user}`"));
    }
    Ok(handle)
}
