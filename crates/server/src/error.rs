//! API errors: one JSON shape, `{"error": {"code", "message"}}`, and the status codes of the design.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use wicket_core::{ErrorKind, WicketError};
use wicket_engine::EngineError;
use wicket_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(code: &str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn forbidden(code: &str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(code: &str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn internal() -> ApiError {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }
}

impl From<WicketError> for ApiError {
    fn from(e: WicketError) -> ApiError {
        let status = match e.kind {
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Policy => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            code: e.code.to_string(),
            message: e.message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            other if other.failure() == wicket_store::Failure::DiskFull => {
                tracing::error!(error = %other, "store failure: disk full");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_disk_full",
                    "the database's disk is full; nothing can be recorded until space is freed on it",
                )
            }
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database is unavailable; try again",
                )
            }
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Refused(e) => e.into(),
            EngineError::Unauthenticated { code, message } => ApiError::unauthorized(code, message),
            EngineError::Store(e) => e.into(),
            EngineError::Unavailable(why) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("{why}; try again"),
            ),
            EngineError::Setup(message) => {
                tracing::error!(error = %message, "setup error");
                ApiError::internal()
            }
            e @ EngineError::During { .. } => {
                tracing::error!(error = %e, "internal error");
                ApiError::internal()
            }
            EngineError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}
