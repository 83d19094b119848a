//! COPY in both directions, COPY to a server file denied, and cancelling a running query.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt, pin_mut};
use tokio_postgres::NoTls;

use crate::helpers::{count, db_error, env, refused};

#[tokio::test]
async fn copy_in_and_out_through_the_gateway() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-write", "10m").await;

    let sink = c.copy_in("COPY t (x) FROM STDIN").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from_static(b"100\n101\n102\n"))
        .await
        .unwrap();
    assert_eq!(sink.finish().await.unwrap(), 3);

    let stream = c
        .copy_out("COPY (SELECT x FROM t WHERE x >= 100 ORDER BY x) TO STDOUT")
        .await
        .unwrap();
    pin_mut!(stream);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(out, b"100\n101\n102\n");

    let (code, message) = refused(&c, "COPY t FROM '/etc/passwd'").await;
    assert_eq!(code, "42501", "{message}");
    assert!(message.contains("`db:admin`"), "{message}");
    let (code, _) = refused(&c, "COPY t TO PROGRAM 'true'").await;
    assert_eq!(code, "42501");

    let statements = env.statements_when(|s| s == "COPY t (x) FROM STDIN").await;
    let copy = statements
        .iter()
        .find(|e| e["details"]["statement"] == "COPY t (x) FROM STDIN")
        .unwrap();
    assert_eq!(
        (copy["action"].as_str(), copy["details"]["rows"].as_u64()),
        (Some("db:insert"), Some(3))
    );
    env.stop().await;
}

#[tokio::test]
async fn a_cancel_request_reaches_the_running_query() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;
    let cancel = c.cancel_token();
    let start = Instant::now();
    let sleeper = tokio::spawn(async move { c.simple_query("SELECT pg_sleep(20)").await });
    // Cancel once the query runs upstream, not before it gets there.
    let direct = env.direct().await;
    loop {
        let running = count(&direct, "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(20)' AND state = 'active'").await;
        if running > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the query never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel_query(NoTls).await.unwrap();
    let err = sleeper.await.unwrap().unwrap_err();
    // `query_canceled`: the cancel ended it, not the end of its 20 s.
    assert_eq!(db_error(&err).0, "57014");
    env.stop().await;
}
