//! The extended protocol: parameters, named prepared statements and portals, each
//! `Execute` authorized when it runs.

use tokio_postgres::types::Type;

use crate::helpers::{count, db_error, env};

#[tokio::test]
async fn prepared_statements_with_parameters() {
    let Some(env) = env().await else { return };
    let (mut c, _conn) = env.session("alice", "db-read", "10m").await;

    let by_id = c
        .prepare_typed("SELECT name FROM customers WHERE id = $1", &[Type::INT4])
        .await
        .unwrap();
    // The name of customer `id`, through the prepared statement.
    let name = async |c: &tokio_postgres::Client, id: i32| -> String {
        c.query_one(&by_id, &[&id]).await.unwrap().get(0)
    };
    for (id, want) in [(1, "ada"), (2, "grace")] {
        assert_eq!(name(&c, id).await, want);
    }
    // Another statement alongside, then the first again: names map to the right ones.
    let amounts = c
        .prepare("SELECT amount FROM payments WHERE id = $1")
        .await
        .unwrap();
    assert_eq!(
        c.query_one(&amounts, &[&2i32])
            .await
            .unwrap()
            .get::<_, i32>(0),
        250
    );
    assert_eq!(name(&c, 1).await, "ada");

    // Preparing a write without the right is denied at once, and the session goes on.
    let (code, message) = db_error(&c.prepare("INSERT INTO t VALUES ($1)").await.unwrap_err());
    assert_eq!(code, "42501");
    assert!(message.contains("db-write"), "{message}");
    assert_eq!(name(&c, 2).await, "grace");

    // Portals with a row limit, inside a transaction.
    let tx = c.transaction().await.unwrap();
    let portal = tx
        .bind("SELECT id FROM customers ORDER BY id", &[])
        .await
        .unwrap();
    assert_eq!(tx.query_portal(&portal, 1).await.unwrap().len(), 1);
    assert_eq!(tx.query_portal(&portal, 5).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
    env.stop().await;
}

#[tokio::test]
async fn a_prepared_write_is_denied_at_execute_once_the_right_is_gone() {
    let Some(env) = env().await else { return };
    env.grant("alice", "db-read", "30m").await;
    let (c, conn, write) = env.session_and_grant("alice", "db-write", "10m").await;

    let insert = c.prepare("INSERT INTO t VALUES ($1)").await.unwrap();
    assert_eq!(c.execute(&insert, &[&10i32]).await.unwrap(), 1);

    env.revoke(write["id"].as_str().unwrap()).await;
    let (code, message) = db_error(&c.execute(&insert, &[&11i32]).await.unwrap_err());
    assert_eq!(code, "42501", "{message}");
    assert!(message.contains("`db:insert`"), "{message}");

    // Reading still works: the session lives on the read grant.
    let n = count(&c, "SELECT count(*) FROM t WHERE x IN (10, 11)").await;
    assert_eq!(n, 1);
    assert!(!conn.is_finished());
    env.stop().await;
}
