//! Per-table rights: a role on `…/public/customers` reads customers, not payments, and a
//! statement touching both is denied whole.

use crate::helpers::{count, db_error, denied, env};

#[tokio::test]
async fn a_table_role_reads_its_table_only() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "customers-read", "10m").await;

    let n = count(&c, "SELECT count(*) FROM customers").await;
    assert_eq!(n, 2);
    let n = count(&c, "SELECT count(*) FROM public.customers c WHERE c.id > 0").await;
    assert_eq!(n, 2);

    let err = c.query("SELECT * FROM payments", &[]).await.unwrap_err();
    let (code, message) = db_error(&err);
    assert_eq!(code, "42501");
    assert!(
        message.contains("public/payments") && message.contains("`db:select`"),
        "{message}"
    );

    let join = "SELECT c.name, p.amount FROM customers c JOIN payments p ON p.customer_id = c.id";
    let (code, message) = db_error(&c.query(join, &[]).await.unwrap_err());
    assert_eq!(code, "42501");
    assert!(message.contains("public/payments"), "{message}");

    // Hiding the table in a subquery, a CTE or a set operation changes nothing.
    for sql in [
        "SELECT * FROM customers WHERE id IN (SELECT customer_id FROM payments)",
        "WITH x AS (SELECT * FROM payments) SELECT * FROM x",
        "SELECT id FROM customers UNION SELECT id FROM payments",
        "WITH payments AS (SELECT * FROM payments) SELECT * FROM payments",
    ] {
        denied(&c, sql).await;
    }
    // A CTE that merely shares a name is not the table.
    c.simple_query("WITH payments AS (SELECT 1 AS id) SELECT c.name FROM customers c, payments")
        .await
        .unwrap();
    env.stop().await;
}
