//! Replica processes on one fresh database, and a small HTTP client that names the replica
//! in every failure.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use wicket_testkit::TestDb;

use crate::call::call;
use crate::process::Server;

/// The configuration every replica runs with: the API tests' own.
pub const CONFIG: &str = include_str!("../api/config.toml");

/// One `wicket serve` process, killed when dropped.
pub struct Replica {
    pub name: &'static str,
    pub addr: String,
    /// `None` once killed.
    server: Mutex<Option<Server>>,
}

impl Replica {
    fn start(name: &'static str, config: &Path, database: &str) -> Replica {
        let server = Server::start(config, database);
        Replica {
            name,
            addr: server.addr.clone(),
            server: Mutex::new(Some(server)),
        }
    }

    /// `SIGKILL`: no shutdown, no flush, connections cut.
    pub fn kill(&self) {
        let server = self.server.lock().unwrap().take();
        server.expect("a replica is killed once").kill();
    }
}

/// Replicas `a` and `b` on one fresh database, with the configuration in `dir`.
pub struct Pair {
    pub a: Replica,
    pub b: Replica,
    pub db: String,
    pub config: PathBuf,
    pub client: reqwest::Client,
    _dir: TempDir,
    // INVARIANT: declared after the replicas, so they are gone before the database is.
    _pg: TestDb,
}

/// Two replicas starting at once on a new database (so they race to migrate it), or `None`
/// when `WICKET_SKIP_POSTGRES=1`.
pub async fn pair() -> Option<Pair> {
    let pg = wicket_testkit::database().await.unwrap()?;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wicket.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let (c1, c2, d1, d2) = (
        config.clone(),
        config.clone(),
        pg.url.clone(),
        pg.url.clone(),
    );
    let a = std::thread::spawn(move || Replica::start("a", &c1, &d1));
    let b = std::thread::spawn(move || Replica::start("b", &c2, &d2));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    let client = reqwest::Client::builder()
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Some(Pair {
        a,
        b,
        db: pg.url.clone(),
        config,
        client,
        _dir: dir,
        _pg: pg,
    })
}

impl Pair {
    /// A fresh token for `user`, minted as `wicket token create` does, straight in the database.
    pub async fn token(&self, user: &str) -> String {
        wicket_engine::admin::create_token(&self.config, Some(&self.db), user, Some("1h"))
            .await
            .unwrap()
    }

    /// Calls `replica`; any 5xx fails the test.
    pub async fn call(
        &self,
        replica: &Replica,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, value) = call(&self.client, &replica.addr, method, path, token, body)
            .await
            .unwrap_or_else(|e| panic!("replica {}: {path}: {e}", replica.name));
        assert!(
            status.as_u16() < 500,
            "replica {} answered {path} with {status}: {value}",
            replica.name
        );
        (status, value)
    }

    pub async fn get(&self, replica: &Replica, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(replica, Method::GET, path, token, None).await
    }

    pub async fn post(
        &self,
        replica: &Replica,
        path: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(replica, Method::POST, path, token, Some(body))
            .await
    }

    /// Files a request on `replica` that must be accepted (201); what the replica answered.
    pub async fn create(&self, replica: &Replica, token: &str, body: Value) -> Value {
        let (s, r) = self.post(replica, "/v1/requests", token, body).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        r
    }

    /// `POST /v1/requests/{id}/{verb}` (`approve`, `deny`, `cancel`) on `replica`, empty body.
    pub async fn act(
        &self,
        replica: &Replica,
        id: &str,
        verb: &str,
        token: &str,
    ) -> (StatusCode, Value) {
        let path = format!("/v1/requests/{id}/{verb}");
        self.post(replica, &path, token, serde_json::json!({}))
            .await
    }

    /// Whether `token`'s user may `action` on `resource`, according to `replica`.
    pub async fn allowed(
        &self,
        replica: &Replica,
        token: &str,
        action: &str,
        resource: &str,
    ) -> bool {
        let (s, v) = self
            .post(
                replica,
                "/v1/check",
                token,
                serde_json::json!({"action": action, "resource": resource}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["allowed"].as_bool().unwrap()
    }

    /// Every event of `kind` (a kind or a `prefix.*`) for `grant_id`, if given, read from `replica`.
    pub async fn events(&self, replica: &Replica, auditor: &str, query: &str) -> Vec<Value> {
        let (s, v) = self
            .get(replica, &format!("/v1/audit?limit=1000&{query}"), auditor)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"].as_array().unwrap().clone()
    }
}

/// Polls `probe` every 10 ms until it is true, and returns how long that took; fails the test
/// after `within`.
pub async fn eventually<F, Fut>(what: &str, within: Duration, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if probe().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
