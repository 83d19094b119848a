//! `POST /slack/interactions`: Slack's button clicks, signed with the app's signing secret
//! (no bearer token: the signature is the credential). The engine verifies the signature and
//! the age, maps the Slack user and records the review under every usual rule; this answers
//! 200 with where the request stands, or the refusal's status and code.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use wicket_engine::app::App;

use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<App> {
    Router::new().route("/slack/interactions", post(interactions))
}

async fn interactions(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let request = wicket_engine::slack::interaction(
        &app,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(Json(json!({
        "ok": true,
        "request_id": request.id,
        "state": request.state.as_str(),
    })))
}
