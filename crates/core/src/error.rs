//! The one error type the rules return, with the kind that decides its HTTP status.

use std::fmt;

/// What sort of failure this is; the server maps it to a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed input (400).
    Invalid,
    /// Not allowed for this caller (403).
    Forbidden,
    /// No such thing (404).
    NotFound,
    /// Wrong state or duplicate (409).
    Conflict,
    /// Well-formed but against policy (422).
    Policy,
}

/// A rule that refused, with a stable `code` and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WicketError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
}

impl WicketError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        WicketError {
            kind,
            code,
            message: message.into(),
        }
    }
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, code, message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, code, message)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }
    pub fn policy(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Policy, code, message)
    }
}

impl fmt::Display for WicketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WicketError {}

/// What a value could not be parsed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    Action,
    ActionPattern,
    Resource,
    ResourcePattern,
    Duration,
    Time,
    Name,
    UserName,
    Subject,
    RequestState,
    Verdict,
    GrantStatus,
    Severity,
    Hours,
    UtcOffset,
    StatementKind,
    Upstream,
    Retention,
    Url,
}

/// A value that does not parse: what it was to be, and a message for people that names the
/// value and how to write it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub what: Parsed,
    pub message: String,
}

impl ParseError {
    pub fn new(what: Parsed, message: impl Into<String>) -> ParseError {
        ParseError {
            what,
            message: message.into(),
        }
    }
}

/// Where a message is all that is wanted (configuration errors collect messages).
impl From<ParseError> for String {
    fn from(e: ParseError) -> String {
        e.message
    }
}
