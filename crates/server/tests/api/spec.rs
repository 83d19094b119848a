//! The spec against the code: every route is in it and nothing else, it says what each
//! operation takes and returns (every status, with its error codes), every reference
//! resolves, and the responses the tests see are checked against it (`conform`). The rules it
//! states are held on every endpoint in `rules`.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::conform::SPEC;
use crate::helpers::*;

/// Every operation of the API: a route added without its entry, or an entry without its
/// route, fails here.
const OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/whoami"),
    ("GET", "/v1/roles"),
    ("GET", "/v1/policies"),
    ("POST", "/v1/check"),
    ("POST", "/v1/check/batch"),
    ("POST", "/v1/requests"),
    ("GET", "/v1/requests"),
    ("GET", "/v1/requests/{id}"),
    ("POST", "/v1/requests/{id}/approve"),
    ("POST", "/v1/requests/{id}/deny"),
    ("POST", "/v1/requests/{id}/cancel"),
    ("GET", "/v1/grants"),
    ("GET", "/v1/grants/{id}"),
    ("POST", "/v1/grants/{id}/revoke"),
    ("POST", "/v1/grants/{id}/extend"),
    ("GET", "/v1/reviews"),
    ("POST", "/v1/reviews/{name}/start"),
    ("POST", "/v1/reviews/{campaign}/items/{id}/certify"),
    ("POST", "/v1/reviews/{campaign}/items/{id}/revoke"),
    ("GET", "/v1/reviews/{campaign}/report"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/audit/verify"),
    ("GET", "/v1/anomalies"),
    ("GET", "/v1/reports/usage"),
    ("GET", "/v1/reports/overview"),
    ("GET", "/v1/tokens"),
    ("POST", "/v1/tokens"),
    ("POST", "/v1/tokens/{id}/revoke"),
    ("DELETE", "/v1/tokens/{id}"),
    ("POST", "/v1/db/creds"),
    ("POST", "/v1/ssh/certs"),
    ("GET", "/v1/ssh/krl"),
];

/// Operations whose body may be left out, and those whose body is required.
pub const OPTIONAL_BODY: &[&str] = &[
    "/v1/requests/{id}/approve",
    "/v1/requests/{id}/deny",
    "/v1/requests/{id}/cancel",
    "/v1/grants/{id}/revoke",
    "/v1/reviews/{campaign}/items/{id}/certify",
    "/v1/reviews/{campaign}/items/{id}/revoke",
    "/v1/tokens",
];
pub const REQUIRED_BODY: &[&str] = &[
    "/v1/check",
    "/v1/check/batch",
    "/v1/requests",
    "/v1/db/creds",
    "/v1/ssh/certs",
    "/v1/grants/{id}/extend",
];

/// `(METHOD, template, operation)` for every operation of the spec.
pub fn documented() -> Vec<(String, String, &'static Value)> {
    let mut out = Vec::new();
    for (path, item) in SPEC["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op));
        }
    }
    out
}

#[test]
fn every_route_is_in_the_spec_and_the_spec_names_no_other() {
    let want: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let have: BTreeSet<(String, String)> =
        documented().into_iter().map(|(m, p, _)| (m, p)).collect();
    assert_eq!(have, want, "the spec and the list of operations differ");
    // Every API route goes through `routes!`, which registers it with its entry: the router
    // has no other way in.
    let source = include_str!("../../src/routes.rs");
    assert!(
        !source.contains(".route("),
        "src/routes.rs registers a route outside `routes!`, so outside the spec"
    );
    assert_eq!(SPEC["openapi"], "3.1.0");
}

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.push(r.clone());
            }
            o.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_operation_has_its_own_id() {
    let mut found = Vec::new();
    refs(&SPEC, &mut found);
    assert!(!found.is_empty());
    for r in &found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            SPEC["components"]["schemas"][name].is_object(),
            "`{r}` resolves to nothing"
        );
    }
    let ids: Vec<&str> = documented()
        .into_iter()
        .map(|(m, p, op)| {
            op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{m} {p}: no operationId"))
        })
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operation ids repeat: {ids:?}");
    // Every link leads to an operation that takes the id it carries.
    let mut links = 0;
    for (method, path, op) in documented() {
        for (status, response) in op["responses"].as_object().unwrap() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                links += 1;
                let next = link["operationId"].as_str().unwrap();
                assert!(
                    unique.contains(next),
                    "{method} {path} {status} {name}: `{next}`"
                );
                let (_, next_path, _) = documented()
                    .into_iter()
                    .find(|(_, _, o)| o["operationId"] == next)
                    .unwrap();
                assert!(
                    next_path.contains("{id}"),
                    "{name}: {next_path} takes no id"
                );
                assert!(
                    link["parameters"]["id"]
                        .as_str()
                        .unwrap()
                        .starts_with("$response.body#/")
                );
            }
        }
    }
    assert!(links >= 10, "{links} links");
}

