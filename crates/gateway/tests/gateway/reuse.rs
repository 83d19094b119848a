//! Upstream connections kept between sessions: a cleanly ended session's connection serves
//! the next session with the same settings, reset so that nothing of the first session
//! reaches the second; a session that ended any other way never leaves its connection.

use serde_json::Value;
use tokio_postgres::{Client, NoTls};

use crate::helpers::{Env, UPSTREAM_PASSWORD, UPSTREAM_USER, count, env, env_with, refused};

/// The server process behind `c`.
async fn backend(c: &Client) -> i32 {
    c.query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

/// The `gateway.session.started` events, once there are `n` of them with as many ends (the
/// connection goes back to the pool before the session's end is recorded).
async fn sessions(env: &Env, n: usize) -> Vec<Value> {
    let count = |events: &[Value], kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    env.events_when(
        &format!("{n} gateway sessions started and ended"),
        |events| {
            count(events, "gateway.session.started") >= n
                && count(events, "gateway.session.ended") >= n
        },
    )
    .await
    .into_iter()
    .filter(|e| e["kind"] == "gateway.session.started")
    .collect()
}

/// Waits until the backend `pid` is gone from the server.
async fn gone(env: &Env, pid: i32) {
    let direct = env.direct().await;
    let start = std::time::Instant::now();
    loop {
        let n: i64 = direct
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .await
            .unwrap()
            .get(0);
        if n == 0 {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "backend {pid} still runs after 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// One session of `user` (who holds a grant already): its backend, after running `sql`.
async fn session(env: &Env, user: &str, sql: &str) -> i32 {
    let token = env.token(user).await;
    let (c, conn) = env.connect(user, &token).await.unwrap();
    let pid = backend(&c).await;
    if !sql.is_empty() {
        c.batch_execute(sql).await.unwrap();
    }
    drop(c);
    conn.await.unwrap().unwrap();
    pid
}

#[tokio::test]
async fn the_next_session_gets_the_connection_reset_with_nothing_of_the_last() {
    let Some(env) = env().await else { return };
    env.grant("alice", "db-all", "10m").await;
    env.grant("bob", "db-all", "10m").await;
    let first = session(
        &env,
        "alice",
        "CREATE TEMP TABLE scratch (x int); \
         SET application_name = 'leaky'; SET statement_timeout = '7s'; \
         PREPARE leftover AS SELECT 1; LISTEN news; \
         SELECT pg_advisory_lock(4242); \
         BEGIN; DECLARE kept CURSOR WITH HOLD FOR SELECT 1; COMMIT",
    )
    .await;
    sessions(&env, 1).await;

    let token = env.token("bob").await;
    let (c, _conn) = env.connect("bob", &token).await.unwrap();
    assert_eq!(backend(&c).await, first, "the connection was not reused");
    let temp: Option<String> = c
        .query_one("SELECT to_regclass('pg_temp.scratch')::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(temp, None, "alice's temporary table reached bob");
    let row = c
        .query_one(
            "SELECT current_setting('application_name'), current_setting('statement_timeout'), \
             (SELECT count(*) FROM pg_listening_channels()), \
             (SELECT count(*) FROM pg_cursors WHERE name = 'kept'), \
             (SELECT count(*) FROM pg_prepared_statements WHERE name = 'leftover')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "wicket");
    assert_eq!(row.get::<_, String>(1), "0");
    assert_eq!(row.get::<_, i64>(2), 0, "alice's LISTEN reached bob");
    assert_eq!(row.get::<_, i64>(3), 0, "alice's cursor reached bob");
    assert_eq!(
        row.get::<_, i64>(4),
        0,
        "alice's prepared statement reached bob"
    );
    let (code, _) = refused(&c, "EXECUTE leftover").await;
    assert_eq!(code, "26000");
    let locks = env
        .direct_count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242")
        .await;
    assert_eq!(locks, 0, "alice's advisory lock outlived her session");
    drop(c);

    // The audit log says which session reused which server process.
    let started = sessions(&env, 2).await;
    assert_eq!(started[0]["actor"], "alice");
    assert_eq!(started[0]["details"]["upstream"], "new");
    assert_eq!(started[1]["actor"], "bob");
    assert_eq!(started[1]["details"]["upstream"], "reused");
    assert_eq!(started[0]["details"]["backend_pid"], first);
    assert_eq!(started[1]["details"]["backend_pid"], first);
    env.stop().await;
}

#[tokio::test]
async fn a_session_that_ends_mid_transaction_disconnected_or_cut_leaves_nothing() {
    let Some(env) = env().await else { return };
    let grant = env.grant("alice", "db-all", "10m").await;

    // Ended by `Terminate` inside a transaction: the server rolls back and ends.
    let token = env.token("alice").await;
    let (c, conn) = env.connect("alice", &token).await.unwrap();
    let open = backend(&c).await;
    c.batch_execute("BEGIN; INSERT INTO t VALUES (7)")
        .await
        .unwrap();
    drop(c);
    conn.await.unwrap().unwrap();
    gone(&env, open).await;
    let n = env.direct_count("SELECT count(*) FROM t WHERE x = 7").await;
    assert_eq!(n, 0);

    // Gone without `Terminate`.
    let (c, conn) = env.connect("alice", &token).await.unwrap();
    let dropped = backend(&c).await;
    assert_ne!(dropped, open);
    conn.abort();
    drop(c);
    gone(&env, dropped).await;

    // Cut by a revocation.
    let (c, _conn) = env.connect("alice", &token).await.unwrap();
    let cut = backend(&c).await;
    assert_ne!(cut, dropped);
    env.revoke(grant["id"].as_str().unwrap()).await;
    gone(&env, cut).await;

    // Nothing was kept: the next session starts a server process of its own.
    env.grant("alice", "db-all", "10m").await;
    let next = session(&env, "alice", "").await;
    assert!(![open, dropped, cut].contains(&next), "{next}");
    env.stop().await;
}

#[tokio::test]
async fn read_only_and_writing_sessions_never_share_a_connection() {
    let Some(env) = env().await else { return };
    env.grant("alice", "db-write", "10m").await;
    env.grant("bob", "db-read", "10m").await;
    let writer = session(&env, "alice", "").await;
    sessions(&env, 1).await;
    let token = env.token("bob").await;
    let (c, _conn) = env.connect("bob", &token).await.unwrap();
    assert_ne!(backend(&c).await, writer);
    let row = c
        .query_one("SHOW default_transaction_read_only", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "on");
    drop(c);
    // And the writer's connection is still there for the next writer.
    sessions(&env, 2).await;
    assert_eq!(session(&env, "alice", "").await, writer);
    env.stop().await;
}

#[tokio::test]
async fn a_kept_connection_the_server_ended_is_not_handed_out() {
    let Some(env) = env().await else { return };
    env.grant("alice", "db-read", "10m").await;
    let first = session(&env, "alice", "").await;
    sessions(&env, 1).await;
    env.direct()
        .await
        .query_one("SELECT pg_terminate_backend($1)", &[&first])
        .await
        .unwrap();
    gone(&env, first).await;
    let token = env.token("alice").await;
    let (c, _conn) = env.connect("alice", &token).await.unwrap();
    let next = backend(&c).await;
    assert_ne!(next, first);
    let n = count(&c, "SELECT count(*) FROM customers").await;
    assert_eq!(n, 2);
    env.stop().await;
}

#[tokio::test]
async fn reuse_upstream_off_gives_every_session_its_own_connection() {
    let Some(env) = env_with(|t| t.push_str("reuse_upstream = false\n")).await else {
        return;
    };
    env.grant("alice", "db-read", "10m").await;
    let first = session(&env, "alice", "").await;
    sessions(&env, 1).await;
    gone(&env, first).await;
    let second = session(&env, "alice", "").await;
    assert_ne!(second, first);
    let started = sessions(&env, 2).await;
    assert!(
        started.iter().all(|e| e["details"]["upstream"] == "new"),
        "{started:?}"
    );
    env.stop().await;
}

#[tokio::test]
async fn kept_connections_make_room_when_the_server_has_no_slot_left() {
    // A role of its own, allowed two connections: the kept ones take both.
    const ROLE: &str = "wicket_gw_two";
    let Some(env) = env_with(|t| {
        *t = t.replace(
            &format!("postgres://{UPSTREAM_USER}@"),
            &format!("postgres://{ROLE}@"),
        );
    })
    .await
    else {
        return;
    };
    let direct = env.direct().await;
    let create = format!("CREATE ROLE {ROLE} LOGIN PASSWORD '{UPSTREAM_PASSWORD}'");
    if let Err(e) = direct.batch_execute(&create).await {
        assert!(e.code().is_some_and(|c| c.code() == "42710"), "{e}");
    }
    direct
        .batch_execute(&format!("ALTER ROLE {ROLE} CONNECTION LIMIT 2"))
        .await
        .unwrap();
    let token = env.granted("alice", "db-read", "10m").await;
    let connect = |name: &str| {
        let conn_string = format!(
            "{} application_name={name}",
            env.conn_string("alice", &token)
        );
        async move {
            let (c, conn) = tokio_postgres::connect(&conn_string, NoTls).await.unwrap();
            (c, tokio::spawn(conn))
        }
    };
    // Two sessions of different settings end cleanly: two connections kept.
    let mut kept = Vec::new();
    for name in ["one", "two"] {
        let (c, conn) = connect(name).await;
        kept.push(backend(&c).await);
        drop(c);
        conn.await.unwrap().unwrap();
    }
    sessions(&env, 2).await;
    // A third with settings of its own: the role has no slot left until the kept ones go.
    let (c, _conn) = connect("three").await;
    let third = backend(&c).await;
    assert!(!kept.contains(&third), "{third} {kept:?}");
    for pid in kept {
        gone(&env, pid).await;
    }
    env.stop().await;
}
