//! Times for people: `in 42m`, `3h ago`, and spans like `1h 5m`.

use chrono::{DateTime, Utc};

/// An RFC 3339 time from the server.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A length of time in at most two units, rounded to the smaller one: `30s`, `42m`, `1h 5m`,
/// `2d 3h`.
pub fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    if s < 60 {
        return format!("{s}s");
    }
    let minutes = (s + 30) / 60;
    if minutes < 60 {
        return format!("{minutes}m");
    }
    let (hours, rest) = (minutes / 60, minutes % 60);
    if hours < 24 {
        return if rest == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h {rest}m")
        };
    }
    let (days, rest) = (hours / 24, hours % 24);
    if rest == 0 {
        format!("{days}d")
    } else {
        format!("{days}d {rest}h")
    }
}

/// `in 42m` for a future time, `42m ago` for a past one; the text itself when it is not a time.
pub fn relative(text: &str, now: DateTime<Utc>) -> String {
    match parse(text) {
        Some(at) if at >= now => format!("in {}", span((at - now).num_seconds())),
        Some(at) => format!("{} ago", span((now - at).num_seconds())),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_two_units_at_most() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(59), "59s");
        assert_eq!(span(42 * 60 + 10), "42m");
        assert_eq!(span(3599), "1h");
        assert_eq!(span(3600 + 5 * 60), "1h 5m");
        assert_eq!(span(2 * 86_400 + 3 * 3600), "2d 3h");
    }

    #[test]
    fn relative_to_now() {
        let now = parse("2024-05-01T12:00:00Z").unwrap();
        assert_eq!(relative("2024-05-01T12:42:00Z", now), "in 42m");
        assert_eq!(relative("2024-05-01T09:00:00Z", now), "3h ago");
        assert_eq!(relative("soon", now), "soon");
    }
}
