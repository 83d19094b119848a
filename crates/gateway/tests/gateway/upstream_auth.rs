//! The gateway's own login upstream with the older methods: a role the database asks for an
//! MD5 digest of its password, and a role it asks for the password in clear (`password` in
//! `pg_hba.conf`). The other tests' role logs in with SCRAM-SHA-256.

use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use tokio_postgres::NoTls;

use crate::helpers::{UPSTREAM_PASSWORD, UPSTREAM_USER, env_with};

const MD5_ROLE: &str = "wicket_gw_md5";
const CLEAR_ROLE: &str = "wicket_gw_clear";

/// Creates both roles once per process, the first with its password stored as an MD5 digest
/// (so `md5` in `pg_hba.conf` really asks for one), and puts their `pg_hba.conf` lines first;
/// returns once the server applies them (a wrong password is refused).
async fn roles(admin_url: &str, port: u16) {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let (c, conn) = tokio_postgres::connect(admin_url, NoTls).await.unwrap();
        tokio::spawn(conn);
        for (role, encryption) in [(MD5_ROLE, "md5"), (CLEAR_ROLE, "scram-sha-256")] {
            let create = format!(
                "SET password_encryption = '{encryption}'; \
                 CREATE ROLE {role} LOGIN PASSWORD '{UPSTREAM_PASSWORD}'"
            );
            if let Err(e) = c.batch_execute(&create).await {
                assert!(e.code().is_some_and(|c| c.code() == "42710"), "{e}");
            }
        }
        let stored: String = c
            .query_one(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
                &[&MD5_ROLE],
            )
            .await
            .unwrap()
            .get(0);
        assert!(
            stored.starts_with("md5"),
            "{MD5_ROLE}'s password is not stored as MD5"
        );
        let hba: String = c.query_one("SHOW hba_file", &[]).await.unwrap().get(0);
        let text = std::fs::read_to_string(&hba).unwrap_or_else(|e| {
            panic!("the upstream login tests configure the test cluster's `{hba}`: {e}")
        });
        let lines = format!(
            "host all {MD5_ROLE} 127.0.0.1/32 md5\nhost all {CLEAR_ROLE} 127.0.0.1/32 password\n"
        );
        std::fs::write(&hba, format!("{lines}{text}")).unwrap();
        c.batch_execute("SELECT pg_reload_conf()").await.unwrap();
        // The postmaster reloads in the background: wait until a wrong password is refused.
        let deadline = Instant::now() + Duration::from_secs(30);
        for role in [MD5_ROLE, CLEAR_ROLE] {
            loop {
                let wrong = format!(
                    "host=127.0.0.1 port={port} dbname=postgres user={role} password=wrong"
                );
                match tokio_postgres::connect(&wrong, NoTls).await {
                    Err(e) if e.code().is_some_and(|c| c.code() == "28P01") => break,
                    _ => {}
                }
                assert!(
                    Instant::now() < deadline,
                    "the test cluster did not apply the `pg_hba.conf` line for {role}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    })
    .await;
}

/// A gateway whose upstream role is `role`, and alice reading through it.
async fn reads_through_gateway_as(role: &'static str) {
    let Some(env) = env_with(|t| {
        *t = t.replace(
            &format!("postgres://{UPSTREAM_USER}@"),
            &format!("postgres://{role}@"),
        );
        assert!(t.contains(role), "{t}");
    })
    .await
    else {
        return;
    };
    let pg: tokio_postgres::Config = env.db_url.parse().unwrap();
    let port = pg.get_ports().first().copied().unwrap();
    let admin_url = env.db_url.replace(&format!("/{}", env.target), "/postgres");
    roles(&admin_url, port).await;
    env.direct()
        .await
        .batch_execute(&format!("GRANT SELECT ON customers TO {role}"))
        .await
        .unwrap();

    let token = env.granted("alice", "db-read", "10m").await;
    let (c, _conn) = env
        .connect("alice", &token)
        .await
        .unwrap_or_else(|e| panic!("the gateway could not log in upstream as {role}: {e}"));
    let rows = c
        .query("SELECT name FROM customers ORDER BY id", &[])
        .await
        .unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["ada", "grace"]);
    // The database saw the gateway's session as `role`.
    let n: i64 = env
        .direct()
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND datname = $2",
            &[&role, &env.target],
        )
        .await
        .unwrap()
        .get(0);
    assert!(n >= 1, "no upstream session of {role}");
}

#[tokio::test]
async fn the_gateway_logs_in_upstream_with_md5() {
    reads_through_gateway_as(MD5_ROLE).await;
}

#[tokio::test]
async fn the_gateway_logs_in_upstream_with_a_cleartext_password() {
    reads_through_gateway_as(CLEAR_ROLE).await;
}
