//! The server under test: real, on a free port, over a fresh SQLite file.

use std::path::PathBuf;

use tempfile::TempDir;
use wicket_core::Config;
use wicket_server::{Running, spawn};

pub const CONFIG: &str = include_str!("config.toml");

pub struct Server {
    pub base: String,
    pub dir: TempDir,
    /// Kept so the server lives as long as the test.
    pub _running: Running,
}

fn config_path(dir: &TempDir) -> PathBuf {
    dir.path().join("wicket.toml")
}

fn db_url(dir: &TempDir) -> String {
    format!("sqlite://{}", dir.path().join("wicket.db").display())
}

pub async fn spawn_server() -> Server {
    spawn_server_with(CONFIG).await
}

/// A server on configuration `text`.
pub async fn spawn_server_with(text: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(config_path(&dir), text).unwrap();
    let config = Config::parse("wicket.toml", text).unwrap();
    let running = spawn(config, Some(&db_url(&dir)), "127.0.0.1:0")
        .await
        .unwrap();
    Server {
        base: format!("http://{}", running.addr),
        dir,
        _running: running,
    }
}

impl Server {
    /// A fresh one-hour token for `user`, minted as `wicket token create` does.
    pub async fn token(&self, user: &str) -> String {
        wicket_engine::admin::create_token(
            &config_path(&self.dir),
            Some(&db_url(&self.dir)),
            user,
            Some("1h"),
        )
        .await
        .unwrap()
    }

    /// Fresh tokens for each of `users`, in order.
    pub async fn tokens<const N: usize>(&self, users: [&str; N]) -> [String; N] {
        let mut tokens = std::array::from_fn(|_| String::new());
        for (token, user) in tokens.iter_mut().zip(users) {
            *token = self.token(user).await;
        }
        tokens
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// POSTs `body` as JSON with `token`: the status and the JSON answer.
pub async fn post_json(
    url: &str,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or_default(),
    )
}

/// GETs `url` with `token`: the JSON answer.
pub async fn get_json(url: &str, token: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Asserts that `text`, which `what` shows, mentions each of `needles`.
pub fn assert_mentions(what: &str, text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{what} lacks {needle:?}: {text}");
    }
}
