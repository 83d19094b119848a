//! Offline `wicket audit verify` after retention: it verifies from the archive anchor and says
//! so (the anchor is written here as retention writes it: the last archived event's seq and
//! hash, with the events up to it removed).

use crate::support::{Server, fixture, json, sqlite};

#[test]
fn offline_verify_reports_the_archive_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start(&fixture("wicket.toml"), &database);
    for user in ["alice", "bob", "carol"] {
        server.token(user);
    }
    let db_path = dir.path().join("w.db");
    let before = server
        .offline(&["audit", "verify", "--output", "json"])
        .expect_code(0);
    assert_eq!(json(&before.stdout)["anchor"], serde_json::Value::Null);
    server.stop();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (seq, hash) = runtime.block_on(async {
        use sqlx::{Connection, Row};
        let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db_path.display()))
            .await
            .unwrap();
        let row = sqlx::query("SELECT seq, hash FROM audit_events WHERE seq = 2")
            .fetch_one(&mut db)
            .await
            .unwrap();
        let (seq, hash): (i64, String) = (row.get(0), row.get(1));
        sqlx::query("INSERT INTO audit_anchor (id, seq, hash, archived_at) VALUES (1, ?, ?, 0)")
            .bind(seq)
            .bind(&hash)
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query("DELETE FROM audit_events WHERE seq <= 2")
            .execute(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
        (seq, hash)
    });

    let config = fixture("wicket.toml");
    // `wicket audit verify` offline, on the server's files.
    let verify = |more: &[&str]| {
        let files = [
            "--database",
            &database,
            "--config",
            config.to_str().unwrap(),
        ];
        crate::support::wicket(&[&["audit", "verify"][..], &files, more].concat()).expect_code(0)
    };
    let out = verify(&[]);
    assert!(out.stdout.starts_with("audit chain ok: "), "{out:?}");
    out.expect_stdout(&format!(
        "verified from the archive anchor at seq {seq} hash {hash}"
    ));
    let out = verify(&["--output", "json"]);
    let report = json(&out.stdout);
    assert_eq!(report["anchor"]["seq"], seq, "{report}");
    assert_eq!(report["anchor"]["hash"], hash.as_str(), "{report}");
}
