//! Provisioning into a real PostgreSQL through the real `wicket` binary: `wicket db creds`
//! logs `psql` in with SCRAM during the grant to exactly the granted tables; revocation ends an
//! open session; expiry keeps the login closed with wicket stopped; a hand-made GRANT is
//! revoked as drift; a role wicket did not create is left alone; two replicas on one
//! PostgreSQL store apply each change once; an admin without `pg_signal_backend` is named.
//!
//! Each test starts a cluster of its own (roles belong to a whole cluster) whose `pg_hba.conf`
//! trusts only the superuser and asks every other role for its SCRAM password, so `VALID UNTIL`
//! and the passwords wicket sets are really checked.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wicket_testkit::OwnCluster;

use crate::support::{Out, Server, run};
use crate::upstream::psql_command;

const ADMIN_PASSWORD: &str = "admin-Pw-5b1e";
const PASSWORD_ENV: &str = "WICKET_PROVISION_TEST_ADMIN";
/// The generous bound every wait here uses; the figures themselves are in BENCHMARKS.md.
const BOUND: Duration = Duration::from_secs(30);

/// A cluster prepared as the README says: an owner role owning the database and its tables,
/// `CONNECT` revoked from `PUBLIC`, and `wicket_admin` with `CREATEROLE`, membership in the
/// owner and `pg_signal_backend`.
pub struct Pg {
    pub cluster: OwnCluster,
    pub port: u16,
}

impl Pg {
    pub fn start() -> Pg {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let cluster = runtime
            .block_on(OwnCluster::start("orders"))
            .expect("a PostgreSQL cluster for the provisioning tests (initdb and pg_ctl)");
        runtime
            .block_on(cluster.readme_setup(
                "orders",
                ADMIN_PASSWORD,
                "CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2), (3); \
                 CREATE TABLE customers (id int, email text); \
                 INSERT INTO customers VALUES (1, 'a@example.com');",
            ))
            .expect("the README's provisioning setup on the test cluster");
        let port = cluster.port();
        Pg { cluster, port }
    }

    /// `psql -c SQL` as the superuser on `database`; panics with psql's words on failure.
    pub fn superuser(&self, database: &str, sql: &str) -> String {
        let out = psql(&self.cluster.url(database), sql);
        assert_eq!(out.code, 0, "psql {sql}: {out:?}");
        out.stdout
    }

    /// The admin url for the configuration.
    pub fn admin(&self) -> String {
        format!("postgres://wicket_admin@127.0.0.1:{}/orders", self.port)
    }
}

/// `psql CONNINFO -X -At -c SQL`, never prompting for a password.
pub fn psql(conninfo: &str, sql: &str) -> Out {
    run(psql_command(conninfo, sql)
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGPASSWORD")
        .stdin(Stdio::null()))
}

/// A configuration: alice may ask for `orders-read` (approved at once, no steps), carol reads
/// the audit log; one provisioning target reconciled every second.
pub fn config(dir: &Path, pg: &Pg, extra: &str) -> PathBuf {
    let path = dir.join("wicket.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[users]]
name = "alice"

[[users]]
name = "carol"

[[roles]]
name = "orders-read"
permissions = [{{ actions = ["db:connect", "db:select"], resources = ["postgres/test/orders", "postgres/test/orders/public/orders"] }}]

[[roles]]
name = "auditor"
permissions = [{{ actions = ["wicket:audit.read", "wicket:grants.revoke"], resources = ["wicket"] }}]

[[bindings]]
subjects = ["user:carol"]
roles = ["auditor"]

[[policies]]
name = "self-service"
requesters = ["user:alice"]
roles = ["orders-read"]
max_duration = "1h"
require_reason = false

[[provision.postgres]]
name = "orders"
resource = "postgres/test/orders"
admin = "{admin}"
password_env = "{PASSWORD_ENV}"
reconcile_every = "1s"
{extra}"#,
            admin = pg.admin()
        ),
    )
    .unwrap();
    path
}

pub fn serve(config: &Path, database: &str) -> Server {
    Server::start_with_env(config, database, &[(PASSWORD_ENV, ADMIN_PASSWORD)])
}

