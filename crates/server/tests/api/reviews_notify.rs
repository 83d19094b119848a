//! Access review notifications against a local receiver: a new campaign is told to its
//! reviewers (the role's owners and a named group, expanded to people), and before the
//! deadline those with items still undecided are reminded, once; each says where to decide.

use reqwest::StatusCode;

use super::receiver::Receiver;
use super::reviews::PAYMENTS;
use crate::helpers::*;

/// A short campaign reviewed by the owners (bob) and group `security` (carol), and a sink
/// for every review notification. Its reminder is due between halfway (10 s) and the deadline
/// (20 s): some five of the dispatcher's rounds, so a loaded machine that delays one or two
/// still sends it.
fn config(base: &str) -> String {
    format!(
        r#"{CONFIG}{PAYMENTS}
[[reviews]]
name = "payments"
roles = ["payments-read"]
reviewers = ["owners", "group:security"]
every = "90d"
deadline = "20s"

[notify]
expiring_lead = "1h"

[[notify.webhook]]
name = "reviewers"
url = "{base}/hook"
events = ["review.*"]
"#
    )
}

fn recipients(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = v["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn reviewers_hear_of_a_new_campaign_and_are_reminded_before_its_deadline() {
    let rx = Receiver::start(&[]).await;
    let app = spawn_with(&config(&rx.base)).await;
    let root = app.token("root").await;

    // The schedule starts the campaign at once: its reviewers are told.
    let started = rx
        .wait_for("/hook", |r| r.json()["kind"] == "review.started")
        .await
        .json();
    let (s, list) = app.get("/v1/reviews", &root).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(started["details"]["campaign"], id.as_str(), "{started}");
    assert_eq!(started["details"]["review"], "payments");
    assert_eq!(recipients(&started), ["bob", "carol"], "{started}");
    let summary = started["summary"].as_str().unwrap();
    for part in [
        "access review `payments`",
        &format!("campaign `{id}`"),
        "2 item(s)",
        "the /reviews page",
        "`wicket review list --pending`",
    ] {
        assert!(summary.contains(part), "`{part}` missing from: {summary}");
    }

    // Past halfway, within the lead of the deadline: one reminder of what waits.
    let due = rx
        .wait_for("/hook", |r| r.json()["kind"] == "review.due")
        .await;
    let due_body = due.json();
    assert_eq!(
        due.header("x-wicket-delivery").unwrap(),
        format!("{id}.due")
    );
    assert_eq!(recipients(&due_body), ["bob", "carol"], "{due_body}");
    assert_eq!(due_body["details"]["pending"], 2);
    let summary = due_body["summary"].as_str().unwrap();
    for part in [
        &format!("campaign `{id}` closes at"),
        "2 item(s) undecided",
        "the /reviews page",
        "`wicket review list --pending`",
    ] {
        assert!(summary.contains(part), "`{part}` missing from: {summary}");
    }

    // The campaign closes at its deadline; the reminder came once.
    let (s, _) = app.get(&format!("/v1/reviews/{id}/report"), &root).await;
    assert_eq!(s, StatusCode::OK);
    let closed = std::time::Instant::now();
    loop {
        let (_, v) = app.get(&format!("/v1/reviews/{id}/report"), &root).await;
        if v["closed_at"].is_string() {
            break;
        }
        assert!(
            closed.elapsed() < std::time::Duration::from_secs(120),
            "the campaign never closed: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let reminders = rx
        .got("/hook")
        .into_iter()
        .filter(|r| r.json()["kind"] == "review.due")
        .count();
    assert_eq!(reminders, 1);
}
