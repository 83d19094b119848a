//! The hostile HTTP corpus: malformed and mistyped bodies, nesting and sizes beyond reason,
//! absurd durations, bad patterns, bad query strings, ids that are not ids, bad headers.
//! Each gets a 4xx with the JSON error shape and a message, within a generous bound; nothing
//! panics, nothing is 5xx, and the server serves on. A ticket pattern built to backtrack
//! catastrophically is matched in linear time.

mod cases;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn every_hostile_request_gets_a_clear_4xx() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let root = app.token("root").await;
    let r = app.create(&alice, prod_read()).await;
    let corpus = cases::corpus(r["id"].as_str().unwrap());
    let mut wrong = Vec::new();
    let client = reqwest::Client::builder()
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for case in &corpus {
        let mut req = client.request(
            Method::from_bytes(case.method.as_bytes()).unwrap(),
            format!("{}{}", app.addr, case.path),
        );
        if case.root {
            req = req.bearer_auth(&root);
        } else if case.token {
            req = req.bearer_auth(&alice);
        }
        for (name, value) in &case.headers {
            req = req.header(
                *name,
                reqwest::header::HeaderValue::from_bytes(value).unwrap(),
            );
        }
        if let Some(b) = &case.body {
            req = req.body(b.clone());
        }
        let started = Instant::now();
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                wrong.push(format!("{}: no answer: {e}", case.label));
                continue;
            }
        };
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.unwrap_or_default();
        if let Err(e) = crate::conform::check(
            case.method,
            &case.path,
            status,
            content_type.as_deref(),
            &text,
        ) {
            wrong.push(format!("{}: {e}", case.label));
        }
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let took = started.elapsed();
        let code = v["error"]["code"].as_str().unwrap_or_default();
        let message = v["error"]["message"].as_str().unwrap_or_default();
        if status != case.status
            || code.is_empty()
            || message.is_empty()
            || (!case.code.is_empty() && code != case.code)
        {
            let shown: String = v.to_string().chars().take(300).collect();
            wrong.push(format!(
                "{}: expected {} `{}`, got {status} {shown}",
                case.label, case.status, case.code
            ));
        }
        assert!(
            took < Duration::from_secs(5),
            "{} took {took:?}",
            case.label
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        corpus.len(),
        wrong.join("\n")
    );
    // Still serving, and the audit chain is whole.
    let (s, v) = app.get("/v1/audit/verify", &root).await;
    assert_eq!((s, &v["ok"]), (StatusCode::OK, &json!(true)), "{v}");
    eprintln!(
        "hostile HTTP corpus: {} cases, each a clear 4xx",
        corpus.len()
    );
}

#[tokio::test]
async fn a_catastrophic_ticket_pattern_is_matched_in_linear_time() {
    let config = CONFIG.replace(
        "ticket_pattern = \"(INC|CHG)-[0-9]+\"",
        "ticket_pattern = \"(a+)+$\"",
    );
    assert_ne!(config, CONFIG);
    let app = spawn_with(&config).await;
    let alice = app.token("alice").await;
    // 255 `a`s and a `!`: 2^255 ways to fail for a backtracking engine.
    let ticket = format!("{}!", "a".repeat(255));
    let started = Instant::now();
    let r = app
        .post(
            "/v1/requests",
            &alice,
            json!({"roles": ["orders-db-read"], "reason": "r", "ticket": ticket}),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_error(&r, 422, "ticket_invalid");
    let ticket = "a".repeat(255);
    app.create(
        &alice,
        json!({"roles": ["orders-db-read"], "reason": "r", "ticket": ticket}),
    )
    .await;
}