/// Alice asks for `orders-read` for `duration`; returns the grant id.
pub fn grant(server: &Server, alice: &str, duration: &str) -> String {
    server.grant(alice, "orders-read", duration)
}

/// `wicket db creds orders` as alice: the connection string.
pub fn creds(server: &Server, alice: &str) -> String {
    let out = server.wicket(alice, &["db", "creds", "orders"]);
    assert_eq!(out.code, 0, "{out:?}");
    out.expect_stderr("valid until");
    out.stdout.trim().to_string()
}

/// The audit events of `kind`, read by carol.
pub fn events(server: &Server, carol: &str, kind: &str) -> Vec<Value> {
    let page = server.json(carol, &["audit", "list", "--kind", kind, "--limit", "1000"]);
    page["items"]
        .as_array()
        .or_else(|| page.as_array())
        .cloned()
        .unwrap_or_default()
}

/// Polls `cond` every 50 ms until it holds or [`BOUND`] passes; returns how long it took.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < BOUND, "waited {BOUND:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

fn database(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("wicket.db").display())
}

fn role_can_login(pg: &Pg) -> String {
    pg.superuser(
        "orders",
        "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'wicket_alice'",
    )
    .trim()
    .to_string()
}

#[test]
fn creds_log_psql_in_to_exactly_the_granted_tables_and_revocation_ends_the_session() {
    let pg = Pg::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &pg, "");
    let server = serve(&config, &database(dir.path()));
    let (alice, carol) = (server.token("alice"), server.token("carol"));

    // Without a grant there is nothing to hand out.
    let out = server.wicket(&alice, &["db", "creds", "orders"]);
    assert_ne!(out.code, 0, "{out:?}");
    out.expect_stderr("no live grant");
    let out = server.wicket(&alice, &["db", "creds", "nope"]);
    out.expect_stderr("no provisioning target `nope`");

    let id = grant(&server, &alice, "10m");
    let url = creds(&server, &alice);
    assert!(url.starts_with("postgresql://wicket_alice:"), "{url}");
    let out = psql(&url, "SELECT count(*) FROM orders");
    assert_eq!((out.code, out.stdout.trim()), (0, "3"), "{out:?}");
    let out = psql(&url, "SELECT * FROM customers");
    assert_ne!(out.code, 0, "{out:?}");
    out.expect_stderr("permission denied");
    let out = psql(&url, "INSERT INTO orders VALUES (4)");
    out.expect_stderr("permission denied");
    // The role is wicket's, bounded by the grant's end, and the password is not in the log.
    let mark = pg.superuser(
        "orders",
        "SELECT shobj_description(oid, 'pg_authid'), rolvaliduntil IS NOT NULL FROM pg_roles \
         WHERE rolname = 'wicket_alice'",
    );
    assert_eq!(mark.trim(), "wicket:provision:orders|t");
    let granted = events(&server, &carol, "provision.granted");
    assert!(!granted.is_empty());
    let password = url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(
        !serde_json::to_string(&granted).unwrap().contains(password),
        "the password reached the audit log"
    );

    // An open session ends soon after the revocation.
    let mut session: Child = Command::new("psql")
        .args([url.as_str(), "-X", "-q", "-c", "SELECT pg_sleep(120)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the session to start", || {
        pg.superuser(
            "orders",
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'wicket_alice'",
        )
        .trim()
            == "1"
    });
    let revoked_at = Instant::now();
    server
        .wicket(&alice, &["grant", "revoke", &id, "--reason", "done"])
        .expect_code(0);
    wait_for("the session to end", || {
        session.try_wait().unwrap().is_some()
    });
    eprintln!(
        "revocation -> session gone: {} ms (through the CLI)",
        revoked_at.elapsed().as_millis()
    );
    assert_eq!(role_can_login(&pg), "f");
    let out = psql(&url, "SELECT 1");
    assert_ne!(out.code, 0, "{out:?}");
    // The reconciler records its pass after the session is ended: wait for the event.
    wait_for("the provision.revoked event", || {
        !events(&server, &carol, "provision.revoked").is_empty()
    });
    let revoked = events(&server, &carol, "provision.revoked");
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    let details = &revoked[0]["details"];
    assert_eq!(details["login"], "closed", "{details}");
    assert_eq!(details["sessions_ended"], 1, "{details}");
    assert!(
        details["sql"]
            .to_string()
            .contains("REVOKE SELECT ON TABLE"),
        "{details}"
    );
    // After every REVOKE the role holds nothing.
    let left = pg.superuser(
        "orders",
        "SELECT has_table_privilege('wicket_alice', 'orders', 'SELECT'), \
                has_database_privilege('wicket_alice', 'orders', 'CONNECT')",
    );
    assert_eq!(left.trim(), "f|f");
}

