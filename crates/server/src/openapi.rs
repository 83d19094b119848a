//! The OpenAPI document, generated from the code: every operation is registered together with
//! its entry (`routes::api`), its schemas are the types below and beside the handlers, and
//! the error responses every operation shares are added by rule ([`errors::add_shared`]).
//! The API tests validate every response they see against it.

pub mod anomalies;
pub mod audit;
pub mod bodies;
pub mod checks;
pub mod errors;
pub mod formats;
pub mod grants;
pub mod links;
pub mod powers;
pub mod requests;
pub mod reviews;

use std::sync::LazyLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;

const DESCRIPTION: &str = "Temporary, approved, least-privilege access.

Errors are `{\"error\": {\"code\", \"message\"}}`: 400 malformed, 401 unauthenticated, 403 \
forbidden, 404 not found, 409 wrong state or duplicate, 413 too large, 415 not JSON, 422 \
against policy, 503 the database did not answer. Each operation lists the codes it returns.

Bodies: a request body, when sent, is JSON labelled `Content-Type: application/json` (415 \
otherwise). An empty body is no body: a 400 `empty_body` where the body is required, the \
defaults where it is optional. A NUL is refused everywhere: in the path or query (400 \
`invalid_uri`) and in any string of a body (400 `invalid_body`).

Paging: `limit` is a whole number from 1 to 1000 on every list; anything else is a 400 \
`invalid_query`. `/v1/audit` pages oldest first, 100 events by default, with `after` and \
`next_after` as the cursor; the lists without a cursor (requests, grants, anomalies) are newest \
first and return up to `limit` items, by default all of them up to 1000.";

#[derive(OpenApi)]
#[openapi(
    info(title = "Wicket API", version = "1", description = DESCRIPTION),
    security(("bearer" = [])),
    modifiers(&Bearer),
    // The schemas query and path parameters name (the routes register those of bodies and
    // responses themselves).
    components(schemas(
        formats::Id,
        formats::Text,
        formats::Time,
        formats::TimeOrAge,
        formats::UserRef,
        requests::RequestState,
        grants::GrantStatus,
        anomalies::Severity,
        audit::KindFilter,
        crate::routes::audit::Format,
        crate::routes::reviews::ReportFormat,
    )),
    tags(
        (name = "service", description = "health, metrics and this document; no token"),
        (name = "identity", description = "who I am, what exists, what I may request"),
        (name = "checks", description = "decisions"),
        (name = "requests", description = "access requests and their reviews"),
        (name = "grants", description = "access granted"),
        (name = "audit", description = "the audit log, its chain, anomalies and reports"),
        (name = "reviews", description = "access reviews: campaigns, decisions, reports"),
        (name = "tokens", description = "bearer tokens"),
    )
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer TOKEN`; create one with `wicket token create USER`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document the routes are registered into.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The whole document, as JSON: every route's entry, the error responses they share, and the
/// links between them.
pub fn document() -> Result<serde_json::Value, serde_json::Error> {
    let (_, mut doc) = crate::routes::api().split_for_parts();
    bodies::not_null(&mut doc);
    errors::add_shared(&mut doc);
    let mut json = serde_json::to_value(doc)?;
    links::add(&mut json);
    Ok(json)
}

/// Every operation of `doc`.
fn operations(doc: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

static JSON: LazyLock<Option<String>> = LazyLock::new(|| {
    document()
        .and_then(|d| serde_json::to_string_pretty(&d))
        .ok()
});

/// The spec of the API, generated from the code.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "service",
    summary = "this document",
    security(()),
    responses((status = 200, description = "the OpenAPI document", body = formats::AnyJson))
)]
pub async fn serve() -> Result<Response, ApiError> {
    match JSON.as_deref() {
        Some(json) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            json,
        )
            .into_response()),
        None => {
            tracing::error!("the OpenAPI document did not serialize");
            Err(ApiError::internal())
        }
    }
}
