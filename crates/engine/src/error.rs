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
    /// The store is known to be down (unreachable, disk full): refused at once, with why.
    #[error("{0}; try again")]
    Unavailable(String),
    /// What the operator set up cannot work (an unsupported database url, a missing secret,
    /// a configuration that does not validate, a chain that does not verify).
    #[error("{0}")]
    Setup(String),
    /// A step failed: what was being done, and why (a file, the store, an encoding).
    #[error("{what}: {source}")]
    During {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Something that should not happen did; the log has the details.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Says what was being done when a step failed, as `anyhow`'s `context` does, into an
/// [`EngineError::During`] (or, for a missing value, an [`EngineError::Setup`]).
pub trait Context<T> {
    fn context(self, what: impl Into<String>) -> EngineResult<T>;
    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> EngineResult<T>;
}

impl<T, E> Context<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn context(self, what: impl Into<String>) -> EngineResult<T> {
        self.map_err(|e| EngineError::During {
            what: what.into(),
            source: Box::new(e),
        })
    }

    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> EngineResult<T> {
        self.map_err(|e| EngineError::During {
            what: what().into(),
            source: Box::new(e),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl Into<String>) -> EngineResult<T> {
        self.ok_or_else(|| EngineError::Setup(what.into()))
    }

    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> EngineResult<T> {
        self.ok_or_else(|| EngineError::Setup(what().into()))
    }
}

/// Returns an [`EngineError::Setup`] with a formatted message.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::EngineError::Setup(format!($($arg)*)))
    };
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
            EngineError::Unavailable(why) => format!("{why}; try again"),
            EngineError::Setup(m) => m.clone(),
            EngineError::During { .. } | EngineError::Internal(_) => {
                "internal error; the log has the details".into()
            }
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

/// `names` joined by commas, or `none`: the choices a refusal of an unknown name lists.
pub(crate) fn names_or_none<S: std::borrow::Borrow<str>>(names: &[S]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
