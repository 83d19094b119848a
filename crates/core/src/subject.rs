//! Subjects: `user:NAME` or `group:NAME`, and validated user names.

use std::fmt;

use crate::error::{ParseError, Parsed};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
}

/// A user or group name: 1 to 128 of `[A-Za-z0-9_.@-]`.
pub fn parse_name(kind: &str, s: &str) -> Result<String, String> {
    if valid_name(s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{kind} name `{s}` is invalid; use 1 to 128 letters, digits, `_`, `-`, `.` or `@`"
        ))
    }
}

/// A validated user name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(String);

impl UserName {
    pub fn parse(s: &str) -> Result<UserName, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::UserName, m))
    }

    fn read(s: &str) -> Result<UserName, String> {
        parse_name("user", s).map(UserName)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a rule is about: one user or every member of a group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(String),
    Group(String),
}

impl Subject {
    pub fn parse(s: &str) -> Result<Subject, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::Subject, m))
    }

    fn read(s: &str) -> Result<Subject, String> {
        match s.split_once(':') {
            Some(("user", name)) => parse_name("user", name).map(Subject::User),
            Some(("group", name)) => parse_name("group", name).map(Subject::Group),
            _ => Err(format!("subject `{s}` must be `user:NAME` or `group:NAME`")),
        }
    }

    /// True when this subject covers the user `user` who belongs to `groups`.
    pub fn covers(&self, user: &str, groups: &[String]) -> bool {
        match self {
            Subject::User(u) => u == user,
            Subject::Group(g) => groups.iter().any(|x| x == g),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(u) => write!(f, "user:{u}"),
            Subject::Group(g) => write!(f, "group:{g}"),
        }
    }
}

impl Serialize for Subject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Subject::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_users_and_groups() {
        assert_eq!(
            Subject::parse("user:alice"),
            Ok(Subject::User("alice".into()))
        );
        assert_eq!(
            Subject::parse("group:sre"),
            Ok(Subject::Group("sre".into()))
        );
        assert!(Subject::parse("alice").is_err());
        assert!(Subject::parse("role:x").is_err());
        assert!(Subject::parse("user:").is_err());
        assert!(Subject::parse("user:a b").is_err());
    }

    #[test]
    fn covers_members() {
        let groups = vec!["sre".to_string()];
        assert!(Subject::Group("sre".into()).covers("alice", &groups));
        assert!(!Subject::Group("dba".into()).covers("alice", &groups));
        assert!(Subject::User("alice".into()).covers("alice", &[]));
    }
}
