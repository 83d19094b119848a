//! Monitoring through the gateway: statement events name their command and a missing `WHERE`,
//! a `DELETE` without `WHERE` raises a `destructive_statement` anomaly, and with
//! `revoke = true` the grant is revoked and the session cut.

use std::time::{Duration, Instant};

use crate::helpers::env_with;

const RULE: &str = r#"
[[anomalies]]
name = "mass-delete"
detector = "destructive_statement"
severity = "high"
kinds = ["DELETE without WHERE", "TRUNCATE"]
revoke = true
"#;

#[tokio::test]
async fn a_delete_without_where_is_flagged_and_cuts_the_session() {
    let Some(env) = env_with(|t| t.push_str(RULE)).await else {
        return;
    };
    let (c, conn, grant) = env.session_and_grant("alice", "db-write", "10m").await;
    c.simple_query("DELETE FROM payments WHERE id = 1")
        .await
        .unwrap();
    c.simple_query("DELETE FROM payments").await.unwrap();

    // The anomaly appears, naming the grant.
    let start = Instant::now();
    let anomaly = loop {
        if let Some(a) = env.high_anomalies().await.first() {
            break a.clone();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no anomaly");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(anomaly["rule"], "mass-delete");
    assert_eq!(anomaly["grant_id"], grant["id"]);
    assert!(
        anomaly["summary"]
            .as_str()
            .unwrap()
            .contains("DELETE without WHERE"),
        "{anomaly}"
    );

    // The grant is revoked and the session ends with a reason naming the rule.
    let ended = tokio::time::timeout(Duration::from_secs(30), conn)
        .await
        .expect("the session ends")
        .unwrap();
    let message = match ended {
        Err(e) => e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
        Ok(()) => String::new(),
    };
    assert!(message.contains("wicket:monitor"), "{message}");

    let stmts = env.statements_when(|s| s == "DELETE FROM payments").await;
    let shape = |text: &str| {
        let e = stmts
            .iter()
            .find(|e| e["details"]["statement"] == text)
            .unwrap_or_else(|| panic!("no event for {text}: {stmts:?}"));
        (
            e["details"]["command"].clone(),
            e["details"]["unfiltered"].clone(),
        )
    };
    assert_eq!(
        shape("DELETE FROM payments WHERE id = 1"),
        (serde_json::json!("DELETE"), serde_json::json!(false))
    );
    assert_eq!(
        shape("DELETE FROM payments"),
        (serde_json::json!("DELETE"), serde_json::json!(true))
    );
    env.stop().await;
}
