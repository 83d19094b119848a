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

fn schemas_of(base: &str) -> Vec<Value> {
    let mut all: Vec<Value> = serde_json::from_str(SCHEMAS).unwrap_or_default();
    for s in &mut all {
        let id = s["id"].as_str().unwrap_or_default().to_string();
        s["meta"]["location"] = json!(format!("{base}/Schemas/{id}"));
    }
    all
}

/// What the server describes itself with, listed whole or one by `id`: its resource types
/// and their schemas.
pub trait Catalog {
    /// What messages call one (`schema`).
    const NOUN: &'static str;
    /// Every entry, located under `base`.
    fn entries(base: &str) -> Vec<Value>;
}

/// `/ResourceTypes`.
pub struct ResourceTypes;

impl Catalog for ResourceTypes {
    const NOUN: &'static str = "resource type";
    fn entries(base: &str) -> Vec<Value> {
        resource_types_of(base)
    }
}

/// `/Schemas`.
pub struct Schemas;

impl Catalog for Schemas {
    const NOUN: &'static str = "schema";
    fn entries(base: &str) -> Vec<Value> {
        schemas_of(base)
    }
}

pub async fn all<C: Catalog>(State(app): State<App>, headers: HeaderMap) -> Response {
    list(C::entries(&base_url(&app, &headers)))
}

pub async fn one<C: Catalog>(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    C::entries(&base_url(&app, &headers))
        .into_iter()
        .find(|e| e["id"] == id.as_str())
        .map(|e| scim_json(StatusCode::OK, &e))
        .ok_or_else(|| ScimError::not_found(format!("no {} `{id}`", C::NOUN)))
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
