//! `POST /v1/db/creds`: short-lived credentials for the caller's provisioned role in a
//! `[[provision.postgres]]` target, valid until their latest grant there ends; shown once.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wicket_core::Time;
use wicket_engine::EngineError;
use wicket_engine::app::App;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi::errors::ErrorBody;
use crate::openapi::formats;

/// Which target to get credentials for.
#[derive(Deserialize, ToSchema)]
#[schema(as = CredsRequest)]
#[serde(deny_unknown_fields)]
pub struct CredsBody {
    /// A provisioning target's `name`.
    #[schema(value_type = formats::Text)]
    target: String,
}

/// Credentials for a provisioned role, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(as = DbCredentials)]
pub struct Creds {
    target: String,
    /// The PostgreSQL role to log in as.
    role: String,
    /// A fresh random password; only a SCRAM verifier of it is kept, in PostgreSQL.
    password: String,
    host: String,
    port: u16,
    database: String,
    /// `postgresql://ROLE:PASSWORD@HOST:PORT/DATABASE`.
    connection: String,
    /// When the login closes: the end of the caller's latest grant on the target.
    #[schema(value_type = formats::Time)]
    valid_until: Time,
}

#[utoipa::path(
    post,
    path = "/v1/db/creds",
    operation_id = "create_db_creds",
    tag = "grants",
    summary = "credentials for my provisioned database role",
    description = "Brings the caller's role in the target in line with their live grants, sets a \
                   fresh random password and returns it once, with a connection string valid \
                   until the caller's latest grant there ends.",
    request_body = CredsBody,
    responses(
        (status = 200, description = "the credentials, shown this once", body = Creds),
        (status = 403, description = "no live grant of the caller reaches the target: `no_grant`", body = ErrorBody),
        (status = 404, description = "`unknown_target`", body = ErrorBody),
        (status = 409, description = "a role of that name exists and is not wicket's: `role_not_managed`, `role_name`", body = ErrorBody),
        (status = 503, description = "the target database cannot be reached: `target_unavailable`", body = ErrorBody),
    )
)]
pub async fn creds(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<CredsBody>,
) -> ApiResult<Json<Creds>> {
    let c = wicket_engine::provision::issue(&app, &body.target, &caller.user)
        .await
        .map_err(|e| match e {
            EngineError::Unavailable(why) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "target_unavailable",
                format!("{why}; try again"),
            ),
            other => other.into(),
        })?;
    Ok(Json(Creds {
        connection: c.url(),
        target: c.target,
        role: c.role,
        password: c.password,
        host: c.host,
        port: c.port,
        database: c.database,
        valid_until: c.valid_until,
    }))
}
