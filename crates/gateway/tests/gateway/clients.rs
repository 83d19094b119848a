//! Real clients through the gateway, each started by its test as a user holding only what
//! the README's "what each client needs" table says it needs: psycopg 3, asyncpg and
//! SQLAlchemy (in `target/pyenv`), node-postgres (npm, in `tests/clients/js`), pgx and pgjdbc
//! (Debian packages), psql and pgbench. A client that is not installed fails its test,
//! naming the package and how to install it (`.ci/run` installs them all).

mod go;
mod java;
mod node;
mod pgbench;
mod psql;
pub mod python;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::Env;

/// How long one client program may run: far beyond what it needs on a loaded machine.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(240);

/// A type, a table of int4[], an enum and jsonb, an index and a foreign key, all the
/// gateway's role's, for the clients to read, write and reflect.
const FIXTURE: &str = "
SET ROLE wicket_gw;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE gadgets (id int PRIMARY KEY, tags int4[], mood mood, doc jsonb, label text);
CREATE INDEX gadgets_label ON gadgets (label);
INSERT INTO gadgets VALUES (1, '{1,2,3}', 'happy', '{\"k\": [1, 2]}', 'first'),
                           (2, '{4}', 'sad', '{}', 'second');
ALTER TABLE payments ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE VIEW gadget_labels AS SELECT id, label FROM gadgets;
COMMENT ON TABLE gadgets IS 'things with tags';
RESET ROLE;
";

/// The workspace's root directory.
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// `crates/gateway/tests/clients/<dir>`: the client programs.
pub fn programs(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(dir)
}

/// A scratch directory of this test build for compiled clients and their caches.
pub fn scratch(what: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("clients")
        .join(what);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `path`, which `package` installs; the test fails naming it when it is missing.
pub fn require(path: impl AsRef<Path>, package: &str) -> PathBuf {
    let path = path.as_ref();
    assert!(
        path.exists(),
        "{} is missing: install {package} (`.ci/run` does)",
        path.display()
    );
    path.to_path_buf()
}

/// The program `name` on PATH, which `package` installs.
pub fn program(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| panic!("`{name}` is not on PATH: install {package} (`.ci/run` does)"))
}

/// Runs a client to its end (at most [`CLIENT_TIMEOUT`]); it must succeed. Its output.
pub async fn run(what: &str, mut cmd: tokio::process::Command) -> Output {
    cmd.kill_on_drop(true).stdin(std::process::Stdio::null());
    let out = tokio::time::timeout(CLIENT_TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{what} ran longer than {CLIENT_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{what} did not start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Roles scoped to the `public` schema, so that no client reaches `pg_catalog` through a
/// table permission, and a policy of their own (the shared ones offer other roles first).
const ROLES: &str = r#"
[[roles]]
name = "public-write"
permissions = [
  { actions = ["db:connect"], resources = ["pg/test/*"] },
  { actions = ["db:select", "db:insert", "db:update", "db:delete"], resources = ["pg/test/*/public/*"] },
]

[[roles]]
name = "public-ddl"
permissions = [
  { actions = ["db:connect"], resources = ["pg/test/*"] },
  { actions = ["db:ddl"], resources = ["pg/test/*/public/*"] },
]

[[policies]]
name = "clients"
requesters = ["user:alice", "user:bob"]
roles = ["public-write", "public-ddl"]
max_duration = "1h"
require_reason = false
"#;

/// A fresh environment with the fixture, and a token of `alice` holding `roles`.
pub async fn setup(roles: &[&str]) -> Option<(Env, String)> {
    let env = crate::helpers::env_with(|target| target.push_str(ROLES)).await?;
    env.direct().await.batch_execute(FIXTURE).await.unwrap();
    for role in roles {
        env.grant("alice", role, "30m").await;
    }
    let token = env.token("alice").await;
    Some((env, token))
}

/// Once every session of the test has ended, the statements the gateway denied: a client
/// must meet exactly the denials its test expects, none it swallowed on the way.
pub async fn denials(env: &Env) -> Vec<String> {
    let count = |events: &[Value], kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    let events = env
        .events_when("every gateway session to end", |events| {
            let started = count(events, "gateway.session.started");
            started > 0 && count(events, "gateway.session.ended") == started
        })
        .await;
    events
        .iter()
        .filter(|e| e["kind"] == "gateway.statement" && e["decision"] == "deny")
        .map(|e| e["details"]["statement"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Asserts that the denials are one for each of `expected`, in order, each holding its text.
pub fn assert_denials(denied: &[String], expected: &[&str]) {
    assert_eq!(
        denied.len(),
        expected.len(),
        "denied statements: {denied:#?}, expected ones holding {expected:?}"
    );
    for (d, e) in denied.iter().zip(expected) {
        assert!(d.contains(e), "denied `{d}`, expected one holding `{e}`");
    }
}
