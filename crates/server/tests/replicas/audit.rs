//! Thousands of audit events written through both replicas at once: one chain, verified by
//! `GET /v1/audit/verify` on each replica and by `wicket audit verify` (its code, and the
//! binary too when `WICKET_BIN` names one).

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::pair;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_through_both_replicas_keep_one_verifiable_chain() {
    let Some(p) = pair().await else { return };
    let p = std::sync::Arc::new(p);
    let (alice, root) = (p.token("alice").await, p.token("root").await);
    let checks: Vec<_> = (0..50)
        .map(|i| json!({"action": "db:select", "resource": format!("postgres/prod/orders/public/t{i}")}))
        .collect();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (p, alice, checks) = (p.clone(), alice.clone(), checks.clone());
        writers.push(tokio::spawn(async move {
            let replica = if w % 2 == 0 { &p.a } else { &p.b };
            for round in 0..10 {
                let (s, v) = p
                    .post(
                        replica,
                        "/v1/check/batch",
                        &alice,
                        json!({"checks": checks}),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
                if round % 3 == 0 {
                    p.create(
                        replica,
                        &alice,
                        json!({"roles": ["logs-read"], "duration": "30s"}),
                    )
                    .await;
                }
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let mut counts = Vec::new();
    for replica in [&p.a, &p.b] {
        let (s, v) = p.get(replica, "/v1/audit/verify", &root).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["ok"], true, "replica {}: {v}", replica.name);
        counts.push(v["events"].as_u64().unwrap());
    }
    assert!(counts[0] >= 4000, "{counts:?}");
    let report = wicket_engine::admin::verify_audit(&p.config, Some(&p.db))
        .await
        .unwrap();
    assert!(report.ok, "{:?}", report.first_bad);
    assert!(
        report.events >= counts[1],
        "{} events, replica b saw {}",
        report.events,
        counts[1]
    );
    // And the `wicket` binary itself, when there is one to run.
    if let Ok(bin) = std::env::var("WICKET_BIN") {
        let out = std::process::Command::new(bin)
            .arg("--config")
            .arg(&p.config)
            .args(["audit", "verify", "--database", &p.db])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wicket audit verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
