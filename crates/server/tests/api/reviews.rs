//! Access reviews through the API: a campaign snapshots its items when the server starts with
//! a `[[reviews]]`; reviewers certify or revoke; a revoked binding gives nothing (the
//! suspension outlives a restart and ends when the configuration drops the binding); a
//! revoked grant item revokes the grant; missed items follow `on_missed` at the deadline;
//! every hostile decision is a clear 4xx that changes nothing; the report names every decision.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// `payments-read` owned by bob, bound to group `sre` (alice, dave, lead) and to bob himself.
pub(crate) const PAYMENTS: &str = r#"
[[roles]]
name = "payments-read"
owners = ["user:bob"]
permissions = [{ actions = ["db:select"], resources = ["postgres/prod/payments/**"] }]

[[bindings]]
subjects = ["group:sre", "user:bob"]
roles = ["payments-read"]
"#;

pub(crate) const PAYMENTS_REVIEW: &str = r#"
[[reviews]]
name = "payments"
roles = ["payments-read"]
reviewers = ["owners", "user:lead"]
every = "90d"
deadline = "1h"
on_missed = "revoke"
"#;

pub(crate) fn with(parts: &[&str]) -> String {
    let mut text = CONFIG.to_string();
    for p in parts {
        text.push_str(p);
    }
    text
}

/// The campaigns `token` sees, once `done` holds for them (the schedule starts and closes
/// campaigns in the background): a generous bound, no fixed sleep.
pub(crate) async fn campaigns_once(
    app: &TestApp,
    token: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (s, v) = app.get("/v1/reviews", token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the campaigns never got there: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn item<'a>(c: &'a Value, subject: &str) -> &'a Value {
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"] == subject)
        .unwrap_or_else(|| panic!("no item of {subject}: {c}"))
}

/// `/v1/reviews/{campaign}/items/{item}/{verb}` for campaign `c` and its item `i`.
fn item_path(c: &Value, i: &Value, verb: &str) -> String {
    let (c, i) = (c["id"].as_str().unwrap(), i["id"].as_str().unwrap());
    format!("/v1/reviews/{c}/items/{i}/{verb}")
}

pub(crate) async fn allowed(app: &TestApp, token: &str, resource: &str) -> bool {
    app.check(token, "db:select", resource).await["allowed"] == true
}

#[tokio::test]
async fn a_revoked_binding_is_suspended_until_the_configuration_drops_it() {
    let mut app = spawn_with(&with(&[PAYMENTS, PAYMENTS_REVIEW])).await;
    let [alice, bob, lead, root, carol] =
        app.tokens(["alice", "bob", "lead", "root", "carol"]).await;
    let payments = "postgres/prod/payments/ledger";
    assert!(allowed(&app, &alice, payments).await);

    // The schedule started the first campaign: both bindings, reviewed by bob and lead.
    let list = campaigns_once(&app, &root, |c| !c.is_empty()).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!(c["review"], "payments");
    assert_eq!(c["started_by"], "wicket");
    assert_eq!(c["items"].as_array().unwrap().len(), 2, "{c}");
    let campaign = c["id"].as_str().unwrap().to_string();
    let sre = item(c, "group:sre")["id"].as_str().unwrap().to_string();
    let bobs = item(c, "user:bob")["id"].as_str().unwrap().to_string();
    assert_eq!(
        item(c, "group:sre")["reviewers"],
        json!(["user:bob", "user:lead"])
    );
    assert_eq!(item(c, "group:sre")["kind"], "binding");
    let path = |id: &str, verb: &str| format!("/v1/reviews/{campaign}/items/{id}/{verb}");

    // Someone who reviews nothing sees nothing; a reviewer sees their items.
    let (_, v) = app.get("/v1/reviews", &carol).await;
    assert_eq!(v["items"], json!([]));
    let (_, v) = app.get("/v1/reviews", &bob).await;
    assert_eq!(v["items"][0]["items"].as_array().unwrap().len(), 2);

    // Hostile decisions: each refused, nothing changed.
    let long = "x".repeat(5000);
    #[rustfmt::skip]
    let refused = [
        (path(&sre, "certify"), &alice, json!({}), 403, "not_a_reviewer"),
        (path(&bobs, "certify"), &bob, json!({}), 403, "own_access"),
        // lead is in group sre: certifying the group's binding would certify lead's own access.
        (path(&sre, "certify"), &lead, json!({}), 403, "own_access"),
        (path("ri_nope", "certify"), &bob, json!({}), 404, "unknown_item"),
        (format!("/v1/reviews/rc_nope/items/{sre}/revoke"), &bob, json!({}), 404, "unknown_campaign"),
        (path(&sre, "revoke"), &bob, json!({"comment": long}), 400, "comment_too_long"),
        ("/v1/reviews/payments/start".into(), &alice, json!({}), 403, "missing_power"),
        ("/v1/reviews/nope/start".into(), &root, json!({}), 404, "unknown_review"),
        ("/v1/reviews/payments/start".into(), &root, json!({}), 409, "campaign_open"),
    ];
    for (path, token, body, status, code) in refused {
        assert_error(&app.post(&path, token, body).await, status, code);
    }
    let (_, v) = app
        .get(&format!("/v1/reviews/{campaign}/report"), &root)
        .await;
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["decision"] == "pending"),
        "{v}"
    );
    assert!(allowed(&app, &alice, payments).await);

    // bob revokes the group's binding: alice (through sre) loses it at once; bob keeps his.
    let (s, v) = app
        .post(
            &path(&sre, "revoke"),
            &bob,
            json!({"comment": "sre no longer reads payments"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], "revoked");
    assert_eq!(v["decided_by"], "bob");
    assert!(!allowed(&app, &alice, payments).await);
    assert!(allowed(&app, &bob, payments).await);
    assert_error(
        &app.post(&path(&sre, "certify"), &bob, json!({})).await,
        409,
        "already_decided",
    );
    let (s, v) = app.post(&path(&bobs, "certify"), &lead, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], "certified");

    // The report: every item, who, how, when, why; JSON and CSV.
    assert_error(
        &app.get(&format!("/v1/reviews/{campaign}/report"), &alice)
            .await,
        403,
        "missing_power",
    );
    let (_, v) = app
        .get(&format!("/v1/reviews/{campaign}/report"), &root)
        .await;
    let sre_row = item(&v, "group:sre");
    assert_eq!(sre_row["comment"], "sre no longer reads payments");
    assert!(sre_row["decided_at"].is_string());
    let (s, csv) = app
        .get(&format!("/v1/reviews/{campaign}/report?format=csv"), &root)
        .await;
    assert_eq!(s, StatusCode::OK);
    let csv = csv.as_str().unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("campaign,review,"));
    let row = lines.find(|l| l.contains("group:sre")).unwrap();
    assert!(
        row.contains(",revoked,bob,") && row.contains("sre no longer reads payments"),
        "{row}"
    );

    // Every decision is in the audit log.
    let kinds = app.all_kinds(&root).await;
    for k in ["review.started", "review.revoked", "review.certified"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} in {kinds:?}");
    }

    // The suspension is stored: a restart keeps it.
    app.restart().await;
    let alice = app.token("alice").await;
    assert!(!allowed(&app, &alice, payments).await);
    // The configuration drops the binding: the suspension goes with it, and the binding
    // written again gives the access again.
    std::fs::write(
        config_path(&app.dir),
        with(&[PAYMENTS.split("[[bindings]]").next().unwrap()]),
    )
    .unwrap();
    app.restart().await;
    std::fs::write(config_path(&app.dir), with(&[PAYMENTS])).unwrap();
    app.restart().await;
    let alice = app.token("alice").await;
    assert!(allowed(&app, &alice, payments).await);
}

