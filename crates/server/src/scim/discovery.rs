//! Discovery (RFC 7644 §4): what this server supports (`/ServiceProviderConfig`), the
//! resources it serves (`/ResourceTypes`) and their schemas (`/Schemas`, `schemas.json`).
//! Bulk, sorting, ETags and password changes are declared unsupported.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use wicket_engine::app::App;

use super::document::{GROUP_SCHEMA, USER_SCHEMA, base_url};
use super::list::MAX_COUNT;
use super::{ScimError, ScimResult, scim_json};

const SCHEMAS: &str = include_str!("schemas.json");
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

fn list(items: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": items.len(),
            "startIndex": 1,
            "itemsPerPage": items.len(),
            "Resources": items,
        }),
    )
}

pub async fn service_provider_config(State(app): State<App>, headers: HeaderMap) -> Response {
    let base = base_url(&app, &headers);
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The token named by `[auth.scim]` in the server's configuration",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
        }),
    )
}

fn resource_types_of(base: &str) -> Vec<Value> {
    [("User", "/Users", USER_SCHEMA), ("Group", "/Groups", GROUP_SCHEMA)]
        .into_iter()
        .map(|(name, endpoint, schema)| {
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": name,
                "name": name,
                "description": format!("{name}s of the directory"),
                "endpoint": endpoint,
                "schema": schema,
                "schemaExtensions": [],
                "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
            })
        })
        .collect()
}

pub async fn resource_types(State(app): State<App>, headers: HeaderMap) -> Response {
    list(resource_types_of(&base_url(&app, &headers)))
}

pub async fn resource_type(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    resource_types_of(&base_url(&app, &headers))
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::not_found(format!("no resource type `{id}`")))
}

fn schemas_of(base: &str) -> Vec<Value> {
    let mut all: Vec<Value> = serde_json::from_str(SCHEMAS).unwrap_or_default();
    for s in &mut all {
        let id = s["id"].as_str().unwrap_or_default().to_string();
        s["meta"]["location"] = json!(format!("{base}/Schemas/{id}"));
    }
    all
}

pub async fn schemas(State(app): State<App>, headers: HeaderMap) -> Response {
    list(schemas_of(&base_url(&app, &headers)))
}

pub async fn schema(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    schemas_of(&base_url(&app, &headers))
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found(format!("no schema `{id}`")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schemas_are_json() {
        let all = super::schemas_of("http://x/scim/v2");
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[0]["meta"]["location"],
            "http://x/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
        );
    }
}
