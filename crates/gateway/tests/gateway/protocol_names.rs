//! Names and errors as PostgreSQL itself gives them, through the gateway: cursors declared in
//! SQL and used through the protocol (psycopg 3's server-side cursors), `DEALLOCATE` of
//! protocol statements, the gateway's own names kept from clients, reused statement names,
//! `EXECUTE` inside other statements, the backend's process id, startup `options`, and
//! syntax errors with their position.
//!
//! `tokio-postgres` cannot send a `Describe` of a portal it did not bind, name its statements,
//! or show the `BackendKeyData` it got, so some tests speak the protocol themselves
//! ([`Wire`]), message for message as psycopg 3 and pgx do.

use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use postgres_protocol::message::frontend;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::helpers::{Env, db_error, env, refused};
use crate::wire::{Msg, Wire, bind, errors, execute, parse, tags};

#[tokio::test]
async fn a_cursor_declared_in_sql_is_described_and_executed_through_the_protocol() {
    let Some(env) = env().await else { return };
    let (customers, mut w) = Wire::customers_from_a_second_grant(&env).await;

    // What psycopg 3 sends for `conn.cursor(name="c").execute(...)`: the `DECLARE` in the
    // extended protocol, then a `Describe` of the portal it made, then `FETCH`es.
    w.rows("BEGIN").await;
    let declared = w
        .batch(|b| {
            parse(
                b,
                "",
                "DECLARE \"c\" CURSOR FOR SELECT id, name FROM customers ORDER BY id",
            );
            bind(b, "", "");
            execute(b, "", 0);
        })
        .await;
    assert_eq!(errors(&declared), Vec::<String>::new());
    let described = w.batch(|b| frontend::describe(b'P', "c", b).unwrap()).await;
    assert_eq!(errors(&described), Vec::<String>::new());
    assert_eq!(tags(&described), "TZ");
    // An `Execute` of the cursor's portal, a row at a time.
    let first = w.batch(|b| execute(b, "c", 1)).await;
    assert_eq!(tags(&first), "DsZ", "{:?}", errors(&first));
    assert_eq!(first[0].row(), [Some("1".into()), Some("ada".into())]);
    assert_eq!(
        w.rows("FETCH FORWARD 5 FROM \"c\"").await,
        [[Some("2".into()), Some("grace".into())]]
    );

    // Closed with the protocol, a cursor is gone as PostgreSQL has it.
    w.rows("DECLARE d CURSOR FOR SELECT id FROM customers")
        .await;
    let closed = w.batch(|b| frontend::close(b'P', "d", b).unwrap()).await;
    assert_eq!(tags(&closed), "3Z");
    let gone = w.batch(|b| frontend::describe(b'P', "d", b).unwrap()).await;
    assert_eq!(errors(&gone), ["34000 portal \"d\" does not exist"]);
    w.rows("ROLLBACK").await;
    w.rows("BEGIN").await;
    w.rows("DECLARE c CURSOR FOR SELECT id, name FROM customers ORDER BY id")
        .await;

    // Executing it again is authorized again, as the cursor's query: without `db:select` on
    // `customers` it is denied, and it never reaches the server.
    env.revoke(customers["id"].as_str().unwrap()).await;
    let denied = w.batch(|b| execute(b, "c", 1)).await;
    let e = denied.iter().find_map(Msg::error).expect("denied");
    assert_eq!(e.code(), "42501", "{}", e.message());
    assert!(
        e.message().contains("`db:select`") && e.message().contains("customers"),
        "{}",
        e.message()
    );
    assert!(!denied.iter().any(|m| m.tag == b'D'));
    w.rows("ROLLBACK").await;

    env.stop().await;
}

#[tokio::test]
async fn deallocate_reaches_the_statement_a_client_prepared_with_the_protocol() {
    let Some(env) = env().await else { return };
    let mut w = Wire::session(&env, "alice", "db-read", "10m").await;

    // pgx's and psycopg's statement caches: `Parse` a named statement, later drop it in SQL.
    let parsed = w.batch(|b| parse(b, "s1", "SELECT 1")).await;
    assert_eq!(tags(&parsed), "1Z");
    assert_eq!(w.prepared_upstream().await, "1");
    let dropped = w.query("DEALLOCATE s1").await;
    assert_eq!(errors(&dropped), Vec::<String>::new());
    assert_eq!(dropped[0].command(), "DEALLOCATE");
    assert_eq!(w.prepared_upstream().await, "0");

    // The name is free again, and the same goes for `DEALLOCATE PREPARE` in a `Parse`.
    let again = w.batch(|b| parse(b, "s1", "SELECT 2")).await;
    assert_eq!(tags(&again), "1Z", "{:?}", errors(&again));
    let dropped = w
        .batch(|b| {
            parse(b, "", "DEALLOCATE PREPARE s1");
            bind(b, "", "");
            execute(b, "", 0);
        })
        .await;
    assert_eq!(errors(&dropped), Vec::<String>::new());
    assert_eq!(w.prepared_upstream().await, "0");
    let unknown = w.query("DEALLOCATE s1").await;
    assert_eq!(
        errors(&unknown),
        ["26000 prepared statement \"s1\" does not exist"]
    );

    // `DEALLOCATE ALL` drops the protocol's statements too.
    w.batch(|b| parse(b, "s2", "SELECT 2")).await;
    w.rows("DEALLOCATE ALL").await;
    let reused = w.batch(|b| parse(b, "s2", "SELECT 3")).await;
    assert_eq!(tags(&reused), "1Z", "{:?}", errors(&reused));
    assert_eq!(w.prepared_upstream().await, "1");
    env.stop().await;
}

