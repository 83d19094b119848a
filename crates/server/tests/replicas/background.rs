//! Background work with two replicas sweeping the same database: each expiry recorded once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{eventually, pair};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_grants_expire_once_with_both_replicas_sweeping() {
    let Some(p) = pair().await else { return };
    let (alice, dave, root) = (
        p.token("alice").await,
        p.token("dave").await,
        p.token("root").await,
    );
    let mut grants = Vec::new();
    for (i, token) in [&alice, &dave, &alice, &dave, &alice, &dave]
        .into_iter()
        .enumerate()
    {
        let replica = if i % 2 == 0 { &p.a } else { &p.b };
        let role = if i % 3 == 0 {
            "logs-read"
        } else {
            "cache-flush"
        };
        let (s, r) = p
            .post(
                replica,
                "/v1/requests",
                token,
                json!({"roles": [role], "duration": "2s"}),
            )
            .await;
        assert_eq!(
            (s, r["state"].as_str()),
            (StatusCode::CREATED, Some("approved")),
            "{r}"
        );
        grants.push(r["grants"][0]["id"].as_str().unwrap().to_string());
    }
    // Ends after 2 s; the sweeps run every 500 ms on each replica.
    eventually(
        "every expiry is recorded",
        Duration::from_secs(60),
        || async { p.events(&p.b, &root, "kind=grant.expired").await.len() >= grants.len() },
    )
    .await;
    // Another round of sweeps on both replicas changes nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for grant in &grants {
        let events = p.events(&p.a, &root, &format!("grant_id={grant}")).await;
        let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["grant.activated", "grant.expired"], "grant {grant}");
    }
    assert_eq!(
        p.events(&p.a, &root, "kind=grant.expired").await.len(),
        grants.len()
    );
}
