//! Sessions end with their grant: within a second of expiry, idle or mid-transaction, and
//! within a second of a revocation, with an error that says why.

use std::time::{Duration, Instant, SystemTime};

use tokio_postgres::Client;

use crate::helpers::env;

/// Waits for a connection task to end; the error it ended with.
async fn ended(conn: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>) -> String {
    let result = tokio::time::timeout(Duration::from_secs(60), conn)
        .await
        .expect("the session ends")
        .unwrap();
    match result {
        Err(e) => e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
        Ok(()) => String::new(),
    }
}

fn expires_at(grant: &serde_json::Value) -> SystemTime {
    let t = chrono::DateTime::parse_from_rfc3339(grant["expires_at"].as_str().unwrap()).unwrap();
    SystemTime::UNIX_EPOCH + Duration::from_millis(t.timestamp_millis() as u64)
}

fn late(at: SystemTime, after: SystemTime) -> Duration {
    at.duration_since(after).unwrap_or_default()
}

#[tokio::test]
async fn idle_and_mid_transaction_sessions_end_within_a_second_of_expiry() {
    let Some(env) = env().await else { return };
    // Long enough to outlast minting and two connections on a loaded machine.
    let grant = env.grant("alice", "db-write", "10s").await;
    let expiry = expires_at(&grant);
    let token = env.token("alice").await;
    let (_idle, idle_conn) = env.connect("alice", &token).await.unwrap();
    let (busy, busy_conn): (Client, _) = env.connect("alice", &token).await.unwrap();
    busy.batch_execute("BEGIN; INSERT INTO t VALUES (99)")
        .await
        .unwrap();

    let idle = tokio::spawn(async move {
        let reason = ended(idle_conn).await;
        (SystemTime::now(), reason)
    });
    let reason = ended(busy_conn).await;
    let busy_at = SystemTime::now();
    let (idle_at, idle_reason) = idle.await.unwrap();

    // The promise is a second (the watch runs every 250 ms; BENCHMARKS.md measures it); the
    // test asserts that it happens, within thirty, so that a loaded machine cannot fail it.
    for (at, reason) in [(idle_at, &idle_reason), (busy_at, &reason)] {
        assert!(
            late(at, expiry) < Duration::from_secs(30),
            "closed {:?} after expiry",
            late(at, expiry)
        );
        assert!(
            at >= expiry - Duration::from_millis(50),
            "closed before expiry"
        );
        assert!(
            reason.contains("expired") && reason.contains(grant["id"].as_str().unwrap()),
            "{reason}"
        );
    }
    // The open transaction was rolled back with the connection.
    let n = env
        .direct_count("SELECT count(*) FROM t WHERE x = 99")
        .await;
    assert_eq!(n, 0);
    let events = env
        .events_when("both sessions' ends", |events| {
            events
                .iter()
                .filter(|e| e["kind"] == "gateway.session.ended")
                .count()
                >= 2
        })
        .await;
    let ends: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["kind"] == "gateway.session.ended")
        .collect();
    assert_eq!(ends.len(), 2, "{events:?}");
    assert!(
        ends.iter()
            .all(|e| e["details"]["reason"].as_str().unwrap().contains("expired"))
    );
    env.stop().await;
}

#[tokio::test]
async fn revoking_the_grant_ends_the_session_within_a_second() {
    let Some(env) = env().await else { return };
    let (c, conn, grant) = env.session_and_grant("alice", "db-read", "10m").await;
    c.simple_query("SELECT 1").await.unwrap();
    env.revoke(grant["id"].as_str().unwrap()).await;
    // Measured from the revocation's answer; the promise is a second (BENCHMARKS.md), and
    // the test asserts only that it happens, within thirty.
    let start = Instant::now();
    let reason = ended(conn).await;
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        reason.contains("revoked by `carol`") && reason.contains("done here"),
        "{reason}"
    );
    assert!(c.simple_query("SELECT 1").await.is_err());
    env.stop().await;
}

#[tokio::test]
async fn a_gateway_shutdown_ends_sessions_saying_why_and_records_the_end() {
    let Some(mut env) = env().await else { return };
    let (c, conn) = env.session("alice", "db-read", "10m").await;
    c.simple_query("SELECT 1").await.unwrap();
    env.gateway.take().unwrap().shutdown().await;
    let reason = ended(conn).await;
    assert!(reason.contains("wicket is shutting down"), "{reason}");
    let events = env
        .events_when("the session's end", |events| {
            events.iter().any(|e| e["kind"] == "gateway.session.ended")
        })
        .await;
    let end = events
        .iter()
        .find(|e| e["kind"] == "gateway.session.ended")
        .unwrap();
    assert!(
        end["details"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("shutting down")),
        "{end}"
    );
    env.stop().await;
}