#[tokio::test]
async fn a_client_cannot_name_statements_or_cursors_as_the_gateway_does() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;

    for sql in [
        "PREPARE __wicket_s1 AS SELECT 1",
        "BEGIN; DECLARE __wicket_p1 CURSOR FOR SELECT 1",
    ] {
        let (code, message) = refused(&c, sql).await;
        assert_eq!(code, "42939", "{sql}: {message}");
        assert!(
            message.contains("`__wicket_") && message.contains("reserves"),
            "{message}"
        );
    }
    // The gateway's own statements (`__wicket_s1`, `__wicket_s2`, ...) still work.
    for id in [1i32, 2, 1] {
        let st = c
            .prepare("SELECT name FROM customers WHERE id = $1")
            .await
            .unwrap();
        assert!(!c.query(&st, &[&id]).await.unwrap().is_empty());
    }
    env.stop().await;
}

#[tokio::test]
async fn a_parse_that_reuses_a_live_name_is_refused_as_postgresql_does() {
    let Some(env) = env().await else { return };
    let mut w = Wire::session(&env, "alice", "db-read", "10m").await;

    assert_eq!(tags(&w.batch(|b| parse(b, "x", "SELECT 1")).await), "1Z");
    let reused = w.batch(|b| parse(b, "x", "SELECT 2")).await;
    assert_eq!(
        errors(&reused),
        ["42P05 prepared statement \"x\" already exists"]
    );
    // Nothing left behind upstream, and the first one still runs.
    assert_eq!(w.prepared_upstream().await, "1");
    let ran = w
        .batch(|b| {
            bind(b, "", "x");
            execute(b, "", 0);
        })
        .await;
    assert_eq!(ran[1].row(), [Some("1".into())]);
    // Closed, the name may be used again.
    let closed = w
        .batch(|b| {
            frontend::close(b'S', "x", b).unwrap();
            parse(b, "x", "SELECT 3");
        })
        .await;
    assert_eq!(tags(&closed), "31Z");
    assert_eq!(w.prepared_upstream().await, "1");

    // A name the server refused, or skipped after an earlier error, was never taken.
    let failed = w
        .batch(|b| {
            parse(b, "y", "SELECT * FROM no_such_table");
            parse(b, "z", "SELECT 1");
        })
        .await;
    assert_eq!(
        errors(&failed),
        ["42P01 relation \"no_such_table\" does not exist"]
    );
    let retried = w
        .batch(|b| {
            parse(b, "y", "SELECT 1");
            parse(b, "z", "SELECT 2");
        })
        .await;
    assert_eq!(tags(&retried), "11Z", "{:?}", errors(&retried));

    // One prepared with SQL shares the name space.
    w.rows("PREPARE q AS SELECT 1").await;
    let taken = w.batch(|b| parse(b, "q", "SELECT 2")).await;
    assert_eq!(
        errors(&taken),
        ["42P05 prepared statement \"q\" already exists"]
    );
    assert_eq!(w.prepared_upstream().await, "4");
    env.stop().await;
}

#[tokio::test]
async fn execute_inside_explain_and_create_table_as_is_the_statement_it_executes() {
    let Some(env) = env().await else { return };
    env.grant("alice", "customers-read", "10m").await;
    env.grant("bob", "db-all", "10m").await;
    let token = env.token("alice").await;
    let (c, _conn) = env.connect("alice", &token).await.unwrap();

    c.simple_query("PREPARE q (int) AS SELECT name FROM customers WHERE id = $1")
        .await
        .unwrap();
    let plan = c.simple_query("EXPLAIN EXECUTE q (1)").await.unwrap();
    assert!(!plan.is_empty());
    // Creating a table needs `db:ddl` besides what `q` needs.
    let (code, message) = db_error(
        &c.simple_query("CREATE TABLE copied AS EXECUTE q (1)")
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "42501", "{message}");
    assert!(message.contains("`db:ddl`"), "{message}");
    let explained = env
        .statements_when(|s| s == "EXPLAIN EXECUTE q (1)")
        .await
        .into_iter()
        .find(|e| e["details"]["statement"] == "EXPLAIN EXECUTE q (1)")
        .expect("audited");
    assert_eq!(explained["action"], "db:select");
    assert_eq!(explained["details"]["tables"][0], "public.customers");

    let bob = env.token("bob").await;
    let (b, _conn) = env.connect("bob", &bob).await.unwrap();
    b.simple_query("PREPARE q (int) AS SELECT name FROM customers WHERE id = $1")
        .await
        .unwrap();
    b.simple_query("CREATE TABLE copied AS EXECUTE q (2)")
        .await
        .unwrap();
    let row = b.query_one("SELECT name FROM copied", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "grace");
    env.stop().await;
}

