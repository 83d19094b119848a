//! The throwaway PostgreSQL as the upstream of a gateway that `wicket serve` runs: its port and
//! database name, and a login role of the gateway's own whose password is checked over TCP.

use std::process::Command;

use tokio::runtime::Runtime;
use wicket_testkit::TestDb;

use crate::support::run;

/// `psql CONNINFO -X -q -At -v ON_ERROR_STOP=1 -c SQL`, to run.
pub fn psql_command(conninfo: &str, sql: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args([
        conninfo,
        "-X",
        "-q",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        sql,
    ]);
    cmd
}

/// `psql URL -At -c SQL` as the cluster's superuser; panics with psql's words on failure.
pub fn psql_admin(url: &str, sql: &str) -> String {
    let out = run(&mut psql_command(url, sql));
    assert_eq!(out.code, 0, "psql {sql}: {out:?}");
    out.stdout
}

/// A fresh database on the test cluster, as the upstream of a gateway.
pub struct Upstream {
    /// The runtime the database was made on, for the test's own async work.
    pub runtime: Runtime,
    pub db: TestDb,
    /// The database's URL for the gateway: `user` over TCP, the password not in it.
    pub url: String,
}

/// A fresh database (`None` when the PostgreSQL tests are skipped) that `user`, a login role
/// of `password`, may connect to; on a local test cluster `user` logs in with SCRAM over TCP,
/// so the gateway really uses its password.
pub fn upstream(user: &str, password: &str) -> Option<Upstream> {
    let runtime = Runtime::new().unwrap();
    let db = runtime.block_on(wicket_testkit::database()).unwrap()?;
    // `postgres://USER[:PASSWORD]@HOST:PORT/NAME`
    let (authority, name) = db
        .url
        .trim_start_matches("postgres://")
        .rsplit_once('/')
        .unwrap();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let port: u16 = host_port
        .rsplit_once(':')
        .map_or(Ok(5432), |(_, p)| p.parse())
        .unwrap();
    let name = name.split('?').next().unwrap().to_string();
    // It may exist already, from an earlier test on the same cluster.
    let create = format!("CREATE ROLE {user} LOGIN PASSWORD '{password}'");
    let _ = run(Command::new("psql").args([&db.url, "-X", "-q", "-c", &create]));
    let hba = psql_admin(&db.url, "SHOW hba_file");
    if let Ok(text) = std::fs::read_to_string(hba.trim()) {
        let line = format!("host all {user} 127.0.0.1/32 scram-sha-256\n");
        if !text.starts_with(&line) && std::fs::write(hba.trim(), format!("{line}{text}")).is_ok() {
            psql_admin(&db.url, "SELECT pg_reload_conf()");
        }
    }
    psql_admin(
        &db.url,
        &format!("GRANT CONNECT ON DATABASE \"{name}\" TO {user}"),
    );
    let url = format!("postgres://{user}@127.0.0.1:{port}/{name}");
    Some(Upstream { runtime, db, url })
}
