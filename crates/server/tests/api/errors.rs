//! Every 4xx of the design, each with the JSON error shape and a message that names the problem.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_400_naming_the_problem() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let raw = |body: &'static str| {
        app.client
            .post(format!("{}/v1/requests", app.addr))
            .bearer_auth(&alice)
            .header("content-type", "application/json")
            .body(body)
    };
    // Each body, the code it gets and what the message must name.
    for (body, code, names) in [
        ("{\"roles\": [", "malformed_json", ""),
        ("{\"roles\": 5}", "invalid_body", "`roles`"),
        (
            "{\"roles\": [\"logs-read\"], \"rolez\": 1}",
            "invalid_body",
            "rolez",
        ),
    ] {
        let resp = raw(body).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(names),
            "{v}"
        );
    }

    let resp = raw("").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let check = |body: Value| app.post("/v1/check", &alice, body);
    let r = check(json!({"action": "select", "resource": "x"})).await;
    assert_error(&r, 400, "invalid_action");
    let r = check(json!({"action": "db:select", "resource": "a//b"})).await;
    assert_error(&r, 400, "invalid_resource");
    for query in ["state=maybe", "colour=red"] {
        let r = app.get(&format!("/v1/requests?{query}"), &alice).await;
        assert_error(&r, 400, "invalid_query");
    }
}

#[tokio::test]
async fn policy_violations_are_422() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let with = |patch: Value| {
        let mut b = prod_read();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b
    };
    // Each change to a good request, what it must get, and what the message must name.
    #[rustfmt::skip]
    let cases: [(Value, u16, &str, &str); 15] = [
        (json!({"roles": ["orders-db-raed"]}), 422, "unknown_role", "orders-db-read"),
        (json!({"duration": "5h"}), 422, "duration_exceeds_max", "4h"),
        (json!({"duration": "-1h"}), 400, "invalid_duration", ""),
        (json!({"duration": "100000d"}), 400, "invalid_duration", ""),
        (json!({"duration": "0s"}), 400, "invalid_duration", ""),
        (json!({"duration": "soon"}), 400, "invalid_duration", ""),
        (json!({"reason": null}), 422, "reason_required", ""),
        (json!({"reason": "   "}), 422, "reason_required", ""),
        (json!({"ticket": "JIRA-1"}), 422, "ticket_invalid", "(INC|CHG)-[0-9]+"),
        (json!({"ticket": "xINC-1"}), 422, "ticket_invalid", ""),
        (json!({"ticket": null}), 422, "ticket_required", ""),
        (json!({"policy": "crowd"}), 422, "not_a_requester", ""),
        (json!({"policy": "nope"}), 422, "unknown_policy", ""),
        (json!({"start_at": "2001-01-01T00:00:00Z"}), 422, "start_at_in_past", ""),
        (json!({"start_at": "tomorrow"}), 400, "invalid_start_at", ""),
    ];
    for (patch, status, code, names) in cases {
        let r = app.post("/v1/requests", &alice, with(patch.clone())).await;
        assert_error(&r, status, code);
        let message = r.1["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{patch}: {message}");
    }
    let bob = app.token("bob").await;
    assert_error(
        &app.post("/v1/requests", &bob, prod_read()).await,
        422,
        "no_policy",
    );
    let erin = app.token("erin").await;
    let r = app
        .post(
            "/v1/requests",
            &erin,
            json!({"roles": ["logs-read"], "policy": "crowd", "break_glass": true}),
        )
        .await;
    assert_error(&r, 422, "break_glass_not_allowed");
}

