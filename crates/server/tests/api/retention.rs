//! Streamed export with time filters, retention into an archive file that verifies on its
//! own, the chain verifying from the anchor afterwards, and tampering caught on both sides.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use wicket_engine::app::now;
use wicket_engine::retention;

use crate::helpers::*;

async fn jsonl(app: &TestApp, query: &str, token: &str) -> Vec<Value> {
    let resp = app
        .client
        .get(format!("{}/v1/audit?format=jsonl{query}", app.addr))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    resp.text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn jsonl_export_filters_by_time_and_kind() {
    let app = spawn_app().await;
    let [alice, root] = app.tokens(["alice", "root"]).await;
    for _ in 0..3 {
        app.post("/v1/requests", &alice, prod_read()).await;
    }
    let all = jsonl(&app, "", &root).await;
    assert_eq!(all, app.events(&root).await);
    let created = jsonl(&app, "&kind=request.*", &root).await;
    assert_eq!(created.len(), 3);
    assert_eq!(jsonl(&app, "&since=1h", &root).await.len(), all.len());
    assert!(jsonl(&app, "&until=1h", &root).await.is_empty());
    let future = wicket_core::time::format(now() + chrono::Duration::hours(1));
    assert!(
        jsonl(&app, &format!("&since={future}"), &root)
            .await
            .is_empty()
    );
    // The page API takes the same time filters.
    let (_, page) = app.get("/v1/audit?until=1h", &root).await;
    assert_eq!(page["items"], json!([]));
    app.assert_refused_gets(&[
        ("/v1/audit?since=yesterday", &root, 400, "invalid_query"),
        ("/v1/audit?format=xml", &root, 400, "invalid_query"),
        ("/v1/audit?format=jsonl", &alice, 403, "missing_power"),
    ])
    .await;
}

#[tokio::test]
async fn retention_archives_old_events_and_the_rest_verifies_from_the_anchor() {
    let app = spawn_with(&format!("{CONFIG}\n[audit]\nretain = \"400d\"\n")).await;
    let [alice, root] = app.tokens(["alice", "root"]).await;
    for _ in 0..5 {
        app.post("/v1/requests", &alice, prod_read()).await;
    }
    let running = app.running.as_ref().unwrap();
    let dir = app.dir.path().join("archive");
    let before = app.events(&root).await;
    let head = before.last().unwrap()["seq"].as_i64().unwrap();

    // Nothing is older than 400 days yet.
    let at = now();
    let horizon = at - chrono::Duration::days(400);
    assert!(
        retention::archive(&running.app, &dir, horizon, at)
            .await
            .unwrap()
            .is_none()
    );
    // With the horizon a minute ahead, everything but the head moves out.
    let later = at + chrono::Duration::minutes(1);
    let first = retention::archive(&running.app, &dir, later, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.header.from_seq, 1);
    assert_eq!(first.header.through_seq, head - 1);
    assert_eq!(first.header.events as i64, head - 1);
    assert_eq!(first.header.prev_hash, wicket_core::audit::GENESIS);
    assert_eq!(
        first.header.through_hash,
        before[(head - 2) as usize]["hash"].as_str().unwrap()
    );
    let report = retention::verify(std::fs::File::open(&first.path).unwrap()).unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, first.header.events);

    // The database keeps the head and the `audit.archived` record, and verifies from the anchor.
    let left = app.events(&root).await;
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(left[0]["seq"], head);
    assert_eq!(left[1]["kind"], "audit.archived");
    assert_eq!(left[1]["details"]["through_seq"], head - 1);
    let (_, v) = app.get("/v1/audit/verify", &root).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["anchor"]["seq"], head - 1);
    assert_eq!(v["events"], 2);

    // More events, a second archive: it starts where the first one ended.
    app.post("/v1/requests", &alice, prod_read()).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let later = now() + chrono::Duration::minutes(1);
    let second = retention::archive(&running.app, &dir, later, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.header.from_seq, head);
    assert_eq!(second.header.prev_hash, first.header.through_hash);
    assert!(
        retention::verify(std::fs::File::open(&second.path).unwrap())
            .unwrap()
            .ok
    );
    let (_, v) = app.get("/v1/audit/verify", &root).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["anchor"]["seq"], second.header.through_seq);

    // A changed line in an archive is caught at its seq.
    let text = std::fs::read_to_string(&first.path).unwrap();
    let tampered = text.replacen("\"actor\":\"alice\"", "\"actor\":\"mallory\"", 1);
    assert_ne!(text, tampered);
    let report = retention::verify(tampered.as_bytes()).unwrap();
    assert!(!report.ok);
    let bad = report.first_bad.unwrap();
    assert!(bad.1.contains("hash"), "{bad:?}");
    // So is a dropped line.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(3);
    let report = retention::verify(lines.join("\n").as_bytes()).unwrap();
    assert!(!report.ok);
    // A changed row in the database after the anchor is caught too.
    let changed = app
        .execute_sql(&format!(
            "UPDATE audit_events SET actor = 'mallory' WHERE seq = {}",
            second.header.through_seq + 1
        ))
        .await;
    assert_eq!(changed, 1);
    let (_, v) = app.get("/v1/audit/verify", &root).await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_bad"]["seq"], second.header.through_seq + 1);
}

#[tokio::test]
async fn the_usage_report_compares_exercised_and_granted_permissions() {
    let app = spawn_app().await;
    let [alice, bob, carol, root] = app.tokens(["alice", "bob", "carol", "root"]).await;
    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap();
    app.act(id, "approve", &bob).await;
    app.act(id, "approve", &carol).await;
    for table in ["a", "b", "a"] {
        let v = app
            .check(
                &alice,
                "db:select",
                &format!("postgres/prod/orders/{table}"),
            )
            .await;
        assert_eq!(v["allowed"], true, "{v}");
    }
    // A grant never used.
    app.create(&alice, json!({"roles": ["cache-flush"], "duration": "30s"}))
        .await;
    // Checks are recorded by group commit; wait until they are in the log.
    for _ in 0..100 {
        let (_, v) = app.get("/v1/audit?kind=check.allowed", &root).await;
        if v["items"].as_array().unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (s, r) = app.get("/v1/reports/usage?since=1d", &root).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let role = |name: &str| -> Value {
        r["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["role"] == name)
            .cloned()
            .unwrap()
    };
    let read = role("orders-db-read");
    assert_eq!(read["grants"], 1);
    assert_eq!(read["used_grants"], 1);
    assert_eq!(read["uses"], 3);
    assert_eq!(
        read["permissions"],
        json!([
            {"action": "db:connect", "resource": "postgres/prod/orders/**", "uses": 0},
            {"action": "db:select", "resource": "postgres/prod/orders/**", "uses": 3},
        ])
    );
    assert_eq!(read["unused_permissions"], 1);
    assert_eq!(
        read["exercised"][0],
        json!({"action": "db:select", "resource": "postgres/prod/orders/a", "uses": 2})
    );
    assert_eq!(role("cache-flush")["grants"], 1);
    assert_eq!(role("cache-flush")["uses"], 0);
    assert_eq!(r["never_used"], json!(["cache-flush"]));
    assert_eq!(role("logs-read")["grants"], 0);

    app.assert_refused_gets(&[
        ("/v1/reports/usage", &alice, 403, "missing_power"),
        ("/v1/reports/usage?since=soon", &root, 400, "invalid_query"),
    ])
    .await;
}
