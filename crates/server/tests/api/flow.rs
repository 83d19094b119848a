//! The request workflow end to end: multi-step approval, checks, expiry, concurrency,
//! break-glass, resource-based requests, cancellation, request TTL, scheduling, powers.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[path = "../common/grants.rs"]
mod grants;

#[tokio::test]
async fn multi_step_approval_grants_exactly_the_requested_role() {
    let app = spawn_app().await;
    let [alice, bob, carol, root] = app.tokens(["alice", "bob", "carol", "root"]).await;

    let denied = app
        .check(&alice, "db:select", "postgres/prod/orders/public/orders")
        .await;
    assert_eq!(denied["allowed"], false);
    assert_eq!(
        denied["requestable"][0],
        json!({"role": "orders-db-read", "policy": "sre-production"})
    );

    let req = app.create(&alice, prod_read()).await;
    assert_eq!(req["state"], "pending");
    assert_eq!(req["policy"], "sre-production");
    assert_eq!(req["duration"], "1h");
    assert_eq!(req["steps"], 2);
    let id = req["id"].as_str().unwrap();

    // Security cannot approve before the leads' step has passed.
    assert_error(
        &app.act(id, "approve", &carol).await,
        403,
        "not_an_approver",
    );

    let (s, r) = app
        .post(
            &format!("/v1/requests/{id}/approve"),
            &bob,
            json!({"comment": "ok"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "pending");
    assert_eq!(
        r["step"], 2,
        "step 1 approved: step 2 now decides (steps count from 1)"
    );
    assert_eq!(r["reviews"][0]["step"], 1, "{r}");
    assert_eq!(
        app.check(&alice, "db:select", "postgres/prod/orders/public/orders")
            .await["allowed"],
        false
    );

    let (s, r) = app.act(id, "approve", &carol).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "approved");
    let grants = r["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["role"], "orders-db-read");
    assert_eq!(grants[0]["status"], "active");
    assert_eq!(grants[0]["subject"], "user:alice");

    let allowed = app
        .check(&alice, "db:select", "postgres/prod/orders/public/orders")
        .await;
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert_eq!(allowed["via"]["role"], "orders-db-read");
    assert_eq!(allowed["via"]["grant_id"], grants[0]["id"]);
    // The grant reads; it does not write, and no grant beats the guardrail.
    assert_eq!(
        app.check(&alice, "db:delete", "postgres/prod/orders/public/orders")
            .await["allowed"],
        false
    );
    let ddl = app
        .check(&alice, "db:ddl", "postgres/prod/orders/public/orders")
        .await;
    assert_eq!(ddl["guardrail"], "no-ddl-in-prod");

    let (_, me) = app.get("/v1/whoami", &alice).await;
    assert_eq!(me["grants"][0]["id"], grants[0]["id"]);

    let kinds = app.kinds(&root, id).await;
    assert_eq!(
        kinds,
        [
            "request.created",
            "review.added",
            "review.added",
            "request.approved",
            "grant.activated"
        ]
    );
    let (_, v) = app.get("/v1/audit/verify", &root).await;
    assert_eq!(v["ok"], true, "{v}");
}

#[tokio::test]
async fn a_short_grant_is_denied_right_after_expiry_and_the_expiry_is_audited() {
    let app = spawn_app().await;
    let [alice, root] = app.tokens(["alice", "root"]).await;
    let req = app
        .create(&alice, json!({"roles": ["cache-flush"], "duration": "5s"}))
        .await;
    assert_eq!(
        req["state"], "approved",
        "a policy without steps approves at once"
    );
    let grant = req["grants"][0].clone();
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(grant["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        app.check(&alice, "cache:flush", "cache/prod/sessions")
            .await["allowed"],
        true
    );

    let wait = expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    tokio::time::sleep(wait.to_std().unwrap_or_default() + Duration::from_millis(20)).await;
    let after = app
        .check(&alice, "cache:flush", "cache/prod/sessions")
        .await;
    assert_eq!(after["allowed"], false, "{after}");

    // The sweep records the expiry (every 500 ms; up to 30 s on a loaded machine), once.
    let mut recorded = 0;
    for _ in 0..300 {
        let (_, v) = app
            .get(
                &format!(
                    "/v1/audit?grant_id={}&kind=grant.expired",
                    grant["id"].as_str().unwrap()
                ),
                &root,
            )
            .await;
        recorded = v["items"].as_array().unwrap().len();
        if recorded > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(recorded, 1);
    let (_, g) = app
        .get(
            &format!("/v1/grants/{}", grant["id"].as_str().unwrap()),
            &alice,
        )
        .await;
    assert_eq!(g["status"], "expired");
}

#[tokio::test]
async fn concurrent_approvals_produce_one_approval_and_one_grant_per_role() {
    let app = spawn_app().await;
    let erin = app.token("erin").await;
    let req = app
        .create(
            &erin,
            json!({"roles": ["orders-db-read", "logs-read"], "policy": "crowd"}),
        )
        .await;
    let id = req["id"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for i in 1..=10 {
        tokens.push(app.token(&format!("a{i}")).await);
    }
    let mut tasks = Vec::new();
    for t in tokens {
        let (client, url) = (
            app.client.clone(),
            format!("{}/v1/requests/{id}/approve", app.addr),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(t)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );

    let root = app.token("root").await;
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &root).await;
    assert_eq!(r["state"], "approved");
    assert_eq!(r["reviews"].as_array().unwrap().len(), 1);
    let mut roles = grants::of_grants(&r, "role");
    roles.sort();
    assert_eq!(roles, ["logs-read", "orders-db-read"]);
    let kinds = app.kinds(&root, &id).await;
    assert_eq!(kinds.iter().filter(|k| *k == "request.approved").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "grant.activated").count(), 2);
}

#[tokio::test]
async fn break_glass_is_approved_at_once_bounded_and_flagged() {
    let app = spawn_app().await;
    let [dave, root, alice] = app.tokens(["dave", "root", "alice"]).await;
    let mut body = prod_read();
    body["break_glass"] = json!(true);
    body["duration"] = json!("5h");
    assert_error(
        &app.post("/v1/requests", &dave, body.clone()).await,
        422,
        "duration_exceeds_max",
    );
    body["duration"] = json!("30m");
    let req = app.create(&dave, body).await;
    assert_eq!(req["state"], "approved");
    assert_eq!(req["break_glass"], true);
    assert_eq!(
        app.check(&dave, "db:select", "postgres/prod/orders/x")
            .await["allowed"],
        true
    );

    let (s, an) = app.get("/v1/anomalies", &root).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(an["items"][0]["rule"], "break_glass");
    assert_eq!(an["items"][0]["severity"], "high");
    assert_eq!(an["items"][0]["request_id"], req["id"]);
    assert_error(
        &app.get("/v1/anomalies", &alice).await,
        403,
        "missing_power",
    );
    let kinds = app.kinds(&root, req["id"].as_str().unwrap()).await;
    assert!(kinds.contains(&"anomaly.flagged".to_string()), "{kinds:?}");
}

#[tokio::test]
async fn resource_based_request_picks_the_smallest_role() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let req = app.create(&alice, json!({"action": "db:select", "resource": "postgres/prod/orders/public/orders", "reason": "INC-1", "ticket": "INC-1"})).await;
    assert_eq!(req["roles"], json!(["orders-db-read"]));
    assert_eq!(req["action"], "db:select");
    let carol = app.token("carol").await;
    // Each request refused, who files it, what it gets and what the message must name.
    #[rustfmt::skip]
    let refused = [
        (&alice, json!({"action": "db:ddl", "resource": "postgres/prod/orders/t", "reason": "x", "ticket": "INC-1"}),
            422, "denied_by_guardrail", ""),
        // No role grants that action anywhere: said as such, with the nearest action if one is close.
        (&alice, json!({"action": "k8s:exec", "resource": "k8s/prod", "reason": "x"}),
            422, "unknown_action", ""),
        (&alice, json!({"action": "db:selct", "resource": "postgres/prod/orders/t", "reason": "x"}),
            422, "unknown_action", "did you mean `db:select`?"),
        // A role grants it, but none alice may request.
        (&alice, json!({"action": "cache:flush", "resource": "cache/staging/x", "reason": "x"}),
            422, "nothing_requestable", ""),
        // Asking for what a standing role already allows, or for a standing role, is a 409.
        (&carol, json!({"roles": ["logs-read"], "reason": "x"}), 409, "already_held", ""),
    ];
    for (token, body, status, code, names) in refused {
        let r = app.post("/v1/requests", token, body).await;
        assert_error(&r, status, code);
        let message = r.1["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{message}");
    }
}

#[tokio::test]
async fn cancel_and_request_ttl_end_pending_requests() {
    let app = spawn_app().await;
    let [erin, root, a1] = app.tokens(["erin", "root", "a1"]).await;
    let req = app
        .create(&erin, json!({"roles": ["logs-read"], "policy": "crowd"}))
        .await;
    let id = req["id"].as_str().unwrap();
    assert_error(&app.act(id, "cancel", &a1).await, 403, "not_the_requester");
    let r = app
        .post(
            &format!("/v1/requests/{id}/cancel"),
            &erin,
            json!({"comment": "not needed"}),
        )
        .await;
    assert_state(&r, "cancelled");
    assert_error(&app.act(id, "cancel", &erin).await, 409, "request_decided");

    // `crowd` requests expire after 3s without a decision.
    let req = app
        .create(&erin, json!({"roles": ["logs-read"], "policy": "crowd"}))
        .await;
    let id = req["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_error(&app.act(id, "approve", &a1).await, 409, "request_expired");
    let mut state = String::new();
    // The sweep marks it (every 500 ms; up to 30 s on a loaded machine).
    for _ in 0..300 {
        let (_, r) = app.get(&format!("/v1/requests/{id}"), &erin).await;
        state = r["state"].as_str().unwrap().to_string();
        if state == "expired" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "expired");
    assert!(
        app.kinds(&root, id)
            .await
            .contains(&"request.expired".to_string())
    );
}

#[tokio::test]
async fn a_scheduled_request_starts_at_its_start_time() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let start = chrono::Utc::now() + chrono::Duration::seconds(2);
    let req = app
        .create(
            &alice,
            json!({"roles": ["logs-read"], "duration": "10s", "start_at": start.to_rfc3339()}),
        )
        .await;
    assert_eq!(req["grants"][0]["status"], "scheduled");
    assert_eq!(
        app.check(&alice, "logs:view", "logs/prod/api").await["allowed"],
        false
    );
    tokio::time::sleep(
        (start - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50),
    )
    .await;
    assert_eq!(
        app.check(&alice, "logs:view", "logs/prod/api").await["allowed"],
        true
    );
}

#[tokio::test]
async fn revocation_takes_effect_at_once_and_needs_the_power_for_others() {
    let app = spawn_app().await;
    let [alice, dave, root] = app.tokens(["alice", "dave", "root"]).await;
    let a = app
        .create(&alice, json!({"roles": ["cache-flush"], "duration": "30s"}))
        .await;
    let d = app
        .create(&dave, json!({"roles": ["cache-flush"], "duration": "30s"}))
        .await;
    let (ga, gd) = (
        a["grants"][0]["id"].as_str().unwrap(),
        d["grants"][0]["id"].as_str().unwrap(),
    );

    assert_error(
        &app.post(
            &format!("/v1/grants/{gd}/revoke"),
            &alice,
            json!({"reason": "x"}),
        )
        .await,
        403,
        "missing_power",
    );
    let (s, g) = app
        .post(&format!("/v1/grants/{ga}/revoke"), &alice, json!({}))
        .await;
    assert_eq!((s, g["status"].as_str()), (StatusCode::OK, Some("revoked")));
    assert_eq!(
        app.check(&alice, "cache:flush", "cache/prod/x").await["allowed"],
        false
    );

    assert_error(
        &app.post(&format!("/v1/grants/{gd}/revoke"), &root, json!({}))
            .await,
        422,
        "reason_required",
    );
    let (s, g) = app
        .post(
            &format!("/v1/grants/{gd}/revoke"),
            &root,
            json!({"reason": "done"}),
        )
        .await;
    assert_eq!(
        (s, g["revoked_by"].as_str()),
        (StatusCode::OK, Some("root"))
    );
    assert_eq!(
        app.check(&dave, "cache:flush", "cache/prod/x").await["allowed"],
        false
    );
    assert_error(
        &app.post(
            &format!("/v1/grants/{gd}/revoke"),
            &root,
            json!({"reason": "again"}),
        )
        .await,
        409,
        "grant_revoked",
    );
}

#[tokio::test]
async fn wicket_powers_are_enforced() {
    let app = spawn_app().await;
    let [alice, root] = app.tokens(["alice", "root"]).await;
    app.assert_refused_gets(&[
        ("/v1/audit", &alice, 403, "missing_power"),
        ("/v1/audit/verify", &alice, 403, "missing_power"),
    ])
    .await;
    let r = app
        .post(
            "/v1/check",
            &alice,
            json!({"subject": "user:carol", "action": "logs:view", "resource": "logs/prod/x"}),
        )
        .await;
    assert_error(&r, 403, "missing_power");
    let (s, v) = app
        .post(
            "/v1/check",
            &root,
            json!({"subject": "user:carol", "action": "logs:view", "resource": "logs/prod/x"}),
        )
        .await;
    assert_eq!((s, v["allowed"].as_bool()), (StatusCode::OK, Some(true)));
    assert_error(
        &app.post("/v1/tokens", &alice, json!({"user": "bob"})).await,
        403,
        "missing_power",
    );
    let (s, t) = app
        .post("/v1/tokens", &root, json!({"user": "bob", "ttl": "1h"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, me) = app.get("/v1/whoami", t["token"].as_str().unwrap()).await;
    assert_eq!((s, me["user"].as_str()), (StatusCode::OK, Some("bob")));
    let (_, me) = app.get("/v1/whoami", &root).await;
    assert_eq!(me["powers"].as_array().unwrap().len(), 7);

    // Tokens: revoked and expired ones stop working.
    let tid = t["id"].as_str().unwrap();
    let (s, _) = app
        .post(&format!("/v1/tokens/{tid}/revoke"), &root, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_error(
        &app.get("/v1/whoami", t["token"].as_str().unwrap()).await,
        401,
        "token_revoked",
    );
    let (_, short) = app.post("/v1/tokens", &alice, json!({"ttl": "1s"})).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_error(
        &app.get("/v1/whoami", short["token"].as_str().unwrap())
            .await,
        401,
        "token_expired",
    );
    // No audit event carries a token.
    for e in app.events(&root).await {
        assert!(!e.to_string().contains("wkt_"), "{e}");
    }
}

#[tokio::test]
async fn batch_checks_answer_in_order() {
    let app = spawn_app().await;
    let carol = app.token("carol").await;
    let (s, v) = app
        .post(
            "/v1/check/batch",
            &carol,
            json!({"checks": [
                {"action": "logs:view", "resource": "logs/prod/api"},
                {"action": "db:select", "resource": "postgres/prod/orders"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["allowed"], true);
    assert_eq!(v["results"][1]["allowed"], false);
    let many: Vec<_> = (0..1001)
        .map(|_| json!({"action": "a:b", "resource": "r"}))
        .collect();
    assert_error(
        &app.post("/v1/check/batch", &carol, json!({"checks": many}))
            .await,
        400,
        "batch_too_large",
    );
}

#[tokio::test]
async fn standing_allows_are_audited_only_when_the_operator_asks() {
    for (audit, expected) in [("", 0), ("[audit]\nallowed_checks = \"all\"\n", 1)] {
        let app = spawn_with(&format!("{CONFIG}\n{audit}")).await;
        let [carol, root] = app.tokens(["carol", "root"]).await;
        // carol holds `logs-read` standing.
        let d = app.check(&carol, "logs:view", "logs/prod/web").await;
        assert_eq!(d["allowed"], true, "{d}");
        let allowed = app
            .events(&root)
            .await
            .into_iter()
            .filter(|e| e["kind"] == "check.allowed" && e["subject"] == "user:carol")
            .count();
        assert_eq!(allowed, expected, "with `{audit}`");
    }
}
