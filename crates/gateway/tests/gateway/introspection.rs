//! Introspection without over-granting: session basics with `db:connect`, the catalog reads
//! of tools with `db:metadata`, and never the catalog relations that hold secrets or rows.

use crate::helpers::{all_run, denied, env};

#[tokio::test]
async fn session_basics_need_only_connect_and_the_catalog_names_db_metadata() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "customers-read", "10m").await;
    all_run(&c, &[
        "SELECT version()",
        "SELECT current_user, session_user, current_database(), current_schema(), pg_backend_pid()",
        "SHOW server_version",
        "SHOW transaction isolation level",
        "SELECT current_setting('server_version_num')",
        "SELECT typname, typarray FROM pg_type WHERE oid = 'int4'::regtype",
        "SELECT 1",
    ]).await;
    for sql in [
        "SELECT relname FROM pg_class",
        "SELECT table_name FROM information_schema.tables",
        "SHOW shared_buffers",
        "SELECT 'payments'::regclass",
        "SELECT pg_relation_size('payments')",
        "SELECT has_table_privilege('payments', 'select')",
    ] {
        let message = denied(&c, sql).await;
        assert!(message.contains("`db:metadata`"), "{sql}: {message}");
        assert!(message.contains("request role `"), "{sql}: {message}");
    }
    let message = denied(&c, "SELECT relname FROM pg_class").await;
    assert!(
        message.contains("reading the catalog relation `pg_catalog.pg_class`")
            && message.contains("/pg_catalog/pg_class`"),
        "{message}"
    );
    env.stop().await;
}

#[tokio::test]
async fn db_metadata_covers_descriptions_and_never_secrets_or_rows() {
    let Some(env) = env().await else { return };
    let direct = env.direct().await;
    // The leak: `pg_stats` showed a denied table's values.
    direct
        .batch_execute(
            "SET ROLE wicket_gw;
             CREATE TABLE payroll (salary int);
             INSERT INTO payroll SELECT 50000 + (i % 3) * 1000 FROM generate_series(1, 300) i;
             ANALYZE payroll;
             RESET ROLE;",
        )
        .await
        .unwrap();
    env.grant("alice", "customers-read", "10m").await;
    let (c, _conn) = env.session("alice", "db-metadata", "10m").await;
    for sql in [
        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
         ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'payroll'",
        "SELECT rolname, rolpassword FROM pg_roles",
        "SHOW shared_buffers",
        "SELECT c.name, t.typname FROM customers c, pg_type t LIMIT 1",
    ] {
        c.simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    for (sql, holds) in [
        ("SELECT * FROM pg_stats", "values sampled from table rows"),
        (
            "SELECT most_common_vals FROM pg_catalog.pg_stats WHERE tablename = 'payroll'",
            "values sampled",
        ),
        (
            "SELECT rolname, rolpassword FROM pg_authid",
            "password hashes",
        ),
        (
            "SELECT * FROM pg_user_mappings",
            "passwords of user mappings",
        ),
        (
            "SELECT query FROM pg_stat_activity",
            "every gateway session",
        ),
    ] {
        let message = denied(&c, sql).await;
        assert!(
            message.contains(holds) && message.contains("never covers"),
            "{sql}: {message}"
        );
    }
    // Catalog and user tables together need both.
    let message = denied(&c, "SELECT * FROM pg_class, payments").await;
    assert!(message.contains("/public/payments`"), "{message}");
    // Reading the catalog does not vouch for the database's own functions.
    direct
        .batch_execute("CREATE FUNCTION public.secret_sum() RETURNS bigint LANGUAGE sql AS 'SELECT sum(salary) FROM payroll'")
        .await
        .unwrap();
    let message = denied(&c, "SELECT secret_sum() FROM pg_type LIMIT 1").await;
    assert!(message.contains("`db:select`"), "{message}");
    let events = env
        .statements_when(|s| s.starts_with("SELECT c.relname FROM pg_catalog.pg_class"))
        .await;
    let read = events
        .iter()
        .find(|e| {
            e["details"]["statement"]
                .as_str()
                .is_some_and(|s| s.starts_with("SELECT c.relname FROM pg_catalog.pg_class"))
        })
        .unwrap();
    assert_eq!(read["action"], "db:metadata", "{read}");
    env.stop().await;
}

#[tokio::test]
async fn an_explicit_grant_on_a_catalog_relation_still_reads_it() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "catalog-read", "10m").await;
    all_run(
        &c,
        &[
            "SELECT relname FROM pg_class",
            "SELECT * FROM pg_stats",
            "SELECT count(*) FROM pg_catalog.pg_attribute",
        ],
    )
    .await;
    // `information_schema` is not `pg_catalog`.
    let message = denied(&c, "SELECT * FROM information_schema.tables").await;
    assert!(message.contains("`db:metadata`"), "{message}");
    env.stop().await;
}
