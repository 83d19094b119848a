//! API tests that need PostgreSQL itself: several servers on one database (one SQLite file
//! serves one server, so these have no SQLite twin).

use std::time::{Duration, Instant};

use crate::api::anomalies::{RULES, live_grant, wait_for};
use crate::helpers::{CONFIG, spawn_with};

/// The `wicket_anomalies_total` of the denial rule that the server at `addr` has read from
/// the log.
async fn anomalies_read(client: &reqwest::Client, addr: &str) -> u64 {
    let text = client
        .get(format!("{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("wicket_anomalies_total{rule=\"denied-burst\""))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn two_servers_on_one_database_record_one_anomaly_per_burst() {
    let app = spawn_with(&format!("{CONFIG}\n{RULES}")).await;
    assert!(app.db.starts_with("postgres"), "{}", app.db);
    let config = wicket_core::Config::parse("wicket.toml", &format!("{CONFIG}\n{RULES}")).unwrap();
    let second = wicket_server::spawn(config, Some(&app.db), "127.0.0.1:0")
        .await
        .unwrap();
    let second_addr = format!("http://{}", second.addr);
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
    // A monitor acts on each event before it reads the next, and the `anomaly.flagged` event
    // comes after the denial that completed the burst: once each server has read one, each
    // has judged the burst and tried to record it. Had both ids differed, both would stand.
    let deadline = Instant::now() + Duration::from_secs(30);
    for addr in [&app.addr, &second_addr] {
        while anomalies_read(&app.client, addr).await == 0 {
            assert!(
                Instant::now() < deadline,
                "{addr} read no anomaly within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (_, listed) = app.get("/v1/anomalies", &root).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let events = app.events(&root).await;
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(count("anomaly.flagged"), 1);
    assert_eq!(count("grant.revoked"), 1);
    for addr in [&app.addr, &second_addr] {
        assert_eq!(anomalies_read(&app.client, addr).await, 1, "{addr}");
    }
    second.shutdown().await.unwrap();
}
