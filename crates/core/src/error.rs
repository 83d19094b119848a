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
