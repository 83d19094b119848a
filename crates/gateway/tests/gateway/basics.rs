//! The everyday path: a read grant lets a user select, an insert is denied with the role to
//! request, and the session goes on.

use crate::helpers::{count, db_error, env, env_with};

#[tokio::test]
async fn select_allowed_insert_denied_with_the_role_to_request_session_goes_on() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;

    let rows = c
        .simple_query("SELECT name FROM customers ORDER BY id")
        .await
        .unwrap();
    let names: Vec<String> = rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["ada", "grace"]);

    let err = c
        .simple_query("INSERT INTO t VALUES (7)")
        .await
        .unwrap_err();
    let (code, message) = db_error(&err);
    assert_eq!(code, "42501", "{message}");
    assert!(message.contains("`db:insert`"), "{message}");
    assert!(
        message.contains(&format!("pg/test/{}/public/t", env.target)),
        "{message}"
    );
    assert!(message.contains("`db-write`"), "{message}");
    assert!(
        message.contains("wicket request create db-write"),
        "{message}"
    );

    // Still usable, and nothing was inserted.
    let n = count(&c, "SELECT count(*) FROM t").await;
    assert_eq!(n, 1);
    env.stop().await;
}

#[tokio::test]
async fn psql_reads_and_is_told_what_to_request() {
    let Some(env) = env().await else { return };
    let token = env.granted("alice", "db-read", "10m").await;
    let out = env
        .psql(
            "alice",
            &token,
            &[
                "SELECT name FROM customers WHERE id = 2",
                "DELETE FROM payments",
                "SELECT 40 + 2",
            ],
        )
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("grace"), "{stdout} {stderr}");
    assert!(
        stdout.contains("42"),
        "the session went on: {stdout} {stderr}"
    );
    assert!(
        stderr.contains("`db:delete`") && stderr.contains("db-write"),
        "{stderr}"
    );
    assert!(
        stderr.contains("wicket request create db-write"),
        "{stderr}"
    );
    env.stop().await;
}

#[tokio::test]
async fn no_grant_no_session_and_the_refusal_names_the_role() {
    let Some(env) = env().await else { return };
    let token = env.token("erin").await;
    let Err(err) = env.connect("erin", &token).await else {
        panic!("erin got a session without a grant")
    };
    let (code, message) = db_error(&err);
    assert_eq!(code, "42501", "{message}");
    assert!(
        message.contains("`db:connect`") && message.contains("request role `"),
        "{message}"
    );
    assert!(message.contains("wicket request create "), "{message}");
    let events = env.events().await;
    assert!(
        events.iter().any(|e| e["kind"] == "check.denied"
            && e["action"] == "db:connect"
            && e["subject"] == "user:erin"),
        "{events:?}"
    );
    env.stop().await;
}

#[tokio::test]
async fn a_write_grant_writes() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("bob", "db-write", "10m").await;
    let n = c
        .execute("INSERT INTO t VALUES ($1)", &[&5i32])
        .await
        .unwrap();
    assert_eq!(n, 1);
    c.batch_execute("BEGIN; UPDATE t SET x = 6 WHERE x = 5; COMMIT")
        .await
        .unwrap();
    let n = env.direct_count("SELECT count(*) FROM t WHERE x = 6").await;
    assert_eq!(n, 1);
    env.stop().await;
}

#[tokio::test]
async fn targets_share_an_address_and_the_dbname_picks_one() {
    let mut second = String::new();
    let Some(env) = env_with(|t| {
        second = t
            .replace("name = \"", "name = \"other_")
            .replace("resource = \"pg/test/", "resource = \"pg/other/");
        t.push_str(&second);
    })
    .await
    else {
        return;
    };
    let token = env.granted("alice", "db-read", "10m").await;
    let gateway = env.gateway.as_ref().unwrap();
    let other = format!("other_{}", env.target);
    assert_eq!(gateway.addr(&other), gateway.addr(&env.target));
    env.connect("alice", &token).await.unwrap();
    let conn = env.conn_string("alice", &token).replace(
        &format!("dbname={}", env.target),
        &format!("dbname={other}"),
    );
    let (code, message) = db_error(
        &tokio_postgres::connect(&conn, tokio_postgres::NoTls)
            .await
            .err()
            .unwrap(),
    );
    assert_eq!(code, "42501");
    assert!(
        message.contains(&format!("pg/other/{}", env.target)),
        "{message}"
    );
    env.stop().await;
}
