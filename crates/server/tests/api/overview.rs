//! The overview report: what approvers and auditors see of requests, decisions, grants and
//! anomalies, counted from the audit log of a real server.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// Today's entry of the overview's days.
fn today(report: &Value) -> &Value {
    report["days"].as_array().unwrap().last().unwrap()
}

#[tokio::test]
async fn the_overview_counts_requests_decisions_roles_and_live_grants() {
    let app = spawn_app().await;
    let [alice, erin, bob, carol, root] =
        app.tokens(["alice", "erin", "bob", "carol", "root"]).await;
    let (s, before) = app.get("/v1/reports/overview?days=7", &root).await;
    assert_eq!(s, StatusCode::OK, "{before}");
    assert_eq!(before["days"].as_array().unwrap().len(), 7);
    assert_eq!(today(&before)["requests"], 0);
    assert_eq!(before["decisions"]["decided"], 0);
    assert_eq!(before["decisions"]["median_seconds"], Value::Null);

    // Two orders-db-read requests through both steps (one approved, one denied at step 2),
    // and one crowd request left pending.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = app.create(&alice, prod_read()).await;
        let id = r["id"].as_str().unwrap().to_string();
        let (s, r) = app.act(&id, "approve", &bob).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        ids.push(id);
    }
    let r = app.act(&ids[0], "approve", &carol).await;
    assert_state(&r, "approved");
    let r = app
        .post(
            &format!("/v1/requests/{}/deny", ids[1]),
            &carol,
            json!({"comment": "no"}),
        )
        .await;
    assert_state(&r, "denied");
    app.create(&erin, json!({"roles": ["logs-read"], "policy": "crowd"}))
        .await;

    let (s, report) = app.get("/v1/reports/overview", &root).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(
        report["days"].as_array().unwrap().len(),
        30,
        "the default window"
    );
    assert_eq!(today(&report)["requests"], 3, "{report}");
    assert_eq!(today(&report)["live_grants"], 1, "{report}");
    assert_eq!(report["live_now"], 1, "{report}");
    let d = &report["decisions"];
    assert_eq!(
        (
            d["decided"].as_u64(),
            d["approved"].as_u64(),
            d["denied"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{report}"
    );
    assert!(
        d["median_seconds"].is_u64() && d["p90_seconds"].is_u64(),
        "{report}"
    );
    assert_eq!(
        report["roles"]["top"],
        json!([{"name": "orders-db-read", "count": 2}, {"name": "logs-read", "count": 1}])
    );
    assert_eq!(report["anomaly_rules"], json!({"top": [], "others": 0}));
    // Earlier days saw nothing.
    let days = report["days"].as_array().unwrap();
    assert!(
        days[..days.len() - 1].iter().all(|d| d["requests"] == 0),
        "{report}"
    );

    // Revoking the grant: live now drops, today still counts it as live at some moment.
    let (_, grants) = app.get("/v1/grants?subject=user:alice", &root).await;
    let grant = grants["items"][0]["id"].as_str().unwrap();
    let (s, r) = app
        .post(
            &format!("/v1/grants/{grant}/revoke"),
            &root,
            json!({"reason": "done"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, report) = app.get("/v1/reports/overview", &root).await;
    assert_eq!(report["live_now"], 0, "{report}");
    assert_eq!(today(&report)["live_grants"], 1, "{report}");
}

#[tokio::test]
async fn approvers_and_auditors_see_the_overview_and_others_are_told_why_not() {
    let app = spawn_app().await;
    let [alice, bob] = app.tokens(["alice", "bob"]).await;
    let (s, r) = app.get("/v1/reports/overview", &bob).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "bob approves the first step of sre-production: {r}"
    );
    let refused = app.get("/v1/reports/overview", &alice).await;
    assert_error(&refused, 403, "missing_power");
    let message = refused.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("wicket:audit.read") && message.contains("approvers"),
        "{message}"
    );
    for bad in ["0", "367", "x", "-1"] {
        assert_error(
            &app.get(&format!("/v1/reports/overview?days={bad}"), &bob)
                .await,
            400,
            "invalid_query",
        );
    }
}
