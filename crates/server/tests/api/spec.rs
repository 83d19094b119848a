//! The spec against the code: every route is in it and nothing else, it says what each
//! operation takes and returns, and the rules it states hold on every endpoint: paging
//! (`limit` 1 to 1000, 400 otherwise), content types (JSON labelled `application/json`, 415
//! otherwise) and empty bodies (accepted exactly where the body is not required).

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
    ("GET", "/v1/audit"),
    ("GET", "/v1/audit/verify"),
    ("GET", "/v1/anomalies"),
    ("GET", "/v1/reports/usage"),
    ("POST", "/v1/tokens"),
    ("POST", "/v1/tokens/{id}/revoke"),
    ("DELETE", "/v1/tokens/{id}"),
];

/// Operations whose body may be left out, and those whose body is required.
const OPTIONAL_BODY: &[&str] = &[
    "/v1/requests/{id}/approve",
    "/v1/requests/{id}/deny",
    "/v1/requests/{id}/cancel",
    "/v1/grants/{id}/revoke",
    "/v1/tokens",
];
const REQUIRED_BODY: &[&str] = &["/v1/check", "/v1/check/batch", "/v1/requests"];

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

/// A concrete path for `template`: ids of things that exist where the test needs them.
fn concrete(template: &str, request: &str, grant: &str, token: &str) -> String {
    if template.starts_with("/v1/requests/") {
        template.replace("{id}", request)
    } else if template.starts_with("/v1/grants/") {
        template.replace("{id}", grant)
    } else {
        template.replace("{id}", token)
    }
}

#[tokio::test]
async fn every_body_must_be_labelled_json_and_may_be_empty_only_where_optional() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let (s, req) = app.post("/v1/requests", &alice, prod_read()).await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    let request = req["id"].as_str().unwrap().to_string();
    let (_, minted) = app.post("/v1/tokens", &alice, json!({})).await;
    let token = minted["id"].as_str().unwrap().to_string();
    let mut bodies = 0;
    for (method, path, op) in documented() {
        if op.get("requestBody").is_none() {
            continue;
        }
        bodies += 1;
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let url = concrete(&path, &request, "gr_none", &token);
        // A JSON body labelled otherwise, or not at all, is a 415 before anything else.
        for label in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let r = app.send_raw(m.clone(), &url, &alice, label, "{}").await;
            assert_error(&r, 415, "unsupported_media_type");
        }
        // An empty body is no body: a 400 where one is required; accepted where it is not.
        for empty in ["", "  \n"] {
            let r = app.send_raw(m.clone(), &url, &alice, None, empty).await;
            if REQUIRED_BODY.contains(&path.as_str()) {
                assert_error(&r, 400, "empty_body");
            } else {
                assert!(
                    !matches!(r.0.as_u16(), 400 | 415),
                    "{method} {path} refused an empty body: {r:?}"
                );
            }
        }
        // A charset parameter, or another case, is still JSON.
        let r = app
            .send_raw(
                m.clone(),
                &url,
                &alice,
                Some("Application/JSON; charset=utf-8"),
                "{}",
            )
            .await;
        assert!(!matches!(r.0.as_u16(), 415), "{method} {path}: {r:?}");
    }
    assert_eq!(bodies, REQUIRED_BODY.len() + OPTIONAL_BODY.len());
    // An empty body does what the defaults say: alice's cancel above cancelled her request,
    // and bob approves a new one without a comment.
    let (_, cancelled) = app.get(&format!("/v1/requests/{request}"), &alice).await;
    assert_eq!(cancelled["state"], "cancelled");
    let (_, req) = app.post("/v1/requests", &alice, prod_read()).await;
    let id = req["id"].as_str().unwrap();
    let r = app
        .send_raw(
            Method::POST,
            &format!("/v1/requests/{id}/approve"),
            &bob,
            None,
            "",
        )
        .await;
    assert_eq!(r.0, StatusCode::OK, "{r:?}");
    assert_eq!(r.1["reviews"][0]["comment"], Value::Null);
}

