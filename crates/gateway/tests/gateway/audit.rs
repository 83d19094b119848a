//! Every statement lands in the audit chain with its decision, the chain verifies, and the
//! upstream password appears nowhere: not in events, log lines or errors.

use crate::helpers::{UPSTREAM_PASSWORD, db_error, env, env_with, logs, refused};

#[tokio::test]
async fn each_statement_is_audited_and_the_chain_verifies() {
    let Some(env) = env().await else { return };
    let (c, _conn, grant) = env.session_and_grant("alice", "db-read", "10m").await;
    c.simple_query("SELECT * FROM customers; SELECT 2")
        .await
        .unwrap();
    c.simple_query("DELETE FROM payments").await.unwrap_err();
    c.query("SELECT name FROM customers WHERE id = $1", &[&1i32])
        .await
        .unwrap();
    c.simple_query("SELECT * FROM nope").await.unwrap_err();
    drop(c);

    let events = env
        .events_when("the last statement and the session's end", |events| {
            events
                .iter()
                .any(|e| e["details"]["statement"] == "SELECT * FROM nope")
                && events.iter().any(|e| e["kind"] == "gateway.session.ended")
        })
        .await;
    let stmts: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["kind"] == "gateway.statement")
        .collect();
    let seen: Vec<(String, String, String)> = stmts
        .iter()
        .map(|e| {
            (
                e["details"]["statement"].as_str().unwrap().to_string(),
                e["decision"].as_str().unwrap().to_string(),
                e["details"]["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expect = [
        ("SELECT * FROM customers", "allow", "ok"),
        ("SELECT 2", "allow", "ok"),
        ("DELETE FROM payments", "deny", ""),
        ("SELECT name FROM customers WHERE id = $1", "allow", "ok"),
        ("SELECT * FROM nope", "allow", "error 42P01"),
    ];
    for (text, decision, outcome) in expect {
        assert!(
            seen.iter()
                .any(|(t, d, o)| t == text && d == decision && o == outcome),
            "{text} {decision} {outcome}: {seen:?}"
        );
    }
    let first = stmts
        .iter()
        .find(|e| e["details"]["statement"] == "SELECT * FROM customers")
        .unwrap();
    assert_eq!(first["details"]["rows"], 2);
    assert_eq!(
        first["details"]["tables"],
        serde_json::json!(["public.customers"])
    );
    assert_eq!(first["action"], "db:select");
    assert_eq!(
        first["resource"],
        format!("pg/test/{}/public/customers", env.target)
    );
    assert_eq!(first["grant_id"], grant["id"]);
    assert_eq!(first["subject"], "user:alice");
    let session = first["details"]["session"].as_str().unwrap();
    assert!(stmts.iter().all(|e| e["details"]["session"] == session));
    let started = events
        .iter()
        .find(|e| e["kind"] == "gateway.session.started")
        .unwrap();
    assert_eq!(started["details"]["session"], session);
    assert_eq!(started["details"]["read_only"], true);
    let ended = events
        .iter()
        .find(|e| e["kind"] == "gateway.session.ended")
        .unwrap();
    assert_eq!(ended["details"]["statements"], 4);
    assert_eq!(ended["details"]["denied"], 1);

    assert!(env.chain_verifies().await, "the audit chain breaks");
    env.stop().await;
}

#[tokio::test]
async fn long_statements_are_truncated_in_the_audit_log() {
    let Some(env) = env_with(|t| t.push_str("statement_max_bytes = 32\n")).await else {
        return;
    };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;
    let long = format!("SELECT '{}' AS padding", "x".repeat(500));
    c.simple_query(&long).await.unwrap();
    let stmts = env.statements_when(|s| s.starts_with("SELECT 'xxx")).await;
    let e = stmts
        .iter()
        .find(|e| e["details"]["statement_bytes"] == long.len())
        .unwrap();
    assert_eq!(
        e["details"]["statement"].as_str().unwrap(),
        format!("{}…", &long[..32])
    );
    env.stop().await;
}

#[tokio::test]
async fn the_upstream_password_appears_nowhere() {
    let Some(env) = env().await else { return };
    let token = env.granted("alice", "db-write", "10m").await;
    let (c, _conn) = env.connect("alice", &token).await.unwrap();
    let mut errors = Vec::new();
    for sql in [
        "SELECT current_user",
        "SELECT * FROM pg_catalog.pg_authid",
        "SET ROLE postgres",
        "SELEC 1",
    ] {
        if let Err(e) = c.simple_query(sql).await {
            errors.push(db_error(&e).1);
        }
    }
    let rows = c.simple_query("SHOW session_authorization").await.unwrap();
    let shown = format!("{rows:?}");
    assert!(!shown.contains(UPSTREAM_PASSWORD));
    drop(c);

    // A target whose password is wrong: the client is told the connection failed, no more.
    let wrong = env.dir.path().join("wrong");
    std::fs::write(&wrong, "not-the-password").unwrap();
    let Some(bad) = env_with(|t| {
        let line = t
            .lines()
            .find(|l| l.starts_with("password_file"))
            .unwrap()
            .to_string();
        *t = t.replace(&line, &format!("password_file = \"{}\"", wrong.display()));
    })
    .await
    else {
        return;
    };
    bad.grant("alice", "db-read", "10m").await;
    let t = bad.token("alice").await;
    match bad.connect("alice", &t).await {
        Ok(_) => {} // an external test server may trust the gateway's role
        Err(e) => {
            let (code, message) = db_error(&e);
            assert_eq!(code, "08006", "{message}");
            assert!(!message.contains("not-the-password"), "{message}");
            errors.push(message);
        }
    }

    let events = serde_json::to_string(&env.events().await).unwrap()
        + &serde_json::to_string(&bad.events().await).unwrap();
    assert!(
        !events.contains(UPSTREAM_PASSWORD),
        "the password is in an audit event"
    );
    assert!(!events.contains("not-the-password"));
    for e in &errors {
        assert!(!e.contains(UPSTREAM_PASSWORD), "{e}");
    }
    let logs = logs();
    assert!(!logs.is_empty());
    assert!(
        !logs.contains(UPSTREAM_PASSWORD),
        "the password is in the logs"
    );
    assert!(
        !logs.contains("not-the-password"),
        "a password is in the logs"
    );
    bad.stop().await;
    env.stop().await;
}

/// `sqlite3 FILE SQL` (Debian's `sqlite3`, which `.ci/run` installs): true when it succeeded,
/// else false with what it said on stderr. It waits up to 30 s for the server's own writes to
/// the file (without a busy timeout it fails at once when it meets one, as seen on a loaded
/// machine).
async fn sqlite(file: &std::path::Path, sql: &str) -> bool {
    let out = tokio::process::Command::new("sqlite3")
        .args(["-cmd", ".timeout 30000"])
        .arg(file)
        .arg(sql)
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("the `sqlite3` command (Debian package sqlite3) is needed: {e}")
        });
    if !out.status.success() {
        eprintln!(
            "sqlite3 `{sql}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success()
}

#[tokio::test]
async fn statements_are_refused_while_the_audit_log_cannot_be_written() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;
    let db = env.dir.path().join("wicket.db");
    assert!(sqlite(&db, "ALTER TABLE audit_events RENAME TO audit_events_away").await);
    // This statement runs; its event cannot be written, so the next one is refused.
    c.simple_query("SELECT 1").await.unwrap();
    let app = env.app();
    let start = std::time::Instant::now();
    while !app.audit.is_failing() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the audit writer never noticed the missing table"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (code, message) = refused(&c, "SELECT 2").await;
    assert_eq!(code, "58000", "{message}");
    assert!(message.contains("audit log cannot be written"), "{message}");

    assert!(sqlite(&db, "ALTER TABLE audit_events_away RENAME TO audit_events").await);
    // The refusal's own event goes through now, and statements flow again.
    // The audit writer notices within its retry round: up to 30 s on a loaded machine.
    let mut ok = false;
    for _ in 0..300 {
        if c.simple_query("SELECT 3").await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "statements flow again once the audit log can be written"
    );
    env.stop().await;
}
