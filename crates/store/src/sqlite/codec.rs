//! Column encodings shared by every table: times as Unix milliseconds, small integers, and
//! unique violations turned into conflicts.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use wicket_core::Time;
use wicket_core::time::from_millis;

use crate::StoreError;

/// A time as stored: whole milliseconds since the Unix epoch (sub-millisecond parts dropped,
/// as `wicket_core::time::truncate` does).
pub(super) fn millis(t: Time) -> i64 {
    t.timestamp_millis()
}

pub(super) fn opt_millis(t: Option<Time>) -> Option<i64> {
    t.map(millis)
}

pub(super) fn time(row: &SqliteRow, column: &str) -> Result<Time, StoreError> {
    Ok(from_millis(row.try_get::<i64, _>(column)?))
}

pub(super) fn opt_time(row: &SqliteRow, column: &str) -> Result<Option<Time>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_millis))
}

/// A step number as stored, back into the `u32` the model uses.
pub(super) fn step(row: &SqliteRow, what: &str) -> Result<u32, StoreError> {
    let n: i64 = row.try_get("step")?;
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} has step {n}, out of range")))
}

/// `Conflict(message())` if `err` is a unique violation; otherwise the database error.
pub(super) fn conflict_if_unique(err: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(message()),
        _ => StoreError::Database(err),
    }
}

/// The upper bound of the strings starting with `prefix`, in SQLite's binary (UTF-8 byte,
/// hence code point) order: `request.` gives `request/`. `None` when there is none
/// (`prefix` is empty or all `char::MAX`).
pub(super) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_exactly_the_prefixed_strings() {
        assert_eq!(prefix_end("request.").as_deref(), Some("request/"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end(""), None);
        let end = prefix_end("grant.").unwrap_or_default();
        assert_eq!(end, "grant/");
        for kind in ["grant.", "grant.expired", "grant.\u{10FFFF}x"] {
            assert!(kind >= "grant." && kind < end.as_str(), "{kind}");
        }
        for kind in ["grant", "grant/", "grants", "request.expired"] {
            assert!(!(kind >= "grant." && kind < end.as_str()), "{kind}");
        }
    }
}
