//! Twenty approvals of one request at once, spread over both replicas: one wins.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::grants::of_grants;
use crate::harness::{Pair, pair};

/// erin's request `body`, filed on replica `a`: its id, root's token, and the tokens of the
/// ten approvers `a1` to `a10`.
async fn filed(p: &Pair, body: Value) -> (String, String, Vec<String>) {
    let (erin, root) = (p.token("erin").await, p.token("root").await);
    let mut approvers = Vec::new();
    for n in 1..=10 {
        approvers.push(p.token(&format!("a{n}")).await);
    }
    let req = p.create(&p.a, &erin, body).await;
    (req["id"].as_str().unwrap().to_string(), root, approvers)
}

/// Every approval of `id` in `who` (an approver's token, and whether it goes to replica `b`)
/// sent at once, past one barrier; the answers, in the order of `who`.
async fn race(p: &Arc<Pair>, id: &str, who: Vec<(String, bool)>) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(who.len()));
    let mut calls = Vec::new();
    for (token, on_b) in who {
        let (p, barrier, id) = (p.clone(), barrier.clone(), id.to_string());
        calls.push(tokio::spawn(async move {
            barrier.wait().await;
            let replica = if on_b { &p.b } else { &p.a };
            p.act(replica, &id, "approve", &token).await
        }));
    }
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_approvals_over_two_replicas_make_one_approval() {
    let Some(p) = pair().await else { return };
    // `crowd`: one step, one approval out of ten approvers; two roles, so two grants.
    let (id, root, approvers) = filed(
        &p,
        json!({"roles": ["orders-db-read", "logs-read"], "policy": "crowd"}),
    )
    .await;

    let p = Arc::new(p);
    let mut who = Vec::new();
    for (n, token) in approvers.iter().enumerate() {
        for on_b in [false, true] {
            who.push((token.clone(), (n % 2 == 0) == on_b));
        }
    }
    let mut statuses = Vec::new();
    // `post` fails the test on any 5xx.
    for (status, body) in race(&p, &id, who).await {
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
        let mut roles = of_grants(&r, "role");
        roles.sort();
        assert_eq!(roles, ["logs-read", "orders-db-read"]);
    }
    let events = p.events(&p.a, &root, &format!("request_id={id}")).await;
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!((count("request.approved"), count("review.added")), (1, 1));
}

/// Ten approvers at once, half on each replica, on `quorum` (3 approvals, then 2 more): a
/// review that lost the race on either replica is retried on the new state, so exactly five
/// count and the other five are told the request is decided.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_approvals_over_two_replicas_fill_a_two_step_quorum() {
    let Some(p) = pair().await else { return };
    let (id, root, approvers) =
        filed(&p, json!({"roles": ["logs-read"], "policy": "quorum"})).await;

    let p = Arc::new(p);
    let who = approvers.into_iter().enumerate();
    let who = who.map(|(n, token)| (token, n % 2 != 0)).collect();
    let mut approved = 0;
    for (status, body) in race(&p, &id, who).await {
        if status == StatusCode::OK {
            approved += 1;
            continue;
        }
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "request_decided", "{body}");
        assert_eq!(
            body["error"]["message"],
            format!("request `{id}` is already approved"),
            "{body}"
        );
    }
    assert_eq!(approved, 5);

    for replica in [&p.a, &p.b] {
        let (_, r) = p.get(replica, &format!("/v1/requests/{id}"), &root).await;
        assert_eq!(r["state"], "approved", "{r}");
        let mut steps: Vec<u64> = r["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["step"].as_u64().unwrap())
            .collect();
        steps.sort();
        assert_eq!(steps, [1, 1, 1, 2, 2], "{r}");
    }
    let events = p.events(&p.a, &root, &format!("request_id={id}")).await;
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(
        (
            count("review.added"),
            count("request.approved"),
            count("grant.activated")
        ),
        (5, 1, 1)
    );
}
