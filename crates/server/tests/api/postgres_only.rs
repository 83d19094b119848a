//! API tests that need PostgreSQL itself: several servers on one database (one SQLite file
//! serves one server, so these have no SQLite twin).

use std::time::Duration;

use crate::api::anomalies::{RULES, live_grant, wait_for};
use crate::helpers::{CONFIG, spawn_with};

#[tokio::test]
async fn two_servers_on_one_database_record_one_anomaly_per_burst() {
    let app = spawn_with(&format!("{CONFIG}\n{RULES}")).await;
    assert!(app.db.starts_with("postgres"), "{}", app.db);
    let config = wicket_core::Config::parse("wicket.toml", &format!("{CONFIG}\n{RULES}")).unwrap();
    let second = wicket_server::spawn(config, Some(&app.db), "127.0.0.1:0")
        .await
        .unwrap();
    let (alice, root) = (app.token("alice").await, app.token("root").await);
    live_grant(&app, &alice).await;
    // Both servers' monitors read every event from here on.
    for _ in 0..6 {
        app.check(&alice, "db:delete", "postgres/prod/orders/x")
            .await;
    }
    wait_for(&app, "/v1/audit?kind=grant.revoked", &root, |v| {
        !v["items"].as_array().unwrap().is_empty()
    })
    .await;
    // Give the slower monitor time to try, and lose.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, listed) = app.get("/v1/anomalies", &root).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let events = app.events(&root).await;
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(count("anomaly.flagged"), 1);
    assert_eq!(count("grant.revoked"), 1);
    second.shutdown().await.unwrap();
}
