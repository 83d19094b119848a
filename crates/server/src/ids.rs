//! Random, prefixed, opaque ids (`req_…`, `gr_…`, `ev_…`) and bearer tokens.

use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};
use wicket_core::workflow::IdSource;

/// Draws ids from the thread's CSPRNG.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&mut self, prefix: &str) -> String {
        new_id(prefix)
    }
}

/// `PREFIX_` followed by 20 random lowercase letters and digits (~103 bits).
pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::thread_rng();
    let tail: String = (0..20)
        .map(|_| rng.sample(Alphanumeric).to_ascii_lowercase() as char)
        .collect();
    format!("{prefix}_{tail}")
}

/// A new bearer token: `wkt_` and 256 random bits in hex. Shown once, stored hashed.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    format!("wkt_{}", hex::encode(bytes))
}

/// The SHA-256 of a token, hex: what the store keeps and looks up by.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
