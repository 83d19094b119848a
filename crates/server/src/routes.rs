//! The HTTP routes of API v1 and the service endpoints.

pub mod audit;
mod check;
mod grants;
mod meta;
mod requests;
mod tokens;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};

use crate::body::MAX_BODY;
use crate::error::ApiError;
use wicket_engine::app::App;

pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .route("/metrics", get(meta::metrics))
        .route("/openapi.json", get(meta::openapi))
        .route("/v1/whoami", get(meta::whoami))
        .route("/v1/roles", get(meta::roles))
        .route("/v1/policies", get(meta::policies))
        .route("/v1/check", post(check::check))
        .route("/v1/check/batch", post(check::batch))
        .route("/v1/requests", post(requests::create).get(requests::list))
        .route("/v1/requests/{id}", get(requests::show))
        .route("/v1/requests/{id}/approve", post(requests::approve))
        .route("/v1/requests/{id}/deny", post(requests::deny))
        .route("/v1/requests/{id}/cancel", post(requests::cancel))
        .route("/v1/grants", get(grants::list))
        .route("/v1/grants/{id}", get(grants::show))
        .route("/v1/grants/{id}/revoke", post(grants::revoke))
        .route("/v1/audit", get(audit::list))
        .route("/v1/audit/verify", get(audit::verify))
        .route("/v1/anomalies", get(audit::anomalies))
        .route("/v1/reports/usage", get(crate::report::usage))
        .route("/v1/tokens", post(tokens::create))
        .route("/v1/tokens/{id}/revoke", post(tokens::revoke))
        .route("/v1/tokens/{id}", delete(tokens::revoke))
        .merge(crate::ui::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(crate::body::reject_nul))
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no_route", "no such endpoint; see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}
