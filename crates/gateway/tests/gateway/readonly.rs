//! Read-only sessions: without any write right the session runs read-only upstream, so
//! functions cannot write behind a `SELECT`, and turning that off is denied.

use crate::helpers::{all_refused, db_error, env, refused};

#[tokio::test]
async fn a_read_only_session_stays_read_only() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;

    // The function passes the gateway (a SELECT) and fails in the database.
    let (code, message) = db_error(&c.simple_query("SELECT bump()").await.unwrap_err());
    assert_eq!(code, "25006", "{message}");
    assert!(message.contains("read-only transaction"), "{message}");

    let turning_it_off = [
        "SET default_transaction_read_only = off",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "BEGIN READ WRITE",
        "SET transaction_read_only TO false",
    ];
    all_refused(&c, &turning_it_off, "42501", "read-only").await;
    c.simple_query("ROLLBACK").await.unwrap();
    let row = c
        .query_one("SHOW default_transaction_read_only", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "on");
    // Harmless settings still work.
    c.simple_query("SET application_name = 'reports'; SET statement_timeout = '5s'")
        .await
        .unwrap();
    let n = env
        .direct_count("SELECT count(*) FROM t WHERE x = 42")
        .await;
    assert_eq!(n, 0);
    env.stop().await;
}

#[tokio::test]
async fn several_statements_are_authorized_before_any_runs() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;
    let (code, message) = refused(&c, "SELECT 1; DELETE FROM t").await;
    assert_eq!(code, "42501", "{message}");
    assert!(message.contains("`db:delete`"), "{message}");
    let n = env.direct_count("SELECT count(*) FROM t").await;
    assert_eq!(n, 1, "nothing ran");
    // Neither statement reached the database: only the denial is in the audit log.
    let statements = env.statements_when(|s| s == "DELETE FROM t").await;
    let texts: Vec<(&str, &str)> = statements
        .iter()
        .map(|e| {
            (
                e["details"]["statement"].as_str().unwrap(),
                e["decision"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(texts.contains(&("DELETE FROM t", "deny")), "{texts:?}");
    assert!(!texts.iter().any(|(_, d)| *d == "allow"), "{texts:?}");
    env.stop().await;
}

/// `RESET ALL` and `DISCARD ALL` go back to what the session started with, which the gateway
/// chose: still read-only, still `search_path = public`.
#[tokio::test]
async fn resetting_everything_keeps_read_only_and_the_pinned_path() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;
    for reset in [
        "RESET ALL",
        "DISCARD ALL",
        "SET default_transaction_read_only TO DEFAULT",
    ] {
        c.simple_query(reset).await.unwrap();
        let (code, message) = db_error(&c.simple_query("SELECT bump()").await.unwrap_err());
        assert_eq!(code, "25006", "after {reset}: {message}");
        for (setting, want) in [
            ("default_transaction_read_only", "on"),
            ("search_path", "public"),
        ] {
            let row = c.query_one(&format!("SHOW {setting}"), &[]).await.unwrap();
            assert_eq!(row.get::<_, String>(0), want, "after {reset}");
        }
    }
    env.stop().await;
}
