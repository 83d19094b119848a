//! The one paging rule of every list: `limit` is a whole number from 1 to [`MAX_LIMIT`], and
//! anything else is a 400 `invalid_query` naming it. `/v1/audit` pages oldest first, 100
//! events unless told otherwise, with `after` and `next_after` as the cursor; the lists
//! without a cursor (requests, grants, anomalies) are newest first and return up to `limit`
//! items, by default all of them up to the cap, so that no default hides an item.

use std::fmt;
use std::marker::PhantomData;

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

/// A number a query gives as text, checked once when read: [`Limit`] and [`After`] differ only
/// in their rule and in what they say of a value that breaks it.
trait Checked: Sized {
    /// What a valid value is.
    fn expecting(f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// The value the text `s` gives, or why it gives none.
    fn from_text(s: &str) -> Result<Self, String>;
    /// The value the number `n` gives (a format that carries numbers), or why it gives none;
    /// `None` when only text is read.
    fn from_number(_: i64) -> Option<Result<Self, String>> {
        None
    }
}

/// Reads a [`Checked`] value.
struct Visit<T>(PhantomData<T>);

impl<T: Checked> de::Visitor<'_> for Visit<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::expecting(f)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        match T::from_number(n) {
            Some(read) => read.map_err(E::custom),
            None => Err(E::invalid_type(de::Unexpected::Signed(n), &self)),
        }
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        match T::from_number(i64::try_from(n).unwrap_or(i64::MAX)) {
            Some(read) => read.map_err(E::custom),
            None => Err(E::invalid_type(de::Unexpected::Unsigned(n), &self)),
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        T::from_text(s).map_err(E::custom)
    }
}

/// `Deserialize` for a [`Checked`] value, asked for as text: the form a query string has.
fn checked<'de, D: Deserializer<'de>, T: Checked>(d: D) -> Result<T, D::Error> {
    d.deserialize_str(Visit(PhantomData))
}

/// A valid `limit`: 1 to [`MAX_LIMIT`].
// INVARIANT: 1 <= self.0 <= MAX_LIMIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(i64);

impl Limit {
    pub fn get(self) -> i64 {
        self.0
    }

    fn in_range(n: i64) -> Result<Limit, String> {
        if (1..=MAX_LIMIT).contains(&n) {
            Ok(Limit(n))
        } else {
            Err(format!("must be from 1 to {MAX_LIMIT}; got `{n}`"))
        }
    }
}

impl Checked for Limit {
    fn expecting(f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number from 1 to {MAX_LIMIT}")
    }
    fn from_text(s: &str) -> Result<Limit, String> {
        match whole(s) {
            Some(n) => Limit::in_range(n),
            None => Err(format!(
                "must be a whole number from 1 to {MAX_LIMIT}; got `{s}`"
            )),
        }
    }
    fn from_number(n: i64) -> Option<Result<Limit, String>> {
        Some(Limit::in_range(n))
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Limit, D::Error> {
        checked(d)
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

impl Checked for After {
    fn expecting(f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the `seq` of an audit event, a whole number from 0")
    }
    fn from_text(s: &str) -> Result<After, String> {
        match whole(s) {
            Some(n) if n >= 0 => Ok(After(n)),
            _ => Err(format!(
                "must be the `seq` of an audit event, a whole number from 0; got `{s}`"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for After {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<After, D::Error> {
        checked(d)
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
