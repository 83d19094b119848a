//! Servers that drift apart: a server warns when another starts on its database with a
//! different configuration, and a server that hears nothing from the others (SQLite has no
//! change feed) still catches up with their grants at its periodic reload.
//!
//! Both run the servers in this process (`wicket_server::spawn`), so that the warning can be
//! read from the log as it is written.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use wicket_core::Config;
use wicket_engine::replicate::RESYNC_EVERY;

use crate::harness::CONFIG;

/// One log line: its fields by name (`message` among them).
type Line = Vec<(String, String)>;

/// Keeps every warning and error logged on the thread it is set on.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Line>>>);

impl Capture {
    fn lines(&self) -> Vec<Line> {
        self.0.lock().unwrap().clone()
    }
}

struct Fields(Line);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_string(), value.to_string()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::WARN
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn field<'l>(line: &'l Line, name: &str) -> Option<&'l str> {
    line.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The configuration warnings logged so far, as (theirs, ours) hashes.
fn drift_warnings(capture: &Capture) -> Vec<(String, String)> {
    capture
        .lines()
        .iter()
        .filter(|l| field(l, "message").is_some_and(|m| m.contains("different configuration")))
        .map(|l| {
            (
                field(l, "theirs").unwrap_or_default().to_string(),
                field(l, "ours").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

// The current-thread runtime runs both servers' tasks on this thread, where the capture is set.
#[tokio::test(flavor = "current_thread")]
async fn a_server_warns_when_another_starts_on_its_database_with_another_configuration() {
    let Some(pg) = wicket_testkit::database().await.unwrap() else {
        return;
    };
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let ours = Config::parse("wicket.toml", CONFIG).unwrap();
    let theirs = Config::parse(
        "wicket.toml",
        &format!("{CONFIG}\n[[users]]\nname = \"newcomer\"\n"),
    )
    .unwrap();
    let (ours_hash, theirs_hash) = (ours.hash.clone(), theirs.hash.clone());
    assert_ne!(ours_hash, theirs_hash);

    let a = wicket_server::spawn(ours, Some(&pg.url), "127.0.0.1:0")
        .await
        .unwrap();
    let b = wicket_server::spawn(theirs, Some(&pg.url), "127.0.0.1:0")
        .await
        .unwrap();
    // `a` hears `b`'s `policy.loaded` and names both configurations.
    let deadline = Instant::now() + Duration::from_secs(30);
    while drift_warnings(&capture).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no warning about the configurations within 30 s; logged: {:?}",
            capture.lines()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // `a` heard its own `policy.loaded` before `b`'s, and said nothing of it.
    assert_eq!(drift_warnings(&capture), [(theirs_hash, ours_hash)]);
    let message = capture
        .lines()
        .iter()
        .filter_map(|l| field(l, "message").map(str::to_string))
        .find(|m| m.contains("different configuration"))
        .unwrap();
    assert!(
        message.contains("should share one configuration file"),
        "{message}"
    );
    b.shutdown().await.unwrap();
    a.shutdown().await.unwrap();
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let resp = client
        .post(format!("http://{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

/// Two servers on one SQLite file: a grant approved on `a` reaches `b`, which has no change
/// feed, at its periodic reload (every 30 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_a_change_feed_catches_up_at_its_periodic_reload() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("wicket.toml");
    std::fs::write(&config_path, CONFIG).unwrap();
    let db = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let config = || Config::parse("wicket.toml", CONFIG).unwrap();
    let a = wicket_server::spawn(config(), Some(&db), "127.0.0.1:0")
        .await
        .unwrap();
    let b = wicket_server::spawn(config(), Some(&db), "127.0.0.1:0")
        .await
        .unwrap();
    let token = |user: &'static str| {
        let (path, db) = (config_path.clone(), db.clone());
        async move {
            wicket_engine::admin::create_token(&path, Some(&db), user, Some("1h"))
                .await
                .unwrap()
        }
    };
    let (erin, a1) = (token("erin").await, token("a1").await);
    let client = reqwest::Client::builder()
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .build()
        .unwrap();
    let (a_addr, b_addr) = (a.addr.to_string(), b.addr.to_string());
    let check = json!({"action": "logs:view", "resource": "logs/prod/api"});
    let allowed_on_b = || async {
        let (s, v) = call(&client, &b_addr, "/v1/check", &erin, check.clone()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["allowed"].as_bool().unwrap()
    };

    let (s, req) = call(
        &client,
        &a_addr,
        "/v1/requests",
        &erin,
        json!({"roles": ["logs-read"], "policy": "crowd"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    let id = req["id"].as_str().unwrap();
    let (s, v) = call(
        &client,
        &a_addr,
        &format!("/v1/requests/{id}/approve"),
        &a1,
        json!({}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{v}"
    );
    let approved = Instant::now();
    // `b` learns of it from nothing but its reload: not now, but within the reload period
    // (with room for a loaded machine).
    assert!(
        !allowed_on_b().await,
        "b knew at once: it has a change feed after all?"
    );
    let deadline = approved + RESYNC_EVERY * 3;
    while !allowed_on_b().await {
        assert!(
            Instant::now() < deadline,
            "b did not learn of the grant within {:?}",
            RESYNC_EVERY * 3
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.shutdown().await.unwrap();
    a.shutdown().await.unwrap();
}
