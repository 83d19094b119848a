//! Webhook delivery against a local receiver: 408 and 429 are retried until accepted, a sink
//! that keeps failing is given up after four attempts and the give-up is recorded; a sink's
//! `subjects` keep out what is not addressed to them; denials, expiries and anomalies reach
//! the people they concern.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use wicket_engine::notify::MAX_ATTEMPTS;

use super::receiver::{Received, Receiver};
use crate::helpers::*;

/// Waits (up to 30 s) until `series` reads `want`.
async fn wait_metric(app: &TestApp, series: &str, want: u64) {
    for _ in 0..600 {
        if app.metric(series).await == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "`{series}` is {:?}, not {want}, after 30 s",
        app.metric(series).await
    );
}

fn deliveries(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.header("x-wicket-delivery").unwrap())
        .collect()
}

#[tokio::test]
async fn a_408_and_a_429_are_retried_and_a_failing_sink_is_given_up_after_four_attempts() {
    assert_eq!(MAX_ATTEMPTS, 4);
    // `/busy` answers 408, then 429, then takes it. `/down` fails four times; a fifth attempt
    // would be taken, so a sink that tried on would show up as delivered.
    let rx = Receiver::start(&[("/busy", &[408, 429]), ("/down", &[500, 503, 502, 500])]).await;
    let base = &rx.base;
    let app = spawn_with(&format!(
        r#"{CONFIG}
[[notify.webhook]]
name = "busy"
url = "{base}/busy"
events = ["request.created"]

[[notify.webhook]]
name = "down"
url = "{base}/down"
events = ["request.created"]

[[notify.webhook]]
name = "desk"
url = "{base}/desk"
events = ["notify.failed"]
"#
    ))
    .await;
    let [alice, root] = app.tokens(["alice", "root"]).await;
    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap();

    // Given up after the fourth attempt: recorded, and told to the desk.
    let failed = rx
        .wait_for("/desk", |r| r.json()["details"]["sink"] == "down")
        .await;
    let details = &failed.json()["details"];
    assert_eq!(details["notification"], "request.created", "{details}");
    assert_eq!(details["attempts"], 4, "{details}");
    assert!(
        details["error"].as_str().unwrap().contains("500"),
        "{details}"
    );
    assert_eq!(failed.json()["request_id"], id);
    let down = rx.got("/down");
    assert_eq!(down.len(), 4, "{down:?}");
    let ids = deliveries(&down);
    assert!(ids.iter().all(|d| *d == ids[0]), "one delivery: {ids:?}");
    wait_metric(
        &app,
        "wicket_webhook_deliveries_total{sink=\"down\",outcome=\"failed\"}",
        4,
    )
    .await;
    assert_eq!(
        app.metric("wicket_webhook_deliveries_total{sink=\"down\",outcome=\"delivered\"}")
            .await
            .unwrap_or(0),
        0
    );

    // `/busy` took the third attempt of the same delivery: a 408 and a 429 are not final.
    wait_metric(
        &app,
        "wicket_webhook_deliveries_total{sink=\"busy\",outcome=\"delivered\"}",
        1,
    )
    .await;
    let busy = rx.got("/busy");
    assert_eq!(busy.len(), 3, "{busy:?}");
    let ids = deliveries(&busy);
    assert!(ids.iter().all(|d| *d == ids[0]), "one delivery: {ids:?}");
    assert!(busy.iter().all(|r| r.body == busy[0].body));
    assert_eq!(busy[2].json()["request_id"], id);

    // Only `down` was given up.
    let recorded: Vec<_> = app
        .events(&root)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "notify.failed")
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["details"]["sink"], "down");
}

