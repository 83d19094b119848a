//! Tokens over HTTP: mint one (own and short-lived, or for others with the power), revoke one
//! (`POST /v1/tokens/{id}/revoke` or `DELETE /v1/tokens/{id}`: own, or any with the power).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wicket_core::{Duration, Power, Time};

use crate::auth::Caller;
use crate::body::{OptionalJsonBody, PathParams};
use crate::error::{ApiError, ApiResult};
use crate::openapi::errors::ErrorBody;
use crate::openapi::formats;
use wicket_engine::admin::{revoke_changes, token_changes};
use wicket_engine::app::{App, now};
use wicket_engine::ids::RandomIds;

/// The default and the longest lifetime of a token a user mints for themselves.
const OWN_DEFAULT: Duration = Duration::HOUR;
const OWN_MAX_SECONDS: i64 = 24 * 3600;

/// A token to mint: for whom (the caller when left out; another user takes
/// `wicket:tokens.create`) and for how long (1h when left out; over 24h for oneself takes
/// `wicket:tokens.create`).
#[derive(Default, Deserialize, ToSchema)]
#[schema(as = NewToken)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    #[schema(value_type = Option<formats::UserName>)]
    user: Option<String>,
    #[schema(value_type = Option<formats::Duration>)]
    ttl: Option<String>,
}

/// A new token, shown this once.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Minted {
    id: String,
    /// The bearer token itself; only its hash is kept.
    token: String,
    user: String,
    #[schema(value_type = Option<formats::Time>, required = true)]
    expires_at: Option<Time>,
}

/// A token revoked.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revoked {
    id: String,
    #[schema(value_type = formats::Time)]
    revoked_at: Time,
}

/// The id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// A token id.
    #[param(value_type = formats::Id)]
    id: String,
}

#[utoipa::path(
    post,
    path = "/v1/tokens",
    operation_id = "create_token",
    tag = "tokens",
    summary = "mint a token",
    description = "Without a body: a token for the caller, valid 1h.",
    request_body = Option<CreateBody>,
    responses(
        (status = 201, description = "the token, shown this once", body = Minted),
        (status = 400, description = "a bad value: `invalid_duration`", body = ErrorBody),
        (status = 403, description = "a token for another user without `wicket:tokens.create`: `missing_power`", body = ErrorBody),
        (status = 422, description = "`unknown_user`, or over 24h for oneself without `wicket:tokens.create`: `ttl_too_long`", body = ErrorBody),
    )
)]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    OptionalJsonBody(body): OptionalJsonBody<CreateBody>,
) -> ApiResult<(StatusCode, Json<Minted>)> {
    let user = body.user.unwrap_or_else(|| caller.user.clone());
    let for_other = user != caller.user;
    if for_other {
        app.require_power(&caller.user, Power::TokensCreate)?;
    }
    if !app.knows_user(&user) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_user",
            format!("unknown user `{user}`"),
        ));
    }
    let ttl = match body.ttl {
        None => OWN_DEFAULT,
        Some(t) => {
            crate::params::duration(&t).map_err(|e| ApiError::bad_request("invalid_duration", e))?
        }
    };
    if !for_other
        && ttl.as_secs() > OWN_MAX_SECONDS
        && !app.has_power(&caller.user, Power::TokensCreate)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ttl_too_long",
            format!(
                "a token for yourself lasts at most 24h without `{}`",
                Power::TokensCreate
            ),
        ));
    }
    let (token, changes) = token_changes(&user, &caller.user, Some(ttl), now(), &mut RandomIds);
    let record = changes
        .tokens
        .first()
        .cloned()
        .ok_or_else(ApiError::internal)?;
    app.commit(changes).await?;
    Ok((
        StatusCode::CREATED,
        Json(Minted {
            id: record.id,
            token,
            user,
            expires_at: record.expires_at,
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/tokens/{id}/revoke",
    operation_id = "revoke_token",
    tag = "tokens",
    summary = "revoke a token (own, or any with `wicket:tokens.create`)",
    params(TokenPath),
    responses(
        (status = 200, description = "the token is revoked", body = Revoked),
        (status = 403, description = "another user's token without `wicket:tokens.create`: `missing_power`", body = ErrorBody),
        (status = 404, description = "`unknown_token`", body = ErrorBody),
        (status = 409, description = "`token_revoked`, `conflict`", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    PathParams(TokenPath { id }): PathParams<TokenPath>,
) -> ApiResult<Json<Revoked>> {
    let record = app
        .store
        .get_token(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_token", format!("unknown token `{id}`")))?;
    if record.user != caller.user {
        app.require_power(&caller.user, Power::TokensCreate)?;
    }
    if record.revoked_at.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "token_revoked",
            format!("token `{id}` is already revoked"),
        ));
    }
    let at = now();
    let changes = revoke_changes(&record, &caller.user, at, &mut RandomIds);
    app.commit(changes).await?;
    app.tokens.evict(&id);
    Ok(Json(Revoked { id, revoked_at: at }))
}

#[utoipa::path(
    delete,
    path = "/v1/tokens/{id}",
    operation_id = "delete_token",
    tag = "tokens",
    summary = "revoke a token, as `POST /v1/tokens/{id}/revoke`",
    params(TokenPath),
    responses(
        (status = 200, description = "the token is revoked", body = Revoked),
        (status = 403, description = "another user's token without `wicket:tokens.create`: `missing_power`", body = ErrorBody),
        (status = 404, description = "`unknown_token`", body = ErrorBody),
        (status = 409, description = "`token_revoked`, `conflict`", body = ErrorBody),
    )
)]
pub async fn delete(
    state: State<App>,
    caller: Caller,
    path: PathParams<TokenPath>,
) -> ApiResult<Json<Revoked>> {
    revoke(state, caller, path).await
}
