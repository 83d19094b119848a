//! `env()`: a fresh database with the gateway's own role, a wicket server and its gateway in
//! front of it, and clients for each side.

use std::io::Write;
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};
use wicket_core::Config;
use wicket_gateway::Gateway;
use wicket_server::{Running, spawn};

/// The gateway's upstream password: distinctive, so a test can look for it anywhere.
pub const UPSTREAM_PASSWORD: &str = "upstream-Pw-9f2c7e1d";
pub const UPSTREAM_USER: &str = "wicket_gw";

const CONFIG: &str = r#"
[[users]]
name = "alice"

[[users]]
name = "bob"

[[users]]
name = "carol"

[[users]]
name = "erin"

[[roles]]
name = "db-read"
permissions = [{ actions = ["db:connect", "db:select"], resources = ["pg/test/**"] }]

[[roles]]
name = "db-write"
permissions = [{ actions = ["db:connect", "db:select", "db:insert", "db:update", "db:delete"], resources = ["pg/test/**"] }]

[[roles]]
name = "customers-read"
permissions = [
  { actions = ["db:connect"], resources = ["pg/test/*"] },
  { actions = ["db:select"], resources = ["pg/test/*/public/customers"] },
]

[[roles]]
name = "public-read"
permissions = [
  { actions = ["db:connect"], resources = ["pg/test/*"] },
  { actions = ["db:select"], resources = ["pg/test/*/public/*"] },
]

[[roles]]
name = "reports-read"
permissions = [
  { actions = ["db:connect"], resources = ["pg/test/*"] },
  { actions = ["db:select"], resources = ["pg/test/*/reports/**"] },
]

[[roles]]
name = "db-metadata"
permissions = [{ actions = ["db:connect", "db:metadata"], resources = ["pg/test/*"] }]

[[roles]]
name = "catalog-read"
permissions = [
  { actions = ["db:connect"], resources = ["pg/test/*"] },
  { actions = ["db:select"], resources = ["pg/test/*/pg_catalog/*"] },
]

[[roles]]
name = "db-all"
permissions = [{ actions = ["db:*"], resources = ["pg/test/**"] }]

[[roles]]
name = "wicket-admin"
permissions = [{ actions = ["wicket:*"], resources = ["wicket"] }]

[[bindings]]
subjects = ["user:carol"]
roles = ["wicket-admin"]

[[policies]]
name = "self-service"
requesters = ["user:alice", "user:bob", "user:erin"]
roles = ["db-read", "db-write", "customers-read", "public-read", "reports-read", "db-metadata", "catalog-read", "db-all"]
max_duration = "1h"
require_reason = false
"#;

/// Log lines of the whole test process, to look for secrets in.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOG.get_or_init(Default::default).lock().unwrap()).into_owned()
}

static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let buf = LOG.get_or_init(Default::default).clone();
        // The harness's own SQL (which creates the role with its password) is not the gateway's.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,tokio_postgres=off,sqlx=warn")
            .with_writer(move || LogWriter(buf.clone()))
            .try_init();
    });
}

pub struct Env {
    pub dir: TempDir,
    pub http: String,
    pub client: reqwest::Client,
    pub running: Option<Running>,
    pub gateway: Option<Gateway>,
    /// The target's name: also the database's.
    pub target: String,
    pub db_url: String,
    /// A token of `carol`, who holds every wicket power.
    pub carol: String,
    _db: wicket_testkit::TestDb,
}

