//! The web UI served at `/`: server-rendered pages (maud) for requesters, approvers and
//! auditors, with a small script for countdowns and polling. Sign-in is by wicket token; the
//! session lives in an `HttpOnly; SameSite=Strict` cookie and every form carries the session's
//! CSRF token. State changes go through [`wicket_engine::ops`], the same functions as the JSON API.

mod anomalies;
mod assets;
mod audit;
mod charts;
mod cookies;
mod error;
mod extract;
mod fmt;
mod grants;
mod inbox;
mod layout;
mod login;
mod mine;
mod oidc;
mod overview;
mod parts;
mod request;
mod request_form;
mod reviews;
mod session;
mod timeline;

pub use wicket_engine::web_sessions::{Flash, Session, Sessions};

use axum::Router;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{get, post};

use crate::error::ApiError;
use error::UiResult;
use extract::Viewer;
use fmt::Problem;
use wicket_engine::app::App;

/// The UI's routes, to merge into the API router.
pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(mine::show))
        .route("/mine/live", get(mine::fragment))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .merge(oidc::router())
        .route("/requests", post(mine::create))
        .route("/requests/{id}", get(request::show))
        .route("/requests/{id}/review", post(inbox::review))
        .route("/requests/{id}/cancel", post(request::cancel))
        .route("/inbox", get(inbox::show))
        .route("/inbox/items", get(inbox::fragment))
        .route("/grants", get(grants::show))
        .route("/grants/{id}/revoke", post(grants::revoke))
        .route("/grants/{id}/extend", post(grants::extend))
        .route("/reviews", get(reviews::show))
        .route("/reviews/{campaign}/items/{id}", post(reviews::decide))
        .route("/reviews/{campaign}/report", get(reviews::download))
        .route("/audit", get(audit::show))
        .route("/audit/export", get(audit::export))
        .route("/anomalies", get(anomalies::show))
        .route("/overview", get(overview::show))
        .route("/ssh/sessions/{id}", get(session::show))
        .route(assets::CSS_PATH, get(assets::css))
        .route(assets::JS_PATH, get(assets::js))
        .layer(map_response(harden))
}

/// Headers every UI response carries: only this origin's script and style, no framing, no
/// referrer to other sites, and pages (which hold CSRF tokens) never cached.
async fn harden(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Shows `problem` on the page a form came from (`back`), so a rejected action reads beside
/// the field it concerns.
async fn rerender(app: &App, viewer: &Viewer, back: &str, problem: &Problem) -> UiResult<Response> {
    let path = back.split(['?', '#']).next().unwrap_or(back);
    match path {
        "/grants" => grants::render(app, viewer, Some(problem)).await,
        "/inbox" => inbox::render(app, viewer, Some(problem)).await,
        _ => match path.strip_prefix("/requests/") {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                request::render(app, viewer, id, Some(problem)).await
            }
            _ => mine::render(app, viewer, Some(problem), None).await,
        },
    }
}

/// What a form's action on the page `back` came to: what it did, flashed, and back there; or
/// why it was refused, shown beside the form named `form`. A lost session stays the error it is.
async fn answered(
    app: &App,
    viewer: &Viewer,
    back: &str,
    form: &str,
    outcome: Result<String, ApiError>,
) -> UiResult<Response> {
    match outcome {
        Ok(text) => {
            viewer.flash(app, true, text);
            Ok(error::see_other(back))
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(e.into()),
        Err(e) => rerender(app, viewer, back, &Problem::new(form, e)).await,
    }
}