/// alice's approved 1h grant of `orders-db-read`; its id.
async fn long_grant(app: &TestApp) -> String {
    let [alice, bob, carol] = app.tokens(["alice", "bob", "carol"]).await;
    let r = app.create(&alice, prod_read()).await;
    let id = r["id"].as_str().unwrap();
    for who in [&bob, &carol] {
        let (s, r) = app.act(id, "approve", who).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &alice).await;
    r["grants"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_revoked_grant_item_revokes_the_grant_and_missed_items_follow_on_missed() {
    let mut app = spawn_with(CONFIG).await;
    let grant = long_grant(&app).await;
    // The reviews arrive with the next start: one of long grants that security decides,
    // one of carol's standing access that nobody decides in time.
    let reviews = r#"
[[reviews]]
name = "long-grants"
grants_longer_than = "30m"
reviewers = ["group:security"]
every = "90d"
deadline = "1h"

[[reviews]]
name = "carol"
subjects = ["user:carol"]
reviewers = ["user:bob"]
every = "90d"
deadline = "15s"
on_missed = "revoke"
"#;
    std::fs::write(config_path(&app.dir), with(&[reviews])).unwrap();
    app.restart().await;
    let [alice, carol, root] = app.tokens(["alice", "carol", "root"]).await;
    let orders = "postgres/prod/orders/x";
    assert!(allowed(&app, &alice, orders).await);
    // carol's binding gives her the logs until her campaign's deadline (15 s, far beyond
    // what the steps until then take, even on a loaded machine).
    let logs = app.check(&carol, "logs:view", "logs/prod/api").await;

    let list = campaigns_once(&app, &root, |c| c.len() == 2).await;
    let long = list.iter().find(|c| c["review"] == "long-grants").unwrap();
    let i = item(long, "user:alice");
    assert_eq!(
        (i["kind"].as_str(), i["grant_id"].as_str()),
        (Some("grant"), Some(grant.as_str()))
    );
    let path = item_path(long, i, "revoke");
    // alice reviews nothing; carol (security) revokes the grant.
    assert_error(
        &app.post(&path, &alice, json!({})).await,
        403,
        "not_a_reviewer",
    );
    let (s, v) = app
        .post(&path, &carol, json!({"comment": "done with it"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, g) = app.get(&format!("/v1/grants/{grant}"), &root).await;
    assert_eq!(g["status"], "revoked", "{g}");
    assert_eq!(g["revoked_by"], "carol");
    assert!(!allowed(&app, &alice, orders).await);

    // carol's campaign reaches its deadline undecided: her binding is revoked by wicket.
    let list = campaigns_once(&app, &root, |c| {
        c.iter()
            .any(|c| c["review"] == "carol" && c["closed_at"].is_string())
    })
    .await;
    let missed = list.iter().find(|c| c["review"] == "carol").unwrap();
    let i = item(missed, "user:carol");
    assert_eq!(
        (i["decision"].as_str(), i["decided_by"].as_str()),
        (Some("revoked"), Some("wicket"))
    );
    assert_eq!(logs["allowed"], true);
    assert_eq!(
        app.check(&carol, "logs:view", "logs/prod/api").await["allowed"],
        false
    );
    // After the deadline no one decides.
    let bob = app.token("bob").await;
    let late = item_path(missed, i, "certify");
    assert_error(
        &app.post(&late, &bob, json!({})).await,
        409,
        "review_closed",
    );
    let kinds = app.all_kinds(&root).await;
    assert!(kinds.iter().any(|k| k == "review.closed"), "{kinds:?}");
}