/// Creates the gateway's role once per process and, on a local test cluster, makes it log
/// in with SCRAM over TCP, so the gateway really uses its password.
async fn upstream_role(admin_url: &str) {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let (c, conn) = tokio_postgres::connect(admin_url, NoTls).await.unwrap();
        tokio::spawn(conn);
        let create = format!("CREATE ROLE {UPSTREAM_USER} LOGIN PASSWORD '{UPSTREAM_PASSWORD}'");
        if let Err(e) = c.batch_execute(&create).await {
            assert!(e.code().is_some_and(|c| c.code() == "42710"), "{e}");
        }
        let hba: String = c.query_one("SHOW hba_file", &[]).await.unwrap().get(0);
        if let Ok(text) = std::fs::read_to_string(&hba) {
            let line = format!("host all {UPSTREAM_USER} 127.0.0.1/32 scram-sha-256\n");
            if !text.starts_with(&line) && std::fs::write(&hba, format!("{line}{text}")).is_ok() {
                c.batch_execute("SELECT pg_reload_conf()").await.unwrap();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    })
    .await;
}

/// Tables and a function that writes, owned by the gateway's role.
const SCHEMA: &str = "
GRANT ALL ON SCHEMA public TO wicket_gw;
SET ROLE wicket_gw;
CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE payments (id int PRIMARY KEY, customer_id int, amount int);
CREATE TABLE t (x int);
INSERT INTO customers VALUES (1, 'ada'), (2, 'grace');
INSERT INTO payments VALUES (1, 1, 100), (2, 2, 250);
INSERT INTO t VALUES (1);
CREATE FUNCTION bump() RETURNS int LANGUAGE sql AS 'INSERT INTO t VALUES (42) RETURNING x';
RESET ROLE;
";

/// A fresh environment, or `None` when the PostgreSQL tests are skipped.
pub async fn env() -> Option<Env> {
    env_with(|_| {}).await
}

/// [`env`] with `edit` applied to the target's TOML lines first.
pub async fn env_with(edit: impl FnOnce(&mut String)) -> Option<Env> {
    init_logs();
    let db = wicket_testkit::database().await.expect("a test database")?;
    let pg: tokio_postgres::Config = db.url.parse().unwrap();
    let port = pg.get_ports().first().copied().unwrap_or(5432);
    let name = pg.get_dbname().unwrap().to_string();
    let admin_url = db.url.replace(&format!("/{name}"), "/postgres");
    upstream_role(&admin_url).await;
    let (c, conn) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(conn);
    c.batch_execute(SCHEMA).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("upstream-password");
    std::fs::write(&pw, format!("{UPSTREAM_PASSWORD}\n")).unwrap();
    let mut target = format!(
        "[[gateway.postgres]]\nname = \"{name}\"\nlisten = \"127.0.0.1:0\"\nresource = \"pg/test/{name}\"\n\
         upstream = \"postgres://{UPSTREAM_USER}@127.0.0.1:{port}/{name}\"\npassword_file = \"{}\"\n",
        pw.display()
    );
    edit(&mut target);
    let text = format!("{CONFIG}\n{target}");
    let config = Config::parse("wicket.toml", &text).unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let running = spawn(config, Some(&sqlite), "127.0.0.1:0").await.unwrap();
    let gateway = wicket_gateway::start(running.app.clone()).await.unwrap();
    let path = dir.path().join("wicket.toml");
    std::fs::write(&path, &text).unwrap();
    let carol = wicket_engine::admin::create_token(&path, Some(&sqlite), "carol", Some("1h"))
        .await
        .unwrap();
    Some(Env {
        carol,
        http: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        running: Some(running),
        gateway: Some(gateway),
        target: name,
        db_url: db.url.clone(),
        dir,
        _db: db,
    })
}

impl Env {
    pub fn gateway_port(&self) -> u16 {
        self.gateway
            .as_ref()
            .unwrap()
            .addr(&self.target)
            .unwrap()
            .port()
    }

