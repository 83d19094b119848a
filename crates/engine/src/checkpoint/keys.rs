//! Checkpoint keys: load the Ed25519 signing key (PKCS#8 PEM), make one, read a public key.

use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::RngCore;

use crate::new_file::create_new;

/// What went wrong with a key; every message names the file or the text.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read checkpoint key `{file}`: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "checkpoint key `{0}` is not an Ed25519 private key in PKCS#8 PEM \
         (make one with `wicket audit keygen --out FILE`)"
    )]
    NotAKey(String),
    #[error("`{0}` already exists; choose another file or remove it first")]
    Exists(String),
    #[error("cannot write checkpoint key `{file}`: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "`{0}` is not a public key: give 64 hex digits, or a file holding them or a PEM public key"
    )]
    NotAPublicKey(String),
}

/// Reads the signing key from `path`.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        file: file.clone(),
        source,
    })?;
    SigningKey::from_pkcs8_pem(&text).map_err(|_| KeyError::NotAKey(file))
}

/// Writes a new signing key to `out` (readable by its owner only) and returns it; refuses to
/// overwrite a file.
pub fn keygen(out: &Path) -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError::NotAKey(out.display().to_string()))?;
    create_new(
        out,
        pem.as_bytes(),
        0o600,
        KeyError::Exists,
        |file, source| KeyError::Write { file, source },
    )?;
    Ok(key)
}

/// A public key as 64 hex digits.
pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// A public key from 64 hex digits, or from a file holding them, a PEM public key, or the
/// PKCS#8 private key itself.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    if let Some(key) = from_text(text) {
        return Ok(key);
    }
    let path = Path::new(text.trim());
    if path.is_file()
        && let Ok(content) = std::fs::read_to_string(path)
        && let Some(key) = from_text(&content)
    {
        return Ok(key);
    }
    Err(KeyError::NotAPublicKey(text.trim().to_string()))
}

fn from_text(text: &str) -> Option<VerifyingKey> {
    let text = text.trim();
    if let Ok(bytes) = hex::decode(text)
        && let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice())
    {
        return VerifyingKey::from_bytes(&bytes).ok();
    }
    if let Ok(key) = VerifyingKey::from_public_key_pem(text) {
        return Some(key);
    }
    SigningKey::from_pkcs8_pem(text)
        .ok()
        .map(|k| k.verifying_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_a_key_that_loads_and_whose_public_half_parses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.pem");
        let key = keygen(&path).unwrap();
        assert_eq!(load_signing_key(&path).unwrap().to_bytes(), key.to_bytes());
        let hex = public_key_hex(&key.verifying_key());
        assert_eq!(parse_public_key(&hex).unwrap(), key.verifying_key());
        assert_eq!(
            parse_public_key(path.to_str().unwrap()).unwrap(),
            key.verifying_key()
        );
        let again = keygen(&path).unwrap_err().to_string();
        assert!(again.contains("already exists"), "{again}");
        std::fs::write(dir.path().join("junk"), "hello").unwrap();
        let err = load_signing_key(&dir.path().join("junk"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("junk") && err.contains("PKCS#8"), "{err}");
        assert!(parse_public_key("abcd").is_err());
    }
}
