//! What survives a restart, and what a changed audit row reveals.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn requests_grants_and_the_chain_survive_a_restart() {
    let mut app = spawn_app().await;
    let [alice, bob, carol, root] = app.tokens(["alice", "bob", "carol", "root"]).await;
    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap().to_string();
    app.act(&id, "approve", &bob).await;
    app.act(&id, "approve", &carol).await;
    let pending = app.create(&alice, prod_read()).await;
    let before = app.events(&root).await.len();

    app.restart().await;

    let (s, r) = app.get(&format!("/v1/requests/{id}"), &alice).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["state"], "approved");
    assert_eq!(r["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(r["grants"][0]["status"], "active");
    let (_, p) = app
        .get(
            &format!("/v1/requests/{}", pending["id"].as_str().unwrap()),
            &alice,
        )
        .await;
    assert_eq!(p["state"], "pending");
    // The index was rebuilt from the store: the grant still allows.
    assert_eq!(
        app.check(&alice, "db:select", "postgres/prod/orders/t")
            .await["allowed"],
        true
    );
    let events = app.events(&root).await;
    assert!(
        events.len() > before,
        "policy.loaded and the check were appended"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e["kind"] == "policy.loaded")
            .count(),
        2
    );
    let (_, v) = app.get("/v1/audit/verify", &root).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["events"].as_u64().unwrap() as usize, events.len());
}

#[tokio::test]
async fn a_changed_audit_row_is_named_by_its_seq() {
    let mut app = spawn_app().await;
    let [alice, root] = app.tokens(["alice", "root"]).await;
    for _ in 0..3 {
        app.post("/v1/requests", &alice, json!({"roles": ["logs-read"]}))
            .await;
    }
    app.stop().await;
    let n = app.execute_sql("UPDATE audit_events SET details = replace(details, 'logs-read', 'orders-db-write') WHERE seq = 6").await;
    assert_eq!(n, 1);
    let report = wicket_engine::admin::verify_audit(&config_path(&app.dir), Some(&app.db))
        .await
        .unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad.as_ref().map(|b| b.0), Some(6));

    app.restart().await;
    let (_, v) = app.get("/v1/audit/verify", &root).await;
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad"]["seq"], 6);
}
