//! SQL that reads a portal bound with the protocol (`FETCH`, `MOVE`, `CLOSE`), as asyncpg's
//! cursors do: the server knows the portal by the gateway's name for it.

use crate::helpers::env;
use crate::wire::{Msg, Wire, bind, errors, execute, parse, tags};

#[tokio::test]
async fn fetch_move_and_close_reach_a_portal_bound_with_the_protocol() {
    let Some(env) = env().await else { return };
    let (customers, mut w) = Wire::customers_from_a_second_grant(&env).await;

    w.rows("BEGIN").await;
    let first = w
        .batch(|b| {
            parse(b, "s", "SELECT id, name FROM customers ORDER BY id");
            bind(b, "__asyncpg_portal_1__", "s");
        })
        .await;
    assert_eq!(tags(&first), "12Z", "{:?}", errors(&first));
    // asyncpg's `cursor.forward(n)`, and a `FETCH` after it.
    let moved = w.query("MOVE FORWARD 1 \"__asyncpg_portal_1__\"").await;
    assert_eq!(errors(&moved), Vec::<String>::new());
    assert_eq!(moved[0].command(), "MOVE 1");
    assert_eq!(
        w.rows("FETCH 5 FROM \"__asyncpg_portal_1__\"").await,
        [[Some("2".into()), Some("grace".into())]]
    );
    // Closed with SQL, the portal is gone for the protocol too.
    w.rows("CLOSE \"__asyncpg_portal_1__\"").await;
    let gone = w.batch(|b| execute(b, "__asyncpg_portal_1__", 1)).await;
    assert_eq!(
        errors(&gone),
        ["34000 portal `__asyncpg_portal_1__` does not exist"]
    );
    w.rows("ROLLBACK").await;

    // Reading it with SQL runs its statement, which is authorized again, as an `Execute` is.
    w.rows("BEGIN").await;
    let bound = w
        .batch(|b| {
            bind(b, "p", "s");
            execute(b, "p", 1);
        })
        .await;
    assert_eq!(tags(&bound), "2DsZ", "{:?}", errors(&bound));
    env.revoke(customers["id"].as_str().unwrap()).await;
    let denied = w.query("FETCH NEXT FROM p").await;
    let e = denied.iter().find_map(Msg::error).expect("denied");
    assert_eq!(e.code(), "42501", "{}", e.message());
    assert!(e.message().contains("customers"), "{}", e.message());
    assert!(!denied.iter().any(|m| m.tag == b'D'));
    w.rows("ROLLBACK").await;
    env.stop().await;
}
