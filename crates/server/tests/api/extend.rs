//! Extending a live grant through the API: the lighter `extend_steps`, the `max_extended`
//! bound, the grant keeping its id, the audit events, and every hostile case refused with
//! nothing changed.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// The API tests' configuration plus a policy whose extensions bob alone approves, and one
/// whose extensions are automatic.
fn config() -> String {
    format!(
        r#"{CONFIG}
[[policies]]
name = "extendable"
requesters = ["group:sre"]
roles = ["orders-db-write"]
max_duration = "1h"
max_extended = "3h"
steps = [
  {{ approvers = ["group:sre-leads"] }},
  {{ approvers = ["group:security"] }},
]
extend_steps = [{{ approvers = ["user:bob"] }}]

[[policies]]
name = "auto-extend"
requesters = ["user:erin"]
roles = ["cache-flush"]
max_duration = "1h"
max_extended = "90m"
require_reason = false
extend_steps = []
"#
    )
}

/// Where grant `gid` is extended.
fn extend_path(gid: &str) -> String {
    format!("/v1/grants/{gid}/extend")
}

/// alice's grant of `orders-db-write` for 1h, approved by bob then carol.
async fn granted(app: &TestApp, alice: &str, bob: &str, carol: &str) -> Value {
    let r = app.create(alice, json!({"roles": ["orders-db-write"], "policy": "extendable", "reason": "INC-9 migration", "ticket": "INC-9"})).await;
    let id = r["id"].as_str().unwrap();
    for who in [bob, carol] {
        let (s, r) = app.act(id, "approve", who).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let (_, r) = app.get(&format!("/v1/requests/{id}"), alice).await;
    assert_eq!(r["state"], "approved", "{r}");
    r["grants"][0].clone()
}

/// erin's grant of `cache-flush` for `duration` under `auto-extend`, approved at once; its id.
async fn auto_grant(app: &TestApp, erin: &str, duration: &str) -> String {
    let body = json!({"roles": ["cache-flush"], "policy": "auto-extend", "duration": duration});
    let r = app.create(erin, body).await;
    assert_eq!(r["state"], "approved", "{r}");
    r["grants"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_approved_extension_moves_the_end_of_the_same_grant() {
    let app = spawn_with(&config()).await;
    let [alice, bob, bea, carol, root] = app.tokens(["alice", "bob", "bea", "carol", "root"]).await;
    // The policy says how its grants are extended.
    let (_, policies) = app.get("/v1/policies", &alice).await;
    let p = policies["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "extendable")
        .unwrap();
    assert_eq!(p["max_extended"], "3h");
    assert_eq!(
        p["extend_steps"],
        json!([{"approvers": ["user:bob"], "min_approvals": 1}])
    );
    assert_eq!(p["steps"].as_array().unwrap().len(), 2);

    let grant = granted(&app, &alice, &bob, &carol).await;
    let gid = grant["id"].as_str().unwrap();
    let end = grant["expires_at"].as_str().unwrap().to_string();

    let body = json!({"by": "1h", "reason": "the migration runs long"});
    let (s, ext) = app.post(&extend_path(gid), &alice, body).await;
    assert_eq!(s, StatusCode::CREATED, "{ext}");
    assert_eq!(ext["state"], "pending");
    assert_eq!(ext["extends"], gid);
    assert_eq!(ext["duration"], "1h");
    assert_eq!(ext["steps"], 1, "the lighter extend_steps decide: {ext}");
    assert_eq!(ext["grants"][0]["id"], gid);
    assert_eq!(
        ext["ticket"], "INC-9",
        "the ticket of the grant's request carries over"
    );
    let rid = ext["id"].as_str().unwrap();

    // bea leads SREs but only bob approves extensions under this policy.
    assert_error(&app.act(rid, "approve", &bea).await, 403, "not_an_approver");
    // bob sees it among the requests he may review.
    let (_, mine) = app.get("/v1/requests?reviewable=true", &bob).await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == rid),
        "{mine}"
    );

    let (s, done) = app.act(rid, "approve", &bob).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "approved");
    let (_, after) = app.get(&format!("/v1/grants/{gid}"), &alice).await;
    assert_eq!(after["id"], gid);
    assert_eq!(after["status"], "active");
    let moved = wicket_core::time::parse(after["expires_at"].as_str().unwrap()).unwrap()
        - wicket_core::time::parse(&end).unwrap();
    assert_eq!(moved.num_seconds(), 3600, "{after}");
    // No second grant: alice still holds exactly one of the role.
    let (_, list) = app.get("/v1/grants?status=active", &alice).await;
    let write: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["role"] == "orders-db-write")
        .collect();
    assert_eq!(write.len(), 1, "{list}");

    // The decision index holds the new end.
    let (_, check) = app
        .post(
            "/v1/check",
            &alice,
            json!({"action": "db:insert", "resource": "postgres/prod/orders/public/orders"}),
        )
        .await;
    assert_eq!(check["allowed"], true, "{check}");
    assert_eq!(check["via"]["expires_at"], after["expires_at"], "{check}");

    // Audited: the request, bob's review, the approval and the extension itself.
    assert_eq!(
        app.kinds(&root, rid).await,
        [
            "request.created",
            "review.added",
            "request.approved",
            "grant.extended"
        ]
    );
    let events = app.events(&root).await;
    let extended = events
        .iter()
        .find(|e| e["kind"] == "grant.extended")
        .unwrap();
    assert_eq!(extended["grant_id"], gid);
    assert_eq!(extended["actor"], "bob");
    assert_eq!(extended["details"]["previous_expires_at"], end);
    assert_eq!(extended["details"]["expires_at"], after["expires_at"]);
    let (_, verify) = app.get("/v1/audit/verify", &root).await;
    assert_eq!(verify["ok"], true, "{verify}");

    // Counted.
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("wicket_grant_extensions_total{outcome=\"requested\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("wicket_grant_extensions_total{outcome=\"extended\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_empty_extend_steps_extends_at_once_up_to_max_extended() {
    let app = spawn_with(&config()).await;
    let erin = app.token("erin").await;
    let gid = &auto_grant(&app, &erin, "1h").await;
    let path = extend_path(gid);
    let extend = |by: &str| app.post(&path, &erin, json!({"by": by}));
    // Each accepted extension is approved at once.
    let approved = |(s, ext): (StatusCode, Value)| {
        assert_eq!(
            (s, ext["state"].as_str()),
            (StatusCode::CREATED, Some("approved")),
            "{ext}"
        );
    };
    approved(extend("20m").await);
    // 1h + 20m used of 90m: 11 more minutes is over the limit, and the message says so.
    let over = extend("11m").await;
    assert_error(&over, 422, "extension_exceeds_max");
    let message = over.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`1h30m` (max_extended)") && message.contains("at most `10m` more"),
        "{message}"
    );
    approved(extend("10m").await);
    let (_, g) = app.get(&format!("/v1/grants/{gid}"), &erin).await;
    let window = wicket_core::time::parse(g["expires_at"].as_str().unwrap()).unwrap()
        - wicket_core::time::parse(g["starts_at"].as_str().unwrap()).unwrap();
    assert_eq!(window.num_minutes(), 90, "{g}");
}

#[tokio::test]
async fn hostile_extensions_get_a_clear_4xx_and_change_nothing() {
    let app = spawn_with(&config()).await;
    let [alice, bob, carol, dave, root] =
        app.tokens(["alice", "bob", "carol", "dave", "root"]).await;
    let grant = granted(&app, &alice, &bob, &carol).await;
    let gid = grant["id"].as_str().unwrap();
    let path = extend_path(gid);
    let before = app.events(&root).await.len();

    // Each extension refused: who asks, of which grant, what it gets and what the message
    // must name.
    #[rustfmt::skip]
    let refused = [
        // Someone else's grant, even with every power.
        (&dave, &*path, json!({"by": "1h", "reason": "mine now"}), 403, "not_the_holder", ""),
        (&root, &path, json!({"by": "1h", "reason": "mine now"}), 403, "not_the_holder", ""),
        // Over `max_extended` (1h used, 3h allowed).
        (&alice, &path, json!({"by": "2h1m", "reason": "x"}), 422, "extension_exceeds_max", "max_extended"),
        // Malformed.
        (&alice, &path, json!({"by": "forever", "reason": "x"}), 400, "invalid_duration", ""),
        (&alice, &path, json!({"reason": "x"}), 400, "missing_by", ""),
        (&alice, &path, json!({"by": "1h", "until": "never"}), 400, "invalid_body", ""),
        (&alice, &path, json!({"by": "1h"}), 422, "reason_required", ""),
        (&alice, "/v1/grants/gr_nope/extend", json!({"by": "1h", "reason": "x"}), 404, "unknown_grant", ""),
    ];
    for (token, path, body, status, code, names) in refused {
        let r = app.post(path, token, body).await;
        assert_error(&r, status, code);
        let message = r.1["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{message}");
    }
    assert_eq!(
        app.events(&root).await.len(),
        before,
        "a refusal writes nothing"
    );

    // Revoked: refused, and the grant stays revoked with its end.
    let (s, revoked) = app
        .post(&format!("/v1/grants/{gid}/revoke"), &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{revoked}");
    let r = app
        .post(&path, &alice, json!({"by": "1h", "reason": "x"}))
        .await;
    assert_error(&r, 409, "grant_revoked");
    let (_, g) = app.get(&format!("/v1/grants/{gid}"), &alice).await;
    assert_eq!(
        (g["status"].clone(), g["expires_at"].clone()),
        ("revoked".into(), revoked["expires_at"].clone())
    );

    // Expired: a grant whose end has passed.
    let erin = app.token("erin").await;
    let short = auto_grant(&app, &erin, "1s").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, g) = app.get(&format!("/v1/grants/{short}"), &erin).await;
        if g["status"] == "expired" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "grant never expired: {g}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = app
        .post(&extend_path(&short), &erin, json!({"by": "10m"}))
        .await;
    assert_error(&r, 409, "grant_expired");
    assert!(
        r.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("request the role again")
    );
}

#[tokio::test]
async fn an_extension_approved_after_its_grant_was_revoked_is_refused() {
    let app = spawn_with(&config()).await;
    let [alice, bob, carol] = app.tokens(["alice", "bob", "carol"]).await;
    let grant = granted(&app, &alice, &bob, &carol).await;
    let gid = grant["id"].as_str().unwrap();
    let body = json!({"by": "1h", "reason": "x"});
    let (_, ext) = app.post(&extend_path(gid), &alice, body).await;
    let rid = ext["id"].as_str().unwrap();
    app.post(&format!("/v1/grants/{gid}/revoke"), &alice, json!({}))
        .await;
    let r = app.act(rid, "approve", &bob).await;
    assert_error(&r, 409, "grant_revoked");
    let (_, still) = app.get(&format!("/v1/requests/{rid}"), &alice).await;
    assert_eq!(still["state"], "pending", "{still}");
}
