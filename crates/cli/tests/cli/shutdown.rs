//! SIGTERM under load: `wicket serve` on SQLite with signed audit checkpoints takes a stream
//! of audited checks and new requests from several clients, is sent SIGTERM in the middle of
//! it, and must stop accepting, finish what it acknowledged, flush the audit writer, sign a
//! final checkpoint at the head and exit 0. Afterwards every acknowledged request and check is
//! in the database and the chain and checkpoints verify offline.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Server, command, fixture, json, run};

/// Concurrent clients, each a loop of one check and one request.
const CLIENTS: usize = 4;

/// One client until the server stops answering: the ids of the requests it acknowledged and
/// how many audited denials it was answered.
async fn client(url: String, token: String, sent: Arc<AtomicUsize>) -> (Vec<String>, usize) {
    let http = reqwest::Client::builder()
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let (mut ids, mut checks) = (Vec::new(), 0);
    loop {
        let check = http
            .post(format!("{url}/v1/check"))
            .bearer_auth(&token)
            .json(&json!({"action": "db:delete", "resource": "postgres/prod/orders/public/orders"}))
            .send()
            .await;
        match check {
            Ok(r) if r.status() == 200 => checks += 1,
            // Refused while draining, or the connection closed: not acknowledged.
            _ => return (ids, checks),
        }
        let created = http
            .post(format!("{url}/v1/requests"))
            .bearer_auth(&token)
            .json(&json!({"roles": ["orders-db-read"], "reason": "load", "ticket": "INC-1"}))
            .send()
            .await;
        match created {
            Ok(r) if r.status() == 201 => {
                let v: serde_json::Value = r.json().await.unwrap();
                ids.push(v["id"].as_str().unwrap().to_string());
                sent.fetch_add(1, Ordering::SeqCst);
            }
            _ => return (ids, checks),
        }
    }
}

/// `sqlite3 FILE SQL`, one value.
fn sqlite(file: &std::path::Path, sql: &str) -> String {
    let out = run(Command::new("sqlite3")
        .args(["-cmd", ".timeout 30000"])
        .arg(file)
        .arg(sql));
    assert_eq!(out.code, 0, "sqlite3 (needed by this test) {sql}: {out:?}");
    out.stdout.trim().to_string()
}

#[test]
fn sigterm_under_load_loses_nothing_acknowledged_and_signs_the_final_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let out = run(command()
        .args(["audit", "keygen", "--out"])
        .arg(path("signing.pem")));
    assert_eq!(out.code, 0, "{out:?}");
    // Checkpoints only at shutdown: neither bound is reached while the test runs.
    let config = format!(
        "{}\n[audit.checkpoints]\ndir = {:?}\nkey_file = {:?}\nevery_events = 1000000\nevery = \"1h\"\n",
        std::fs::read_to_string(fixture("wicket.toml")).unwrap(),
        path("checkpoints"),
        path("signing.pem"),
    );
    std::fs::write(path("wicket.toml"), config).unwrap();
    let file = path("w.db");
    let database = format!("sqlite://{}", file.display());
    let mut server = Server::start(&path("wicket.toml"), &database);
    let alice = server.token("alice");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| runtime.spawn(client(server.url.clone(), alice.clone(), sent.clone())))
        .collect();
    // Mid-stream: once the clients have had a good number of requests acknowledged.
    let start = Instant::now();
    while sent.load(Ordering::SeqCst) < 50 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the clients got only {} requests acknowledged in two minutes",
            sent.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = server.terminate(Duration::from_secs(60));
    assert!(
        status.success(),
        "`wicket serve` exited {status} on SIGTERM"
    );
    let (mut ids, mut checks) = (Vec::new(), 0);
    for c in clients {
        let (i, n) = runtime.block_on(c).unwrap();
        ids.extend(i);
        checks += n;
    }

    // Every acknowledged request and denial is in the database.
    for id in &ids {
        assert_eq!(
            sqlite(
                &file,
                &format!("SELECT count(*) FROM requests WHERE id = '{id}'")
            ),
            "1",
            "acknowledged request {id} is missing"
        );
    }
    let created: usize = sqlite(
        &file,
        "SELECT count(*) FROM audit_events WHERE kind = 'request.created'",
    )
    .parse()
    .unwrap();
    let denied: usize = sqlite(
        &file,
        "SELECT count(*) FROM audit_events WHERE kind = 'check.denied'",
    )
    .parse()
    .unwrap();
    assert!(
        created >= ids.len(),
        "{} requests acknowledged, {created} recorded",
        ids.len()
    );
    assert!(
        denied >= checks,
        "{checks} denials answered, {denied} recorded"
    );

    // The chain verifies and the final checkpoint vouches for the head: nothing after it.
    let out = server.offline(&[
        "audit",
        "verify",
        "--checkpoints",
        path("checkpoints").to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let report = json(&out.stdout);
    assert_eq!(report["chain"]["ok"], true, "{report}");
    assert_eq!(report["checkpoints"]["ok"], true, "{report}");
    assert_eq!(report["checkpoints"]["unvouched"], 0, "{report}");
    eprintln!(
        "SIGTERM under load: {} requests and {checks} denials acknowledged by {CLIENTS} clients, all recorded; {} events, the last signed",
        ids.len(),
        report["chain"]["events"]
    );
}
