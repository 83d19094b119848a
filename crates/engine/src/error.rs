//! The engine's one error type. It says what went wrong in terms any front door can render:
//! the HTTP server maps it to a status code, the gateways to their protocol's errors. It knows
//! no transport.

use wicket_core::{ErrorKind, WicketError};
use wicket_store::StoreError;

/// Why an engine operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A rule refused: malformed input, not allowed, not found, wrong state, against policy
    /// (the rule's own [`ErrorKind`]).
    #[error("{0}")]
    Refused(#[from] WicketError),
    /// The caller could not be signed in (a bad, revoked or expired token).
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    /// The store failed; a [`StoreError::Conflict`] means a concurrent writer won.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that should not happen did; the log has the details.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type EngineResult<T> = Result<T, EngineError>;

impl EngineError {
    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> EngineError {
        EngineError::Unauthenticated {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> EngineError {
        EngineError::Refused(WicketError::not_found(code, message))
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> EngineError {
        EngineError::Refused(WicketError::forbidden(code, message))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> EngineError {
        EngineError::Refused(WicketError::conflict(code, message))
    }

    /// What a user may be told: the refusal's own message; for a store or internal failure,
    /// what to do, never the failure's details (they go to the log).
    pub fn public_message(&self) -> String {
        match self {
            EngineError::Refused(e) => e.message.clone(),
            EngineError::Unauthenticated { message, .. } => message.clone(),
            EngineError::Store(StoreError::Conflict(m)) => m.clone(),
            EngineError::Store(_) => "the database is unavailable; try again".into(),
            EngineError::Internal(_) => "internal error; the log has the details".into(),
        }
    }

    /// The kind of a refusal, if this is one.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            EngineError::Refused(e) => Some(e.kind),
            _ => None,
        }
    }
}
