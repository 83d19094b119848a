//! Signed audit checkpoints: the server signs the head as it moves, and verification against
//! the pinned key catches what a database writer can do without the key: rewrite the whole
//! chain consistently, forge a checkpoint with another key, delete the last events, truncate
//! the table.

use std::path::Path;
use std::time::{Duration, Instant};

use wicket_core::audit::{GENESIS, seal};
use wicket_core::{AuditEvent, NewEvent};
use wicket_engine::checkpoint::{self, Checkpoint, CheckpointReport};
use wicket_store::AuditFilter;

use crate::helpers::{CONFIG, TestApp, config_path, spawn_with};

/// The newest checkpoint's seq in `dir`, if any.
fn newest(dir: &Path) -> Option<i64> {
    checkpoint::read_dir(dir)
        .ok()?
        .into_iter()
        .filter_map(|l| l.checkpoint.ok().map(|c| c.seq))
        .max()
}

async fn verify(app: &TestApp, dir: &Path, key: &str) -> (bool, CheckpointReport) {
    let (chain, cps) = wicket_engine::admin::verify_audit_checkpoints(
        &config_path(&app.dir),
        Some(&app.db),
        dir,
        Some(key),
    )
    .await
    .unwrap();
    (chain.ok && chain.first_bad.is_none(), cps)
}

