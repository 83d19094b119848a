//! The HTTP routes of API v1 and the service endpoints. Every one is registered with
//! `routes!`, which adds its entry to the OpenAPI document at the same time: a route cannot be
//! served without being in the spec.

pub mod audit;
mod check;
mod db;
mod grants;
mod meta;
mod requests;
pub mod reviews;
mod ssh;
mod tokens;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::body::MAX_BODY;
use crate::error::ApiError;
use wicket_engine::app::App;

/// The API's routes, each with its entry in the document.
pub fn api() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::readyz))
        .routes(routes!(meta::metrics))
        .routes(routes!(crate::openapi::serve))
        .routes(routes!(meta::whoami))
        .routes(routes!(meta::roles))
        .routes(routes!(meta::policies))
        .routes(routes!(check::check))
        .routes(routes!(check::batch))
        .routes(routes!(requests::create, requests::list))
        .routes(routes!(requests::show))
        .routes(routes!(requests::approve))
        .routes(routes!(requests::deny))
        .routes(routes!(requests::cancel))
        .routes(routes!(grants::list))
        .routes(routes!(grants::show))
        .routes(routes!(grants::revoke))
        .routes(routes!(grants::extend))
        .routes(routes!(reviews::list))
        .routes(routes!(reviews::start))
        .routes(routes!(reviews::certify))
        .routes(routes!(reviews::revoke))
        .routes(routes!(reviews::report))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::anomalies))
        .routes(routes!(crate::report::usage))
        .routes(routes!(crate::report::overview))
        .routes(routes!(tokens::create, tokens::list))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tokens::delete))
        .routes(routes!(db::creds))
        .routes(routes!(ssh::certs))
        .routes(routes!(ssh::krl))
}

pub fn router(app: App) -> Router {
    let (api, _) = api().split_for_parts();
    api.merge(crate::ui::router())
        .merge(crate::signin::router())
        .merge(crate::scim::router(&app))
        .merge(crate::slack::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(edge))
        .with_state(app)
}

/// The one middleware layer every request passes (one layer costs a boxed future and a clone
/// of the router per request, so both checks share it): a path or query holding a NUL is
/// refused, and a response sent before its request's body was read to the end says
/// `Connection: close`.
async fn edge(req: Request, next: Next) -> Response {
    let refusal = crate::body::nul_refusal(&req);
    crate::unread::watch(req, |req| async move {
        match refusal {
            Some(refusal) => refusal,
            None => next.run(req).await,
        }
    })
    .await
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
