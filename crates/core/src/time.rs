//! Timestamps: UTC, millisecond precision, so that every store round-trips them exactly.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

use crate::error::{ParseError, Parsed};

/// A point in time as wicket keeps it: UTC with millisecond precision.
pub type Time = DateTime<Utc>;

/// Truncates `t` to whole milliseconds, the precision every store keeps.
pub fn truncate(t: Time) -> Time {
    from_millis(t.timestamp_millis())
}

/// The time `ms` milliseconds after the Unix epoch (saturating at the representable range).
pub fn from_millis(ms: i64) -> Time {
    match Utc.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t,
        _ if ms < 0 => DateTime::<Utc>::MIN_UTC,
        _ => DateTime::<Utc>::MAX_UTC,
    }
}

/// RFC 3339 with milliseconds and a `Z`: the one textual form wicket writes.
pub fn format(t: Time) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 timestamp into UTC (truncated to milliseconds).
pub fn parse(s: &str) -> Result<Time, ParseError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| truncate(t.with_timezone(&Utc)))
        .map_err(|e| {
            ParseError::new(
                Parsed::Time,
                format!("`{s}` is not an RFC 3339 time ({e}), e.g. `2026-01-31T09:00:00Z`"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_parse_round_trip() {
        let t = from_millis(1_700_000_000_123);
        assert_eq!(format(t), "2023-11-14T22:13:20.123Z");
        assert_eq!(parse(&format(t)), Ok(t));
    }

    #[test]
    fn parse_rejects_garbage_and_names_it() {
        let err = parse("yesterday").unwrap_err();
        assert!(err.message.contains("`yesterday`"), "{err}");
    }
}
