//! Working hours for `off_hours`: a daily span, the weekdays it applies to, and a fixed
//! offset from UTC (`UTC`, `UTC+02:00`, `-05:00`).

use std::fmt;

use chrono::{Datelike, Timelike, Weekday};

use crate::error::{ParseError, Parsed};
use crate::time::Time;

/// A span of the day, `HH:MM-HH:MM`; a span whose end is before its start wraps midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hours {
    /// Minutes after midnight, start inclusive, end exclusive.
    pub start: u32,
    pub end: u32,
}

impl Hours {
    pub fn parse(s: &str) -> Result<Hours, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::Hours, m))
    }

    fn read(s: &str) -> Result<Hours, String> {
        let bad =
            || format!("`{s}` is not a span of hours; write it like `09:00-18:00` (24-hour clock)");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            // `24:00` closes a span at midnight.
            ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some(h * 60 + m)
        };
        let (start, end) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
        if start == end || start == 24 * 60 {
            return Err(format!(
                "`{s}` is an empty span of hours; the end must differ from the start"
            ));
        }
        Ok(Hours { start, end })
    }

    /// True when the minute of the day `m` is within the span.
    pub fn contains(self, m: u32) -> bool {
        if self.start < self.end {
            self.start <= m && m < self.end
        } else {
            m >= self.start || m < self.end
        }
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// A set of weekdays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weekdays(u8);

impl Weekdays {
    /// Monday to Friday.
    pub const WORKWEEK: Weekdays = Weekdays(0b0001_1111);

    /// Parses names such as `mon`, `tuesday`, `Sat`; an empty list is an error.
    pub fn parse(names: &[String]) -> Result<Weekdays, (usize, String)> {
        if names.is_empty() {
            return Err((0, "must list at least one weekday, like `mon`".into()));
        }
        let mut bits = 0u8;
        for (i, n) in names.iter().enumerate() {
            let day: Weekday = n.trim().parse().map_err(|_| {
                (
                    i,
                    format!("`{n}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun"),
                )
            })?;
            bits |= 1 << day.num_days_from_monday();
        }
        Ok(Weekdays(bits))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }
}

/// A fixed offset from UTC, in seconds east.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UtcOffset(pub i32);

impl UtcOffset {
    /// `UTC`, `Z`, `UTC+2`, `UTC+02:00`, `+05:30`, `-08:00`.
    pub fn parse(s: &str) -> Result<UtcOffset, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::UtcOffset, m))
    }

    fn read(s: &str) -> Result<UtcOffset, String> {
        let bad = || {
            format!(
                "`{s}` is not a time zone wicket knows; use `UTC` or a fixed offset like `UTC+02:00` or `-05:00`"
            )
        };
        let t = s.trim();
        let rest = t
            .strip_prefix("UTC")
            .or_else(|| t.strip_prefix("utc"))
            .or_else(|| t.strip_prefix("GMT"))
            .unwrap_or(t);
        if rest.is_empty() || rest == "Z" {
            return Ok(UtcOffset(0));
        }
        let (sign, num) = match rest.as_bytes().first() {
            Some(b'+') => (1, &rest[1..]),
            Some(b'-') => (-1, &rest[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = num.split_once(':').unwrap_or((num, "0"));
        let h: i32 = h.parse().map_err(|_| bad())?;
        let m: i32 = m.parse().map_err(|_| bad())?;
        if !(0..=14).contains(&h) || !(0..60).contains(&m) || h.to_string().len() > 2 {
            return Err(bad());
        }
        Ok(UtcOffset(sign * (h * 3600 + m * 60)))
    }

    /// The weekday and minute of the day at `t` in this offset.
    pub fn local(self, t: Time) -> (Weekday, u32) {
        let local = t.naive_utc() + chrono::Duration::seconds(i64::from(self.0));
        (local.weekday(), local.hour() * 60 + local.minute())
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.abs();
        let sign = if self.0 < 0 { '-' } else { '+' };
        write!(f, "UTC{sign}{:02}:{:02}", s / 3600, (s % 3600) / 60)
    }
}
