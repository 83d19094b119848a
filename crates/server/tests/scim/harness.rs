//! A real server with `[auth.scim]` over a fresh SQLite file, a SCIM client with its token,
//! and tokens for directory users minted as a sign-in does.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use wicket_core::Config;
use wicket_server::{Running, spawn};

use crate::call::call;

pub const TOKEN: &str = "scim-test-token-0123456789abcdef";

/// Roles, a standing binding for a pushed group, a policy that approves at once and one that
/// waits for `boss`.
pub const CONFIG: &str = r#"
[auth.scim]
token_file = "TOKEN_FILE"

[[users]]
name = "boss"
groups = ["leads"]

[[roles]]
name = "db-read"
permissions = [{ actions = ["db:select"], resources = ["db/**"] }]

[[roles]]
name = "db-write"
permissions = [{ actions = ["db:update"], resources = ["db/**"] }]

[[roles]]
name = "wicket-admin"
permissions = [{ actions = ["wicket:grants.revoke", "wicket:audit.read", "wicket:requests.read", "wicket:check.others"], resources = ["wicket"] }]

[[bindings]]
subjects = ["group:readers"]
roles = ["db-read"]

[[bindings]]
subjects = ["user:boss"]
roles = ["wicket-admin"]

[[policies]]
name = "self-service"
requesters = ["group:sre"]
roles = ["db-read"]
max_duration = "1h"
require_reason = false

[[policies]]
name = "reviewed"
requesters = ["group:sre"]
roles = ["db-write"]
max_duration = "1h"
require_reason = false
steps = [{ approvers = ["user:boss"], min_approvals = 1 }]
"#;

pub struct Scim {
    pub addr: String,
    pub client: reqwest::Client,
    pub running: Running,
    _dir: TempDir,
}

/// A server on a fresh SQLite file with `config` (`TOKEN_FILE` replaced by the token's file).
pub async fn spawn_scim(config: &str) -> Scim {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("scim-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let text = config.replace("TOKEN_FILE", &token_file.display().to_string());
    let config = Config::parse("wicket.toml", &text).unwrap();
    let db = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let running = spawn(config, Some(&db), "127.0.0.1:0").await.unwrap();
    Scim {
        addr: format!("http://{}", running.addr),
        client: reqwest::Client::builder()
            .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
            .build()
            .unwrap(),
        running,
        _dir: dir,
    }
}

impl Scim {
    /// Calls `path` under `/scim/v2` with the SCIM token; the status and the JSON body.
    pub async fn scim(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.scim_as(Some(TOKEN), method, path, body).await
    }

    pub async fn scim_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}/scim/v2{path}", self.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        if !text.is_empty() {
            assert_eq!(
                content_type.as_deref(),
                Some("application/scim+json"),
                "{path}: {text}"
            );
        }
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, value)
    }

    /// Calls the wicket API with `token`.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(&self.client, &self.addr, method, path, token, body)
            .await
            .unwrap()
    }

    /// A token for `user`, stored as a sign-in stores one.
    pub async fn token(&self, user: &str) -> String {
        let (token, changes) = wicket_engine::admin::token_changes(
            user,
            "oidc",
            None,
            wicket_engine::app::now(),
            &mut wicket_engine::ids::RandomIds,
        );
        self.running.app.commit(changes).await.unwrap();
        token
    }

    /// Creates user `name` (active) and returns their id.
    pub async fn user(&self, name: &str) -> String {
        let (status, body) = self
            .scim(
                Method::POST,
                "/Users",
                Some(serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": name,
                    "name": {"givenName": name},
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }
}
