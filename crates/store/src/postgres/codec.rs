//! Conversions shared by every table: times, step numbers, `LIKE` prefixes, and unique
//! violations turned into conflicts.

use sqlx::Row;
use sqlx::postgres::PgRow;
use wicket_core::Time;
use wicket_core::time::truncate;

use crate::StoreError;

/// A time as stored: whole milliseconds, as every backend keeps it (timestamptz itself would
/// keep microseconds, and a record would not read back as it was written elsewhere).
pub(super) fn ms(t: Time) -> Time {
    truncate(t)
}

pub(super) fn opt_ms(t: Option<Time>) -> Option<Time> {
    t.map(truncate)
}

/// A step number as stored, back into the `u32` the model uses.
pub(super) fn step(row: &PgRow, what: &str) -> Result<u32, StoreError> {
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

/// A `LIKE` pattern matching the strings that start with `prefix` (`\` escapes).
pub(super) fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_prefix_escapes_wildcards() {
        assert_eq!(like_prefix("request."), "request.%");
        assert_eq!(like_prefix("a_b%c\\"), "a\\_b\\%c\\\\%");
        assert_eq!(like_prefix(""), "%");
    }
}
