//! Monitoring over HTTP: a burst of denied checks raises exactly one anomaly, visible in
//! `GET /v1/anomalies` and the audit log, and a `revoke = true` rule revokes the live grant;
//! `/metrics` parsed after known traffic.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{CONFIG, TestApp, assert_error, prod_read, spawn_app, spawn_with};

/// Generous bound for the monitor to see a committed event and act on it.
const WITHIN: Duration = Duration::from_secs(30);

pub const RULES: &str = r#"
[[anomalies]]
name = "denied-burst"
detector = "denied_burst"
severity = "medium"
threshold = 5
window = "1m"
revoke = true
subjects = ["group:sre"]
"#;

/// Polls `path` until `done` holds for its body, or fails after [`WITHIN`].
pub async fn wait_for(
    app: &TestApp,
    path: &str,
    token: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let (s, v) = app.get(path, token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if done(&v) {
            return v;
        }
        assert!(start.elapsed() < WITHIN, "{path} never got there: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An approved `orders-db-read` grant for alice; its id.
pub async fn live_grant(app: &TestApp, alice: &str) -> String {
    let [bob, carol] = app.tokens(["bob", "carol"]).await;
    let req = app.create(alice, prod_read()).await;
    let id = req["id"].as_str().unwrap().to_string();
    for approver in [&bob, &carol] {
        let (s, v) = app.act(&id, "approve", approver).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, req) = app.get(&format!("/v1/requests/{id}"), alice).await;
    assert_eq!(req["state"], "approved", "{req}");
    req["grants"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_burst_of_denials_raises_one_anomaly_and_revokes_the_grant() {
    let app = spawn_with(&format!("{CONFIG}\n{RULES}")).await;
    let [alice, root] = app.tokens(["alice", "root"]).await;
    let grant = live_grant(&app, &alice).await;
    let table = "postgres/prod/orders/public/orders";
    assert_eq!(app.check(&alice, "db:select", table).await["allowed"], true);

    // Eight denials in a row: one burst.
    for _ in 0..8 {
        assert_eq!(
            app.check(&alice, "db:delete", table).await["allowed"],
            false
        );
    }
    let listed = wait_for(&app, "/v1/anomalies?subject=user:alice", &root, |v| {
        !v["items"].as_array().unwrap().is_empty()
    })
    .await;
    let anomaly = listed["items"][0].clone();
    assert_eq!(anomaly["rule"], "denied-burst");
    assert_eq!(anomaly["severity"], "medium");
    assert_eq!(anomaly["subject"], "user:alice");
    let summary = anomaly["summary"].as_str().unwrap();
    assert!(
        summary.contains("`alice` was denied 5 times within 1m"),
        "{summary}"
    );

    // The grant is revoked by the monitor: the next check through it is denied.
    let start = Instant::now();
    while app.check(&alice, "db:select", table).await["allowed"] == true {
        assert!(start.elapsed() < WITHIN, "the grant was never revoked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The denial names the grant just revoked, who revoked it and why.
    let denied = app.check(&alice, "db:select", table).await;
    assert_eq!(denied["revoked"]["grant_id"], grant.as_str(), "{denied}");
    assert_eq!(denied["revoked"]["role"], "orders-db-read", "{denied}");
    assert_eq!(
        denied["revoked"]["revoked_by"], "wicket:monitor",
        "{denied}"
    );
    let reason = denied["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "grant `{grant}` of role `orders-db-read` was revoked at"
        )) && reason.contains("anomaly rule `denied-burst`"),
        "{reason}"
    );
    let (_, g) = app.get(&format!("/v1/grants/{grant}"), &root).await;
    assert_eq!(g["status"], "revoked", "{g}");
    assert_eq!(g["revoked_by"], "wicket:monitor");
    assert!(
        g["revoke_reason"]
            .as_str()
            .unwrap()
            .contains("anomaly rule `denied-burst`"),
        "{g}"
    );

    // More denials right after are the same burst: still one anomaly.
    for _ in 0..3 {
        app.check(&alice, "db:delete", table).await;
    }
    let events = app.events(&root).await;
    let last_denial = events
        .iter()
        .filter(|e| e["kind"] == "check.denied")
        .map(|e| e["seq"].as_i64().unwrap())
        .max()
        .unwrap();
    // Wait until the monitor has read past the last denial (its revocation is later, and the
    // denials after it are in the log): any second anomaly would be flagged by now.
    wait_for(&app, "/v1/audit?kind=grant.revoked", &root, |v| {
        !v["items"].as_array().unwrap().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, listed) = app.get("/v1/anomalies", &root).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    // In the audit log: one `anomaly.flagged` naming the anomaly and the five denials.
    let events = app.events(&root).await;
    let flagged: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "anomaly.flagged")
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    let f = flagged[0];
    assert_eq!(f["actor"], "wicket:monitor");
    assert_eq!(f["subject"], "user:alice");
    assert_eq!(f["details"]["anomaly_id"], anomaly["id"]);
    assert_eq!(f["details"]["revoke"], true);
    let triggers = f["details"]["triggers"].as_array().unwrap();
    assert_eq!(triggers.len(), 5);
    for t in triggers {
        let e = events.iter().find(|e| e["id"] == *t).unwrap();
        assert_eq!(e["kind"], "check.denied");
        assert!(e["seq"].as_i64().unwrap() <= last_denial);
    }
    let revoked = events
        .iter()
        .find(|e| e["kind"] == "grant.revoked")
        .unwrap();
    assert_eq!(revoked["grant_id"], grant.as_str());
    assert_eq!(revoked["actor"], "wicket:monitor");

    // Filters.
    let count = |v: &Value| v["items"].as_array().unwrap().len();
    for (query, n) in [
        ("severity=medium", 1),
        ("severity=high", 0),
        ("subject=alice", 1),
        ("subject=user:bob", 0),
        ("since=2000-01-01T00:00:00Z", 1),
        ("since=2999-01-01T00:00:00Z", 0),
        ("grant=gr_nothing", 0),
        ("limit=1", 1),
    ] {
        let (s, v) = app.get(&format!("/v1/anomalies?{query}"), &root).await;
        assert_eq!(s, StatusCode::OK, "{query}: {v}");
        assert_eq!(count(&v), n, "{query}: {v}");
    }
    for (query, param) in [
        ("severity=urgent", "`severity`"),
        ("since=yesterday", "`since`"),
        ("subject=group:sre", "`subject`"),
        ("subject=user:", "`subject`"),
        ("limit=0", "`limit`"),
    ] {
        let resp = app.get(&format!("/v1/anomalies?{query}"), &root).await;
        assert_error(&resp, 400, "invalid_query");
        let message = resp.1["error"]["message"].as_str().unwrap();
        assert!(message.contains(param), "{query}: {message}");
    }
    assert_eq!(
        app.get("/v1/anomalies?colour=red", &root).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_error(
        &app.get("/v1/anomalies", &alice).await,
        403,
        "missing_power",
    );
}

/// `name{labels}` → value, for every sample of a text exposition.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        assert!(
            out.insert(series.to_string(), v).is_none(),
            "twice: {series}"
        );
    }
    out
}

async fn metrics(app: &TestApp) -> (String, BTreeMap<String, f64>) {
    let text = app.metrics_text().await;
    let parsed = parse_metrics(&text);
    (text, parsed)
}

#[tokio::test]
async fn metrics_count_known_traffic() {
    let app = spawn_app().await;
    let [alice, bob, dave, root] = app.tokens(["alice", "bob", "dave", "root"]).await;
    // Three allowed checks (a standing power) and two denied ones.
    for _ in 0..3 {
        assert_eq!(
            app.check(&root, "wicket:audit.read", "wicket").await["allowed"],
            true
        );
    }
    for _ in 0..2 {
        assert_eq!(
            app.check(&alice, "db:delete", "postgres/prod/orders/x")
                .await["allowed"],
            false
        );
    }
    // One pending request with one review; one break-glass request, approved at once.
    let req = app.create(&alice, prod_read()).await;
    let id = req["id"].as_str().unwrap();
    let (s, _) = app.act(id, "approve", &bob).await;
    assert_eq!(s, StatusCode::OK);
    let mut glass = prod_read();
    glass["break_glass"] = json!(true);
    let (s, _) = app.post("/v1/requests", &dave, glass).await;
    assert_eq!(s, StatusCode::CREATED);

    // The anomaly is counted from the log: wait for the monitor to read it.
    let start = Instant::now();
    let (text, m) = loop {
        let (text, m) = metrics(&app).await;
        if m.contains_key("wicket_anomalies_total{rule=\"break_glass\",severity=\"high\"}") {
            break (text, m);
        }
        assert!(start.elapsed() < WITHIN, "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let at = |k: &str| *m.get(k).unwrap_or_else(|| panic!("no `{k}` in\n{text}"));
    assert_eq!(at("wicket_checks_total{decision=\"allow\"}"), 3.0);
    assert_eq!(at("wicket_checks_total{decision=\"deny\"}"), 2.0);
    assert_eq!(at("wicket_check_duration_seconds_count"), 5.0);
    assert_eq!(at("wicket_check_duration_seconds_bucket{le=\"+Inf\"}"), 5.0);
    assert!(at("wicket_check_duration_seconds_sum") > 0.0);
    // Buckets are cumulative.
    let buckets: Vec<f64> = m
        .iter()
        .filter(|(k, _)| k.starts_with("wicket_check_duration_seconds_bucket"))
        .map(|(_, v)| *v)
        .collect();
    assert!(buckets.len() > 10);
    assert!(buckets.iter().all(|v| *v <= 5.0));
    assert_eq!(at("wicket_requests_created_total"), 2.0);
    assert_eq!(at("wicket_requests{state=\"pending\"}"), 1.0);
    assert_eq!(at("wicket_requests{state=\"approved\"}"), 1.0);
    assert_eq!(at("wicket_requests{state=\"denied\"}"), 0.0);
    assert_eq!(at("wicket_reviews_total"), 1.0);
    assert_eq!(at("wicket_grants_live"), 1.0);
    assert_eq!(
        at("wicket_anomalies_total{rule=\"break_glass\",severity=\"high\"}"),
        1.0
    );
    // Two denials in one group commit or two; and three state changes (two creations and a
    // review) each in its own transaction.
    assert!(
        at("wicket_audit_append_duration_seconds_count") >= 4.0,
        "{text}"
    );
    assert_eq!(
        at("wicket_gateway_statements_total{decision=\"allow\"}"),
        0.0
    );
    for family in [
        "# TYPE wicket_checks_total counter",
        "# TYPE wicket_check_duration_seconds histogram",
        "# TYPE wicket_requests gauge",
        "# TYPE wicket_anomalies_total counter",
        "# TYPE wicket_webhook_deliveries_total counter",
        "# TYPE wicket_audit_append_duration_seconds histogram",
        "# TYPE wicket_gateway_sessions_open gauge",
    ] {
        assert!(text.contains(family), "no `{family}` in\n{text}");
    }
}