#[test]
fn after_expiry_the_login_stays_closed_with_wicket_stopped_and_is_cleaned_at_the_next_start() {
    let pg = Pg::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &pg, "");
    let db = database(dir.path());
    let server = serve(&config, &db);
    let (alice, carol) = (server.token("alice"), server.token("carol"));
    grant(&server, &alice, "6s");
    let url = creds(&server, &alice);
    let out = psql(&url, "SELECT count(*) FROM orders");
    assert_eq!(out.stdout.trim(), "3", "{out:?}");
    server.stop();

    // Wicket is down: PostgreSQL itself refuses the login once VALID UNTIL passes.
    wait_for("VALID UNTIL to close the login", || {
        psql(&url, "SELECT 1").code != 0
    });
    let out = psql(&url, "SELECT 1");
    out.expect_stderr("password authentication failed");
    assert_eq!(
        role_can_login(&pg),
        "t",
        "nothing changed while wicket was down"
    );

    // At the next start the ended grant's role is closed and its privileges revoked.
    let server = serve(&config, &db);
    wait_for("the ended grant to be removed", || {
        role_can_login(&pg) == "f"
    });
    wait_for("provision.revoked", || {
        !events(&server, &carol, "provision.revoked").is_empty()
    });
    let left = pg.superuser(
        "orders",
        "SELECT has_table_privilege('wicket_alice', 'orders', 'SELECT')",
    );
    assert_eq!(left.trim(), "f");
}

#[test]
fn a_hand_made_grant_is_revoked_by_the_reconciler_and_audited_as_drift() {
    let pg = Pg::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &pg, "");
    let server = serve(&config, &database(dir.path()));
    let (alice, carol) = (server.token("alice"), server.token("carol"));
    grant(&server, &alice, "10m");
    let url = creds(&server, &alice);
    // Granted by hand, as the superuser (recorded as granted by the owner).
    pg.superuser(
        "orders",
        "GRANT SELECT, DELETE ON customers TO wicket_alice",
    );
    wait_for("the drift to be repaired", || {
        pg.superuser(
            "orders",
            "SELECT has_table_privilege('wicket_alice', 'customers', 'SELECT') \
                 OR has_table_privilege('wicket_alice', 'customers', 'DELETE')",
        )
        .trim()
            == "f"
    });
    // The audit event follows the repair's commit: wait for it too.
    wait_for("the provision.drift event", || {
        !events(&server, &carol, "provision.drift").is_empty()
    });
    let drift = events(&server, &carol, "provision.drift");
    assert_eq!(drift.len(), 1, "{drift:?}");
    let details = &drift[0]["details"];
    assert_eq!(details["repaired"], true, "{details}");
    let privileges = details["privileges"].to_string();
    assert!(
        privileges.contains("SELECT on public.customers")
            && privileges.contains("DELETE on public.customers"),
        "{details}"
    );
    assert_eq!(drift[0]["subject"], "user:alice");
    // The granted table is untouched, and the user still reads it.
    let out = psql(&url, "SELECT count(*) FROM orders");
    assert_eq!(out.stdout.trim(), "3", "{out:?}");
    // Taken away by hand: put back.
    pg.superuser("orders", "REVOKE SELECT ON orders FROM wicket_alice");
    wait_for("the missing privilege to be granted again", || {
        psql(&url, "SELECT count(*) FROM orders").stdout.trim() == "3"
    });
}

