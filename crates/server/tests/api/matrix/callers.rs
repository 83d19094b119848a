//! The callers of the matrix, one per column, and the objects their calls are about: a
//! pending two-step request, an active grant and a token, all alice's.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, spawn_with};

/// Alice requests; bob approves step 1, carol step 2; erin is no one in particular. The
/// `p-*` users of [`POWERS`] are added by [`config`].
const BASE: &str = r#"
[[users]]
name = "alice"
groups = ["sre"]

[[users]]
name = "bob"
groups = ["sre-leads"]

[[users]]
name = "carol"
groups = ["security"]

[[users]]
name = "erin"

[[roles]]
name = "orders-db-read"
permissions = [{ actions = ["db:connect", "db:select"], resources = ["postgres/prod/orders/**"] }]

[[roles]]
name = "logs-read"
permissions = [{ actions = ["logs:view"], resources = ["logs/prod/**"] }]

[[policies]]
name = "sre-production"
requesters = ["group:sre"]
roles = ["orders-db-read"]
max_duration = "4h"
require_reason = false
steps = [
  { approvers = ["group:sre-leads"], min_approvals = 1 },
  { approvers = ["group:security"], min_approvals = 1 },
]

[[policies]]
name = "self-service"
requesters = ["group:sre"]
roles = ["logs-read"]
max_duration = "1h"
require_reason = false
"#;

/// The callers that each hold one wicket power and nothing else, in the order of their
/// columns: the user, the role that gives the power, and the power.
const POWERS: [(&str, &str, &str); 6] = [
    ("p-audit", "audit-read", "wicket:audit.read"),
    ("p-requests", "requests-read", "wicket:requests.read"),
    ("p-revoke", "grants-revoke", "wicket:grants.revoke"),
    ("p-check", "check-others", "wicket:check.others"),
    ("p-tokens", "tokens-create", "wicket:tokens.create"),
    ("p-policy", "policy-write", "wicket:policy.write"),
];

/// [`BASE`] with each of [`POWERS`]: its user, its role and the binding of one to the other.
fn config() -> String {
    let mut text = BASE.to_string();
    for (user, role, power) in POWERS {
        text.push_str(&format!(
            "\n[[users]]\nname = \"{user}\"\n\n\
             [[roles]]\nname = \"{role}\"\n\
             permissions = [{{ actions = [\"{power}\"], resources = [\"wicket\"] }}]\n\n\
             [[bindings]]\nsubjects = [\"user:{user}\"]\nroles = [\"{role}\"]\n"
        ));
    }
    text
}

/// The columns of the matrix, in order.
pub const COLUMNS: [&str; 14] = [
    "anonymous",
    "bad token",
    "expired token",
    "revoked token",
    "requester",
    "approver of another step",
    "approver",
    "wicket:audit.read",
    "wicket:requests.read",
    "wicket:grants.revoke",
    "wicket:check.others",
    "wicket:tokens.create",
    "wicket:policy.write",
    "outsider",
];

/// The `Authorization` each column sends (`None`: no header).
pub struct Callers {
    pub tokens: Vec<Option<String>>,
    pub alice: String,
}

pub async fn setup() -> (TestApp, Callers) {
    let app = spawn_with(&config()).await;
    let expired = wicket_engine::admin::create_token(
        &crate::helpers::config_path(&app.dir),
        Some(&app.db),
        "alice",
        Some("1s"),
    )
    .await
    .unwrap();
    let alice = app.token("alice").await;
    let (s, v) = app.post("/v1/tokens", &alice, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let revoked = v["token"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/v1/tokens/{}/revoke", v["id"].as_str().unwrap()),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut tokens = vec![
        None,
        Some("wkt_not-a-token-at-all".to_string()),
        Some(expired),
        Some(revoked),
        Some(alice.clone()),
    ];
    let powers = POWERS.map(|(user, _, _)| user);
    for user in ["carol", "bob"].iter().chain(&powers).chain(&["erin"]) {
        tokens.push(Some(app.token(user).await));
    }
    assert_eq!(tokens.len(), COLUMNS.len());
    // The expired token has lived its second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    (app, Callers { tokens, alice })
}

/// The objects one cell's call is about.
pub struct Fixture {
    pub request: String,
    pub grant: String,
    pub token: String,
}

/// A fresh pending two-step request, active grant and token of alice.
pub async fn fixture(app: &TestApp, alice: &str) -> Fixture {
    let (s, r) = app
        .post(
            "/v1/requests",
            alice,
            json!({"roles": ["orders-db-read"], "duration": "1h"}),
        )
        .await;
    assert_eq!(
        (s, r["state"].as_str()),
        (StatusCode::CREATED, Some("pending")),
        "{r}"
    );
    let (s, g) = app
        .post(
            "/v1/requests",
            alice,
            json!({"roles": ["logs-read"], "duration": "1h"}),
        )
        .await;
    assert_eq!(
        (s, g["state"].as_str()),
        (StatusCode::CREATED, Some("approved")),
        "{g}"
    );
    let (s, t) = app.post("/v1/tokens", alice, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    Fixture {
        request: r["id"].as_str().unwrap().to_string(),
        grant: g["grants"][0]["id"].as_str().unwrap().to_string(),
        token: t["id"].as_str().unwrap().to_string(),
    }
}
