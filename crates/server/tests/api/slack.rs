//! Slack approvals against a local server standing for Slack's Web API: a new request is
//! posted with its buttons, clicks signed exactly as Slack signs them are reviews under every
//! rule, and forged, stale, replayed, unknown and off-limits clicks are refused with nothing
//! changed. The posted message is kept and updated with the outcome however the request is
//! decided (the API, a cancellation), and a failing Web API never fails a decision.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::StatusCode as Status;
use serde_json::{Value, json};
use tempfile::TempDir;
use wicket_engine::slack::verify::sign;

use super::receiver::serve;
use crate::helpers::*;

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// Every Web API call: (method, authorization, body or query).
#[derive(Clone, Default)]
struct WebApi {
    calls: Arc<Mutex<Vec<(String, String, Value)>>>,
    /// Answer every call with Slack's `{"ok": false}`.
    failing: Arc<AtomicBool>,
}

impl WebApi {
    fn calls(&self, method: &str) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|c| c.0 == method)
            .map(|c| c.2.clone())
            .collect()
    }

    /// The first `chat.update` of message `ts` whose text contains `says`, once one came. A
    /// message can be updated twice with the same news (by its announcement, which found the
    /// request decided while the message was on its way, and by the reader of the audit log),
    /// so updates are told apart by their message and what they say, never by their count.
    async fn update_saying(&self, ts: &str, says: &str) -> Value {
        let started = Instant::now();
        loop {
            let got = self.calls("chat.update");
            if let Some(u) = got.iter().find(|u| {
                u["ts"].as_str() == Some(ts) && u["text"].as_str().is_some_and(|t| t.contains(says))
            }) {
                return u.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no update of {ts} says `{says}`: {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait(&self, method: &str, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.calls(method);
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{method} was called {} times",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn auth(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn chat(
    State(api): State<WebApi>,
    Path(method): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    let posted = {
        let mut calls = api.calls.lock().unwrap();
        calls.push((method.clone(), auth(&headers), body.clone()));
        calls.iter().filter(|c| c.0 == "chat.postMessage").count()
    };
    if api.failing.load(Ordering::SeqCst) {
        return Json(json!({"ok": false, "error": "internal_error"}));
    }
    // Each message its own `ts`; an update answers the one it was given.
    let ts = match method.as_str() {
        "chat.postMessage" => format!("1700000000.{:06}", 99 + posted),
        _ => body["ts"].as_str().unwrap_or_default().to_string(),
    };
    Json(
        json!({"ok": true, "channel": body["channel"], "ts": ts, "message": {"text": body["text"]}}),
    )
}

async fn users_info(
    State(api): State<WebApi>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Json<Value> {
    let q = q.unwrap_or_default();
    api.calls
        .lock()
        .unwrap()
        .push(("users.info".into(), auth(&headers), json!(q)));
    let email = match q.as_str() {
        "user=UBOB" => "bob@example.com",
        "user=UALICE" => "alice@example.com",
        _ => return Json(json!({"ok": false, "error": "user_not_found"})),
    };
    Json(
        json!({"ok": true, "user": {"id": "U", "name": "x", "profile": {"email": email, "real_name": "X"}}}),
    )
}

async fn start_web_api() -> (String, WebApi) {
    let api = WebApi::default();
    let app = Router::new()
        .route("/api/users.info", get(users_info))
        .route("/api/{method}", post(chat))
        .with_state(api.clone());
    (serve(app).await + "/api", api)
}

fn config(base: &str, dir: &std::path::Path) -> String {
    let (token, secret) = (dir.join("bot-token"), dir.join("signing-secret"));
    std::fs::write(&token, "xoxb-test-token\n").unwrap();
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    format!(
        r#"{CONFIG}
[[policies]]
name = "chat-prod"
requesters = ["group:sre"]
roles = ["orders-db-write"]
max_duration = "1h"
require_reason = false
slack_channel = "C0PROD"
steps = [{{ approvers = ["group:sre-leads"] }}, {{ approvers = ["group:security"] }}]

[[policies]]
name = "no-chat"
requesters = ["group:sre"]
roles = ["orders-db-read"]
max_duration = "1h"
require_reason = false
slack_channel = "C0SEC"
chat_approvals = false
steps = [{{ approvers = ["group:sre-leads"] }}]

[slack]
base_url = "{base}"
bot_token_file = "{}"
signing_secret_file = "{}"
email_domain = "example.com"
users = {{ UCAROL = "carol" }}
"#,
        token.display(),
        secret.display()
    )
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The form body Slack posts for a click by `user` on `action` of `request`'s message.
fn click(user: &str, action: &str, request: &str, channel: &str) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": user, "username": user.to_lowercase(), "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel, "is_ephemeral": false},
        "trigger_id": "12345.98765.abcd",
        "team": {"id": "T0001", "domain": "example"},
        "channel": {"id": channel, "name": "prod-access"},
        "message": {"type": "message", "ts": "1700000000.000100", "text": "..."},
        "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
        "actions": [{
            "action_id": action, "block_id": format!("wicket.{request}"),
            "text": {"type": "plain_text", "text": "Approve"},
            "value": request, "type": "button", "action_ts": "1700000001.000200"
        }]
    });
    format!("payload={}", encode(&payload.to_string()))
}

/// Posts `body` as Slack would, signed with `secret` at `at` (Unix seconds).
async fn deliver(app: &TestApp, body: &str, secret: &str, at: i64) -> (Status, Value) {
    let ts = at.to_string();
    let resp = app
        .client
        .post(format!("{}/slack/interactions", app.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", &ts)
        .header("x-slack-signature", sign(secret, &ts, body.as_bytes()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn reviews(app: &TestApp, token: &str, id: &str) -> usize {
    let (_, r) = app.get(&format!("/v1/requests/{id}"), token).await;
    r["reviews"].as_array().unwrap().len()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Asserts that a delivered click was refused with `status` and `code`.
fn assert_refused(e: &(Status, Value), status: Status, code: &str) {
    assert_eq!(
        (e.0, e.1["error"]["code"].as_str()),
        (status, Some(code)),
        "{}",
        e.1
    );
}

/// A Slack Web API stand-in and a server that posts to it, with the server's tokens for
/// `users` and the folder of its Slack secrets (the server reads them while it runs).
async fn slack_app<const N: usize>(users: [&str; N]) -> (WebApi, TestApp, [String; N], TempDir) {
    let (base, api) = start_web_api().await;
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with(&config(&base, dir.path())).await;
    let tokens = app.tokens(users).await;
    (api, app, tokens, dir)
}

#[tokio::test]
async fn slack_clicks_are_reviews_under_every_rule() {
    let (api, app, [alice, root], _secrets) = slack_app(["alice", "root"]).await;

    let id = chat_prod(&app, &alice, "INC-1 refunds").await;

    // Posted to the policy's channel with the bot token and both buttons.
    let posted = api.wait("chat.postMessage", 1).await;
    let msg = &posted[0];
    assert_eq!(msg["channel"], "C0PROD");
    assert!(msg["text"].as_str().unwrap().contains(&id), "{msg}");
    let buttons = &msg["blocks"][1]["elements"];
    assert_eq!(buttons[0]["action_id"], "wicket.approve");
    assert_eq!(buttons[1]["action_id"], "wicket.deny");
    assert_eq!(buttons[0]["value"], id.as_str());
    assert_eq!(api.calls.lock().unwrap()[0].1, "Bearer xoxb-test-token");

    // bob (by e-mail through users.info) approves step 1.
    let bob_click = click("UBOB", "wicket.approve", &id, "C0PROD");
    let at = now();
    assert_state(&deliver(&app, &bob_click, SECRET, at).await, "pending");
    let updated = api
        .update_saying("1700000000.000100", "bob approved step 1")
        .await;
    assert_eq!(updated["channel"].as_str(), Some("C0PROD"), "{updated}");
    assert_eq!(reviews(&app, &alice, &id).await, 1);

    // Forged (another secret, or a changed body), stale, replayed, unsigned: 401, nothing changed.
    let carol_click = click("UCAROL", "wicket.approve", &id, "C0PROD");
    #[rustfmt::skip]
    let forged = [
        (&carol_click, "not-the-secret", now(), "bad_signature"),
        (&carol_click, SECRET, now() - 301, "stale_request"),
        (&bob_click, SECRET, at, "replayed"),
    ];
    for (body, secret, at, code) in forged {
        let e = deliver(&app, body, secret, at).await;
        assert_refused(&e, Status::UNAUTHORIZED, code);
    }
    let unsigned = app
        .client
        .post(format!("{}/slack/interactions", app.addr))
        .body(carol_click.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), Status::UNAUTHORIZED);
    assert_eq!(reviews(&app, &alice, &id).await, 1);

    // Signed, but every review rule still holds.
    let approve = |user: &str, request: &str| click(user, "wicket.approve", request, "C0PROD");
    #[rustfmt::skip]
    let refused = [
        (approve("UALICE", &id), now(), Status::FORBIDDEN, "self_review"),
        (approve("UBOB", &id), now() + 1, Status::FORBIDDEN, "not_an_approver"),
        (approve("UNOBODY", &id), now(), Status::FORBIDDEN, "unknown_slack_user"),
        ("payload=%7B%22type%22%3A%22view_submission%22%7D".to_string(), now(), Status::BAD_REQUEST, "invalid_payload"),
        (approve("UCAROL", "req_nope"), now(), Status::NOT_FOUND, "unknown_request"),
    ];
    for (body, at, status, code) in refused {
        assert_refused(&deliver(&app, &body, SECRET, at).await, status, code);
    }
    assert_eq!(reviews(&app, &alice, &id).await, 1);

    // carol (mapped explicitly) denies; the message says so and loses its buttons.
    let deny = click("UCAROL", "wicket.deny", &id, "C0PROD");
    assert_state(&deliver(&app, &deny, SECRET, now()).await, "denied");
    let updated = api
        .update_saying("1700000000.000100", "Denied by carol")
        .await;
    assert_eq!(
        updated["blocks"].as_array().unwrap().len(),
        1,
        "no buttons once decided"
    );
    // A click after the decision.
    let e = deliver(&app, &approve("UCAROL", &id), SECRET, now() + 2).await;
    assert_refused(&e, Status::CONFLICT, "request_decided");

    // Audited as ordinary reviews.
    let (_, page) = app
        .get(
            &format!("/v1/audit?request_id={id}&kind=review.added"),
            &root,
        )
        .await;
    let actors: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["bob", "carol"]);

    // A policy with chat approvals off: posted without buttons, clicks refused.
    let r = app
        .create(
            &alice,
            json!({"roles": ["orders-db-read"], "policy": "no-chat"}),
        )
        .await;
    let quiet = id_of(&r);
    let posted = api.wait("chat.postMessage", 2).await;
    assert_eq!(posted[1]["channel"], "C0SEC");
    assert_eq!(
        posted[1]["blocks"].as_array().unwrap().len(),
        1,
        "no buttons: {}",
        posted[1]
    );
    let off = click("UBOB", "wicket.approve", &quiet, "C0SEC");
    let e = deliver(&app, &off, SECRET, now() + 3).await;
    assert_refused(&e, Status::FORBIDDEN, "chat_approvals_off");
    let (_, r) = app.get(&format!("/v1/requests/{quiet}"), &alice).await;
    assert_eq!(r["state"], "pending");
}

/// alice's request of `orders-db-write` under `chat-prod`, with `reason`; its id.
async fn chat_prod(app: &TestApp, alice: &str, reason: &str) -> String {
    let body = json!({"roles": ["orders-db-write"], "policy": "chat-prod", "reason": reason});
    id_of(&app.create(alice, body).await)
}

/// The message kept for request `id`: (channel, ts).
async fn kept(app: &TestApp, id: &str) -> Option<(String, String)> {
    let store = &app.running.as_ref().unwrap().app.store;
    store
        .slack_message(id)
        .await
        .unwrap()
        .map(|m| (m.channel, m.ts))
}

/// Creates a request of alice under `chat-prod` and waits for its message; its id and ts.
async fn posted_request(app: &TestApp, api: &WebApi, alice: &str, n: usize) -> (String, String) {
    let id = chat_prod(app, alice, "INC-2").await;
    api.wait("chat.postMessage", n).await;
    let ts = format!("1700000000.{:06}", 99 + n);
    // Kept once Slack answered.
    let started = Instant::now();
    while kept(app, &id).await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the message of `{id}` was never kept"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(kept(app, &id).await, Some(("C0PROD".into(), ts.clone())));
    (id, ts)
}

/// Asserts that `id`, decided by `verb` of `token` into `state`, has its message `ts` updated
/// to say `says`; the update.
async fn decided(app: &TestApp, api: &WebApi, id: &str, ts: &str, step: Step<'_>) -> Value {
    let (verb, token, state, says) = step;
    assert_state(&app.act(id, verb, token).await, state);
    api.update_saying(ts, says).await
}

/// A decision through the API: (verb, token, state it leaves, what the message then says).
type Step<'a> = (&'a str, &'a str, &'a str, &'a str);

#[tokio::test]
async fn approving_through_the_api_updates_the_posted_message() {
    let (api, app, [alice, bob, carol], _secrets) = slack_app(["alice", "bob", "carol"]).await;
    let (id, ts) = posted_request(&app, &api, &alice, 1).await;

    // A step approved in wicket, not in Slack: the message says so and keeps its buttons.
    let step = (
        "approve",
        &*bob,
        "pending",
        "bob approved step 1; step 2 waits",
    );
    let updated = decided(&app, &api, &id, &ts, step).await;
    assert_eq!(updated["channel"].as_str(), Some("C0PROD"), "{updated}");
    assert_eq!(updated["blocks"].as_array().unwrap().len(), 2);

    // The last step: approved, the buttons gone.
    let step = (
        "approve",
        &*carol,
        "approved",
        "Approved; last review by carol",
    );
    let updated = decided(&app, &api, &id, &ts, step).await;
    assert_eq!(
        updated["blocks"].as_array().unwrap().len(),
        1,
        "no buttons once decided"
    );
}

#[tokio::test]
async fn cancelling_and_denying_update_the_posted_message() {
    let (api, app, [alice, bob], _secrets) = slack_app(["alice", "bob"]).await;

    let (id, cancelled) = posted_request(&app, &api, &alice, 1).await;
    let step = ("cancel", &*alice, "cancelled", "Cancelled by alice");
    let updated = decided(&app, &api, &id, &cancelled, step).await;
    assert_eq!(updated["blocks"].as_array().unwrap().len(), 1);

    let (id, ts) = posted_request(&app, &api, &alice, 2).await;
    let updated = decided(
        &app,
        &api,
        &id,
        &ts,
        ("deny", &bob, "denied", "Denied by bob"),
    )
    .await;
    assert_eq!(updated["blocks"].as_array().unwrap().len(), 1);
    // Every update is of one of the two messages, and says that message's own outcome.
    for u in api.calls("chat.update") {
        let says = if u["ts"].as_str() == Some(cancelled.as_str()) {
            "Cancelled by alice"
        } else {
            assert_eq!(u["ts"].as_str(), Some(ts.as_str()), "{u}");
            "Denied by bob"
        };
        assert!(u["text"].as_str().unwrap().contains(says), "{u}");
    }
}

#[tokio::test]
async fn a_failing_slack_api_does_not_fail_the_decision() {
    let (api, app, [alice, bob, carol], _secrets) = slack_app(["alice", "bob", "carol"]).await;
    let (id, _) = posted_request(&app, &api, &alice, 1).await;

    api.failing.store(true, Ordering::SeqCst);
    // Slack was asked, and said no, after each approval.
    for (n, (approver, state)) in [(&bob, "pending"), (&carol, "approved")]
        .into_iter()
        .enumerate()
    {
        assert_state(&app.act(&id, "approve", approver).await, state);
        api.wait("chat.update", n + 1).await;
    }
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &alice).await;
    assert_eq!(r["state"], "approved");
    assert_eq!(r["grants"].as_array().unwrap().len(), 1, "{r}");

    // A message Slack refused to post is not kept, and the request goes on without it.
    let quiet = chat_prod(&app, &alice, "INC-3").await;
    api.wait("chat.postMessage", 2).await;
    assert_state(&app.act(&quiet, "cancel", &alice).await, "cancelled");
    assert_eq!(kept(&app, &quiet).await, None);
}
