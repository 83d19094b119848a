//! The rules the spec states, held on every endpoint it lists: content types and empty
//! bodies (JSON labelled `application/json`, 415 otherwise; an empty body accepted exactly
//! where the body is not required), paging (`limit` 1 to 1000, 400 otherwise) and the
//! filters and formats the server checks itself.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::spec::{OPTIONAL_BODY, REQUIRED_BODY, documented};
use crate::helpers::*;

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
    let req = app.create(&alice, prod_read()).await;
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
    let req = app.create(&alice, prod_read()).await;
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
        app.create(&alice, prod_read()).await;
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
    app.create(&alice, body).await;
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
