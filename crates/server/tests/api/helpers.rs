//! `spawn_app()`: a real server on a free port over a fresh SQLite file, and an HTTP client.

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use wicket_core::Config;
use wicket_server::{Running, spawn};

pub const CONFIG: &str = include_str!("config.toml");

pub struct TestApp {
    pub addr: String,
    pub client: reqwest::Client,
    pub dir: TempDir,
    pub running: Option<Running>,
}

pub fn db_url(dir: &TempDir) -> String {
    format!("sqlite://{}", dir.path().join("wicket.db").display())
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
    let mut app = TestApp { addr: String::new(), client: reqwest::Client::new(), dir, running: None };
    app.start().await;
    app
}

impl TestApp {
    async fn start(&mut self) {
        let config = Config::parse("wicket.toml", &std::fs::read_to_string(config_path(&self.dir)).unwrap()).unwrap();
        let running = spawn(config, Some(&db_url(&self.dir)), "127.0.0.1:0").await.unwrap();
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

    /// A fresh token for `user`, minted as `wicket token create` does.
    pub async fn token(&self, user: &str) -> String {
        wicket_server::admin::create_token(&config_path(&self.dir), Some(&db_url(&self.dir)), user, Some("1h"))
            .await
            .unwrap()
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        assert!(status.as_u16() < 500, "{path} answered {status}: {value}");
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn check(&self, token: &str, action: &str, resource: &str) -> Value {
        let (s, v) = self.post("/v1/check", token, json!({"action": action, "resource": resource})).await;
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
        let (_, v) = self.get(&format!("/v1/audit?request_id={request_id}"), auditor).await;
        v["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
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
