//! Webhook notifications against a local receiver: payload, signature, Slack format, retry
//! after a 500, a permanent failure recorded, and a dead sink that does not slow checks.

use std::time::{Duration, Instant};

use serde_json::json;
use wicket_engine::notify::signature;

use super::receiver::{Receiver, black_hole};
use crate::helpers::*;

const SECRET: &str = "hook-secret-4f9a1c";

fn sinks(base: &str) -> String {
    format!(
        r#"
[notify]
expiring_lead = "1h"

[[notify.webhook]]
name = "ops"
url = "{base}/ops"
events = ["request.*", "grant.*"]
secret = "{SECRET}"

[[notify.webhook]]
name = "chat"
url = "{base}/chat"
events = ["request.created"]
format = "slack"

[[notify.webhook]]
name = "gone"
url = "{base}/gone"
events = ["request.approved"]
subjects = ["user:alice"]

[[notify.webhook]]
name = "audit-desk"
url = "{base}/desk"
events = ["notify.failed"]
"#
    )
}

#[tokio::test]
async fn webhooks_carry_signed_payloads_slack_text_and_retry_after_a_500() {
    // `/ops` fails its first delivery with a 500; `/gone` refuses for good with a 410.
    let rx = Receiver::start(&[("/ops", &[500]), ("/gone", &[410])]).await;
    let app = spawn_with(&format!("{CONFIG}{}", sinks(&rx.base))).await;
    let [alice, bob, carol, root] = app.tokens(["alice", "bob", "carol", "root"]).await;
    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap().to_string();

    // The JSON sink: the request for the approvers of the first step, signed.
    let created = rx
        .wait_for("/ops", |r| {
            r.json()["kind"] == "request.created" && r.json()["request_id"] == id.as_str()
        })
        .await;
    let body = created.json();
    let mut recipients: Vec<&str> = body["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    recipients.sort();
    assert_eq!(recipients, ["bea", "bob", "lead"], "{body}");
    assert_eq!(body["subject"], "user:alice");
    assert_eq!(body["details"]["policy"], "sre-production");
    assert!(body["summary"].as_str().unwrap().contains("orders-db-read"));
    assert!(body["event"]["seq"].as_i64().unwrap() > 0);
    assert_eq!(
        created.header("x-wicket-signature").unwrap(),
        signature(SECRET.as_bytes(), &created.body)
    );
    assert_ne!(
        created.header("x-wicket-signature").unwrap(),
        signature(b"another secret", &created.body)
    );
    assert_eq!(created.header("x-wicket-event").unwrap(), "request.created");
    // The first attempt got a 500: the same delivery came again, byte for byte.
    let delivery = created.header("x-wicket-delivery");
    let tries = || -> Vec<_> {
        rx.got("/ops")
            .into_iter()
            .filter(|r| r.header("x-wicket-delivery") == delivery)
            .collect()
    };
    // The retry follows a 500 ms backoff: up to 30 s on a loaded machine.
    for _ in 0..600 {
        if tries().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tries = tries();
    assert_eq!(tries.len(), 2, "one 500, then delivered");
    assert_eq!(tries[0].body, tries[1].body);

    // The Slack sink: `{"text": ...}`, unsigned.
    let slack = rx.wait_for("/chat", |_| true).await;
    let text = slack.json();
    assert_eq!(text.as_object().unwrap().len(), 1, "{text}");
    let text = text["text"].as_str().unwrap();
    assert!(
        text.contains("request.created") && text.contains("alice requests orders-db-read"),
        "{text}"
    );
    assert!(slack.header("x-wicket-signature").is_none());

    // The decision goes to the requester.
    app.act(&id, "approve", &bob).await;
    app.act(&id, "approve", &carol).await;
    let approved = rx
        .wait_for("/ops", |r| r.json()["kind"] == "request.approved")
        .await;
    assert_eq!(approved.json()["recipients"], json!(["alice"]));
    assert_eq!(approved.json()["request_id"], id.as_str());

    // `/gone` answered 410: given up at once, recorded once, and told to the desk.
    rx.wait_for("/gone", |_| true).await;
    let failed = rx
        .wait_for("/desk", |r| r.json()["kind"] == "notify.failed")
        .await;
    assert_eq!(failed.json()["details"]["sink"], "gone");
    assert_eq!(rx.got("/gone").len(), 1, "a 410 is not retried");
    let events = app.events(&root).await;
    let recorded: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "notify.failed")
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["details"]["notification"], "request.approved");
    assert_eq!(recorded[0]["details"]["attempts"], 1);
    assert!(
        recorded[0]["details"]["error"]
            .as_str()
            .unwrap()
            .contains("410")
    );
    // Deliveries and failed attempts are counted per sink, by name only. A delivery is
    // counted once its 200 is read, after the receiver has it: wait for the second.
    let delivered = "wicket_webhook_deliveries_total{sink=\"ops\",outcome=\"delivered\"}";
    let started = std::time::Instant::now();
    while app.metric(delivered).await.is_none_or(|n| n < 2) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "after 30 s, fewer than 2 deliveries to `ops` counted: {:?}",
            app.metric(delivered).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = app.metrics_text().await;
    let value = |metrics: &str, series: &str| -> Option<u64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    };
    let count = |series: &str| -> u64 {
        value(&metrics, series).unwrap_or_else(|| panic!("no `{series}` in {metrics}"))
    };
    assert!(count("wicket_webhook_deliveries_total{sink=\"ops\",outcome=\"failed\"}") >= 1);
    assert_eq!(
        count("wicket_webhook_deliveries_total{sink=\"gone\",outcome=\"failed\"}"),
        1
    );
    assert!(!metrics.contains(SECRET) && !metrics.contains(&rx.base));
    // The secret is in no event and no error.
    assert!(!serde_json::to_string(&events).unwrap().contains(SECRET));
    assert!(!serde_json::to_string(&events).unwrap().contains(&rx.base));

    // A short grant: "expiring soon" once, then "expired", to its holder. Ten seconds hold
    // several of the dispatcher's two-second rounds even when a loaded machine delays some.
    let short = app
        .create(&alice, json!({"roles": ["logs-read"], "duration": "10s"}))
        .await;
    let grant = short["grants"][0]["id"].as_str().unwrap().to_string();
    let expiring = rx
        .wait_for("/ops", |r| {
            r.json()["kind"] == "grant.expiring" && r.json()["grant_id"] == grant.as_str()
        })
        .await;
    assert_eq!(expiring.json()["recipients"], json!(["alice"]));
    assert_eq!(expiring.json()["details"]["role"], "logs-read");
    rx.wait_for("/ops", |r| {
        r.json()["kind"] == "grant.expired" && r.json()["grant_id"] == grant.as_str()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let announced = rx
        .got("/ops")
        .iter()
        .filter(|r| r.json()["kind"] == "grant.expiring" && r.json()["grant_id"] == grant.as_str())
        .count();
    assert_eq!(announced, 1, "expiring soon is sent once per grant");
}

#[tokio::test]
async fn a_sink_that_never_answers_does_not_slow_checks() {
    let dead = black_hole().await;
    let config = format!(
        "{CONFIG}\n[[notify.webhook]]\nname = \"dead\"\nurl = \"{dead}/hook\"\nevents = [\"*\"]\n"
    );
    let app = spawn_with(&config).await;
    let [alice, erin] = app.tokens(["alice", "erin"]).await;
    // Notifications pile up for the dead sink while checks run.
    for _ in 0..20 {
        app.create(&alice, prod_read()).await;
    }
    // Were a check to wait on the sink, it would wait out the webhook timeout: 200 of them
    // could not finish in a minute. (Their latency is measured in BENCHMARKS.md, not here.)
    let checks = async {
        let mut latencies = Vec::new();
        for i in 0..200 {
            if i % 10 == 0 {
                app.post("/v1/requests", &alice, prod_read()).await;
            }
            let start = Instant::now();
            let v = app
                .check(&erin, "db:select", "postgres/prod/orders/t")
                .await;
            latencies.push(start.elapsed());
            assert_eq!(v["allowed"], false);
        }
        latencies
    };
    let mut latencies = tokio::time::timeout(Duration::from_secs(60), checks)
        .await
        .expect("checks finish while the sink never answers");
    latencies.sort();
    eprintln!(
        "checks beside a dead sink: p99 {:?}",
        latencies[latencies.len() * 99 / 100]
    );
}
