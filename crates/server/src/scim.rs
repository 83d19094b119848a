//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`: the identity provider pushes users and groups
//! into the directory ([`wicket_engine::identity`]). Its own bearer token (`[auth.scim]`,
//! compared in constant time), its own media type (`application/scim+json`) and its own error
//! schema (`urn:ietf:params:scim:api:messages:2.0:Error` with `status`, `scimType`, `detail`).
//!
//! A resource is kept as the JSON document the provider sent, beside the fields wicket reads
//! from it (`userName`, `active`, `externalId`, `displayName`, group members), so whatever
//! attributes the provider sends read back as sent.

mod discovery;
mod document;
mod filter;
mod groups;
mod list;
mod patch;
mod resource;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use wicket_core::config::PasswordSource;
use wicket_engine::EngineError;
use wicket_engine::app::App;
use wicket_store::{DirGroup, DirUser};

use self::discovery::{ResourceTypes, Schemas};

/// The media type of every SCIM body.
pub const MEDIA_TYPE: &str = "application/scim+json";
/// The error message schema.
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// How often a change is tried when another change to the same resource got there first
/// (providers send memberships of one group in parallel).
pub const ATTEMPTS: usize = 16;

/// The refusal once [`ATTEMPTS`] tries all lost.
pub fn contended() -> ScimError {
    ScimError::new(
        StatusCode::CONFLICT,
        None,
        "the resource is changing too fast; try again",
    )
}

/// Where the endpoints are mounted.
pub const BASE: &str = "/scim/v2";

/// A SCIM error: its status, its `scimType` when RFC 7644 names one, and what went wrong.
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

pub type ScimResult<T> = Result<T, ScimError>;

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    /// 400 with `scimType` `kind` (`invalidValue`, `invalidSyntax`, `invalidFilter`, ...).
    pub fn bad(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(kind), detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        scim_json(self.status, &body)
    }
}

impl From<EngineError> for ScimError {
    fn from(e: EngineError) -> ScimError {
        match &e {
            EngineError::Refused(r) => {
                let status = match r.kind {
                    wicket_core::ErrorKind::NotFound => StatusCode::NOT_FOUND,
                    wicket_core::ErrorKind::Conflict => StatusCode::CONFLICT,
                    wicket_core::ErrorKind::Forbidden => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                let scim_type = (r.code == "uniqueness").then_some("uniqueness");
                ScimError::new(status, scim_type, r.message.clone())
            }
            EngineError::Unavailable(_) => {
                ScimError::new(StatusCode::SERVICE_UNAVAILABLE, None, e.public_message())
            }
            _ => {
                tracing::error!(error = %e, "scim request failed");
                ScimError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "internal error; the server log has the details",
                )
            }
        }
    }
}

impl From<wicket_store::StoreError> for ScimError {
    fn from(e: wicket_store::StoreError) -> ScimError {
        EngineError::from(e).into()
    }
}

/// `body` as `application/scim+json` with `status`.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

/// A resource written by a request: `doc` with `status`, and on a 201 its address in
/// `Location` (`location` is the resource's URL).
pub fn written(status: StatusCode, doc: Value, location: &str) -> Response {
    let mut response = scim_json(status, &doc);
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(location)
    {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, v);
    }
    response
}

/// A request body as received, or why it could not be (too large, cut short).
pub type Body = Result<Bytes, BytesRejection>;

/// The request body as a JSON object: `application/scim+json` or `application/json`.
pub fn read_body(headers: &HeaderMap, body: &Body) -> ScimResult<Value> {
    let body = body
        .as_ref()
        .map_err(|e| ScimError::new(e.status(), None, e.body_text()))?;
    if let Some(t) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        let essence = t.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case(MEDIA_TYPE)
            && !essence.eq_ignore_ascii_case("application/json")
        {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("the body is labelled `{t}`; send `{MEDIA_TYPE}`"),
            ));
        }
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(ScimError::bad(
            "invalidSyntax",
            "the body is not a JSON object",
        ));
    }
    Ok(value)
}

/// The SCIM token as configured, read at each request so that a rotated file takes effect.
fn configured_token(app: &App) -> ScimResult<String> {
    let Some(scim) = &app.config.scim else {
        return Err(ScimError::not_found(
            "SCIM is not configured on this server (`[auth.scim]`)",
        ));
    };
    read_token(&scim.token).map_err(|why| {
        tracing::error!("{why}");
        ScimError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "the SCIM token cannot be read on this server; the server log says why",
        )
    })
}

/// The token from where `[auth.scim]` says; an error naming the setting otherwise.
pub fn read_token(source: &PasswordSource) -> Result<String, String> {
    let token = wicket_engine::secret::read_setting(source, "auth.scim.token")?;
    if token.len() < 16 {
        return Err("`auth.scim`: the token is shorter than 16 characters".into());
    }
    Ok(token)
}

/// Lets through requests bearing the SCIM token; a 401 in SCIM's error schema otherwise.
async fn authenticate(State(app): State<App>, req: Request, next: Next) -> Response {
    let expected = match configured_token(&app) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let sent = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match sent {
        Some(token) if bool::from(token.as_bytes().ct_eq(expected.as_bytes())) => {
            next.run(req).await
        }
        Some(_) => ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "the bearer token is not the SCIM token",
        )
        .into_response(),
        None => ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "missing bearer token; send `Authorization: Bearer TOKEN` with the `[auth.scim]` token",
        )
        .into_response(),
    }
}

async fn no_route() -> ScimError {
    ScimError::not_found("no such SCIM endpoint")
}

async fn no_method() -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this SCIM endpoint does not take that method",
    )
}

/// `POST /.search`: users and groups together, users first.
async fn search_all(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ScimResult<Response> {
    let listing = list::Listing::from_search(&read_body(&headers, &body)?, document::USER_SCHEMA)?;
    let dir = app.store.read_directory().await?;
    let base = document::base_url(&app, &headers);
    let users = dir.users.iter().map(|u| users::render(u, &dir, &base));
    let groups = dir.groups.iter().map(|g| groups::render(g, &base));
    Ok(listing.respond(users.chain(groups).collect()))
}

/// The methods on one resource of kind `R`: show, replace, patch, delete.
fn one<R: resource::Resource>() -> MethodRouter<App> {
    get(resource::show::<R>)
        .put(resource::replace::<R>)
        .patch(resource::patch::<R>)
        .delete(resource::delete::<R>)
}

/// The SCIM endpoints, under [`BASE`].
pub fn router(app: &App) -> Router<App> {
    let scim = Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::all::<ResourceTypes>))
        .route("/ResourceTypes/{id}", get(discovery::one::<ResourceTypes>))
        .route("/Schemas", get(discovery::all::<Schemas>))
        .route("/Schemas/{id}", get(discovery::one::<Schemas>))
        .route("/Users", get(resource::list::<DirUser>).post(users::create))
        .route("/Users/.search", post(resource::search::<DirUser>))
        .route("/Users/{id}", one::<DirUser>())
        .route(
            "/Groups",
            get(resource::list::<DirGroup>).post(groups::create),
        )
        .route("/Groups/.search", post(resource::search::<DirGroup>))
        .route("/Groups/{id}", one::<DirGroup>())
        .route("/.search", post(search_all))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            authenticate,
        ));
    Router::new().nest(BASE, scim)
}
