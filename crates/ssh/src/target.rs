//! One `[[gateway.ssh]]` target, loaded: the gateway's host key, the key it logs in upstream
//! with, the pinned upstream host key, and the CA whose certificates it accepts.

use std::path::Path;
use std::sync::Arc;

use russh::keys::{HashAlg, PrivateKey, PublicKey};
use wicket_core::config::SshTarget;
use wicket_engine::App;

/// A target ready to serve.
pub struct Target {
    pub config: SshTarget,
    pub host_key: PrivateKey,
    pub upstream_key: Arc<PrivateKey>,
    pub upstream_host_key: PublicKey,
    /// The fingerprint of wicket's user CA, when `[ssh] ca_key` is set.
    pub ca: Option<russh::keys::ssh_key::Fingerprint>,
}

fn private(path: &str, what: &str) -> Result<PrivateKey, String> {
    let text = std::fs::read_to_string(Path::new(path))
        .map_err(|e| format!("cannot read {what} `{path}`: {e}"))?;
    let key = PrivateKey::from_openssh(text)
        .map_err(|_| format!("{what} `{path}` is not an OpenSSH private key"))?;
    if key.is_encrypted() {
        return Err(format!(
            "{what} `{path}` is encrypted; give an unencrypted key"
        ));
    }
    Ok(key)
}

impl Target {
    pub fn load(app: &App, config: SshTarget) -> Result<Target, String> {
        let host_key = private(&config.host_key_file, "host key")?;
        let upstream_key = Arc::new(private(&config.upstream_key_file, "upstream key")?);
        let upstream_host_key =
            PublicKey::from_openssh(config.upstream_host_key.trim()).map_err(|_| {
                format!(
                    "`upstream_host_key` is not a public key line: `{}`",
                    config.upstream_host_key
                )
            })?;
        let ca = match &app.config.ssh.ca_key {
            Some(_) => Some(
                wicket_engine::ssh::ca::configured(app)
                    .map_err(|e| e.to_string())?
                    .public_key()
                    .fingerprint(HashAlg::Sha256),
            ),
            None => None,
        };
        Ok(Target {
            config,
            host_key,
            upstream_key,
            upstream_host_key,
            ca,
        })
    }
}