    /// A token minted over HTTP by carol (who may mint for others).
    pub async fn token(&self, user: &str) -> String {
        let carol = self.admin_token().await;
        let (s, v) = self
            .post("/v1/tokens", &carol, json!({"user": user, "ttl": "1h"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.carol.clone()
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(format!("{}{path}", self.http))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}{path}", self.http))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Grants `role` to `user` for `duration` (the policy approves at once): the grant.
    pub async fn grant(&self, user: &str, role: &str, duration: &str) -> Value {
        let token = self.token(user).await;
        let (s, v) = self
            .post(
                "/v1/requests",
                &token,
                json!({"roles": [role], "duration": duration}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let grant = v["grants"][0].clone();
        assert_eq!(grant["status"], "active", "{v}");
        grant
    }

    pub async fn revoke(&self, grant_id: &str) {
        let carol = self.admin_token().await;
        let (s, v) = self
            .post(
                &format!("/v1/grants/{grant_id}/revoke"),
                &carol,
                json!({"reason": "done here"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    pub fn conn_string(&self, user: &str, password: &str) -> String {
        format!(
            "host=127.0.0.1 port={} dbname={} user={user} password={password} sslmode=disable",
            self.gateway_port(),
            self.target
        )
    }

    /// A `tokio-postgres` client through the gateway, and its connection task.
    pub async fn connect(
        &self,
        user: &str,
        token: &str,
    ) -> Result<
        (
            Client,
            tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
        ),
        tokio_postgres::Error,
    > {
        let (client, conn) = tokio_postgres::connect(&self.conn_string(user, token), NoTls).await?;
        Ok((client, tokio::spawn(conn)))
    }

    /// A client straight to the database, as its superuser.
    pub async fn direct(&self) -> Client {
        let (c, conn) = tokio_postgres::connect(&self.db_url, NoTls).await.unwrap();
        tokio::spawn(conn);
        c
    }

    /// `psql` through the gateway with `commands` (each one `-c`), its password from the environment.
    pub async fn psql(&self, user: &str, token: &str, commands: &[&str]) -> Output {
        let mut cmd = tokio::process::Command::new("psql");
        cmd.arg(format!(
            "host=127.0.0.1 port={} dbname={} user={user} sslmode=disable",
            self.gateway_port(),
            self.target
        ))
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=0"])
        .env("PGPASSWORD", token)
        .env("PGCONNECT_TIMEOUT", "5");
        for c in commands {
            cmd.arg("-c").arg(c);
        }
        cmd.output().await.expect("psql runs")
    }

    /// Every audit event so far, read as carol.
    pub async fn events(&self) -> Vec<Value> {
        let carol = self.admin_token().await;
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let (s, v) = self
                .get(&format!("/v1/audit?limit=1000&after={after}"), &carol)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let items = v["items"].as_array().unwrap().clone();
            if items.is_empty() {
                return out;
            }
            after = items.last().unwrap()["seq"].as_i64().unwrap();
            out.extend(items);
        }
    }

    /// Every audit event, once `ready` holds for them: the gateway queues a statement's
    /// event without holding the client's answer for it, so a test waits for what it expects
    /// (up to 30 s, then fails saying what it waited for).
    pub async fn events_when(&self, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = std::time::Instant::now();
        loop {
            let events = self.events().await;
            if ready(&events) {
                return events;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "after 30 s the audit log still lacks {what}: {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The `gateway.statement` events, once one records a statement `text` satisfies.
    pub async fn statements_when(&self, text: impl Fn(&str) -> bool) -> Vec<Value> {
        self.events_when("the statement waited for", |events| {
            events.iter().any(|e| {
                e["kind"] == "gateway.statement"
                    && e["details"]["statement"].as_str().is_some_and(&text)
            })
        })
        .await
        .into_iter()
        .filter(|e| e["kind"] == "gateway.statement")
        .collect()
    }

    pub async fn stop(mut self) {
        if let Some(g) = self.gateway.take() {
            g.shutdown().await;
        }
        if let Some(r) = self.running.take() {
            r.shutdown().await.unwrap();
        }
    }
}

/// The SQLSTATE and message of a database error.
pub fn db_error(e: &tokio_postgres::Error) -> (String, String) {
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("not a database error: {e:?}"));
    (db.code().code().to_string(), db.message().to_string())
}
