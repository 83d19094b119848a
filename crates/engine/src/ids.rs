//! Prefixed, opaque ids (`req_…`, `gr_…`, `ev_…`) that sort by creation time, and bearer
//! tokens.

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

/// Lowercase base-32 digits (no `i`, `l`, `o`, `u`), in ascending order.
const BASE32: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `PREFIX_` followed by 20 characters: the creation time in milliseconds (10 base-32 digits,
/// so ids sort by time until the year 10889) and 10 random lowercase letters and digits
/// (~51 bits, for ids made in the same millisecond).
///
/// Time first keeps inserts at the right edge of the id indexes: with random ids every event
/// of a group commit dirtied a page of its own in the `audit_events` id index, and writing
/// those pages was most of what an append cost.
pub fn new_id(prefix: &str) -> String {
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let mut out = String::with_capacity(prefix.len() + 21);
    out.push_str(prefix);
    out.push('_');
    for shift in (0..10).rev() {
        out.push(char::from(BASE32[((millis >> (shift * 5)) & 31) as usize]));
    }
    let mut rng = rand::thread_rng();
    out.extend((0..10).map(|_| rng.sample(Alphanumeric).to_ascii_lowercase() as char));
    out
}

/// A new bearer token: `wkt_` and 256 random bits in hex. Shown once, stored hashed.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    format!("wkt_{}", hex::encode(bytes))
}

/// The SHA-256 of a token, hex: what the store keeps and looks up by. Every API call hashes
/// its token, so the hex is written from a table into one allocation (`hex::encode` collects
/// a character at a time).
pub fn token_hash(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in Sha256::digest(token.as_bytes()) {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::new_id;

    #[test]
    fn a_token_hash_is_the_lowercase_hex_sha256() {
        use sha2::{Digest, Sha256};
        let token = "wkt_00ff";
        assert_eq!(
            super::token_hash(token),
            hex::encode(Sha256::digest(token.as_bytes()))
        );
        // The SHA-256 of the empty string, as published.
        assert_eq!(
            super::token_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn ids_are_prefixed_unique_and_sorted_by_time() {
        let first = new_id("ev");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = new_id("ev");
        assert!(first.starts_with("ev_") && first.len() == 23, "{first}");
        assert!(
            first
                .chars()
                .all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert!(first < second, "{first} then {second}");
        let many: std::collections::HashSet<String> = (0..10_000).map(|_| new_id("ev")).collect();
        assert_eq!(many.len(), 10_000);
    }
}
