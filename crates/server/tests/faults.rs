//! Faults injected into a real server: its PostgreSQL stopped mid-traffic (here) and its
//! SQLite disk full (`faults/disk.rs`). Every caller gets its answer within its own deadline
//! (about one connection wait), the server fails fast once it knows the database is down,
//! `/readyz` says so at once, and it recovers by itself when the database is back, with an
//! audit chain that still verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use wicket_core::Config;
use wicket_testkit::OwnCluster;

#[path = "faults/disk.rs"]
mod disk;

const CONFIG: &str = r#"
[[users]]
name = "alice"

[[users]]
name = "carol"

[[roles]]
name = "orders-read"
permissions = [{ actions = ["db:select"], resources = ["postgres/prod/orders/**"] }]

[[roles]]
name = "wicket-admin"
permissions = [{ actions = ["wicket:*"], resources = ["wicket"] }]

[[bindings]]
subjects = ["user:carol"]
roles = ["wicket-admin"]

[[bindings]]
subjects = ["user:alice"]
roles = ["orders-read"]
"#;

/// The longest any caller may wait while the database is down: the audit writer's deadline
/// (10 s, about one connection wait) and room for a loaded machine. Before the fix, callers
/// queued behind each other's connection waits and the last answered after 39 s.
const DEADLINE: Duration = Duration::from_secs(20);

/// A denied check: it must be audited, so it needs the database.
fn denied() -> Value {
    json!({"action": "db:delete", "resource": "postgres/prod/orders/public/orders"})
}

/// POSTs `body` to `url` with `token`: the response, and how long it took to come.
async fn send(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Value,
) -> (reqwest::Response, Duration) {
    let start = Instant::now();
    let resp = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp, start.elapsed())
}

/// POSTs `body` to `url` with `token`: the status, and how long it took to come.
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Duration) {
    let (resp, took) = send(client, url, token, body).await;
    (resp.status(), took)
}

/// Calls `probe` every `every` until it answers 200, failing the test if it still has not a
/// minute after `since` happened; how long that took. `probe` answers a status and what to
/// say of it.
async fn recovers<F, Fut>(since: &str, every: Duration, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)>,
{
    let back = Instant::now();
    loop {
        let (status, says) = probe().await;
        if status == StatusCode::OK {
            return back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(60),
            "still {status} {says} a minute after {since}"
        );
        tokio::time::sleep(every).await;
    }
}

/// A server of the test's own on `db`, with tokens for alice and carol and a patient client.
struct Served {
    running: wicket_server::Running,
    base: String,
    alice: String,
    carol: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn start(db: &str) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wicket.toml");
        std::fs::write(&path, CONFIG).unwrap();
        let config = Config::parse("wicket.toml", CONFIG).unwrap();
        let running = wicket_server::spawn(config, Some(db), "127.0.0.1:0")
            .await
            .unwrap();
        let token = |user| wicket_engine::admin::create_token(&path, Some(db), user, Some("1h"));
        Served {
            base: format!("http://{}", running.addr),
            alice: token("alice").await.unwrap(),
            carol: token("carol").await.unwrap(),
            client: reqwest::Client::builder()
                .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            running,
            _dir: dir,
        }
    }

    /// Asserts that the audit chain still verifies, and stops the server.
    async fn finish(self) {
        assert!(self.chain_verifies().await, "the chain breaks");
        self.running.shutdown().await.unwrap();
    }

    /// `GET path` as carol: the JSON answer.
    async fn read(&self, path: &str) -> Value {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.carol)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `GET /v1/audit/verify` as carol: whether the chain verifies.
    async fn chain_verifies(&self) -> bool {
        self.read("/v1/audit/verify").await["ok"] == true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_traffic_every_caller_answered_in_time_and_recovery_without_restart() {
    let pg = OwnCluster::start("wicket")
        .await
        .expect("a PostgreSQL of this test's own");
    let served = Served::start(&pg.url("wicket")).await;
    let Served {
        base,
        alice,
        client,
        ..
    } = &served;
    let check = format!("{base}/v1/check");
    let (status, _) = post(client, &check, alice, denied()).await;
    assert_eq!(status, StatusCode::OK);

    pg.stop().unwrap();
    let stopped = Instant::now();
    // Three batches of a thousand audited checks at once, and single checks beside them.
    let batch = json!({"checks": vec![denied(); 1000]});
    let mut calls = Vec::new();
    for _ in 0..3 {
        let (client, url, token, body) = (
            client.clone(),
            format!("{base}/v1/check/batch"),
            alice.clone(),
            batch.clone(),
        );
        calls.push(tokio::spawn(async move {
            post(&client, &url, &token, body).await
        }));
    }
    for delay in [0u64, 1, 5] {
        let (client, url, token) = (client.clone(), check.clone(), alice.clone());
        calls.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(delay)).await;
            post(&client, &url, &token, denied()).await
        }));
    }
    let mut longest = Duration::ZERO;
    for call in calls {
        let (status, took) = call.await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(took < DEADLINE, "a caller waited {took:?} for its 503");
        longest = longest.max(took);
    }
    // Known down: the next caller and /readyz are told at once.
    let (status, took) = post(client, &check, alice, denied()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let start = Instant::now();
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    let ready_took = start.elapsed();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    eprintln!(
        "database down: the longest caller waited {longest:?} ({:?} since the stop); a check once known down {took:?}; /readyz {ready_took:?}",
        stopped.elapsed()
    );
    assert!(
        ready_took < Duration::from_secs(5),
        "/readyz took {ready_took:?}"
    );

    // Back: the server recovers by itself.
    pg.restart().unwrap();
    let took = recovers(
        "the database came back",
        Duration::from_millis(200),
        || async { (post(client, &check, alice, denied()).await.0, String::new()) },
    )
    .await;
    eprintln!("recovered {took:?} after the database came back");
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    served.finish().await;
}