async fn all_events(app: &TestApp) -> Vec<AuditEvent> {
    let config = wicket_engine::open::load_config(&config_path(&app.dir)).unwrap();
    let store = wicket_engine::open::open_store(&config, Some(&app.db))
        .await
        .unwrap();
    store
        .list_events(&AuditFilter {
            limit: Some(100_000),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn checkpoints_catch_a_consistent_rewrite_a_forged_signature_deleted_events_and_truncation() {
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("signing.pem");
    let public =
        checkpoint::public_key_hex(&checkpoint::keygen(&key_file).unwrap().verifying_key());
    let dir = keys.path().join("checkpoints");
    let config = format!(
        "{CONFIG}\n[audit.checkpoints]\ndir = {:?}\nkey_file = {:?}\nevery_events = 5\nevery = \"1s\"\n",
        dir.display().to_string(),
        key_file.display().to_string()
    );
    let mut app = spawn_with(&config).await;
    let alice = app.token("alice").await;
    for _ in 0..12 {
        app.check(&alice, "db:select", "postgres/prod/orders/public/t")
            .await;
    }
    // Every 5 events, and within the 1 s period for the rest: the head gets signed.
    let head = app
        .running
        .as_ref()
        .unwrap()
        .app
        .store
        .audit_head()
        .await
        .unwrap()
        .unwrap()
        .0;
    let start = Instant::now();
    while newest(&dir) < Some(head) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "head {head} never signed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
    let files = checkpoint::read_dir(&dir).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    let head = newest(&dir).unwrap();

    // Untouched: the chain and every checkpoint verify.
    let (chain_ok, report) = verify(&app, &dir, &public).await;
    assert!(chain_ok && report.ok, "{report:?}");
    assert_eq!(report.verified, files.len());
    assert_eq!(report.newest.as_ref().map(|n| n.0), Some(head));
    // The configured key's public half is the default.
    let (_, by_config) = wicket_engine::admin::verify_audit_checkpoints(
        &config_path(&app.dir),
        Some(&app.db),
        &dir,
        None,
    )
    .await
    .unwrap();
    assert!(by_config.ok, "{by_config:?}");
    // Another pinned key fails every checkpoint.
    let stranger = checkpoint::keygen(&keys.path().join("other.pem")).unwrap();
    let (_, wrong) = verify(
        &app,
        &dir,
        &checkpoint::public_key_hex(&stranger.verifying_key()),
    )
    .await;
    assert!(!wrong.ok && wrong.verified == 0, "{wrong:?}");
    assert!(wrong.failures[0].contains("pinned public key"), "{wrong:?}");

    // 1. Rewrite the whole chain consistently: change event 2, re-seal every event after it.
    let events = all_events(&app).await;
    let mut prev = (0, GENESIS.to_string());
    let mut rewritten = Vec::new();
    for e in &events {
        let actor = if e.seq == 2 {
            "mallory".to_string()
        } else {
            e.actor.clone()
        };
        let sealed = seal(
            prev.0,
            &prev.1,
            NewEvent {
                actor,
                ..NewEvent::from(e)
            },
        );
        prev = (sealed.seq, sealed.hash.clone());
        rewritten.push(sealed);
    }
    for e in &rewritten {
        let n = app
            .execute_sql(&format!(
                "UPDATE audit_events SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                e.actor, e.prev_hash, e.hash, e.seq
            ))
            .await;
        assert_eq!(n, 1);
    }
    let (chain_ok, report) = verify(&app, &dir, &public).await;
    assert!(
        chain_ok,
        "a consistent rewrite passes the chain check alone"
    );
    // Checkpoints before the edit still hold; every one from it on names the rewrite.
    let seqs: Vec<i64> = files
        .iter()
        .map(|l| l.checkpoint.as_ref().unwrap().seq)
        .collect();
    let after_edit: Vec<i64> = seqs.iter().copied().filter(|&s| s >= 2).collect();
    assert!(!after_edit.is_empty());
    assert!(!report.ok, "{report:?}");
    assert_eq!(report.verified, seqs.len() - after_edit.len(), "{report:?}");
    assert_eq!(report.failures.len(), after_edit.len(), "{report:?}");
    for (f, seq) in report.failures.iter().zip(&after_edit) {
        assert!(
            f.contains("rewritten") && f.contains(&format!("{seq:020}.json")),
            "{f}"
        );
    }

    // 2. ... and sign the new head with a key of one's own: the pinned key refuses it.
    let forged = Checkpoint::sign(&stranger, prev.0, &prev.1, wicket_engine::app::now());
    let genuine = std::fs::read(dir.join(forged.file_name())).unwrap();
    std::fs::write(
        dir.join(forged.file_name()),
        serde_json::to_vec(&forged).unwrap(),
    )
    .unwrap();
    let (_, report) = verify(&app, &dir, &public).await;
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.contains(&forged.file_name()) && f.contains("pinned public key")),
        "{report:?}"
    );
    std::fs::write(dir.join(forged.file_name()), genuine).unwrap();

    // 3. Delete the last events: the chain still verifies, the newest checkpoint does not.
    app.execute_sql(&format!(
        "DELETE FROM audit_events WHERE seq > {}",
        head - 3
    ))
    .await;
    let (chain_ok, report) = verify(&app, &dir, &public).await;
    assert!(chain_ok, "deleting the tail leaves a valid shorter chain");
    let newest_file = format!("{head:020}.json");
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.contains(&newest_file) && f.contains("truncated")),
        "{report:?}"
    );

    // 4. Truncate the table: an empty log, and every checkpoint says it was not.
    app.execute_sql("DELETE FROM audit_events").await;
    let (chain_ok, report) = verify(&app, &dir, &public).await;
    assert!(chain_ok, "an empty table is a valid empty chain");
    assert!(!report.ok && report.verified == 0);
    assert!(
        report
            .failures
            .iter()
            .filter(|f| f.contains("truncated"))
            .count()
            >= files.len(),
        "{report:?}"
    );

    // And no checkpoints at all is a failure, not a pass.
    let empty = keys.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (_, report) = verify(&app, &empty, &public).await;
    assert!(
        !report.ok && report.failures[0].contains("no checkpoint"),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_bad_checkpoint_key_stops_the_start_naming_the_file() {
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("not-a-key.pem");
    std::fs::write(&key_file, "hello").unwrap();
    let config = format!(
        "{CONFIG}\n[audit.checkpoints]\ndir = {:?}\nkey_file = {:?}\n",
        keys.path().join("cp").display().to_string(),
        key_file.display().to_string()
    );
    let config = wicket_core::Config::parse("wicket.toml", &config).unwrap();
    let db = format!("sqlite://{}", keys.path().join("w.db").display());
    let err = match wicket_server::spawn(config, Some(&db), "127.0.0.1:0").await {
        Ok(_) => panic!("started with a bad key"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("not-a-key.pem") && err.contains("PKCS#8"),
        "{err}"
    );
}
