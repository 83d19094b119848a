//! Tokens over HTTP: mint one (own and short-lived, or for others with the power), revoke one
//! (`POST /v1/tokens/{id}/revoke` or `DELETE /v1/tokens/{id}`: own, or any with the power).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use wicket_core::{Duration, Power};

use crate::auth::Caller;
use crate::body::OptionalJsonBody;
use crate::error::{ApiError, ApiResult};
use wicket_engine::admin::{revoke_changes, token_changes};
use wicket_engine::app::{App, now};
use wicket_engine::ids::RandomIds;

/// The default and the longest lifetime of a token a user mints for themselves.
const OWN_DEFAULT: Duration = Duration::HOUR;
const OWN_MAX_SECONDS: i64 = 24 * 3600;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    user: Option<String>,
    ttl: Option<String>,
}

pub async fn create(
    State(app): State<App>,
    caller: Caller,
    OptionalJsonBody(body): OptionalJsonBody<CreateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user = body.user.unwrap_or_else(|| caller.user.clone());
    let for_other = user != caller.user;
    if for_other {
        app.require_power(&caller.user, Power::TokensCreate)?;
    }
    if app.config.user(&user).is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_user",
            format!("unknown user `{user}`"),
        ));
    }
    let ttl = match body.ttl {
        None => OWN_DEFAULT,
        Some(t) => Duration::parse(&t).map_err(|e| ApiError::bad_request("invalid_duration", e))?,
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
        Json(
            json!({"id": record.id, "token": token, "user": user, "expires_at": record.expires_at}),
        ),
    ))
}

pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({"id": id, "revoked_at": at})))
}
