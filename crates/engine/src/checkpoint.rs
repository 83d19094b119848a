//! Signed audit checkpoints: the chain's head `(seq, hash, at)` signed with an Ed25519 key kept
//! outside the database, so that whoever can write to the database still cannot truncate or
//! rewrite the log without it showing.
//!
//! A checkpoint file `DIR/<seq, 20 digits>.json` holds `{seq, hash, at, public_key,
//! signature}`; the signature covers [`message`]. Keys are PKCS#8 PEM files (what
//! `wicket audit keygen` and `openssl genpkey -algorithm ed25519` write); public keys travel
//! as 64 hex digits.

mod files;
mod keys;
mod task;
mod verify;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use wicket_core::Time;

pub use files::{read_dir, write};
pub use keys::{KeyError, keygen, load_signing_key, parse_public_key, public_key_hex};
pub use task::{Signer, run};
pub use verify::{CheckpointReport, verify_checkpoints};

/// One signed statement: "the audit chain had event `seq` with hash `hash` at `at`".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    /// The signer's public key, hex; informative only: verification uses a pinned key.
    pub public_key: String,
    /// Ed25519 signature of [`message`], hex.
    pub signature: String,
}

/// The bytes a checkpoint's signature covers: a fixed prefix, then the fields, one a line.
pub fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
    format!("wicket audit checkpoint v1\nseq {seq}\nhash {hash}\nat {at}\n").into_bytes()
}

impl Checkpoint {
    /// Signs the head `(seq, hash)` as of `at`.
    pub fn sign(key: &SigningKey, seq: i64, hash: &str, at: Time) -> Checkpoint {
        let at = wicket_core::time::format(at);
        let signature = key.sign(&message(seq, hash, &at));
        Checkpoint {
            seq,
            hash: hash.to_string(),
            at,
            public_key: public_key_hex(&key.verifying_key()),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Checks the signature with `key` (the pinned one, not the one the file names).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), String> {
        let bytes =
            hex::decode(&self.signature).map_err(|_| "its signature is not hex".to_string())?;
        let signature = Signature::from_slice(&bytes)
            .map_err(|_| "its signature is not 64 bytes".to_string())?;
        key.verify(&message(self.seq, &self.hash, &self.at), &signature)
            .map_err(|_| {
                if self.public_key != public_key_hex(key) {
                    format!(
                        "its signature does not verify with the pinned public key {} (it was signed by {})",
                        public_key_hex(key),
                        self.public_key
                    )
                } else {
                    "its signature does not verify: the file was altered".to_string()
                }
            })
    }

    /// The file name this checkpoint is written under.
    pub fn file_name(&self) -> String {
        format!("{:020}.json", self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::time::from_millis;

    #[test]
    fn a_signature_covers_every_field_and_needs_the_pinned_key() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let cp = Checkpoint::sign(&key, 42, "ab", from_millis(1_000));
        assert_eq!(cp.file_name(), "00000000000000000042.json");
        cp.verify(&key.verifying_key()).unwrap();
        let err = cp.verify(&other.verifying_key()).unwrap_err();
        assert!(err.contains("pinned public key"), "{err}");
        for edit in [
            (|c: &mut Checkpoint| c.seq = 41) as fn(&mut Checkpoint),
            |c| c.hash = "ac".into(),
            |c| c.at = "2020-01-01T00:00:00.000Z".into(),
            |c| c.signature = "00".repeat(64),
        ] {
            let mut bad = cp.clone();
            edit(&mut bad);
            let err = bad.verify(&key.verifying_key()).unwrap_err();
            assert!(err.contains("altered"), "{err}");
        }
        // A forger's own key in the file does not help: the pinned key decides.
        let forged = Checkpoint::sign(&other, 42, "ab", from_millis(1_000));
        assert!(forged.verify(&key.verifying_key()).is_err());
    }
}
