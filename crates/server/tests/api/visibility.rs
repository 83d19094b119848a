//! Who sees which requests and grants in the lists: exactly the requester, the approvers of
//! the request's policy (and, with `reviewable=true`, those of its current step), and holders
//! of `wicket:requests.read`; grants are the holder's own unless the caller may see everyone's.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{prod_read, spawn_app};

fn ids(v: &Value) -> BTreeSet<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn each_user_lists_exactly_what_they_may_see() {
    let mut app = spawn_app().await;
    let mut tokens = std::collections::HashMap::new();
    for user in ["alice", "erin", "dave", "bob", "carol", "a1", "root"] {
        tokens.insert(user, app.token(user).await);
    }
    let create = |user: &'static str, body: Value| {
        let app = &app;
        let token = tokens[user].clone();
        async move {
            let (s, v) = app.post("/v1/requests", &token, body).await;
            assert_eq!(s, 201, "{v}");
            v["id"].as_str().unwrap().to_string()
        }
    };
    // Approved at once (no steps): each holds a grant.
    let alice_logs = create(
        "alice",
        json!({"roles": ["logs-read"], "policy": "self-service", "duration": "30s"}),
    )
    .await;
    let erin_logs = create(
        "erin",
        json!({"roles": ["logs-read"], "policy": "self-service", "duration": "30s"}),
    )
    .await;
    // Pending: erin's waits for the `approvers` group, dave's for the SRE leads then security.
    let erin_orders = create(
        "erin",
        json!({"roles": ["orders-db-read"], "policy": "crowd"}),
    )
    .await;
    let dave_orders = create("dave", prod_read()).await;

    let cases: [(&str, &[&str]); 7] = [
        ("alice", &[&alice_logs]),
        ("erin", &[&erin_logs, &erin_orders]),
        ("dave", &[&dave_orders]),
        // Approvers of either step of sre-production see dave's request, and no one else's.
        ("bob", &[&dave_orders]),
        ("carol", &[&dave_orders]),
        ("a1", &[&erin_orders]),
        (
            "root",
            &[&alice_logs, &erin_logs, &erin_orders, &dave_orders],
        ),
    ];
    for (user, want) in cases {
        let (s, v) = app.get("/v1/requests", &tokens[user]).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(ids(&v), set(want), "{user} lists requests");
        // And each one they see opens; the others are 403 or 404.
        for id in [&alice_logs, &erin_logs, &erin_orders, &dave_orders] {
            let (s, _) = app.get(&format!("/v1/requests/{id}"), &tokens[user]).await;
            assert_eq!(
                s == 200,
                want.contains(&id.as_str()),
                "{user} opens {id}: {s}"
            );
        }
    }
    // Reviewable: only the current step's approvers.
    for (user, want) in [
        ("bob", vec![dave_orders.as_str()]),
        ("carol", vec![]),
        ("a1", vec![erin_orders.as_str()]),
        ("alice", vec![]),
        ("dave", vec![]),
    ] {
        let (s, v) = app.get("/v1/requests?reviewable=true", &tokens[user]).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(ids(&v), set(&want), "{user} lists reviewable requests");
    }
    // Grants: one's own; everyone's with the power.
    let grant_of = |v: &Value| -> BTreeSet<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["request_id"].as_str().unwrap().to_string())
            .collect()
    };
    for (user, want) in [
        ("alice", vec![alice_logs.as_str()]),
        ("erin", vec![erin_logs.as_str()]),
        ("bob", vec![]),
        ("a1", vec![]),
        ("root", vec![alice_logs.as_str(), erin_logs.as_str()]),
    ] {
        let (s, v) = app.get("/v1/grants", &tokens[user]).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(grant_of(&v), set(&want), "{user} lists grants");
    }
    // Asking for someone else's grants without the power is refused, not emptied.
    let (s, v) = app
        .get("/v1/grants?subject=user:alice", &tokens["erin"])
        .await;
    assert_eq!(s, 403, "{v}");
    app.stop().await;
}
