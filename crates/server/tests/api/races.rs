//! Reviews that race: a review computed on a request that another reviewer changed meanwhile
//! is retried on the new state, so every approval the policy needs is counted, the step moves
//! on, and the reviewers who came too late are told why (`request_decided`,
//! `already_reviewed`), never a bare store conflict.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::helpers::{TestApp, spawn_app};

/// Posts `/approve` on request `id` once per token, all released at once by a barrier; the
/// answers in token order.
pub async fn approve_at_once(app: &TestApp, id: &str, tokens: &[String]) -> Vec<(u16, Value)> {
    let barrier = Arc::new(Barrier::new(tokens.len()));
    let mut tasks = Vec::new();
    for token in tokens {
        let (client, url, token, barrier) = (
            app.client.clone(),
            format!("{}/v1/requests/{id}/approve", app.addr),
            token.clone(),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let resp = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

/// Asserts that every answer is a 200 or a 409 whose code is `conflict_code` and whose message
/// names the request; returns how many were 200.
pub fn count_approvals(answers: &[(u16, Value)], id: &str, conflict_code: &str) -> usize {
    for (status, body) in answers {
        match status {
            200 => assert_eq!(body["id"], id, "{body}"),
            409 => {
                assert_eq!(body["error"]["code"], conflict_code, "{answers:?}");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(message.contains(id), "{message}");
            }
            _ => panic!("approve answered {status}: {body}"),
        }
    }
    answers.iter().filter(|(s, _)| *s == 200).count()
}

async fn quorum_request(app: &TestApp) -> String {
    let erin = app.token("erin").await;
    let req = app
        .create(&erin, json!({"roles": ["logs-read"], "policy": "quorum"}))
        .await;
    req["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_racing_approvals_fill_both_steps_of_a_quorum_and_the_rest_are_told_it_is_decided() {
    let app = spawn_app().await;
    let id = quorum_request(&app).await;
    let mut tokens = Vec::new();
    for n in 1..=10 {
        tokens.push(app.token(&format!("a{n}")).await);
    }

    // `quorum` needs 3 approvals, then 2 more from other people: exactly 5 of the 10 count.
    let answers = approve_at_once(&app, &id, &tokens).await;
    assert_eq!(count_approvals(&answers, &id, "request_decided"), 5);
    for (_, body) in answers.iter().filter(|(s, _)| *s == 409) {
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.ends_with("is already approved"), "{message}");
    }

    let root = app.token("root").await;
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &root).await;
    assert_eq!(r["state"], "approved", "{r}");
    let reviews = r["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 5, "{r}");
    let steps: Vec<u64> = reviews
        .iter()
        .map(|v| v["step"].as_u64().unwrap())
        .collect();
    let mut sorted = steps.clone();
    sorted.sort();
    assert_eq!(sorted, [1, 1, 1, 2, 2], "{r}");
    assert_eq!(r["grants"].as_array().unwrap().len(), 1, "{r}");

    let kinds = app.kinds(&root, &id).await;
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!(count("review.added"), 5, "{kinds:?}");
    assert_eq!(count("request.approved"), 1, "{kinds:?}");
    assert_eq!(count("grant.activated"), 1, "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_approver_approving_twice_at_once_counts_once_and_hears_already_reviewed() {
    let app = spawn_app().await;
    let id = quorum_request(&app).await;
    let a1 = app.token("a1").await;

    let answers = approve_at_once(&app, &id, &[a1.clone(), a1.clone(), a1]).await;
    assert_eq!(count_approvals(&answers, &id, "already_reviewed"), 1);

    let root = app.token("root").await;
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &root).await;
    assert_eq!(r["state"], "pending", "{r}");
    assert_eq!(r["step"], 1, "{r}");
    let reviews = r["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "{r}");
    assert_eq!(reviews[0]["reviewer"], "a1", "{r}");
}
