//! The user certificate authority's key: an Ed25519 OpenSSH private key in a file outside
//! the database (`[ssh] ca_key`), made by `wicket ssh keygen`.

use std::path::Path;

use rand::RngCore;
use ssh_key::private::Ed25519Keypair;
use ssh_key::{Algorithm, LineEnding, PrivateKey, PublicKey};

use crate::error::{EngineError, EngineResult};

/// What went wrong with a key file; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("cannot read SSH key `{file}`: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "SSH key `{0}` is not an unencrypted OpenSSH Ed25519 private key (make one with `wicket ssh keygen --out FILE`)"
    )]
    NotAKey(String),
    #[error("`{0}` already exists; choose another file or remove it first")]
    Exists(String),
    #[error("cannot write SSH key `{file}`: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
}

/// Reads an unencrypted Ed25519 private key from `path`.
pub fn load(path: &Path) -> Result<PrivateKey, CaError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CaError::Read {
        file: file.clone(),
        source,
    })?;
    let key = PrivateKey::from_openssh(text).map_err(|_| CaError::NotAKey(file.clone()))?;
    if key.is_encrypted() || key.algorithm() != Algorithm::Ed25519 {
        return Err(CaError::NotAKey(file));
    }
    Ok(key)
}

/// A fresh random Ed25519 key.
pub fn random_key(comment: &str) -> PrivateKey {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    key.set_comment(comment);
    key
}

/// Writes a new key to `out` (owner-only) and its public half to `out.pub`; refuses to
/// overwrite either. Returns the public key.
pub fn keygen(out: &Path, comment: &str) -> Result<PublicKey, CaError> {
    let key = random_key(comment);
    write_private(out, &key)?;
    let public = key.public_key().clone();
    write_public(&pub_path(out), &public)?;
    Ok(public)
}

/// `FILE.pub`.
pub fn pub_path(path: &Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    s.into()
}

/// Writes `key` to a new owner-only file.
pub fn write_private(out: &Path, key: &PrivateKey) -> Result<(), CaError> {
    let file = out.display().to_string();
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|_| CaError::NotAKey(file.clone()))?;
    create_new(out, pem.as_bytes(), 0o600)
}

/// Writes `key`'s OpenSSH line to a new file.
pub fn write_public(out: &Path, key: &PublicKey) -> Result<(), CaError> {
    let file = out.display().to_string();
    let line = key.to_openssh().map_err(|_| CaError::NotAKey(file))?;
    create_new(out, format!("{line}\n").as_bytes(), 0o644)
}

fn create_new(out: &Path, bytes: &[u8], mode: u32) -> Result<(), CaError> {
    crate::new_file::create_new(out, bytes, mode, CaError::Exists, |file, source| {
        CaError::Write { file, source }
    })
}

/// The configured CA key, or why there is none.
pub fn configured(app: &crate::App) -> EngineResult<PrivateKey> {
    let Some(path) = &app.config.ssh.ca_key else {
        return Err(EngineError::not_found(
            "no_ssh_ca",
            "this server has no SSH certificate authority; its operator sets `[ssh] ca_key` (a key made with `wicket ssh keygen --out FILE`)",
        ));
    };
    load(Path::new(path)).map_err(|e| EngineError::Setup(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_a_key_that_loads_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca");
        let public = keygen(&path, "wicket ca").unwrap();
        let key = load(&path).unwrap();
        assert_eq!(key.public_key().key_data(), public.key_data());
        let line = std::fs::read_to_string(pub_path(&path)).unwrap();
        assert!(line.starts_with("ssh-ed25519 "), "{line}");
        assert!(matches!(keygen(&path, "again"), Err(CaError::Exists(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_file_that_is_no_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk");
        std::fs::write(&path, "hello").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("junk") && e.contains("wicket ssh keygen"), "{e}");
    }
}
