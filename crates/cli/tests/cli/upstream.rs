//! The throwaway PostgreSQL as the upstream of a gateway that `wicket serve` runs: its port and
//! database name, and a login role of the gateway's own whose password is checked over TCP.

use std::process::Command;

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

/// The port and database name of `url` (`postgres://USER[:PASSWORD]@HOST:PORT/NAME`), with
/// `user` made a login role of `password` that, on a local test cluster, logs in with SCRAM
/// over TCP (so the gateway really uses its password).
pub fn upstream(url: &str, user: &str, password: &str) -> (u16, String) {
    let (authority, name) = url
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
    let _ = run(Command::new("psql").args([url, "-X", "-q", "-c", &create]));
    let hba = psql_admin(url, "SHOW hba_file");
    if let Ok(text) = std::fs::read_to_string(hba.trim()) {
        let line = format!("host all {user} 127.0.0.1/32 scram-sha-256\n");
        if !text.starts_with(&line) && std::fs::write(hba.trim(), format!("{line}{text}")).is_ok() {
            psql_admin(url, "SELECT pg_reload_conf()");
        }
    }
    (port, name)
}
