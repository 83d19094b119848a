//! Replica processes on one fresh database, and a small HTTP client that names the replica
//! in every failure.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use wicket_testkit::TestDb;

/// The variable that turns this test binary into a replica (see `replica_process`).
pub const SERVE_ENV: &str = "WICKET_REPLICA_SERVE";

/// The configuration every replica runs with: the API tests' own.
pub const CONFIG: &str = include_str!("../api/config.toml");

/// One `wicket serve` process.
pub struct Replica {
    pub name: &'static str,
    pub addr: String,
    child: Mutex<Child>,
}

impl Replica {
    fn start(name: &'static str, config: &PathBuf, database: &str) -> Replica {
        let mut command = match std::env::var("WICKET_BIN") {
            Ok(bin) => {
                let mut c = Command::new(bin);
                c.arg("serve").arg("--config").arg(config).args([
                    "--listen",
                    "127.0.0.1:0",
                    "--database",
                    database,
                ]);
                c
            }
            Err(_) => {
                let mut c = Command::new(std::env::current_exe().unwrap());
                c.args([
                    "--exact",
                    "replica_process",
                    "--include-ignored",
                    "--nocapture",
                    "--test-threads=1",
                ]);
                c.env(SERVE_ENV, format!("{}\n{database}", config.display()));
                c
            }
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // Reads stdout to its end on a thread of its own, passing on the address once.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // The test harness may have printed `test replica_process ... ` on the same line.
                if let Some((_, addr)) = line.split_once("listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("replica {name} did not say where it listens within 60s");
            }
        };
        Replica {
            name,
            addr,
            child: Mutex::new(child),
        }
    }

    /// `SIGKILL`: no shutdown, no flush, connections cut.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
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
        let (status, value) = self
            .try_call(replica, method, path, token, body)
            .await
            .unwrap_or_else(|e| panic!("replica {}: {path}: {e}", replica.name));
        assert!(
            status.as_u16() < 500,
            "replica {} answered {path} with {status}: {value}",
            replica.name
        );
        (status, value)
    }

    /// Calls `replica`; a transport error (the replica is gone) is returned, not a failure.
    pub async fn try_call(
        &self,
        replica: &Replica,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", replica.addr))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
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
