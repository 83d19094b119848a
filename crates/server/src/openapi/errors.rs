//! The one error shape, `{"error": {"code", "message"}}`, and the error responses that every
//! operation shares by rule, added to each operation of the document from what it declares:
//! a NUL in the path or query, or a path that is not UTF-8 (400 `invalid_uri`), anywhere; a
//! bad query string (400 `invalid_query`) where there are parameters; a body that is not JSON, too large or not
//! labelled `application/json` (400, 413, 415) where there is a body; a bad token (401) and an
//! unavailable database (503) wherever a token is needed.

use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder};

/// The body of every error: what went wrong (`code`) and what to do (`message`).
#[derive(ToSchema)]
#[schema(as = Error)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Stable and machine-readable, like `invalid_query`; each operation lists its own.
    #[schema(pattern = "^[a-z][a-z0-9_]*$")]
    pub code: String,
    /// For people: what went wrong and what to do, naming the field or value at fault.
    #[schema(min_length = 1)]
    pub message: String,
}

/// A response with the error body, for hand-built responses.
fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(Ref::from_schema_name("Error")))),
        )
        .build()
}

/// Adds `codes` to the response `status` of `op` (creating it with `what` as its lead).
fn add(op: &mut Operation, status: &str, what: &str, codes: &[&str]) {
    let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    let listed = listed.join(", ");
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(r)) => {
            r.description = format!("{}; {what}: {listed}", r.description);
        }
        _ => {
            op.responses.responses.insert(
                status.to_string(),
                RefOr::T(error_response(&format!("{what}: {listed}"))),
            );
        }
    }
}

/// Whether `op` needs the bearer token (it does unless it says `security: [{}]`).
fn needs_token(op: &Operation) -> bool {
    match &op.security {
        None => true,
        Some(reqs) => {
            !reqs.is_empty()
                && !reqs.iter().all(|r| {
                    serde_json::to_value(r)
                        .is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
                })
        }
    }
}

/// Adds the shared error responses to every operation of `doc`.
pub fn add_shared(doc: &mut OpenApi) {
    for op in super::operations(doc) {
        let has_query = op.parameters.as_ref().is_some_and(|ps| {
            ps.iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query))
        });
        if has_query {
            add(op, "400", "a bad query parameter", &["invalid_query"]);
        }
        if let Some(body) = &op.request_body {
            let required = matches!(body.required, Some(Required::True));
            let codes: &[&str] = if required {
                &["malformed_json", "invalid_body", "empty_body"]
            } else {
                &["malformed_json", "invalid_body"]
            };
            add(op, "400", "a body that is not the JSON described", codes);
            add(op, "413", "a body over 1 MiB", &["body_too_large"]);
            add(
                op,
                "415",
                "a body not labelled `application/json`",
                &["unsupported_media_type"],
            );
        }
        add(
            op,
            "400",
            "a NUL (`%00`) in the path or query, or a path that is not UTF-8",
            &["invalid_uri"],
        );
        if needs_token(op) {
            add(
                op,
                "401",
                "no valid bearer token",
                &[
                    "missing_token",
                    "invalid_token",
                    "token_revoked",
                    "token_expired",
                    "unknown_user",
                ],
            );
            add(
                op,
                "503",
                "the database did not answer; try again",
                &["store_unavailable"],
            );
        }
    }
}
