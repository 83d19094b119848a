//! Twenty approvals of one request at once, spread over both replicas: one wins.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::pair;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_approvals_over_two_replicas_make_one_approval() {
    let Some(p) = pair().await else { return };
    let (erin, root) = (p.token("erin").await, p.token("root").await);
    let mut approvers = Vec::new();
    for n in 1..=10 {
        approvers.push(p.token(&format!("a{n}")).await);
    }
    // `crowd`: one step, one approval out of ten approvers; two roles, so two grants.
    let (s, req) = p
        .post(
            &p.a,
            "/v1/requests",
            &erin,
            json!({"roles": ["orders-db-read", "logs-read"], "policy": "crowd"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    let id = req["id"].as_str().unwrap().to_string();

    let p = std::sync::Arc::new(p);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut calls = Vec::new();
    for (n, token) in approvers.iter().enumerate() {
        for on_b in [false, true] {
            let (p, barrier, token, id) = (p.clone(), barrier.clone(), token.clone(), id.clone());
            calls.push(tokio::spawn(async move {
                barrier.wait().await;
                let replica = if (n % 2 == 0) == on_b { &p.b } else { &p.a };
                p.post(
                    replica,
                    &format!("/v1/requests/{id}/approve"),
                    &token,
                    json!({}),
                )
                .await
            }));
        }
    }
    let mut statuses = Vec::new();
    for call in calls {
        // `post` fails the test on any 5xx.
        let (status, body) = call.await.unwrap();
        if status != StatusCode::OK {
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );

    for replica in [&p.a, &p.b] {
        let (_, r) = p.get(replica, &format!("/v1/requests/{id}"), &root).await;
        assert_eq!(r["state"], "approved", "{r}");
        assert_eq!(r["reviews"].as_array().unwrap().len(), 1, "{r}");
        let mut roles: Vec<&str> = r["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["role"].as_str().unwrap())
            .collect();
        roles.sort();
        assert_eq!(roles, ["logs-read", "orders-db-read"]);
    }
    let events = p.events(&p.a, &root, &format!("request_id={id}")).await;
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!((count("request.approved"), count("review.added")), (1, 1));
}