#[tokio::test]
async fn the_client_is_told_the_backend_s_own_process_id() {
    let Some(env) = env().await else { return };
    let mut w = Wire::session(&env, "alice", "db-read", "10m").await;

    let pid = w.rows("SELECT pg_backend_pid()").await[0][0]
        .clone()
        .unwrap();
    assert_eq!(pid, w.pid.to_string());
    // A client ignores its own notifications by comparing the sender with its process id.
    let notified = w.query("LISTEN ch; NOTIFY ch, 'hi'").await;
    let note = notified.iter().find(|m| m.tag == b'A').expect("notified");
    assert_eq!(note.body.clone().get_i32(), w.pid);

    // A cancel with that process id and the gateway's key stops the running query.
    let mut out = BytesMut::new();
    frontend::query("SELECT pg_sleep(30)", &mut out).unwrap();
    w.send(out).await;
    let direct = env.direct().await;
    let started = Instant::now();
    loop {
        let active: i64 = direct
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query = 'SELECT pg_sleep(30)'",
                &[&w.pid],
            )
            .await
            .unwrap()
            .get(0);
        if active == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the query never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut cancel = BytesMut::new();
    frontend::cancel_request(w.pid, w.key, &mut cancel);
    let mut s = TcpStream::connect(("127.0.0.1", env.gateway_port()))
        .await
        .unwrap();
    s.write_all(&cancel).await.unwrap();
    let answers = w.until_ready().await;
    assert_eq!(
        errors(&answers),
        ["57014 canceling statement due to user request"]
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    env.stop().await;
}

/// `psql` through the gateway with `PGOPTIONS` set to `options`.
async fn psql_with_options(
    env: &Env,
    token: &str,
    options: &str,
    command: &str,
) -> (bool, String, String) {
    let out = tokio::process::Command::new("psql")
        .arg(env.conninfo("alice", "disable"))
        .args(["-X", "-A", "-t", "-c", command])
        .env("PGPASSWORD", token)
        .env("PGOPTIONS", options)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .await
        .expect("psql runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn startup_options_are_passed_on_or_the_connection_is_refused() {
    let Some(env) = env().await else { return };
    let token = env.granted("alice", "db-read", "10m").await;

    let (ok, out, err) = psql_with_options(
        &env,
        &token,
        r"-c intervalstyle=postgres_verbose --datestyle=ISO,\ DMY",
        "SELECT current_setting('intervalstyle') || ' / ' || current_setting('datestyle')",
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(out, "postgres_verbose / ISO, DMY");

    for (options, named) in [
        ("-c role=postgres", "`role`"),
        (
            "-c intervalstyle=iso_8601 -c search_path=secret",
            "`search_path`",
        ),
        ("-e", "`-e`"),
        ("-c jit", "`jit`"),
    ] {
        let (ok, _, err) = psql_with_options(&env, &token, options, "SELECT 1").await;
        assert!(!ok, "{options}");
        assert!(
            err.contains("FATAL") && err.contains("`options`") && err.contains(named),
            "{options}: {err}"
        );
    }
    env.stop().await;
}

#[tokio::test]
async fn a_statement_that_does_not_parse_gets_postgresql_s_own_error_and_position() {
    let Some(env) = env().await else { return };
    let token = env.granted("alice", "db-read", "10m").await;
    let (c, _conn) = env.connect("alice", &token).await.unwrap();
    let direct = env.direct().await;

    for sql in [
        "SELEC * FROM customers",
        "select name from customers where",
        "select 1;\nselect 'from' from, 2",
        "select 'é' as x y",
        "select 'unterminated",
    ] {
        let through = c.simple_query(sql).await.unwrap_err();
        let straight = direct.simple_query(sql).await.unwrap_err();
        let (t, s) = (
            through.as_db_error().unwrap(),
            straight.as_db_error().unwrap(),
        );
        assert_eq!(
            (t.code(), t.message(), t.position()),
            (s.code(), s.message(), s.position()),
            "{sql}"
        );
        // The extended protocol's `Parse` says the same.
        let parsed = c.prepare(sql).await.unwrap_err();
        let p = parsed.as_db_error().unwrap();
        assert_eq!(
            (p.message(), p.position()),
            (s.message(), s.position()),
            "{sql}"
        );
    }

    // psql draws the same caret under the same line as it does straight to the database.
    let through = env
        .psql("alice", &token, &["select 1 +;", "SELECT 2"])
        .await;
    let straight = tokio::process::Command::new("psql")
        .arg(&env.db_url)
        .args([
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=0",
            "-c",
            "select 1 +;",
            "-c",
            "SELECT 2",
        ])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&through.stderr);
    assert_eq!(stderr, String::from_utf8_lossy(&straight.stderr));
    assert!(
        stderr.contains("syntax error at or near \";\"\nLINE 1: select 1 +;\n")
            && stderr.contains('^'),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&through.stdout).trim(), "2");
    env.stop().await;
}
