//! A wicket server signing people in through the provider under test, over a fresh SQLite
//! file, on a port chosen before either starts (each must name the other).

use std::net::TcpListener;

use serde_json::Value;
use tempfile::TempDir;
use wicket_core::Config;
use wicket_server::{Running, spawn};

use crate::provider::{CLIENT_ID, CLIENT_SECRET, Provider};

pub struct World {
    pub provider: Provider,
    pub wicket: Running,
    /// `http://127.0.0.1:PORT` of wicket.
    pub base: String,
    /// The database url wicket runs on.
    pub db: String,
    /// Kept so the files live as long as the test.
    pub _dir: TempDir,
}

/// A port free right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn config(issuer: &str, redirect_uri: &str, secret_file: &str) -> String {
    format!(
        r#"
[[users]]
name = "alice"
groups = ["dba"]

[[roles]]
name = "reader"
[[roles.permissions]]
actions = ["db:read"]
resources = ["db/**"]

[[bindings]]
subjects = ["group:sre", "group:dba"]
roles = ["reader"]

[auth.oidc]
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret_file = "{secret_file}"
redirect_uri = "{redirect_uri}"
scopes = ["groups"]
display_name = "Test IdP"
session_lifetime = "2h"

[auth.oidc.groups]
sre = "sre"
"#
    )
}

pub async fn world() -> World {
    world_with(true).await
}

/// A world whose provider does not offer the device authorization grant.
pub async fn world_without_device_grant() -> World {
    world_with(false).await
}

async fn world_with(device_flow: bool) -> World {
    // Wicket's port must be in the provider's registration before wicket starts, so it is
    // picked first; should another process take it in between, the whole world starts again.
    let mut failure = String::new();
    for _ in 0..3 {
        match try_world(device_flow).await {
            Ok(world) => return world,
            Err(e) => failure = e,
        }
    }
    panic!("wicket could not start on a free port three times: {failure}");
}

async fn try_world(device_flow: bool) -> Result<World, String> {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let redirect_uri = format!("{base}/login/oidc/callback");
    let keys = dir.path().join("keys.json");
    let mut provider = tokio::task::spawn_blocking({
        let (keys, redirect_uri) = (keys.clone(), redirect_uri.clone());
        move || Provider::start_with(&keys, 0, &redirect_uri, false, device_flow)
    })
    .await
    .unwrap();
    let secret = dir.path().join("client-secret");
    std::fs::write(&secret, format!("{CLIENT_SECRET}\n")).unwrap();
    let text = config(
        &provider.issuer,
        &redirect_uri,
        &secret.display().to_string(),
    );
    let config = Config::parse("wicket.toml", &text).unwrap();
    let db = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let wicket = match spawn(config, Some(&db), &format!("127.0.0.1:{port}")).await {
        Ok(wicket) => wicket,
        Err(e) => {
            provider.kill();
            return Err(e.to_string());
        }
    };
    Ok(World {
        provider,
        wicket,
        base,
        db,
        _dir: dir,
    })
}

impl World {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Restarts the provider on its port with a new signing key first (the old one kept).
    pub async fn rotate_keys(&mut self) {
        let port = self.provider.port;
        let keys = self.provider.keys_file.clone();
        let redirect_uri = self.url("/login/oidc/callback");
        self.provider.kill();
        let next =
            tokio::task::spawn_blocking(move || Provider::start(&keys, port, &redirect_uri, true))
                .await
                .unwrap();
        self.provider = next;
    }

    /// The audit events of `kind`, oldest first.
    pub async fn events(&self, kind: &str) -> Vec<wicket_core::AuditEvent> {
        self.wicket
            .app
            .store
            .list_events(&wicket_store::AuditFilter::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect()
    }
}

/// `GET {base}/v1/whoami` with `token`: its status and body.
pub async fn whoami(http: &reqwest::Client, base: &str, token: &str) -> (u16, Value) {
    let r = http
        .get(format!("{base}/v1/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}
