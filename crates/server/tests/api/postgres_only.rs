//! API tests that need PostgreSQL itself: several servers on one database (one SQLite file
//! serves one server, so these have no SQLite twin).

use std::time::{Duration, Instant};

use crate::api::anomalies::{RULES, live_grant, wait_for};
use crate::helpers::{CONFIG, spawn_with};

/// The `wicket_anomalies_total` of the denial rule that the server at `addr` has read from
/// the log.
async fn anomalies_read(client: &reqwest::Client, addr: &str) -> u64 {
    let text = client
        .get(format!("{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("wicket_anomalies_total{rule=\"denied-burst\""))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn two_servers_on_one_database_record_one_anomaly_per_burst() {
    let app = spawn_with(&format!("{CONFIG}\n{RULES}")).await;
    assert!(app.db.starts_with("postgres"), "{}", app.db);
    let config = wicket_core::Config::parse("wicket.toml", &format!("{CONFIG}\n{RULES}")).unwrap();
    let second = wicket_server::spawn(config, Some(&app.db), "127.0.0.1:0")
        .await
        .unwrap();
    let second_addr = format!("http://{}", second.addr);
    let [alice, root] = app.tokens(["alice", "root"]).await;
    live_grant(&app, &alice).await;
    // Both servers' monitors read every event from here on.
    for _ in 0..6 {
        app.check(&alice, "db:delete", "postgres/prod/orders/x")
            .await;
    }
    wait_for(&app, "/v1/audit?kind=grant.revoked", &root, |v| {
        !v["items"].as_array().unwrap().is_empty()
    })
    .await;
    // A monitor acts on each event before it reads the next, and the `anomaly.flagged` event
    // comes after the denial that completed the burst: once each server has read one, each
    // has judged the burst and tried to record it. Had both ids differed, both would stand.
    let deadline = Instant::now() + Duration::from_secs(30);
    for addr in [&app.addr, &second_addr] {
        while anomalies_read(&app.client, addr).await == 0 {
            assert!(
                Instant::now() < deadline,
                "{addr} read no anomaly within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (_, listed) = app.get("/v1/anomalies", &root).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let events = app.events(&root).await;
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(count("anomaly.flagged"), 1);
    assert_eq!(count("grant.revoked"), 1);
    for addr in [&app.addr, &second_addr] {
        assert_eq!(anomalies_read(&app.client, addr).await, 1, "{addr}");
    }
    second.shutdown().await.unwrap();
}

/// Until a statement on `review_items` waits on a lock in the database at `db` (that database
/// only: the cluster is shared with the other tests, which hold locks of their own): a
/// generous bound.
async fn until_a_write_waits_on_review_items(db: &str) {
    use sqlx::{Connection, Row};
    let mut watcher = sqlx::PgConnection::connect(db).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting: i64 = sqlx::query(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND query LIKE '%review_items%'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap()
        .get(0);
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the revocation's write never waited on the held row"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server with the payments review started, alice allowed by the `group:sre` binding under
/// review, and that item's row locked by a transaction of this test's own (on `holder`).
struct HeldItem {
    app: crate::helpers::TestApp,
    alice: String,
    bob: String,
    path: String,
    item: String,
    holder: sqlx::PgConnection,
}

const PAYMENTS_LEDGER: &str = "postgres/prod/payments/ledger";

async fn review_of_sre() -> HeldItem {
    use crate::api::reviews::{PAYMENTS, PAYMENTS_REVIEW, allowed, campaigns_once, item, with};
    use sqlx::Connection;

    let app = spawn_with(&with(&[PAYMENTS, PAYMENTS_REVIEW])).await;
    assert!(app.db.starts_with("postgres"), "{}", app.db);
    let [alice, bob, root] = app.tokens(["alice", "bob", "root"]).await;
    assert!(allowed(&app, &alice, PAYMENTS_LEDGER).await);
    let list = campaigns_once(&app, &root, |c| !c.is_empty()).await;
    let campaign = list[0]["id"].as_str().unwrap().to_string();
    let sre = item(&list[0], "group:sre")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut holder = sqlx::PgConnection::connect(&app.db).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("SELECT id FROM review_items WHERE id = $1 FOR UPDATE")
        .bind(&sre)
        .fetch_one(&mut holder)
        .await
        .unwrap();
    HeldItem {
        path: format!("/v1/reviews/{campaign}/items/{sre}/revoke"),
        item: sre,
        holder,
        app,
        alice,
        bob,
    }
}

/// Revoking a binding in a review fails closed: while the revocation's write waits on a lock
/// (held here, on the item's row), the binding already gives nothing, so no check is allowed
/// by a binding that a reader of the store could see revoked a moment later.
#[tokio::test]
async fn a_binding_revoked_in_review_gives_nothing_before_its_revocation_is_written() {
    use crate::api::reviews::allowed;

    let mut h = review_of_sre().await;
    let revoke = h.app.post(&h.path, &h.bob, serde_json::json!({}));
    let meanwhile = async {
        until_a_write_waits_on_review_items(&h.app.db).await;
        let during = allowed(&h.app, &h.alice, PAYMENTS_LEDGER).await;
        sqlx::query("ROLLBACK")
            .execute(&mut h.holder)
            .await
            .unwrap();
        during
    };
    let ((status, body), during) = tokio::join!(revoke, meanwhile);
    assert!(
        !during,
        "alice was still allowed by the binding while its revocation was being written"
    );
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert!(!allowed(&h.app, &h.alice, PAYMENTS_LEDGER).await);
}

/// A revocation that loses to a certification committed first is refused (409), and the
/// binding it had left out ahead of its write gives access again at once.
#[tokio::test]
async fn a_revocation_that_loses_to_a_certification_gives_the_binding_back() {
    use crate::api::reviews::allowed;

    let mut h = review_of_sre().await;
    let revoke = h.app.post(&h.path, &h.bob, serde_json::json!({}));
    let meanwhile = async {
        until_a_write_waits_on_review_items(&h.app.db).await;
        let during = allowed(&h.app, &h.alice, PAYMENTS_LEDGER).await;
        // Another reviewer's certification gets there first.
        sqlx::query(
            "UPDATE review_items SET decision = 'certified', decided_by = 'lead' WHERE id = $1",
        )
        .bind(&h.item)
        .execute(&mut h.holder)
        .await
        .unwrap();
        sqlx::query("COMMIT").execute(&mut h.holder).await.unwrap();
        during
    };
    let ((status, body), during) = tokio::join!(revoke, meanwhile);
    assert!(
        !during,
        "the binding gave access while its revocation was being written"
    );
    assert_eq!(status, reqwest::StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "already_decided", "{body}");
    assert!(
        allowed(&h.app, &h.alice, PAYMENTS_LEDGER).await,
        "the certified binding stayed left out after the revocation lost"
    );
}
