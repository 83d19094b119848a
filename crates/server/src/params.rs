//! Values the server checks itself before using them, each exactly as the spec describes it
//! (`openapi::formats`): a user given as `user:NAME` or a bare `NAME`, an id of 1 to 128
//! characters, a duration as wicket writes it, an age in days, an RFC 3339 time. Core's
//! parsers read a little more (`1h60m`, `01h`, a space between date and time); the API takes
//! what its spec says, so that a request the spec calls invalid is refused.

use wicket_core::subject::parse_name;
use wicket_core::{Duration, Subject, Time, time};

use crate::error::{ApiError, ApiResult};
use crate::openapi::formats::MAX_ID;

/// The query value `value`, when given, read by `parse`; what `parse` refuses is a 400
/// `invalid_query` with its message.
pub fn query<T, E: Into<String>>(
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> ApiResult<Option<T>> {
    value
        .map(parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_query", e))
}

/// The user named by `s`, `user:NAME` or a bare `NAME`; a group or anything else is an error
/// saying what to give instead.
pub fn user_ref(s: &str) -> Result<String, String> {
    if !s.contains(':') {
        return parse_name("user", s);
    }
    match Subject::parse(s) {
        Ok(Subject::User(u)) => Ok(u),
        Ok(Subject::Group(_)) => Err(format!("`{s}` is a group; give `user:NAME`")),
        Err(e) => Err(e.to_string()),
    }
}

/// `Ok` when `id` could be an id wicket issued: 1 to [`MAX_ID`] characters.
pub fn id(name: &str, id: &str) -> Result<(), String> {
    let n = id.chars().count();
    if n == 0 || n > MAX_ID {
        return Err(format!("`{name}`: an id is 1 to {MAX_ID} characters"));
    }
    Ok(())
}

/// The duration `s`, when it parses and is written as wicket writes durations
/// ([`crate::openapi::formats::DURATION`]): one number and unit, or days, hours, minutes and
/// seconds in that order, each below the next unit, without leading zeros.
pub fn duration(s: &str) -> Result<Duration, String> {
    let d = Duration::parse(s).map_err(String::from)?;
    let canonical = || {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let unit = rest.as_bytes().get(digits).copied()?;
            let number = &rest[..digits];
            if number.is_empty() || number.starts_with('0') {
                return None;
            }
            parts.push((number.parse::<i64>().ok()?, unit));
            rest = &rest[digits + 1..];
        }
        if let [(_, _)] = parts.as_slice() {
            return Some(());
        }
        // Several parts: days, hours, minutes, seconds in that order, each below the next unit.
        let order = [(b'd', 365), (b'h', 23), (b'm', 59), (b's', 59)];
        let mut at = 0;
        for (n, unit) in parts {
            let i = order[at..].iter().position(|(u, _)| *u == unit)? + at;
            if n > order[i].1 {
                return None;
            }
            at = i + 1;
        }
        Some(())
    };
    canonical().map(|()| d).ok_or_else(|| {
        format!(
            "duration `{s}` is not written as wicket writes durations: a number and a unit like `90s`, `30m`, `4h`, `7d` or `2w`, or days, hours, minutes and seconds in that order like `1h30m`"
        )
    })
}

/// The days of an age like `30d`: 1 to 36500, without a sign or leading zeros.
pub fn age_days(s: &str) -> Option<i64> {
    let digits = s.strip_suffix('d')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| (1..=36_500).contains(n))
}

/// The RFC 3339 time `s`, with `T` (or `t`) between the date and the time as RFC 3339's
/// grammar has it (core's parser also reads a space).
pub fn time(s: &str) -> Result<Time, String> {
    if s.as_bytes().get(10) == Some(&b' ') {
        return Err(format!(
            "`{s}` is not an RFC 3339 time; write `T` between the date and the time, e.g. `2026-01-31T09:00:00Z`"
        ));
    }
    time::parse(s).map_err(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_named_with_or_without_the_prefix() {
        assert_eq!(user_ref("alice"), Ok("alice".to_string()));
        assert_eq!(user_ref("user:alice"), Ok("alice".to_string()));
        for bad in ["", "user:", "group:sre", "role:x", "al ice", "user:al ice"] {
            assert!(user_ref(bad).is_err(), "{bad}");
        }
        assert!(user_ref("group:sre").unwrap_err().contains("`group:sre`"));
    }

    #[test]
    fn ids_are_one_to_128_characters() {
        assert!(id("grant", "gr_1").is_ok());
        assert!(id("grant", &"é".repeat(128)).is_ok());
        assert!(id("grant", "").is_err());
        assert!(
            id("grant", &"x".repeat(129))
                .unwrap_err()
                .contains("`grant`")
        );
    }

    #[test]
    fn durations_are_taken_as_wicket_writes_them() {
        for ok in [
            "90s", "30m", "4h", "7d", "2w", "1h30m", "2d12h", "1d1s", "366d", "8784h",
        ] {
            assert!(duration(ok).is_ok(), "{ok}");
        }
        for bad in ["1h60m", "01h", " 1h", "30m1h", "1w2d", "1h1h", "1d24h"] {
            let err = duration(bad).unwrap_err();
            assert!(
                err.contains(&format!("`{bad}`")) && err.contains("`1h30m`"),
                "{err}"
            );
        }
        // What core refuses, core says why.
        assert!(duration("0s").unwrap_err().contains("zero"));
        assert!(duration("367d").unwrap_err().contains("too long"));
    }

    #[test]
    fn ages_and_times() {
        assert_eq!(age_days("30d"), Some(30));
        assert_eq!(age_days("36500d"), Some(36_500));
        for bad in ["0d", "+5d", "05d", "36501d", "d", "5", "-1d"] {
            assert_eq!(age_days(bad), None, "{bad}");
        }
        assert!(time("2026-01-31T09:00:00Z").is_ok());
        assert!(time("2026-01-31t09:00:00z").is_ok());
        assert!(time("2026-01-31 09:00:00Z").unwrap_err().contains("`T`"));
    }
}