#[tokio::test]
async fn review_rules_are_403_and_409() {
    let app = spawn_app().await;
    let [alice, bob, bea, erin, lead] = app.tokens(["alice", "bob", "bea", "erin", "lead"]).await;
    // `lead` is both a requester and a lead: never their own approver.
    let req = app.create(&lead, prod_read()).await;
    let id = req["id"].as_str().unwrap();
    assert_error(&app.act(id, "approve", &lead).await, 403, "self_review");

    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap();
    assert_error(&app.act(id, "approve", &alice).await, 403, "self_review");
    assert_error(&app.act(id, "approve", &erin).await, 403, "not_an_approver");
    let (s, _) = app.act(id, "approve", &bob).await;
    assert_eq!(s, StatusCode::OK);
    // bob's step has passed; a second review from him is a duplicate, bea is no longer current.
    let r = app.act(id, "approve", &bob).await;
    assert!(
        r.0 == StatusCode::CONFLICT || r.0 == StatusCode::FORBIDDEN,
        "{r:?}"
    );
    assert_error(&app.act(id, "deny", &bea).await, 403, "not_an_approver");

    // One deny from a current approver denies; reviewing a decided request is 409.
    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/v1/requests/{id}/deny"),
            &bob,
            json!({"comment": "no ticket context"}),
        )
        .await;
    assert_state(&r, "denied");
    assert_error(&app.act(id, "approve", &bea).await, 409, "request_decided");
    assert_error(&app.act(id, "approve", &bob).await, 409, "request_decided");
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &alice).await;
    assert!(r["grants"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn double_review_in_a_multi_approval_step_is_409() {
    let config = CONFIG.replace(
        "{ approvers = [\"group:sre-leads\"], min_approvals = 1 },",
        "{ approvers = [\"group:sre-leads\"], min_approvals = 2 },",
    );
    let app = spawn_with(&config).await;
    let [alice, bob] = app.tokens(["alice", "bob"]).await;
    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap();
    let (s, r) = app.act(id, "approve", &bob).await;
    assert_eq!(
        (s, r["step"].as_u64()),
        (StatusCode::OK, Some(1)),
        "one approval of two: still step 1"
    );
    assert_error(&app.act(id, "approve", &bob).await, 409, "already_reviewed");
}

#[tokio::test]
async fn unknown_ids_routes_and_methods() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    #[rustfmt::skip]
    let cases = [
        (Method::GET, "/v1/requests/req_nope", None, 404, "unknown_request"),
        (Method::POST, "/v1/requests/req_nope/approve", Some(json!({})), 404, "unknown_request"),
        (Method::GET, "/v1/grants/gr_nope", None, 404, "unknown_grant"),
        (Method::POST, "/v1/grants/gr_nope/revoke", Some(json!({})), 404, "unknown_grant"),
        (Method::GET, "/v1/nothing", None, 404, "no_route"),
        (Method::DELETE, "/v1/requests", None, 405, "method_not_allowed"),
    ];
    for (method, path, body, status, code) in cases {
        let r = app.call(method, path, Some(&alice), body).await;
        assert_error(&r, status, code);
    }
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let send = |body: String| {
        app.client
            .post(format!("{}/v1/requests", app.addr))
            .bearer_auth(&alice)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let big = format!("{{\"reason\": \"{}\"}}", "x".repeat(2 << 20));
    let resp = send(big).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The rest of the body is left unread, so the server closes the connection: it says so,
    // and a keep-alive client does not send its next request on a closing socket.
    assert_eq!(resp.headers()["connection"], "close");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "body_too_large");
    // Just under the limit is read (and then judged on its content).
    let ok = format!(
        "{{\"roles\": [\"logs-read\"], \"reason\": \"{}\"}}",
        "x".repeat(4000)
    );
    assert_eq!(send(ok).await.unwrap().status(), StatusCode::CREATED);
}

#[tokio::test]
async fn missing_wrong_and_malformed_tokens_are_401() {
    let app = spawn_app().await;
    for (token, code) in [
        (None, "missing_token"),
        (Some("wkt_0000"), "invalid_token"),
        (Some("garbage"), "invalid_token"),
    ] {
        let r = app.call(Method::GET, "/v1/whoami", token, None).await;
        assert_error(&r, 401, code);
    }
    let resp = app
        .client
        .get(format!("{}/v1/whoami", app.addr))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Service endpoints need no token.
    for path in ["/healthz", "/readyz"] {
        let (s, _) = app.call(Method::GET, path, None, None).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    let (s, spec) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(
        (s, spec["openapi"].as_str()),
        (StatusCode::OK, Some("3.1.0"))
    );
    let resp = app
        .client
        .get(format!("{}/metrics", app.addr))
        .send()
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().contains("wicket_checks_total"));
}
