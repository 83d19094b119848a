//! Ways a grant once reached what it should not: unqualified catalog names, strings read
//! with `standard_conforming_strings = off`, a `/` inside a quoted name, and passwords
//! written into the audit log.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{Env, count, denied, env, refused};

#[tokio::test]
async fn unqualified_catalog_names_are_checked_in_pg_catalog() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "public-read", "10m").await;
    // `public/*` reads public tables...
    c.simple_query("SELECT * FROM customers").await.unwrap();
    // ...but an unqualified catalog name is PostgreSQL's `pg_catalog` one, for reads and writes.
    for sql in [
        "SELECT rolname, rolsuper FROM pg_authid",
        "SELECT * FROM pg_class",
        "SELECT * FROM customers, pg_stats",
        "DELETE FROM pg_description",
    ] {
        let message = denied(&c, sql).await;
        assert!(message.contains("/pg_catalog/pg_"), "{sql}: {message}");
        assert!(!message.contains("public/pg_"), "{sql}: {message}");
        // No `public/*` role is offered for a catalog table.
        assert!(!message.contains("public-read"), "{sql}: {message}");
    }
    // Type names are session basics: drivers read them to decode columns.
    c.simple_query("SELECT * FROM pg_type").await.unwrap();
    env.stop().await;
}

#[tokio::test]
async fn strings_read_without_conforming_strings_hide_no_statement() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-all", "10m").await;
    c.simple_query("SET standard_conforming_strings = off")
        .await
        .unwrap();
    // PostgreSQL now reads `'a\''` as one literal, so this is a SELECT and a DELETE.
    let hidden = "select 'a\\'' as x; delete from t; --'";
    let (code, message) = refused(&c, hidden).await;
    assert_eq!(code, "42501", "{message}");
    assert!(message.contains("standard_conforming_strings"), "{message}");
    let direct = env.direct().await;
    let rows = count(&direct, "SELECT count(*) FROM t").await;
    assert_eq!(rows, 1, "the hidden DELETE ran");
    // A literal that only the server's present reading accepts works as it does directly.
    let rows = c.query("select 'it\\'s' as x", &[]).await.unwrap();
    assert_eq!(rows[0].get::<_, String>(0), "it's");
    // Back on, the other reading is the one the gateway uses.
    c.simple_query("SET standard_conforming_strings = on")
        .await
        .unwrap();
    let rows = c.query("select 'C:\\temp' as x", &[]).await.unwrap();
    assert_eq!(rows[0].get::<_, String>(0), "C:\\temp");
    env.stop().await;
}

#[tokio::test]
async fn a_slash_in_a_quoted_name_is_part_of_one_segment() {
    let Some(env) = env().await else { return };
    let direct = env.direct().await;
    direct
        .batch_execute(
            "CREATE SCHEMA reports AUTHORIZATION wicket_gw;
             CREATE SCHEMA \"reports/hr\" AUTHORIZATION wicket_gw;
             CREATE TABLE reports.daily (n int);
             CREATE TABLE \"reports/hr\".salaries (n int);
             CREATE TABLE \"a b*\" (n int);
             ALTER TABLE reports.daily OWNER TO wicket_gw;
             ALTER TABLE \"reports/hr\".salaries OWNER TO wicket_gw;
             ALTER TABLE \"a b*\" OWNER TO wicket_gw;",
        )
        .await
        .unwrap();
    let token = env.granted("alice", "reports-read", "10m").await;
    let (c, _conn) = env.connect("alice", &token).await.unwrap();
    c.simple_query("SELECT * FROM reports.daily").await.unwrap();
    let (code, message) = refused(&c, "SELECT * FROM \"reports/hr\".salaries").await;
    assert_eq!(code, "42501", "{message}");
    assert!(message.contains("/reports%2Fhr/salaries"), "{message}");
    // Spaces and `*` are escaped too: a name is never refused for its characters.
    env.grant("bob", "db-read", "10m").await;
    let bob = env.token("bob").await;
    let (b, _conn) = env.connect("bob", &bob).await.unwrap();
    b.simple_query("SELECT * FROM \"a b*\"").await.unwrap();
    b.simple_query("SELECT * FROM \"reports/hr\".salaries")
        .await
        .unwrap();
    env.stop().await;
}

#[tokio::test]
async fn passwords_never_reach_the_audit_log() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-all", "10m").await;
    // The gateway's role may not create roles: the server refuses, and the log records it.
    let secret = "Sekrit-7d1e";
    for sql in [
        format!("CREATE ROLE someone LOGIN PASSWORD '{secret}'"),
        format!("ALTER ROLE someone WITH ENCRYPTED PASSWORD '{secret}' VALID UNTIL 'infinity'"),
        format!(
            "CREATE USER MAPPING FOR someone SERVER nowhere OPTIONS (user 'x', password '{secret}')"
        ),
    ] {
        assert!(c.simple_query(&sql).await.is_err(), "{sql}");
    }
    let events = wait_for(&env, 3, |e| {
        e["details"]["statement"]
            .as_str()
            .is_some_and(|s| s.contains("[redacted]"))
    })
    .await;
    for e in &events {
        let text = e["details"]["statement"].as_str().unwrap();
        assert!(!text.contains(secret), "{text}");
    }
    assert!(
        events[1]["details"]["statement"]
            .as_str()
            .unwrap()
            .ends_with("VALID UNTIL 'infinity'"),
        "the rest of the statement is kept: {events:?}"
    );
    let all = serde_json::to_string(&env.events().await).unwrap();
    assert!(!all.contains(secret), "a password reached the audit log");
    env.stop().await;
}

/// The first `n` statement events that satisfy `pred`, once the audit writer has them.
async fn wait_for(env: &Env, n: usize, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let found: Vec<Value> = env
            .events()
            .await
            .into_iter()
            .filter(|e| e["kind"] == "gateway.statement" && pred(e))
            .collect();
        if found.len() >= n {
            return found;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "only {} of {n} events after 30 s: {found:?}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