#[test]
fn every_operation_says_what_it_takes_and_returns() {
    for (method, path, op) in documented() {
        let label = format!("{method} {path}");
        assert!(op["summary"].is_string(), "{label}: no summary");
        assert!(op["tags"].is_array(), "{label}: no tag");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            !responses.keys().any(|s| s.contains('X') || s == "default"),
            "{label}: a wildcard status"
        );
        let ok: Vec<&String> = responses.keys().filter(|s| s.starts_with('2')).collect();
        assert_eq!(ok.len(), 1, "{label}: one success status");
        for (status, response) in responses {
            let content = response["content"].as_object();
            assert!(
                content.is_some_and(|c| c.values().all(|m| m["schema"].is_object())),
                "{label} {status}: no schema"
            );
            if !status.starts_with('2') && path != "/readyz" {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{label} {status}: not the error shape"
                );
                let description = response["description"].as_str().unwrap();
                assert!(
                    description.contains('`'),
                    "{label} {status}: no error code listed"
                );
            }
        }
        let public = op["security"] == json!([{}]);
        assert_eq!(
            public,
            matches!(
                path.as_str(),
                "/healthz" | "/readyz" | "/metrics" | "/openapi.json"
            ),
            "{label}: security"
        );
        if !public {
            assert!(responses.contains_key("401"), "{label}: no 401");
        }
        if let Some(body) = op.get("requestBody") {
            assert!(responses.contains_key("413"), "{label}: no 413");
            assert!(responses.contains_key("415"), "{label}: no 415");
            let required = body["required"] == json!(true);
            assert_eq!(
                required,
                REQUIRED_BODY.contains(&path.as_str()),
                "{label}: required"
            );
            assert_eq!(
                !required,
                OPTIONAL_BODY.contains(&path.as_str()),
                "{label}: optional"
            );
            assert!(
                body["content"]["application/json"]["schema"].is_object(),
                "{label}: a body not described as JSON"
            );
        }
    }
}

#[test]
fn the_spec_states_the_limits_the_server_enforces() {
    let schemas = &SPEC["components"]["schemas"];
    let enum_of = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enumeration"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        enum_of("RequestState"),
        ["pending", "approved", "denied", "cancelled", "expired"]
    );
    assert_eq!(
        enum_of("GrantStatus"),
        ["scheduled", "active", "expired", "revoked"]
    );
    assert_eq!(enum_of("Severity"), ["low", "medium", "high"]);
    assert!(enum_of("EventKind").contains(&"request.created".to_string()));
    for kind in enum_of("EventKind") {
        assert!(
            wicket_core::audit::EventKind::parse(&kind).is_some(),
            "{kind}"
        );
    }
    assert_eq!(
        schemas["Action"]["pattern"],
        wicket_server::openapi::formats::ACTION
    );
    assert_eq!(
        schemas["Resource"]["pattern"],
        wicket_server::openapi::formats::RESOURCE
    );
    assert_eq!(
        schemas["Duration"]["pattern"],
        wicket_server::openapi::formats::DURATION
    );
    assert_eq!(schemas["Time"]["format"], "date-time");
    assert_eq!(schemas["Id"]["maxLength"], 128);
    assert_eq!(
        schemas["Text"]["pattern"],
        wicket_server::openapi::formats::TEXT
    );
    // Every list's `limit` is 1 to 1000.
    let mut lists = 0;
    for (method, path, op) in documented() {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["name"] == "limit" {
                lists += 1;
                assert_eq!(p["schema"]["minimum"], 1, "{method} {path}");
                assert_eq!(p["schema"]["maximum"], 1000, "{method} {path}");
                let default = if path == "/v1/audit" { 100 } else { 1000 };
                assert_eq!(p["schema"]["default"], default, "{method} {path}");
            }
        }
    }
    assert_eq!(lists, 4, "requests, grants, audit and anomalies page");
}

#[test]
fn the_conformance_check_catches_what_breaks_the_spec() {
    use crate::conform::check;
    let json = Some("application/json");
    let error = r#"{"error": {"code": "missing_token", "message": "send a token"}}"#;
    assert!(check("GET", "/v1/whoami", 401, json, error).is_ok());
    // A status the operation does not list, a content type it does not list, a body that is
    // not its schema, a field too many, an enumeration broken.
    assert!(check("GET", "/v1/whoami", 418, json, error).is_err());
    assert!(check("GET", "/v1/whoami", 401, Some("text/plain"), "no").is_err());
    assert!(check("GET", "/v1/whoami", 200, json, "{}").is_err());
    let health = r#"{"status": "ok", "extra": 1}"#;
    assert!(check("GET", "/healthz", 200, json, health).is_err());
    let grants = r#"{"items": [{"id": "g", "user": "a", "subject": "user:a", "role": "r",
        "request_id": "q", "starts_at": "2026-01-01T00:00:00.000Z",
        "expires_at": "2026-01-01T01:00:00.000Z", "revoked_at": null, "revoked_by": null,
        "revoke_reason": null, "status": "STATUS"}]}"#;
    assert!(
        check(
            "GET",
            "/v1/grants?limit=1",
            200,
            json,
            &grants.replace("STATUS", "active")
        )
        .is_ok()
    );
    assert!(
        check(
            "GET",
            "/v1/grants",
            200,
            json,
            &grants.replace("STATUS", "gone")
        )
        .is_err()
    );
    assert!(check("GET", "/v1/grants/g", 200, json, "{}").is_err());
    // Paths no operation names are not checked (the web UI, a wrong path).
    assert!(check("GET", "/ui/inbox", 200, Some("text/html"), "<p>").is_ok());
}

#[tokio::test]
async fn the_served_spec_is_the_generated_one() {
    let app = spawn_app().await;
    let (s, served) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(served, *SPEC);
}
