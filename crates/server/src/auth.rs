//! Bearer-token authentication over HTTP: the `Caller` extractor. Verifying the token is the
//! engine's ([`wicket_engine::tokens`]).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use wicket_core::Power;
use wicket_engine::App;
use wicket_engine::tokens::verify_token;

use crate::error::{ApiError, ApiResult};

/// The authenticated user making a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: String,
    pub token_id: String,
}

impl Caller {
    /// Whose `items` a list shows: the user `asked` for (`user:NAME` or `NAME`), who must be
    /// the caller unless `sees_all`, else `power` is required; with none asked, everyone's
    /// (`None`) when `sees_all`, else the caller's own.
    pub fn whose(
        &self,
        app: &App,
        asked: Option<&str>,
        sees_all: bool,
        power: Power,
        items: &str,
    ) -> ApiResult<Option<String>> {
        match asked {
            None if sees_all => Ok(None),
            None => Ok(Some(self.user.clone())),
            Some(s) => {
                let u = crate::params::user_ref(s).map_err(|e| {
                    ApiError::bad_request("invalid_query", format!("{items} belong to users: {e}"))
                })?;
                if u != self.user && !sees_all {
                    app.require_power(&self.user, power)?;
                }
                Ok(Some(u))
            }
        }
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized(
            "missing_token",
            "missing bearer token; send `Authorization: Bearer TOKEN` (create one with `wicket token create USER`)",
        )
    })?;
    let value = header.to_str().map_err(|_| {
        ApiError::unauthorized(
            "invalid_token",
            "the authorization header is not valid text",
        )
    })?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| {
        ApiError::unauthorized(
            "invalid_token",
            "the authorization header must be `Bearer TOKEN`",
        )
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(
            "invalid_token",
            "the authorization scheme must be `Bearer`",
        ));
    }
    Ok(token.trim())
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, ApiError> {
        let record = verify_token(app, bearer(parts)?).await?;
        Ok(Caller {
            user: record.user,
            token_id: record.id,
        })
    }
}
