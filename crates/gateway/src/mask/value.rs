//! One value through a masking method: `redact`, `partial` and `hash` read a value's text;
//! a value sent in binary is read as text for the types whose binary form says it exactly
//! (text types, integers, `uuid`), and any other binary value is redacted (fail closed).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a redacted value becomes.
pub const REDACTED: &[u8] = b"****";

/// A rule's method, with its key loaded.
#[derive(Clone)]
pub enum Method {
    Redact,
    Partial { keep: usize, leading: bool },
    Hash { key: Vec<u8> },
}

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Method::Redact => f.write_str("Redact"),
            Method::Partial { keep, leading } => {
                write!(f, "Partial {{ keep: {keep}, leading: {leading} }}")
            }
            Method::Hash { .. } => f.write_str("Hash(..)"),
        }
    }
}

impl Method {
    /// The masked text of a value sent as `type_oid` in `format` (0 text, 1 binary).
    pub fn apply(&self, value: &[u8], type_oid: u32, format: i16) -> Vec<u8> {
        if matches!(self, Method::Redact) {
            return REDACTED.to_vec();
        }
        let text = if format == 0 {
            Some(value.to_vec())
        } else {
            binary_as_text(value, type_oid)
        };
        let Some(text) = text else {
            return REDACTED.to_vec();
        };
        match self {
            Method::Redact => REDACTED.to_vec(),
            Method::Partial { keep, leading } => partial(&text, *keep, *leading),
            Method::Hash { key } => hash(key, &text),
        }
    }
}

/// `keep` characters at one end stay; every other character becomes `*`. A value no longer
/// than `keep` is all stars: a partial mask never shows a whole value.
fn partial(text: &[u8], keep: usize, leading: bool) -> Vec<u8> {
    let s = String::from_utf8_lossy(text);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep {
        return "*".repeat(chars.len().max(1)).into_bytes();
    }
    let stars = chars.len() - keep;
    let mut out = String::with_capacity(text.len());
    if leading {
        out.extend(&chars[..keep]);
        out.push_str(&"*".repeat(stars));
    } else {
        out.push_str(&"*".repeat(stars));
        out.extend(&chars[stars..]);
    }
    out.into_bytes()
}

/// The hex HMAC-SHA256 of `text` under `key`.
fn hash(key: &[u8], text: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return REDACTED.to_vec();
    };
    mac.update(text);
    hex::encode(mac.finalize().into_bytes()).into_bytes()
}

/// The text of a binary value, for the types whose binary form the gateway reads exactly.
fn binary_as_text(value: &[u8], type_oid: u32) -> Option<Vec<u8>> {
    match type_oid {
        // text, varchar, bpchar, name, json, "char", unknown: the binary form is the text.
        25 | 1043 | 1042 | 19 | 114 | 18 | 705 => Some(value.to_vec()),
        21 => Some(
            i16::from_be_bytes(value.try_into().ok()?)
                .to_string()
                .into_bytes(),
        ),
        23 => Some(
            i32::from_be_bytes(value.try_into().ok()?)
                .to_string()
                .into_bytes(),
        ),
        20 => Some(
            i64::from_be_bytes(value.try_into().ok()?)
                .to_string()
                .into_bytes(),
        ),
        2950 if value.len() == 16 => {
            let h = hex::encode(value);
            Some(
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                )
                .into_bytes(),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_keeps_one_end_and_never_the_whole() {
        let last4 = Method::Partial {
            keep: 4,
            leading: false,
        };
        assert_eq!(last4.apply(b"4111111111111111", 25, 0), b"************1111");
        assert_eq!(last4.apply(b"abc", 25, 0), b"***");
        let first2 = Method::Partial {
            keep: 2,
            leading: true,
        };
        assert_eq!(first2.apply("élan".as_bytes(), 25, 0), "él**".as_bytes());
    }

    #[test]
    fn hash_is_keyed_and_the_same_in_text_and_binary() {
        let a = Method::Hash {
            key: b"k1".to_vec(),
        };
        let b = Method::Hash {
            key: b"k2".to_vec(),
        };
        assert_eq!(a.apply(b"x@y", 25, 0), a.apply(b"x@y", 25, 1));
        assert_ne!(a.apply(b"x@y", 25, 0), b.apply(b"x@y", 25, 0));
        assert_eq!(a.apply(b"42", 23, 0), a.apply(&42i32.to_be_bytes(), 23, 1));
        assert_eq!(a.apply(b"42", 23, 0).len(), 64);
    }

    #[test]
    fn binary_values_of_other_types_are_redacted() {
        let a = Method::Partial {
            keep: 1,
            leading: true,
        };
        assert_eq!(a.apply(&[0u8; 8], 1082, 1), REDACTED);
        assert_eq!(a.apply(&[0u8; 3], 23, 1), REDACTED);
        assert_eq!(Method::Redact.apply(b"secret", 25, 0), REDACTED);
    }
}
