//! An extended grant keeps its sessions: past the grant's original end the session goes on,
//! and it ends at the new end, naming it.

use std::time::{Duration, SystemTime};

use wicket_core::workflow::NewExtension;
use wicket_engine::ops;

use crate::helpers::env;

fn at(text: &str) -> SystemTime {
    let t = chrono::DateTime::parse_from_rfc3339(text).unwrap();
    SystemTime::UNIX_EPOCH + Duration::from_millis(t.timestamp_millis() as u64)
}

#[tokio::test]
async fn a_session_outlives_the_original_end_of_an_extended_grant() {
    let Some(env) = env().await else { return };
    let grant = env.grant("alice", "db-read", "10s").await;
    let id = grant["id"].as_str().unwrap();
    let first_end = at(grant["expires_at"].as_str().unwrap());
    let token = env.token("alice").await;
    let (c, conn) = env.connect("alice", &token).await.unwrap();
    c.simple_query("SELECT 1").await.unwrap();

    // The policy has no steps: the extension is approved at once.
    let input = NewExtension {
        by: Some("20s".into()),
        reason: None,
    };
    let request = ops::extend_grant(env.app(), "alice", id, &input)
        .await
        .unwrap();
    assert_eq!(request.state, wicket_core::RequestState::Approved);
    let extended = env.app().store.get_grant(id).await.unwrap().unwrap();
    let new_end = at(&wicket_core::time::format(extended.expires_at));
    assert_eq!(
        new_end.duration_since(first_end).unwrap(),
        Duration::from_secs(20)
    );

    // Three seconds past the first end (the watch looks every 250 ms), the session is alive.
    let wait = first_end + Duration::from_secs(3);
    if let Ok(d) = wait.duration_since(SystemTime::now()) {
        tokio::time::sleep(d).await;
    }
    assert!(
        !conn.is_finished(),
        "the session ended at the grant's first end"
    );
    let rows = c.simple_query("SELECT x FROM t").await.unwrap();
    assert!(!rows.is_empty());

    // It ends at the new end, saying the grant expired then.
    let result = tokio::time::timeout(Duration::from_secs(90), conn)
        .await
        .expect("the session ends")
        .unwrap();
    let closed = SystemTime::now();
    assert!(
        closed >= new_end - Duration::from_millis(50),
        "closed before the new end"
    );
    let reason = match result {
        Err(e) => e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
        Ok(()) => String::new(),
    };
    assert!(
        reason.contains("expired") && reason.contains(id),
        "{reason}"
    );
    env.stop().await;
}
