//! `env()`: a fresh database with the gateway's own role, a wicket engine and its gateway in
//! front of it, and clients for each side. The tests change wicket's state through the
//! engine's own operations, as every front door does: the gateway needs no HTTP server.

use std::io::Write;
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};
use wicket_core::workflow::NewRequest;
use wicket_core::{Config, Duration as Ttl, GrantStatus, Severity};
use wicket_engine::admin::token_changes;
use wicket_engine::ids::RandomIds;
use wicket_engine::{App, Engine, now, ops};
use wicket_gateway::Gateway;
use wicket_store::{AnomalyFilter, AuditFilter};

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

/// A client's connection task.
pub type Conn = tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>;

pub struct Env {
    pub dir: TempDir,
    pub engine: Option<Engine>,
    pub gateway: Option<Gateway>,
    /// The target's name: also the database's.
    pub target: String,
    pub db_url: String,
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
    let engine = Engine::start(config, Some(&sqlite)).await.unwrap();
    let gateway = wicket_gateway::start(engine.app.clone()).await.unwrap();
    Some(Env {
        engine: Some(engine),
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

    /// The running engine's shared state.
    pub fn app(&self) -> &App {
        &self.engine.as_ref().expect("the engine runs").app
    }

    /// A new one-hour token of `user`, minted by carol.
    pub async fn token(&self, user: &str) -> String {
        let ttl = Ttl::parse("1h").unwrap();
        let (token, changes) = token_changes(user, "carol", Some(ttl), now(), &mut RandomIds);
        self.app().commit(changes).await.unwrap();
        token
    }

    /// Grants `role` to `user` for `duration` and mints `user`'s token: the first steps of
    /// most tests.
    pub async fn granted(&self, user: &str, role: &str, duration: &str) -> String {
        self.grant(user, role, duration).await;
        self.token(user).await
    }

    /// A session of `user` through the gateway, once they hold `role` for `duration`.
    pub async fn session(&self, user: &str, role: &str, duration: &str) -> (Client, Conn) {
        let token = self.granted(user, role, duration).await;
        self.connect(user, &token).await.unwrap()
    }

    /// [`Env::session`], and the grant it stands on, as the API shows it.
    pub async fn session_and_grant(
        &self,
        user: &str,
        role: &str,
        duration: &str,
    ) -> (Client, Conn, Value) {
        let grant = self.grant(user, role, duration).await;
        let token = self.token(user).await;
        let (c, conn) = self.connect(user, &token).await.unwrap();
        (c, conn, grant)
    }

    /// Grants `role` to `user` for `duration` (the policy approves at once): the grant, as
    /// the API shows it.
    pub async fn grant(&self, user: &str, role: &str, duration: &str) -> Value {
        let input = NewRequest {
            roles: vec![role.to_string()],
            duration: Some(duration.to_string()),
            ..NewRequest::default()
        };
        let request = ops::create_request(self.app(), user, &input).await.unwrap();
        let grants = self.app().grants_of_request(&request.id).await.unwrap();
        let grant = grants.first().expect("the policy approves at once");
        assert_eq!(grant.status(now()), GrantStatus::Active, "{grant:?}");
        serde_json::to_value(grant).unwrap()
    }

    /// Carol revokes grant `grant_id`.
    pub async fn revoke(&self, grant_id: &str) {
        let reason = Some("done here".to_string());
        ops::revoke_grant(self.app(), "carol", grant_id, reason)
            .await
            .unwrap();
    }

    /// The high-severity anomalies so far, newest first.
    pub async fn high_anomalies(&self) -> Vec<Value> {
        let filter = AnomalyFilter {
            severity: Some(Severity::High),
            ..AnomalyFilter::default()
        };
        let found = self.app().store.list_anomalies(&filter).await.unwrap();
        found
            .iter()
            .map(|a| serde_json::to_value(a).unwrap())
            .collect()
    }

    /// Whether the audit chain verifies from start to head.
    pub async fn chain_verifies(&self) -> bool {
        let report = wicket_engine::verify::verify_chain(self.app().store.as_ref())
            .await
            .unwrap();
        report.ok
    }

    /// A libpq connection string of `user` to the gateway, without a password, with
    /// `sslmode`.
    pub fn conninfo(&self, user: &str, sslmode: &str) -> String {
        format!(
            "host=127.0.0.1 port={} dbname={} user={user} sslmode={sslmode}",
            self.gateway_port(),
            self.target
        )
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
    ) -> Result<(Client, Conn), tokio_postgres::Error> {
        let (client, conn) = tokio_postgres::connect(&self.conn_string(user, token), NoTls).await?;
        Ok((client, tokio::spawn(conn)))
    }

    /// A client straight to the database, as its superuser.
    pub async fn direct(&self) -> Client {
        let (c, conn) = tokio_postgres::connect(&self.db_url, NoTls).await.unwrap();
        tokio::spawn(conn);
        c
    }

    /// The number `sql` counts, straight from the database.
    pub async fn direct_count(&self, sql: &str) -> i64 {
        count(&self.direct().await, sql).await
    }

    /// `psql` through the gateway with `commands` (each one `-c`), its password from the environment.
    pub async fn psql(&self, user: &str, token: &str, commands: &[&str]) -> Output {
        let flags = ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=0"];
        self.psql_command("psql", user, token, &flags, commands)
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .await
            .expect("psql runs")
    }

    /// The `psql` program through the gateway as `user`, with `flags` and then `commands`
    /// (each one `-c`), its password from the environment: to run.
    pub fn psql_command(
        &self,
        psql: impl AsRef<std::ffi::OsStr>,
        user: &str,
        token: &str,
        flags: &[&str],
        commands: &[&str],
    ) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(psql);
        cmd.arg(self.conninfo(user, "disable"))
            .args(flags)
            .env("PGPASSWORD", token);
        for c in commands {
            cmd.arg("-c").arg(c);
        }
        cmd
    }

    /// Every audit event so far, oldest first.
    pub async fn events(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let filter = AuditFilter {
                after,
                ..AuditFilter::default()
            };
            let page = self.app().store.list_events(&filter).await.unwrap();
            let Some(last) = page.last() else {
                return out;
            };
            after = Some(last.seq);
            out.extend(page.iter().map(|e| serde_json::to_value(e).unwrap()));
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
        if let Some(e) = self.engine.take() {
            e.shutdown().await.unwrap();
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

/// The number `sql` counts (its one row's first column, a `bigint`).
pub async fn count(c: &Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.unwrap().get(0)
}

/// The SQLSTATE and message with which `c` is refused `sql`.
pub async fn refused(c: &Client, sql: &str) -> (String, String) {
    db_error(&c.simple_query(sql).await.unwrap_err())
}

/// The message with which `c` is denied `sql` (SQLSTATE 42501).
pub async fn denied(c: &Client, sql: &str) -> String {
    let (code, message) = refused(c, sql).await;
    assert_eq!(code, "42501", "{sql}: {message}");
    message
}

/// Runs each of `statements` on `c`, which must all succeed.
pub async fn all_run(c: &Client, statements: &[&str]) {
    for sql in statements {
        c.simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Asserts that each of `statements` is refused with SQLSTATE `code` and a message
/// containing `says`.
pub async fn all_refused(c: &Client, statements: &[&str], code: &str, says: &str) {
    for sql in statements {
        let (got, message) = refused(c, sql).await;
        assert_eq!(got, code, "{sql}: {message}");
        assert!(message.contains(says), "{sql}: {message}");
    }
}