#[tokio::test]
async fn paging_is_the_same_on_every_list() {
    let app = spawn_app().await;
    let root = app.token("root").await;
    let alice = app.token("alice").await;
    for _ in 0..3 {
        let (s, r) = app.post("/v1/requests", &alice, prod_read()).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let mut lists = 0;
    for (method, path, op) in documented() {
        let takes_limit = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "limit");
        if !takes_limit {
            continue;
        }
        lists += 1;
        assert_eq!(method, "GET");
        for bad in ["0", "-1", "1001", "x", "", "1.5", "99999999999999999999"] {
            let r = app.get(&format!("{path}?limit={bad}"), &root).await;
            assert_error(&r, 400, "invalid_query");
            let message = r.1["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("`limit`") && message.contains("1 to 1000"),
                "{path}: {message}"
            );
        }
        for good in ["1", "1000"] {
            let (s, v) = app.get(&format!("{path}?limit={good}"), &root).await;
            assert_eq!(s, StatusCode::OK, "{path}?limit={good}: {v}");
            let n = v["items"].as_array().unwrap().len();
            assert!(n <= good.parse().unwrap(), "{path}?limit={good}: {n} items");
        }
    }
    assert_eq!(lists, 4);
    // Requests are newest first, and `limit` takes the newest.
    let (_, all) = app.get("/v1/requests", &alice).await;
    let (_, one) = app.get("/v1/requests?limit=1", &alice).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    assert_eq!(one["items"][0]["id"], all["items"][0]["id"]);
    // The audit log pages with its cursor: `next_after` until the last page.
    let (_, first) = app.get("/v1/audit?limit=2", &root).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let mut after = first["next_after"].as_i64().unwrap();
    let mut seen = 2;
    loop {
        let (s, page) = app
            .get(&format!("/v1/audit?limit=2&after={after}"), &root)
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        seen += page["items"].as_array().unwrap().len();
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    let (_, whole) = app.get("/v1/audit", &root).await;
    assert_eq!(seen, whole["items"].as_array().unwrap().len());
    assert_error(
        &app.get("/v1/audit?after=-1", &root).await,
        400,
        "invalid_query",
    );
}

#[tokio::test]
async fn filters_are_checked_as_the_spec_says() {
    let app = spawn_app().await;
    let root = app.token("root").await;
    for path in [
        "/v1/audit?kind=nope",
        "/v1/audit?kind=request",
        "/v1/audit?request_id=",
        &format!("/v1/audit?grant_id={}", "x".repeat(129)),
        &format!("/v1/grants?request_id={}", "x".repeat(129)),
        "/v1/grants?subject=al%20ice",
        "/v1/anomalies?subject=",
        "/v1/anomalies?grant=",
        "/v1/audit?format=xml",
        "/v1/reports/usage?since=0d",
        "/v1/reports/usage?since=%2B5d",
        "/v1/reports/usage?until=1h60m",
        "/v1/anomalies?since=2026-01-01%2000:00:00Z",
    ] {
        assert_error(&app.get(path, &root).await, 400, "invalid_query");
    }
    for path in [
        "/v1/audit?kind=request.created",
        "/v1/audit?kind=request.*",
        "/v1/audit?kind=*",
        "/v1/grants?subject=alice",
        "/v1/grants?subject=user:alice",
        "/v1/anomalies?grant_id=gr_x",
        "/v1/reports/usage?since=36500d&until=1h",
    ] {
        let (s, v) = app.get(path, &root).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
    }
    let r = app
        .post(
            "/v1/check",
            &root,
            json!({"subject": "not a name", "action": "logs:view", "resource": "logs/prod"}),
        )
        .await;
    assert_error(&r, 400, "invalid_subject");
    // Durations and times as the spec writes them: what core's parsers would also read is
    // refused when the spec does not allow it.
    let alice = app.token("alice").await;
    for (field, value, code) in [
        ("duration", "1h60m", "invalid_duration"),
        ("duration", "01h", "invalid_duration"),
        ("start_at", "2030-01-01 00:00:00Z", "invalid_start_at"),
    ] {
        let mut body = prod_read();
        body[field] = json!(value);
        assert_error(&app.post("/v1/requests", &alice, body).await, 400, code);
    }
    // `null` reads as left out, as the spec says.
    let mut body = prod_read();
    for field in ["action", "resource", "policy", "duration", "start_at"] {
        body[field] = Value::Null;
    }
    let (s, v) = app.post("/v1/requests", &alice, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_error(
        &app.get("/v1/audit?limit=%2B5", &root).await,
        400,
        "invalid_query",
    );
    let r = app
        .post("/v1/tokens", &alice, json!({"ttl": "30m1h"}))
        .await;
    assert_error(&r, 400, "invalid_duration");
    let (s, v) = app
        .post("/v1/tokens", &alice, json!({"ttl": "1h30m"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
