//! What a UI handler returns when it cannot show its page: a redirect to sign in, or an error
//! page with the status code of the API's error and its readable message.

use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::layout;
use crate::error::ApiError;

#[derive(Debug)]
pub enum UiError {
    /// No live session: sign in, then come back to `next`.
    SignIn { next: String },
    /// A page that explains what went wrong.
    Page {
        status: StatusCode,
        title: String,
        message: String,
    },
}

pub type UiResult<T> = Result<T, UiError>;

impl UiError {
    pub fn page(status: StatusCode, title: &str, message: impl Into<String>) -> UiError {
        UiError::Page {
            status,
            title: title.to_string(),
            message: message.into(),
        }
    }

    pub fn csrf() -> UiError {
        UiError::page(
            StatusCode::FORBIDDEN,
            "Form rejected",
            "the form did not carry this session's CSRF token; go back, reload the page and submit it again",
        )
    }
}

/// The page title for an error status.
pub fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad request",
        403 => "Not allowed",
        404 => "Not found",
        409 => "Conflict",
        413 => "Too large",
        422 => "Against policy",
        503 => "Unavailable",
        _ => "Error",
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> UiError {
        if e.status == StatusCode::UNAUTHORIZED {
            return UiError::SignIn { next: "/".into() };
        }
        UiError::Page {
            status: e.status,
            title: title(e.status).to_string(),
            message: e.message,
        }
    }
}

impl From<wicket_engine::EngineError> for UiError {
    fn from(e: wicket_engine::EngineError) -> UiError {
        ApiError::from(e).into()
    }
}

impl From<wicket_store::StoreError> for UiError {
    fn from(e: wicket_store::StoreError) -> UiError {
        ApiError::from(e).into()
    }
}

/// `/login?next=PATH`, the path percent-encoded.
pub fn login_url(next: &str) -> String {
    if next == "/" {
        return "/login".into();
    }
    let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/login?next={encoded}")
}

/// A `303 See Other` to `location`.
pub fn see_other(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::SignIn { next } => see_other(&login_url(&next)),
            UiError::Page {
                status,
                title,
                message,
            } => layout::error_page(status, &title, &message),
        }
    }
}