#[tokio::test]
async fn subjects_keep_out_what_is_not_theirs_and_denials_expiries_and_anomalies_arrive() {
    let rx = Receiver::start(&[]).await;
    let base = &rx.base;
    let app = spawn_with(&format!(
        r#"{CONFIG}
[[notify.webhook]]
name = "all"
url = "{base}/all"
events = ["request.denied", "request.expired", "anomaly.flagged"]

[[notify.webhook]]
name = "alice"
url = "{base}/alice"
events = ["request.*"]
subjects = ["user:alice"]

[[notify.webhook]]
name = "leads"
url = "{base}/leads"
events = ["request.created"]
subjects = ["group:sre-leads"]
"#
    ))
    .await;
    let [alice, bob, dave, erin] = app.tokens(["alice", "bob", "dave", "erin"]).await;

    // erin's request waits on the approvers, and expires (`crowd` gives it 3 s).
    let crowd = app
        .create(&erin, json!({"roles": ["logs-read"], "policy": "crowd"}))
        .await;
    let crowd = crowd["id"].as_str().unwrap().to_string();
    // alice's request waits on the sre leads; bob denies it.
    let denied = app.create(&alice, prod_read()).await;
    let denied = denied["id"].as_str().unwrap().to_string();
    let deny = format!("/v1/requests/{denied}/deny");
    let (s, v) = app.post(&deny, &bob, json!({"comment": "not now"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // dave breaks the glass: approved at once, and flagged.
    let mut body = prod_read();
    body["break_glass"] = json!(true);
    body["duration"] = json!("30m");
    let glass = app.create(&dave, body).await;
    let glass = glass["id"].as_str().unwrap().to_string();

    // What `/all` got of each kind, once it came.
    let rx = &rx;
    let heard = |kind: &'static str| async move {
        rx.wait_for("/all", |r| r.json()["kind"] == kind)
            .await
            .json()
    };
    // Each event's request, recipients, and what its summary says.
    for (kind, request, recipients, says) in [
        ("request.denied", &denied, ["alice"], "was denied by bob"),
        (
            "anomaly.flagged",
            &glass,
            ["dave"],
            "high anomaly for user:dave",
        ),
        (
            "request.expired",
            &crowd,
            ["erin"],
            "expired without a decision",
        ),
    ] {
        let got = heard(kind).await;
        assert_eq!(got["request_id"], request.as_str(), "{got}");
        assert_eq!(got["recipients"], json!(recipients), "{got}");
        assert!(got["summary"].as_str().unwrap().contains(says), "{got}");
    }
    let anomaly = heard("anomaly.flagged").await;
    assert_eq!(anomaly["subject"], "user:dave");
    assert_eq!(anomaly["details"]["rule"], "break_glass");
    assert_eq!(anomaly["details"]["severity"], "high");
    assert!(
        anomaly["summary"]
            .as_str()
            .unwrap()
            .starts_with("high anomaly for user:dave"),
        "{anomaly}"
    );

    // Last, a request of alice's approved at once: once it reached `/alice`, everything
    // before it has been dispatched (a sink delivers in order).
    let last = app
        .create(&alice, json!({"roles": ["logs-read"], "duration": "20s"}))
        .await;
    let last = last["id"].as_str().unwrap().to_string();
    rx.wait_for("/alice", |r| r.json()["request_id"] == last.as_str())
        .await;
    // `/alice` heard only what was addressed to alice: her denial and her approval; not the
    // requests she made (they go to their approvers), not erin's, not dave's.
    let heard: Vec<(String, String)> = rx
        .got("/alice")
        .iter()
        .map(|r| {
            let j = r.json();
            (
                j["kind"].as_str().unwrap().to_string(),
                j["request_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        heard,
        [
            ("request.denied".to_string(), denied.clone()),
            ("request.approved".to_string(), last.clone()),
        ]
    );
    // `/leads` heard alice's and dave's new requests, which the sre leads approve, and not
    // erin's, which goes to the approvers group.
    let v = app.create(&alice, prod_read()).await;
    let barrier = v["id"].as_str().unwrap().to_string();
    rx.wait_for("/leads", |r| r.json()["request_id"] == barrier.as_str())
        .await;
    let created: Vec<String> = rx
        .got("/leads")
        .iter()
        .map(|r| r.json()["request_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(created, [denied, glass, barrier]);
}
