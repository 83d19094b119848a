//! Tokens over HTTP: list those not revoked (own, or everyone's with the power), mint one
//! (own and short-lived, or for others with the power), revoke one (`POST
//! /v1/tokens/{id}/revoke` or `DELETE /v1/tokens/{id}`: own, or any with the power).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wicket_core::TokenRecord;
use wicket_core::{Duration, Power, Time};

use crate::auth::Caller;
use crate::body::{OptionalJsonBody, PathParams, QueryParams};
use crate::error::{ApiError, ApiResult};
use crate::openapi::errors::ErrorBody;
use crate::openapi::formats;
use crate::view::Items;
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

/// Whose tokens to list.
#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this user's tokens (another user's take `wicket:tokens.create`).
    #[param(value_type = Option<formats::UserRef>)]
    user: Option<String>,
}

/// A token that is not revoked: what it is for and until when, never the token itself.
#[derive(Serialize, ToSchema)]
#[schema(as = Token)]
#[serde(deny_unknown_fields)]
pub struct TokenView {
    id: String,
    #[schema(value_type = formats::UserName)]
    user: String,
    #[schema(value_type = formats::Time)]
    created_at: Time,
    /// Who minted it: a user over the API; `wicket` on the server's host (`wicket token
    /// create`); `oidc` or `oidc-cli` at a sign-in through the identity provider.
    created_by: String,
    #[schema(value_type = Option<formats::Time>, required = true)]
    expires_at: Option<Time>,
    /// `active`, or `expired` (refused, kept until revoked).
    #[schema(pattern = "^(active|expired)$")]
    status: &'static str,
}

impl TokenView {
    fn new(t: TokenRecord, now: Time) -> TokenView {
        TokenView {
            status: t.status(now),
            id: t.id,
            user: t.user,
            created_at: t.created_at,
            created_by: t.created_by,
            expires_at: t.expires_at,
        }
    }
}

/// The id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// A token id.
    #[param(value_type = formats::Id)]
    id: String,
}

/// Own tokens by default; everyone's (or another user's) with `wicket:tokens.create`.
#[utoipa::path(
    get,
    path = "/v1/tokens",
    operation_id = "list_tokens",
    tag = "tokens",
    summary = "list the tokens not revoked",
    description = "Oldest first, expired ones included; never the tokens themselves. The caller's own by default; everyone's with `wicket:tokens.create`.",
    params(ListQuery),
    responses(
        (status = 200, description = "the tokens", body = Items<TokenView>),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "another user's without `wicket:tokens.create`: `missing_power`", body = ErrorBody),
    )
)]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Items<TokenView>>> {
    let all = app.has_power(&caller.user, Power::TokensCreate);
    let user = caller.whose(&app, q.user.as_deref(), all, Power::TokensCreate, "tokens")?;
    let now = now();
    let items = app
        .store
        .live_tokens(user.as_deref())
        .await?
        .into_iter()
        .map(|t| TokenView::new(t, now))
        .collect();
    Ok(Json(Items { items }))
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
