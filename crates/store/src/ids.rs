//! Ids for what the store's sweeps write (the changes core computes for them): a prefix such
//! as `ev_` and 26 random characters.

use rand::Rng;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Random characters per id: 26 of 36 letters and digits, about 134 bits.
const LEN: usize = 26;

/// Ids for the changes core computes in a sweep.
pub(crate) struct SweepIds;

impl wicket_core::workflow::IdSource for SweepIds {
    fn next_id(&mut self, prefix: &str) -> String {
        id(prefix)
    }
}

/// A fresh event id such as `ev_k3v9...`.
#[cfg(test)]
pub(crate) fn event_id() -> String {
    id("ev")
}

fn id(prefix: &str) -> String {
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(prefix.len() + 1 + LEN);
    id.push_str(prefix);
    id.push('_');
    for _ in 0..LEN {
        id.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_lowercase_alphanumerics_and_distinct() {
        let a = event_id();
        assert_eq!(a.len(), 29);
        assert!(a.starts_with("ev_"));
        assert!(
            a[3..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{a}"
        );
        assert_ne!(a, event_id());
    }
}
