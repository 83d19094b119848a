//! `spawn_app()`: a real server on a free port over a fresh database, and an HTTP client.
//!
//! The database is a SQLite file in the `api` test target, and a fresh PostgreSQL database of
//! the test server (`wicket-testkit`) in `api_postgres`, which runs these same tests.

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use wicket_core::Config;
use wicket_server::{Running, spawn};
use wicket_testkit::TestDb;

pub const CONFIG: &str = include_str!("config.toml");

pub struct TestApp {
    pub addr: String,
    pub client: reqwest::Client,
    pub dir: TempDir,
    /// The database url the server runs on.
    pub db: String,
    pub running: Option<Running>,
    _pg: Option<TestDb>,
}

/// True in the `api_postgres` target: the same tests, on PostgreSQL.
pub fn on_postgres() -> bool {
    env!("CARGO_CRATE_NAME") == "api_postgres"
}

/// A fresh database: a file in `dir`, or a database of the test PostgreSQL server. With
/// `WICKET_SKIP_POSTGRES=1`, `api_postgres` runs on SQLite too.
async fn fresh_db(dir: &TempDir) -> (String, Option<TestDb>) {
    if on_postgres()
        && let Some(db) = wicket_testkit::database().await.unwrap()
    {
        return (db.url.clone(), Some(db));
    }
    (
        format!("sqlite://{}", dir.path().join("wicket.db").display()),
        None,
    )
}

pub fn config_path(dir: &TempDir) -> PathBuf {
    dir.path().join("wicket.toml")
}

pub async fn spawn_app() -> TestApp {
    spawn_with(CONFIG).await
}

pub async fn spawn_with(config: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(config_path(&dir), config).unwrap();
    let (db, pg) = fresh_db(&dir).await;
    let mut app = TestApp {
        addr: String::new(),
        client: reqwest::Client::builder()
            .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
            .build()
            .unwrap(),
        dir,
        db,
        running: None,
        _pg: pg,
    };
    app.start().await;
    app
}

impl TestApp {
    async fn start(&mut self) {
        let config = Config::parse(
            "wicket.toml",
            &std::fs::read_to_string(config_path(&self.dir)).unwrap(),
        )
        .unwrap();
        let running = spawn(config, Some(&self.db), "127.0.0.1:0").await.unwrap();
        self.addr = format!("http://{}", running.addr);
        self.running = Some(running);
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.unwrap();
        }
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// The `/metrics` page (unauthenticated, as Prometheus reads it).
    pub async fn metrics_text(&self) -> String {
        let resp = self
            .client
            .get(format!("{}/metrics", self.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }

    /// The value of one metrics series (its name and labels, as written), when exposed.
    pub async fn metric(&self, series: &str) -> Option<u64> {
        self.metrics_text()
            .await
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    /// A fresh token for `user`, minted as `wicket token create` does.
    pub async fn token(&self, user: &str) -> String {
        wicket_engine::admin::create_token(
            &config_path(&self.dir),
            Some(&self.db),
            user,
            Some("1h"),
        )
        .await
        .unwrap()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let (status, value) = conforming(&method, path, req).await;
        assert!(status.as_u16() < 500, "{path} answered {status}: {value}");
        (status, value)
    }

    /// Sends `body` as it is, labelled `content_type` (unlabelled when `None`); the answer is
    /// checked against the spec like every other.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.addr))
            .bearer_auth(token)
            .body(body.to_string());
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        conforming(&method, path, req).await
    }

    /// Runs one SQL statement on the database behind the server's back; the rows it touched.
    pub async fn execute_sql(&self, sql: &str) -> u64 {
        // The same lines for either database, each with its own connection type.
        macro_rules! execute_on {
            ($conn:ty) => {{
                let mut conn = <$conn as sqlx::Connection>::connect(&self.db)
                    .await
                    .unwrap();
                let n = sqlx::query(sql)
                    .execute(&mut conn)
                    .await
                    .unwrap()
                    .rows_affected();
                sqlx::Connection::close(conn).await.unwrap();
                n
            }};
        }
        if self.db.starts_with("sqlite:") {
            execute_on!(sqlx::SqliteConnection)
        } else {
            execute_on!(sqlx::PgConnection)
        }
    }

    /// Fresh tokens for each of `users`, in order.
    pub async fn tokens<const N: usize>(&self, users: [&str; N]) -> [String; N] {
        futures_util::future::join_all(users.map(|u| self.token(u)))
            .await
            .try_into()
            .unwrap()
    }

    /// Files a request that must be accepted (201); what the server answered.
    pub async fn create(&self, token: &str, body: Value) -> Value {
        let (s, r) = self.post("/v1/requests", token, body).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        r
    }

    /// `POST /v1/requests/{id}/{verb}` (`approve`, `deny`, `cancel`) with an empty body.
    pub async fn act(&self, id: &str, verb: &str, token: &str) -> (StatusCode, Value) {
        self.post(&format!("/v1/requests/{id}/{verb}"), token, json!({}))
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn check(&self, token: &str, action: &str, resource: &str) -> Value {
        let (s, v) = self
            .post(
                "/v1/check",
                token,
                json!({"action": action, "resource": resource}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// Every audit event, read as an auditor.
    pub async fn events(&self, auditor: &str) -> Vec<Value> {
        let (s, v) = self.get("/v1/audit?limit=1000", auditor).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"].as_array().unwrap().clone()
    }

    pub async fn kinds(&self, auditor: &str, request_id: &str) -> Vec<String> {
        let (_, v) = self
            .get(&format!("/v1/audit?request_id={request_id}"), auditor)
            .await;
        kinds_of(v["items"].as_array().unwrap())
    }

    /// The kind of every audit event, read as an auditor.
    pub async fn all_kinds(&self, auditor: &str) -> Vec<String> {
        kinds_of(&self.events(auditor).await)
    }

    /// Asserts each `(path, token, status, code)`: a GET of `path` with `token` refused so.
    pub async fn assert_refused_gets(&self, cases: &[(&str, &str, u16, &str)]) {
        for (path, token, status, code) in cases {
            assert_error(&self.get(path, token).await, *status, code);
        }
    }
}

/// The kinds of `events`, in order.
fn kinds_of(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Sends `req` and reads the answer, checked against the spec.
async fn conforming(
    method: &Method,
    path: &str,
    req: reqwest::RequestBuilder,
) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await.unwrap();
    crate::conform::assert_conforms(
        method.as_str(),
        path,
        status.as_u16(),
        content_type.as_deref(),
        &text,
    );
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts a 200 answer whose request (or grant) is now in `state`.
pub fn assert_state(resp: &(StatusCode, Value), state: &str) {
    assert_eq!(
        (resp.0, resp.1["state"].as_str()),
        (StatusCode::OK, Some(state)),
        "{}",
        resp.1
    );
}

/// The `id` of an answer.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Asserts that `text` mentions each of `needles`.
pub fn assert_mentions(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
}

/// Asserts the error shape and code.
pub fn assert_error(resp: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(resp.0.as_u16(), status, "{}", resp.1);
    assert_eq!(resp.1["error"]["code"], code, "{}", resp.1);
    let message = resp.1["error"]["message"].as_str().unwrap();
    assert!(!message.is_empty());
}

pub fn prod_read() -> Value {
    json!({"roles": ["orders-db-read"], "reason": "investigate INC-42", "ticket": "INC-42"})
}
