//! `wicket login` through a loopback redirect (RFC 8252), for providers without the device
//! grant. `POST /login/oidc/loopback {port, challenge}` answers the provider's page for the
//! person's browser; the provider comes back to the server's registered callback, which (for
//! a loopback sign-in) verifies the ID token and sends the browser to
//! `http://127.0.0.1:PORT/callback?code=ONE_TIME` and nowhere else; the CLI then posts that
//! code with its verifier to `POST /login/oidc/loopback/token` for a wicket token. Every
//! refusal is audited (`auth.failed`, via `cli`), and the one-time code is spent by any try.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wicket_engine::app::App;
use wicket_engine::identity;
use wicket_engine::oidc::{LoopbackFlow, Oidc, Refusal};

use super::{oidc, refused, signed_in};
use crate::body::JsonBody;
use crate::error::ApiResult;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The port the CLI listens on, on 127.0.0.1.
    port: i64,
    /// The S256 challenge of the CLI's verifier.
    challenge: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    code: String,
    verifier: String,
}

pub async fn start(
    State(app): State<App>,
    JsonBody(body): JsonBody<StartBody>,
) -> ApiResult<Response> {
    let oidc = oidc(&app)?;
    match oidc.loopback_begin(body.port, &body.challenge).await {
        Ok(s) => Ok((StatusCode::CREATED, Json(s)).into_response()),
        Err(r) => {
            identity::refused(&app, &r, "cli").await;
            Err(refused(&r))
        }
    }
}

pub async fn token(
    State(app): State<App>,
    JsonBody(body): JsonBody<TokenBody>,
) -> ApiResult<Response> {
    let oidc = oidc(&app)?;
    match oidc.loopback_redeem(&body.code, &body.verifier) {
        Ok(who) => signed_in(&app, &who).await,
        Err(r) => {
            identity::refused(&app, &r, "cli").await;
            Err(refused(&r))
        }
    }
}

/// The provider's answer to a loopback sign-in (its code, or why there is none), at the
/// server's callback: the browser goes on to the CLI's listener, with a one-time code or with
/// the refusal, so the command stops waiting either way.
pub async fn answered(
    app: &App,
    oidc: &Oidc,
    flow: &LoopbackFlow,
    code: Result<&str, Refusal>,
) -> Response {
    let outcome = match code {
        Ok(code) => oidc.loopback_finish(flow, code).await,
        Err(r) => Err(r),
    };
    match outcome {
        Ok(back) => Redirect::to(&back).into_response(),
        Err(r) => {
            identity::refused(app, &r, "cli").await;
            Redirect::to(&flow.refused_url(&r)).into_response()
        }
    }
}
