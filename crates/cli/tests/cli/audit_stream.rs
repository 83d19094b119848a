//! `wicket audit export` (JSONL and CSV, streamed, with time filters), `wicket audit list
//! --follow`, `wicket report usage` against a real server, and `wicket audit verify --archive`.

use std::process::Stdio;
use std::time::Duration;

use wicket_core::audit::{EventBuilder, GENESIS, seal};
use wicket_engine::retention::Header;
use wicket_engine::retention::file::Line;

use crate::support::{Server, json, lines, wicket};
use wicket_core::audit::EventKind;

fn ask(server: &Server, token: &str) {
    server
        .wicket(
            token,
            &[
                "request",
                "create",
                "orders-db-read",
                "--reason",
                "INC-9 slow orders",
                "--ticket",
                "INC-9",
            ],
        )
        .expect_code(0);
}

#[test]
fn export_follow_and_the_usage_report() {
    let (_dir, server) = Server::on_fixture("wicket.toml");
    let [alice, carol] = server.tokens(["alice", "carol"]);
    ask(&server, &alice);

    // JSONL: every event, in order; filtered by kind and time.
    let out = server.wicket(&carol, &["audit", "export"]).expect_code(0);
    let events: Vec<serde_json::Value> = out.stdout.lines().map(json).collect();
    assert!(events.len() >= 4, "{out:?}");
    assert!(
        out.stderr
            .contains(&format!("exported {} events", events.len()))
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
    }
    let out = server
        .wicket(&carol, &["audit", "export", "--kind", "request.created"])
        .expect_code(0);
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    let out = server
        .wicket(&carol, &["audit", "export", "--until", "1h"])
        .expect_code(0);
    assert_eq!(out.stdout, "");
    let out = server
        .wicket(&carol, &["audit", "export", "--since", "1h"])
        .expect_code(0);
    assert_eq!(out.stdout.lines().count(), events.len());
    let out = server
        .wicket(&carol, &["audit", "export", "--since", "lately"])
        .expect_code(2);
    out.expect_stderr("`since`");

    // CSV: a header, then one row per event; the quoted reason stays one field.
    let out = server
        .wicket(&carol, &["audit", "export", "--format", "csv"])
        .expect_code(0);
    let mut rows = out.stdout.lines();
    assert_eq!(
        rows.next().unwrap(),
        "seq,id,at,actor,kind,subject,action,resource,decision,request_id,grant_id,details,prev_hash,hash"
    );
    let created = rows.find(|l| l.contains(",request.created,")).unwrap();
    assert!(
        created.contains(",alice,request.created,user:alice,"),
        "{created}"
    );
    assert!(
        created.contains("\"{\"\"break_glass\"\":false"),
        "{created}"
    );
    assert_eq!(out.stdout.lines().count(), events.len() + 1);

    // Follow: a new request shows up in the running `list --follow`.
    let mut follow = server
        .command(&carol, &["audit", "list", "--follow", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines(follow.stdout.take().unwrap());
    // `--follow` prints what comes after the head it found at start, which may be after the
    // first new request: ask again until one shows, rather than guess when it has started.
    let mut line = None;
    for _ in 0..30 {
        ask(&server, &alice);
        if let Ok(l) = rx.recv_timeout(Duration::from_secs(2)) {
            line = Some(l);
            break;
        }
    }
    let line = line.expect("`audit list --follow` printed a new event within a minute");
    let _ = follow.kill();
    let _ = follow.wait();
    let e = json(&line);
    assert_eq!(e["kind"], "request.created", "{line}");
    assert!(
        e["seq"].as_i64().unwrap() > events.len() as i64,
        "only new events: {line}"
    );

    // The usage report: requested, never granted, so nothing used.
    let out = server
        .wicket(&carol, &["report", "usage", "--since", "1d"])
        .expect_code(0);
    out.expect_stdout("ROLE");
    out.expect_stdout("orders-db-read");
    let report = server.json(&carol, &["report", "usage"]);
    assert!(
        report["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role"] == "auditor")
    );
    let out = server.wicket(&alice, &["report", "usage"]).expect_code(2);
    out.expect_stderr("wicket:audit.read");
}

#[test]
fn verify_archive_checks_a_retention_file_and_names_the_tampered_seq() {
    let dir = tempfile::tempdir().unwrap();
    let mut sealed = Vec::new();
    let (mut seq, mut prev) = (0, GENESIS.to_string());
    for i in 0..3 {
        let e = EventBuilder::new(
            format!("ev{i}"),
            wicket_core::time::from_millis(1_000 * i),
            "alice",
            EventKind::CheckDenied,
        )
        .detail("n", i)
        .build();
        let e = seal(seq, &prev, e);
        seq = e.seq;
        prev.clone_from(&e.hash);
        sealed.push(e);
    }
    let header = Header {
        wicket_audit_archive: 1,
        from_seq: 1,
        prev_hash: GENESIS.to_string(),
        through_seq: 3,
        through_hash: prev.clone(),
        events: 3,
        created_at: wicket_core::time::from_millis(10_000),
    };
    let mut text = serde_json::to_string(&header).unwrap() + "\n";
    for e in &sealed {
        text += &(serde_json::to_string(&Line::from(e)).unwrap() + "\n");
    }
    let file = dir.path().join("a.jsonl");
    std::fs::write(&file, &text).unwrap();
    let out = wicket(&["audit", "verify", "--archive", file.to_str().unwrap()]).expect_code(0);
    assert!(out.stdout.starts_with("archive ok: 3 events"), "{out:?}");

    std::fs::write(&file, text.replace("{\\\"n\\\":1}", "{\\\"n\\\":7}")).unwrap();
    let out = wicket(&["audit", "verify", "--archive", file.to_str().unwrap()]).expect_code(1);
    assert!(out.stdout.starts_with("archive broken at seq 2"), "{out:?}");

    std::fs::write(&file, "not an archive\n").unwrap();
    let out = wicket(&["audit", "verify", "--archive", file.to_str().unwrap()]).expect_code(2);
    out.expect_stderr("not a wicket archive header");
}
