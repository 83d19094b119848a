//! A replica killed with `SIGKILL` in the middle of a stream of requests: the other keeps
//! serving, and everything the client saw acknowledged is there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::call::call;
use crate::harness::{eventually, pair};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_replica_mid_stream_loses_nothing_acknowledged() {
    let Some(p) = pair().await else { return };
    let p = Arc::new(p);
    let (alice, root) = (p.token("alice").await, p.token("root").await);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let a_dead = Arc::new(AtomicBool::new(false));
    // Four clients behind a load balancer: round-robin over the replicas, and a request the
    // dead replica could not answer goes to the other one.
    let mut clients = Vec::new();
    for c in 0..4 {
        let (p, alice, acknowledged, a_dead) = (
            p.clone(),
            alice.clone(),
            acknowledged.clone(),
            a_dead.clone(),
        );
        clients.push(tokio::spawn(async move {
            let body = json!({"roles": ["logs-read"], "duration": "30s"});
            let mut retried = 0;
            for i in 0..40 {
                let replica = if (i + c) % 2 == 0 && !a_dead.load(Ordering::SeqCst) {
                    &p.a
                } else {
                    &p.b
                };
                // A transport error (the replica is gone) is retried on `b`, not a failure.
                let (addr, request) = (&replica.addr, Some(body.clone()));
                let sent = call(
                    &p.client,
                    addr,
                    Method::POST,
                    "/v1/requests",
                    &alice,
                    request,
                );
                let answer = match sent.await {
                    Ok(answer) => answer,
                    Err(_) => {
                        retried += 1;
                        p.call(
                            &p.b,
                            Method::POST,
                            "/v1/requests",
                            &alice,
                            Some(body.clone()),
                        )
                        .await
                    }
                };
                assert_eq!(answer.0, StatusCode::CREATED, "{}", answer.1);
                acknowledged
                    .lock()
                    .unwrap()
                    .push(answer.1["id"].as_str().unwrap().to_string());
            }
            retried
        }));
    }
    eventually(
        "a third of the stream is acknowledged",
        Duration::from_secs(60),
        || async { acknowledged.lock().unwrap().len() >= 50 },
    )
    .await;
    p.a.kill();
    a_dead.store(true, Ordering::SeqCst);
    let killed_after = acknowledged.lock().unwrap().len();
    let mut retried = 0;
    for client in clients {
        retried += client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), 160);
    assert!(killed_after < 160, "the stream ended before the kill");
    eprintln!("killed a after {killed_after} acknowledged; {retried} requests retried on b");

    // B kept serving, and has every acknowledged request and its grant.
    for id in &acknowledged {
        let (s, r) = p.get(&p.b, &format!("/v1/requests/{id}"), &root).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "acknowledged request {id} is missing: {r}"
        );
        assert_eq!(
            (r["state"].as_str(), r["grants"].as_array().map(Vec::len)),
            (Some("approved"), Some(1)),
            "{r}"
        );
    }
    let (_, v) = p.get(&p.b, "/v1/audit/verify", &root).await;
    assert_eq!(v["ok"], true, "{v}");
}
