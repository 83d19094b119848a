//! The one paging rule of every list: `limit` is a whole number from 1 to [`MAX_LIMIT`], and
//! anything else is a 400 `invalid_query` naming it. `/v1/audit` pages oldest first, 100
//! events unless told otherwise, with `after` and `next_after` as the cursor; the lists
//! without a cursor (requests, grants, anomalies) are newest first and return up to `limit`
//! items, by default all of them up to the cap, so that no default hides an item.

use std::fmt;

use serde::{Deserialize, Deserializer, de};

pub use wicket_store::filter::MAX_LIMIT;

/// The page `/v1/audit` returns when no `limit` is given.
pub const DEFAULT_AUDIT_PAGE: i64 = 100;

/// `s` as a whole number written plainly: digits, with a `-` for a negative one (no `+`).
fn whole(s: &str) -> Option<i64> {
    if s.starts_with('+') {
        return None;
    }
    s.parse().ok()
}

/// A valid `limit`: 1 to [`MAX_LIMIT`].
// INVARIANT: 1 <= self.0 <= MAX_LIMIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(i64);

impl Limit {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Limit, D::Error> {
        struct Visit;
        impl de::Visitor<'_> for Visit {
            type Value = Limit;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a whole number from 1 to {MAX_LIMIT}")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Limit, E> {
                if (1..=MAX_LIMIT).contains(&n) {
                    Ok(Limit(n))
                } else {
                    Err(E::custom(format!(
                        "must be from 1 to {MAX_LIMIT}; got `{n}`"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Limit, E> {
                self.visit_i64(i64::try_from(n).unwrap_or(i64::MAX))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Limit, E> {
                match whole(s) {
                    Some(n) => self.visit_i64(n),
                    None => Err(E::custom(format!(
                        "must be a whole number from 1 to {MAX_LIMIT}; got `{s}`"
                    ))),
                }
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A valid `after`: the sequence number of an audit event (0 reads from the start).
// INVARIANT: self.0 >= 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct After(i64);

impl After {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for After {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<After, D::Error> {
        struct Visit;
        impl de::Visitor<'_> for Visit {
            type Value = After;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the `seq` of an audit event, a whole number from 0")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<After, E> {
                match whole(s) {
                    Some(n) if n >= 0 => Ok(After(n)),
                    _ => Err(E::custom(format!(
                        "must be the `seq` of an audit event, a whole number from 0; got `{s}`"
                    ))),
                }
            }
        }
        d.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Q {
        limit: Option<Limit>,
        after: Option<After>,
    }

    fn read(q: &str) -> Result<Q, String> {
        serde_urlencoded::from_str(q).map_err(|e| e.to_string())
    }

    #[test]
    fn limit_is_one_to_the_cap_and_nothing_else() {
        assert_eq!(read("limit=1").unwrap().limit.map(Limit::get), Some(1));
        assert_eq!(
            read("limit=1000").unwrap().limit.map(Limit::get),
            Some(1000)
        );
        assert_eq!(read("").unwrap().limit, None);
        for bad in [
            "0",
            "-1",
            "1001",
            "abc",
            "",
            "1.5",
            "99999999999999999999",
            "+5",
            " 5",
        ] {
            let err = read(&format!("limit={bad}")).unwrap_err();
            assert!(err.contains("1 to 1000"), "{bad}: {err}");
        }
    }

    #[test]
    fn after_is_a_sequence_number() {
        assert_eq!(read("after=0").unwrap().after.map(After::get), Some(0));
        assert_eq!(read("after=42").unwrap().after.map(After::get), Some(42));
        for bad in ["-1", "first", "", "+1"] {
            assert!(read(&format!("after={bad}")).is_err(), "{bad}");
        }
    }
}
