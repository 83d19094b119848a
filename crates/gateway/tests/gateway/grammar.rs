//! SQL the grammar refuses gets the server's own error through the gateway: the grammar of
//! the server it stands in front of, with the position, detail and hint PostgreSQL gives
//! (pg_regress compares them), and nothing runs, even when the server's grammar would read
//! what the gateway's refuses.

use tokio_postgres::error::DbError;

use crate::helpers::{count, env};

/// What psql prints of an error: code, message, position, detail and hint.
fn seen(e: &DbError) -> (String, String, String, Option<String>, Option<String>) {
    (
        e.code().code().to_string(),
        e.message().to_string(),
        format!("{:?}", e.position()),
        e.detail().map(str::to_string),
        e.hint().map(str::to_string),
    )
}

#[tokio::test]
async fn a_grammar_error_is_the_servers_own_with_position_detail_and_hint() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-write", "10m").await;
    let direct = env.direct().await;

    for sql in [
        // Raised by grammar rules, with a position but no "at or near".
        "ALTER INDEX customers_pkey ALTER COLUMN 0 SET STATISTICS 1000",
        "select 1;\n  select percentile_cont(0.5 order by id) within group (order by id) from customers",
        // With a hint.
        "drop operator === (int4)",
        "SELECT U&'wrong: \\061'",
        // With a detail.
        "CREATE PUBLICATION p FOR CURRENT_SCHEMA",
        // Worded differently by later grammars than by PostgreSQL 15's.
        "ALTER TABLE payments ALTER CONSTRAINT payments_fk NOT VALID",
        "SELEC * FROM customers",
    ] {
        let straight = direct.simple_query(sql).await.unwrap_err();
        let straight = seen(straight.as_db_error().unwrap());
        let through = c.simple_query(sql).await.unwrap_err();
        assert_eq!(seen(through.as_db_error().unwrap()), straight, "{sql}");
        // The extended protocol's `Parse` says the same, and the session goes on.
        let parsed = c.prepare(sql).await.unwrap_err();
        assert_eq!(seen(parsed.as_db_error().unwrap()), straight, "{sql}");
        c.simple_query("SELECT 1").await.unwrap();
    }

    // Inside a transaction, the error aborts it, as it does directly.
    c.batch_execute("BEGIN").await.unwrap();
    c.simple_query("drop operator === (int4)")
        .await
        .unwrap_err();
    let aborted = c.simple_query("SELECT 1").await.unwrap_err();
    assert_eq!(aborted.code().unwrap().code(), "25P02", "{aborted}");
    c.batch_execute("ROLLBACK").await.unwrap();
    env.stop().await;
}

#[tokio::test]
async fn sql_only_the_servers_grammar_reads_is_refused_and_never_runs() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-write", "10m").await;
    let direct = env.direct().await;
    let direct = &direct;
    let rows = move |sql: &'static str| count(direct, sql);
    let before = rows("SELECT count(*) FROM customers").await;
    assert!(before > 0);

    // PostgreSQL 15 reads `0OR` as `0 OR`, so this deletes every row; the gateway's later
    // grammar refuses it (trailing junk after a number), and the server only parses it.
    let sql = "DELETE FROM customers WHERE id = 0OR true";
    let through = c.simple_query(sql).await.unwrap_err();
    let e = through.as_db_error().unwrap();
    assert_eq!(e.code().code(), "42601", "{e}");
    assert!(e.message().contains("trailing junk"), "{e}");
    let parsed = c.prepare(sql).await.unwrap_err();
    assert_eq!(parsed.code().unwrap().code(), "42601", "{parsed}");
    assert_eq!(rows("SELECT count(*) FROM customers").await, before);
    // No statement was left prepared upstream.
    let prepared = count(&c, "SELECT count(*) FROM pg_prepared_statements").await;
    assert_eq!(prepared, 1, "only the count's own statement");

    // Both refusals (the query's and the `Parse`'s) are audited as denials.
    let is_it = |e: &serde_json::Value| {
        e["kind"] == "gateway.statement"
            && e["details"]["statement"]
                .as_str()
                .is_some_and(|t| t.contains("0OR"))
    };
    let events = env
        .events_when("both refusals of the statement", |events| {
            events.iter().filter(|e| is_it(e)).count() == 2
        })
        .await;
    assert!(
        events
            .iter()
            .filter(|e| is_it(e))
            .all(|e| e["decision"] == "deny"),
        "{events:?}"
    );
    env.stop().await;
}
