//! On-call approval against a local server answering as PagerDuty's REST API v2
//! (`GET /oncalls`) and Opsgenie's (`GET /v2/schedules/{id}/on-calls`) document: on call now
//! approves the step as `wicket:oncall`, with the schedule and shift in the event; not on
//! call, the wrong level, malformed answers, errors and timeouts leave it to the approvers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use reqwest::StatusCode as Status;
use serde_json::{Value, json};

use super::receiver::serve;
use crate::helpers::*;

/// What the provider answers next.
#[derive(Clone, Debug)]
enum Answer {
    /// A documented answer with this body.
    Json(Value),
    /// This status and text.
    Status(u16, &'static str),
    /// Nothing for longer than wicket waits.
    Hang,
}

/// One call as the provider saw it: path, query, `Authorization`, `Accept`.
type Call = (String, String, String, String);

#[derive(Clone)]
struct Provider {
    answer: Arc<Mutex<Answer>>,
    /// (path, query, authorization, accept) of every call.
    got: Arc<Mutex<Vec<Call>>>,
}

async fn answer(
    p: &Provider,
    path: String,
    query: Option<String>,
    headers: &HeaderMap,
) -> Response {
    let h = |n: &str| {
        headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    p.got.lock().unwrap().push((
        path,
        query.unwrap_or_default(),
        h("authorization"),
        h("accept"),
    ));
    let answer = p.answer.lock().unwrap().clone();
    match answer {
        Answer::Json(v) => axum::Json(v).into_response(),
        Answer::Status(s, text) => (StatusCode::from_u16(s).unwrap(), text).into_response(),
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            axum::Json(json!({"oncalls": []})).into_response()
        }
    }
}

async fn pagerduty(
    State(p): State<Provider>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(&p, "/pd/oncalls".into(), q, &headers).await
}

async fn opsgenie(
    State(p): State<Provider>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(&p, format!("/og/v2/schedules/{id}/on-calls"), q, &headers).await
}

async fn start_provider() -> (String, Provider) {
    let p = Provider {
        answer: Arc::new(Mutex::new(Answer::Status(500, "not told yet"))),
        got: Arc::default(),
    };
    let app = Router::new()
        .route("/pd/oncalls", get(pagerduty))
        .route("/og/v2/schedules/{id}/on-calls", get(opsgenie))
        .with_state(p.clone());
    (serve(app).await, p)
}

/// PagerDuty's documented `GET /oncalls` answer (with `include[]=users`): one entry.
fn pd_entry(email: &str, schedule: &str, level: u32) -> Value {
    json!({
        "escalation_policy": {"id": "PT20YPA", "type": "escalation_policy_reference", "summary": "Engineering Escalation Policy"},
        "escalation_level": level,
        "schedule": {"id": schedule, "type": "schedule_reference", "summary": "Daily Engineering Rotation"},
        "user": {"id": "PXPGF42", "type": "user", "name": "Someone", "email": email, "time_zone": "UTC"},
        "start": "2026-01-01T08:00:00Z",
        "end": "2099-01-01T08:00:00Z"
    })
}

fn pd(entries: Vec<Value>) -> Answer {
    Answer::Json(
        json!({"oncalls": entries, "limit": 100, "offset": 0, "more": false, "total": null}),
    )
}

/// Opsgenie's documented flat answer.
fn og(recipients: &[&str]) -> Answer {
    Answer::Json(json!({
        "data": {"_parent": {"id": "S1", "name": "ops-schedule", "enabled": true}, "onCallRecipients": recipients},
        "took": 0.013,
        "requestId": "1f4e3d2c"
    }))
}

fn config(base: &str, dir: &std::path::Path) -> String {
    let pd_token = dir.join("pd-token");
    let og_token = dir.join("og-token");
    std::fs::write(&pd_token, "pd-secret\n").unwrap();
    std::fs::write(&og_token, "og-secret").unwrap();
    format!(
        r#"{CONFIG}
[[policies]]
name = "oncall-pd"
requesters = ["group:sre"]
roles = ["orders-db-write"]
max_duration = "1h"
require_reason = false
steps = [{{ approvers = ["group:sre-leads"], oncall = {{ provider = "pagerduty", schedules = ["PSCHED1", "PSCHED2"], escalation_levels = [1] }} }}]

[[policies]]
name = "oncall-og"
requesters = ["group:sre"]
roles = ["orders-db-read"]
max_duration = "1h"
require_reason = false
steps = [{{ approvers = ["group:sre-leads"], oncall = {{ provider = "opsgenie", schedules = ["S1"] }} }}]

[oncall]
email_domain = "example.com"
timeout = "1s"

[oncall.pagerduty]
base_url = "{base}/pd"
token_file = "{}"

[oncall.opsgenie]
base_url = "{base}/og"
token_file = "{}"
"#,
        pd_token.display(),
        og_token.display()
    )
}

async fn ask(app: &TestApp, alice: &str, policy: &str, role: &str) -> Value {
    let (s, r) = app
        .post(
            "/v1/requests",
            alice,
            json!({"roles": [role], "policy": policy}),
        )
        .await;
    assert_eq!(s, Status::CREATED, "{r}");
    r
}

#[tokio::test]
async fn on_call_approves_the_step_and_anything_else_falls_back_to_the_approvers() {
    let (base, provider) = start_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with(&config(&base, dir.path())).await;
    let [alice, bob, root] = app.tokens(["alice", "bob", "root"]).await;
    let set = |a: Answer| *provider.answer.lock().unwrap() = a;

    // Not on call, on call only at level 2, on another schedule: pending, for the approvers.
    let cases = [
        (
            "someone else",
            pd(vec![pd_entry("bob@example.com", "PSCHED1", 1)]),
        ),
        (
            "level 2 only",
            pd(vec![pd_entry("alice@example.com", "PSCHED1", 2)]),
        ),
        (
            "another schedule",
            pd(vec![pd_entry("alice@example.com", "POTHER", 1)]),
        ),
        (
            "direct target",
            pd(vec![
                json!({"escalation_level": 1, "schedule": null, "user": {"id": "P1", "email": "alice@example.com"}}),
            ]),
        ),
        (
            "not a list",
            Answer::Json(json!({"oncalls": "alice@example.com"})),
        ),
        (
            "no email",
            pd(vec![
                json!({"escalation_level": 1, "schedule": {"id": "PSCHED1"}, "user": {"id": "P1"}}),
            ]),
        ),
        (
            "not JSON",
            Answer::Status(200, "alice@example.com is on call"),
        ),
        ("an error", Answer::Status(500, "internal error")),
        (
            "a bad token",
            Answer::Status(
                401,
                "{\"error\":{\"message\":\"Unauthorized\",\"code\":2006}}",
            ),
        ),
        ("a timeout", Answer::Hang),
    ];
    let mut pending = Vec::new();
    for (what, answer) in cases {
        set(answer);
        let r = ask(&app, &alice, "oncall-pd", "orders-db-write").await;
        assert_eq!(r["state"], "pending", "{what}: {r}");
        assert!(r["reviews"].as_array().unwrap().is_empty(), "{what}: {r}");
        pending.push(r["id"].as_str().unwrap().to_string());
    }
    // The documented call, every time.
    {
        let got = provider.got.lock().unwrap();
        assert_eq!(got.len(), 10, "{got:?}");
        let (path, query, auth, accept) = &got[0];
        assert_eq!(path, "/pd/oncalls");
        let needles = [
            "schedule_ids%5B%5D=PSCHED1",
            "schedule_ids%5B%5D=PSCHED2",
            "escalation_levels%5B%5D=1",
            "include%5B%5D=users",
        ];
        assert_mentions(query, &needles);
        assert_eq!(auth, "Token token=pd-secret");
        assert_eq!(accept, "application/vnd.pagerduty+json;version=2");
    }
    // The approvers still decide those.
    let (s, r) = app.act(&pending[0], "approve", &bob).await;
    assert_eq!(
        (s, r["state"].as_str()),
        (Status::OK, Some("approved")),
        "{r}"
    );

    // On call now, at level 1 of the second schedule: approved by `wicket:oncall` at once.
    let (_, g) = app
        .post(
            &format!(
                "/v1/grants/{}/revoke",
                r["grants"][0]["id"].as_str().unwrap()
            ),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(g["status"], "revoked");
    set(pd(vec![
        pd_entry("bob@example.com", "PSCHED1", 1),
        pd_entry("Alice@Example.com", "PSCHED2", 1),
    ]));
    let r = ask(&app, &alice, "oncall-pd", "orders-db-write").await;
    assert_eq!(r["state"], "approved", "{r}");
    assert_eq!(r["reviews"][0]["reviewer"], "wicket:oncall", "{r}");
    assert_eq!(r["grants"].as_array().unwrap().len(), 1);
    let id = r["id"].as_str().unwrap();
    let (_, page) = app.get(&format!("/v1/audit?request_id={id}"), &root).await;
    let events = page["items"].as_array().unwrap();
    let review = events.iter().find(|e| e["kind"] == "review.added").unwrap();
    assert_eq!(review["actor"], "wicket:oncall");
    assert_eq!(
        review["details"]["oncall"],
        json!({"provider": "pagerduty", "schedule": "PSCHED2", "escalation_level": 1,
               "shift_start": "2026-01-01T08:00:00.000Z", "shift_end": "2099-01-01T08:00:00.000Z"})
    );
    let approved = events
        .iter()
        .find(|e| e["kind"] == "request.approved")
        .unwrap();
    assert_eq!(approved["actor"], "wicket:oncall");

    // Opsgenie: the documented flat answer; a malformed one falls back.
    set(Answer::Json(json!({"data": {"onCallParticipants": []}})));
    let r = ask(&app, &alice, "oncall-og", "orders-db-read").await;
    assert_eq!(r["state"], "pending", "{r}");
    set(og(&["bob@example.com"]));
    let r = ask(&app, &alice, "oncall-og", "orders-db-read").await;
    assert_eq!(r["state"], "pending", "{r}");
    set(og(&["carol@example.com", "alice@example.com"]));
    let r = ask(&app, &alice, "oncall-og", "orders-db-read").await;
    assert_eq!(r["state"], "approved", "{r}");
    assert_eq!(r["reviews"][0]["reviewer"], "wicket:oncall");
    {
        let got = provider.got.lock().unwrap();
        let (path, query, auth, _) = got.last().unwrap();
        assert_eq!(path, "/og/v2/schedules/S1/on-calls");
        assert!(
            query.contains("flat=true") && query.contains("scheduleIdentifierType=id"),
            "{query}"
        );
        assert_eq!(auth, "GenieKey og-secret");
    }

    // Counted by outcome.
    let metrics = app.metrics_text().await;
    let lines = [
        "wicket_oncall_lookups_total{provider=\"pagerduty\",outcome=\"on_call\"} 1",
        "wicket_oncall_lookups_total{provider=\"pagerduty\",outcome=\"not_on_call\"} 4",
        "wicket_oncall_lookups_total{provider=\"pagerduty\",outcome=\"error\"} 6",
        "wicket_oncall_lookups_total{provider=\"opsgenie\",outcome=\"on_call\"} 1",
    ];
    assert_mentions(&metrics, &lines);
}
