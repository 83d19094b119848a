//! `wicket login`'s side of the server: the device authorization grant (RFC 8628) run on the
//! CLI's behalf, so the client secret stays here. `POST /login/oidc/device` starts a sign-in and
//! answers what the person must do; `POST /login/oidc/device/poll` with its handle answers
//! `202 authorization_pending` until the provider says yes, then a wicket token bounded by
//! `[auth.oidc] session_lifetime`. A provider without the device grant gets `501
//! device_grant_unsupported`, and the CLI falls back to the loopback redirect ([`loopback`]).
//! Signing out is revoking that token (`POST /v1/tokens/{id}/revoke`). These are sign-in
//! endpoints, like `/login`, not API v1.

pub mod loopback;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wicket_core::Time;
use wicket_engine::app::App;
use wicket_engine::identity;
use wicket_engine::oidc::{Polled, Refusal, Verified};

use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<App> {
    Router::new()
        .route("/login/oidc/device", post(start))
        .route("/login/oidc/device/poll", post(poll))
        .route("/login/oidc/loopback", post(loopback::start))
        .route("/login/oidc/loopback/token", post(loopback::token))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollBody {
    handle: String,
}

/// A finished sign-in: the token, shown this once.
#[derive(Serialize)]
pub struct SignedIn {
    pub id: String,
    pub token: String,
    pub user: String,
    pub groups: Vec<String>,
    pub expires_at: Option<Time>,
}

fn oidc(app: &App) -> ApiResult<wicket_engine::oidc::Oidc> {
    app.oidc.clone().ok_or_else(|| {
        ApiError::not_found(
            "oidc_not_configured",
            "sign-in through an identity provider is not configured on this server (`[auth.oidc]`); sign in with a token",
        )
    })
}

fn refused(r: &Refusal) -> ApiError {
    let status = match r.code {
        "provider_unavailable" | "provider_error" => StatusCode::BAD_GATEWAY,
        "device_grant_unsupported" => StatusCode::NOT_IMPLEMENTED,
        "invalid_port" | "invalid_challenge" => StatusCode::BAD_REQUEST,
        "unknown_handle" => StatusCode::NOT_FOUND,
        "device_code_expired" | "access_denied" => StatusCode::FORBIDDEN,
        _ => StatusCode::UNAUTHORIZED,
    };
    ApiError::new(status, r.code, r.message.clone())
}

async fn start(State(app): State<App>) -> ApiResult<Response> {
    let oidc = oidc(&app)?;
    match oidc.device_start().await {
        Ok(s) => Ok((StatusCode::CREATED, Json(s)).into_response()),
        // Not a failed sign-in: the CLI's cue to use the loopback redirect instead.
        Err(r) if r.code == "device_grant_unsupported" => Err(refused(&r)),
        Err(r) => {
            identity::refused(&app, &r, "cli").await;
            Err(refused(&r))
        }
    }
}

async fn poll(State(app): State<App>, JsonBody(body): JsonBody<PollBody>) -> ApiResult<Response> {
    let oidc = oidc(&app)?;
    let who = match oidc.device_poll(&body.handle).await {
        Ok(Polled::Pending(interval)) => {
            return Ok((
                StatusCode::ACCEPTED,
                Json(json!({
                    "error": {
                        "code": "authorization_pending",
                        "message": "not signed in at the identity provider yet",
                    },
                    "interval": interval,
                })),
            )
                .into_response());
        }
        Ok(Polled::Done(who)) => who,
        Err(r) => {
            identity::refused(&app, &r, "cli").await;
            return Err(refused(&r));
        }
    };
    signed_in(&app, &who).await
}

/// Mints the wicket token of a CLI sign-in for `who` and answers it, shown this once.
async fn signed_in(app: &App, who: &Verified) -> ApiResult<Response> {
    let (token, record) = identity::sign_in(app, who, "cli").await?;
    let groups = app.groups_of(&who.user);
    Ok((
        StatusCode::OK,
        Json(SignedIn {
            id: record.id,
            token,
            user: who.user.clone(),
            groups,
            expires_at: record.expires_at,
        }),
    )
        .into_response())
}