#[test]
fn a_role_wicket_did_not_create_is_left_alone_and_a_weak_admin_is_named() {
    let pg = Pg::start();
    pg.superuser(
        "postgres",
        "CREATE ROLE wicket_alice LOGIN PASSWORD 'theirs-123'; \
         CREATE ROLE weak_admin LOGIN CREATEROLE PASSWORD 'weak-Pw-1'; \
         GRANT CONNECT ON DATABASE orders TO weak_admin",
    );
    let dir = tempfile::tempdir().unwrap();
    let weak = format!(
        r#"
[[provision.postgres]]
name = "weak"
resource = "postgres/test/weak"
admin = "postgres://weak_admin@127.0.0.1:{}/orders"
password_env = "WICKET_PROVISION_TEST_WEAK"
role_template = "weak_{{user}}"
"#,
        pg.port
    );
    let config = config(dir.path(), &pg, &weak);
    let server = Server::start_with_env(
        &config,
        &database(dir.path()),
        &[
            (PASSWORD_ENV, ADMIN_PASSWORD),
            ("WICKET_PROVISION_TEST_WEAK", "weak-Pw-1"),
        ],
    );
    let (alice, carol) = (server.token("alice"), server.token("carol"));

    // The admin without `pg_signal_backend` is reported at start, saying what to grant.
    wait_for("the weak admin to be reported", || {
        events(&server, &carol, "provision.failed")
            .iter()
            .any(|e| e["details"]["target"] == "weak")
    });
    let failed = events(&server, &carol, "provision.failed");
    let weak_failure = failed
        .iter()
        .find(|e| e["details"]["target"] == "weak")
        .unwrap();
    let reason = weak_failure["details"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("GRANT pg_signal_backend TO \"weak_admin\""),
        "{reason}"
    );

    grant(&server, &alice, "10m");
    let out = server.wicket(&alice, &["db", "creds", "orders"]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("role `wicket_alice` exists")
            && out.stderr.contains("not created by wicket"),
        "{out:?}"
    );
    // Untouched: its own password still works, no VALID UNTIL, no comment, no privileges.
    let state = pg.superuser(
        "orders",
        "SELECT rolcanlogin, rolvaliduntil IS NULL, shobj_description(oid, 'pg_authid') IS NULL, \
                has_table_privilege('wicket_alice', 'orders', 'SELECT') \
         FROM pg_roles WHERE rolname = 'wicket_alice'",
    );
    assert_eq!(state.trim(), "t|t|t|f");
    let theirs = format!(
        "postgresql://wicket_alice:theirs-123@127.0.0.1:{}/postgres",
        pg.port
    );
    let out = psql(&theirs, "SELECT current_user");
    assert_eq!(out.stdout.trim(), "wicket_alice", "{out:?}");
    wait_for("provision.failed for the role", || {
        events(&server, &carol, "provision.failed").iter().any(|e| {
            e["details"]["reason"]
                .to_string()
                .contains("not created by wicket")
        })
    });
}

#[test]
fn two_replicas_on_one_postgresql_store_apply_each_change_once() {
    let pg = Pg::start();
    pg.superuser("postgres", "CREATE DATABASE wicket");
    let store = pg.cluster.url("wicket");
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &pg, "");
    let one = serve(&config, &store);
    let two = serve(&config, &store);
    let (alice, carol) = (one.token("alice"), one.token("carol"));
    let id = grant(&one, &alice, "10m");
    wait_for("the role to be provisioned", || role_can_login(&pg) == "t");
    wait_for("the provision.granted event", || {
        !events(&two, &carol, "provision.granted").is_empty()
    });
    // Several more reconcile rounds on both replicas: none may apply the grant again.
    std::thread::sleep(Duration::from_secs(4));
    let granted = events(&two, &carol, "provision.granted");
    assert_eq!(granted.len(), 1, "{granted:?}");
    two.wicket(&alice, &["grant", "revoke", &id, "--reason", "done"])
        .expect_code(0);
    wait_for("the role to be closed", || role_can_login(&pg) == "f");
    wait_for("the provision.revoked event", || {
        !events(&one, &carol, "provision.revoked").is_empty()
    });
    // Several more reconcile rounds on both replicas: none may revoke it again.
    std::thread::sleep(Duration::from_secs(4));
    let revoked = events(&one, &carol, "provision.revoked");
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert!(events(&one, &carol, "provision.drift").is_empty());
    assert!(events(&one, &carol, "provision.failed").is_empty());
}
