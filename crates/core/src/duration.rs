//! Durations as people write them: `90s`, `30m`, `4h`, `7d`, or combined like `1h30m`.

use std::fmt;
use std::str::FromStr;

use crate::error::{ParseError, Parsed};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest duration wicket accepts anywhere: one year.
pub const MAX_SECONDS: i64 = 366 * 24 * 3600;

/// A positive length of time, in whole seconds, at most [`MAX_SECONDS`].
// INVARIANT: 0 < seconds <= MAX_SECONDS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(i64);

impl Duration {
    pub const MIN: Duration = Duration(1);
    pub const MINUTE: Duration = Duration(60);
    pub const HOUR: Duration = Duration(3600);
    pub const DAY: Duration = Duration(86_400);

    /// A duration of `seconds`, if it is within (0, one year].
    pub fn from_secs(seconds: i64) -> Option<Duration> {
        (seconds > 0 && seconds <= MAX_SECONDS).then_some(Duration(seconds))
    }

    pub fn as_secs(self) -> i64 {
        self.0
    }

    pub fn to_chrono(self) -> chrono::Duration {
        chrono::Duration::seconds(self.0)
    }

    /// Parses `90s`, `30m`, `4h`, `7d` and combinations such as `1h30m`.
    pub fn parse(input: &str) -> Result<Duration, ParseError> {
        Self::read(input).map_err(|m| ParseError::new(Parsed::Duration, m))
    }

    fn read(input: &str) -> Result<Duration, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("a duration is empty; write it like `90s`, `30m`, `4h` or `7d`".into());
        }
        if s.starts_with('-') {
            return Err(format!(
                "duration `{input}` is negative; durations must be positive"
            ));
        }
        let mut total: i64 = 0;
        let mut digits = String::new();
        let mut saw_unit = false;
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => {
                    return Err(format!(
                        "duration `{input}` has an unknown unit `{c}`; use s, m, h, d or w, like `30m`"
                    ));
                }
            };
            if digits.is_empty() {
                return Err(format!(
                    "duration `{input}` has a unit without a number; write it like `30m` or `1h30m`"
                ));
            }
            let n: i64 = digits
                .parse()
                .ok()
                .filter(|n| *n <= MAX_SECONDS)
                .ok_or_else(|| too_long(input))?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| too_long(input))?;
            digits.clear();
            saw_unit = true;
        }
        if !digits.is_empty() {
            return Err(if saw_unit {
                format!("duration `{input}` ends with a number without a unit")
            } else {
                format!(
                    "duration `{input}` has no unit; write `{digits}s`, `{digits}m`, `{digits}h` or `{digits}d`"
                )
            });
        }
        if total == 0 {
            return Err(format!(
                "duration `{input}` is zero; durations must be positive"
            ));
        }
        Duration::from_secs(total).ok_or_else(|| too_long(input))
    }
}

fn too_long(input: &str) -> String {
    format!("duration `{input}` is too long; the longest wicket accepts is 366d")
}

impl FromStr for Duration {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl fmt::Display for Duration {
    /// The shortest exact form: `1h30m`, `2d`, `90s` prints as `1m30s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        for (unit, name) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
            if rest >= unit {
                write!(f, "{}{}", rest / unit, name)?;
                rest %= unit;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_each_unit() {
        assert_eq!(Duration::parse("90s").map(Duration::as_secs), Ok(90));
        assert_eq!(Duration::parse("30m").map(Duration::as_secs), Ok(1800));
        assert_eq!(Duration::parse("4h").map(Duration::as_secs), Ok(14_400));
        assert_eq!(Duration::parse("7d").map(Duration::as_secs), Ok(604_800));
        assert_eq!(Duration::parse("1h30m").map(Duration::as_secs), Ok(5400));
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        for (input, needle) in [
            ("", "empty"),
            ("-1h", "negative"),
            ("0s", "zero"),
            ("10", "no unit"),
            ("5y", "unknown unit"),
            ("h", "without a number"),
            ("1h30", "without a unit"),
            ("367d", "too long"),
            ("99999999999999999999999d", "too long"),
            ("9223372036854775807s", "too long"),
        ] {
            let err = Duration::parse(input).unwrap_err();
            assert_eq!(err.what, Parsed::Duration);
            assert!(err.message.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn displays_shortest_exact_form() {
        assert_eq!(Duration::parse("90s").unwrap().to_string(), "1m30s");
        assert_eq!(Duration::parse("120m").unwrap().to_string(), "2h");
        assert_eq!(Duration::parse("1d1s").unwrap().to_string(), "1d1s");
    }

    proptest! {
        #[test]
        fn display_round_trips(secs in 1i64..=MAX_SECONDS) {
            let d = Duration::from_secs(secs).unwrap();
            prop_assert_eq!(Duration::parse(&d.to_string()), Ok(d));
        }

        #[test]
        fn never_panics_on_any_text(s in ".{0,40}") {
            let _ = Duration::parse(&s);
        }
    }
}
