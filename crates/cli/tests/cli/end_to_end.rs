//! One access request's whole life against a real `wicket serve`: ask, two approvals, allowed,
//! revoked, denied, a verified audit chain; then a tampered row breaks the chain.

use std::process::Stdio;

use crate::support::{Server, fixture, json, sqlite, wicket};

const ORDERS: &str = "postgres/prod/orders/public/orders";

#[test]
fn a_request_from_ask_to_revoke_and_a_tampered_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let config = fixture("wicket.toml");
    let server = Server::start(&config, &database);
    let [alice, bob, carol] = server.tokens(["alice", "bob", "carol"]);

    // Denied, with the role to request.
    let out = server
        .wicket(&alice, &["check", "db:select", ORDERS])
        .expect_code(1);
    assert!(out.stdout.starts_with("denied: "), "{out:?}");
    out.expect_stdout("wicket request create orders-db-read --reason");

    // Ask, then two steps of approval.
    let request = server.json(
        &alice,
        &[
            "request",
            "create",
            "orders-db-read",
            "--reason",
            "INC-7 orders stuck",
            "--ticket",
            "INC-7",
        ],
    );
    let id = request["id"].as_str().unwrap().to_string();
    assert_eq!(request["state"], "pending");
    let out = server
        .wicket(&alice, &["request", "approve", &id])
        .expect_code(2);
    out.expect_stderr("cannot review");
    let out = server
        .wicket(&bob, &["request", "approve", &id, "--comment", "ok"])
        .expect_code(0);
    out.expect_stdout("step 2/2");
    let out = server
        .wicket(&carol, &["request", "list", "--reviewable"])
        .expect_code(0);
    assert!(
        out.stdout.contains(&id) && out.stdout.contains("2/2"),
        "{out:?}"
    );
    let out = server
        .wicket(&carol, &["request", "approve", &id])
        .expect_code(0);
    out.expect_stdout("is approved");

    // Allowed now, through the grant.
    let out = server
        .wicket(&alice, &["check", "db:select", ORDERS])
        .expect_code(0);
    assert!(out.stdout.starts_with("allowed: "), "{out:?}");
    let grant = server.json(&alice, &["request", "show", &id])["grants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = server
        .wicket(&alice, &["grant", "list", "--status", "active"])
        .expect_code(0);
    assert!(
        out.stdout.contains(&grant) && out.stdout.contains("in 1h"),
        "{out:?}"
    );

    // Revoked: denied again.
    server
        .wicket(&carol, &["grant", "revoke", &grant, "--reason", "done"])
        .expect_code(0);
    server
        .wicket(&alice, &["check", "db:select", ORDERS])
        .expect_code(1);

    // `--wait` returns when the request is decided, and times out when it is not.
    let again = [
        "request",
        "create",
        "orders-db-read",
        "--reason",
        "again",
        "--ticket",
        "INC-8",
    ];
    let waiting = server
        .command(
            &alice,
            &[&again[..], &["--wait", "--timeout", "60s"]].concat(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = loop {
        let out = server
            .wicket(
                &bob,
                &["request", "list", "--reviewable", "--output", "json"],
            )
            .expect_code(0);
        if let Some(r) = json(&out.stdout)["items"]
            .as_array()
            .and_then(|items| items.first().cloned())
        {
            break r["id"].as_str().unwrap().to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    server
        .wicket(&bob, &["request", "approve", &second])
        .expect_code(0);
    server
        .wicket(&carol, &["request", "approve", &second])
        .expect_code(0);
    let out = waiting.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("is approved"),
        "{out:?}"
    );
    let out = server
        .wicket(
            &alice,
            &[
                "request",
                "create",
                "orders-db-read",
                "--reason",
                "x",
                "--ticket",
                "INC-9",
                "--wait",
                "--timeout",
                "1s",
            ],
        )
        .expect_code(1);
    out.expect_stderr("still pending");

    // The audit log: exported page by page, and a sound chain.
    let out = server.wicket(&carol, &["audit", "export"]).expect_code(0);
    let seqs: Vec<i64> = out
        .stdout
        .lines()
        .map(|l| json(l)["seq"].as_i64().unwrap())
        .collect();
    assert!(
        seqs.len() > 10 && seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "{seqs:?}"
    );
    let out = server.offline(&["audit", "verify"]).expect_code(0);
    assert!(out.stdout.starts_with("audit chain ok: "), "{out:?}");

    // Tampered: one actor rewritten.
    server.stop();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&database).await.unwrap();
        let done = sqlx::query("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
            .execute(&mut db)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
        db.close().await.unwrap();
    });
    let config = config.to_str().unwrap();
    let out = wicket(&[
        "audit",
        "verify",
        "--database",
        &database,
        "--config",
        config,
    ])
    .expect_code(1);
    out.expect_stdout("audit chain broken at seq 3");
}

/// The emergency path: a token revoked straight in the database stops working within a
/// second or so, even on SQLite (which has no change feed) and while the server has it cached.
#[test]
fn an_offline_revocation_bites_while_the_token_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start(&fixture("wicket.toml"), &database);
    let created = json(
        &server
            .offline(&["token", "create", "alice", "--output", "json"])
            .expect_code(0)
            .stdout,
    );
    let (token, id) = (
        created["token"].as_str().unwrap().to_string(),
        created["id"].as_str().unwrap().to_string(),
    );
    assert!(id.starts_with("tok_"), "{created}");
    // Used first, so the server holds it in its cache.
    server.wicket(&token, &["whoami"]).expect_code(0);
    server
        .offline(&["token", "revoke", &id, "--offline"])
        .expect_code(0);
    // The server re-reads a cached token after a second; before, it trusted it for 30 s.
    let start = std::time::Instant::now();
    loop {
        let out = server.wicket(&token, &["whoami"]);
        if out.code != 0 {
            out.expect_stderr("revoked");
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "the revoked token still works after 15 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.stop();
}

/// `wicket token list`: one's own tokens over HTTP, never the token itself; another user's take
/// `wicket:tokens.create`; offline, everyone's; a revoked token is gone from both.
#[test]
fn token_list_shows_the_tokens_not_revoked_never_their_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start(&fixture("wicket.toml"), &database);
    // bob's token is there for the offline list of everyone's.
    let [alice, _bob] = server.tokens(["alice", "bob"]);
    let created = json(
        &server
            .offline(&[
                "token", "create", "alice", "--ttl", "1h", "--output", "json",
            ])
            .expect_code(0)
            .stdout,
    );
    let second = created["id"].as_str().unwrap().to_string();

    let mine = server.json(&alice, &["token", "list"]);
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{mine}");
    assert!(items.iter().all(|t| t["user"] == "alice"), "{mine}");
    assert!(items.iter().all(|t| t["status"] == "active"), "{mine}");
    assert!(items.iter().all(|t| t["created_by"] == "wicket"), "{mine}");
    assert_eq!(items[0]["expires_at"], serde_json::Value::Null, "{mine}");
    assert_eq!(items[1]["id"], second.as_str(), "{mine}");
    assert!(
        !mine.to_string().contains(&alice),
        "the token itself is listed: {mine}"
    );

    let table = server.wicket(&alice, &["token", "list"]).expect_code(0);
    table.expect_stdout("ID");
    table.expect_stdout(&second);
    table.expect_stdout("never");
    assert!(!table.stdout.contains(&alice), "{table:?}");

    let out = server
        .wicket(
            &alice,
            &["token", "list", "--user", "bob", "--output", "json"],
        )
        .expect_code(2);
    out.expect_json_error("missing_power", "wicket:tokens.create");

    // Offline: everyone's; then alice's second token revoked and gone.
    let all = json(
        &server
            .offline(&["token", "list", "--offline", "--output", "json"])
            .expect_code(0)
            .stdout,
    );
    let users: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["alice", "bob", "alice"], "{all}");
    server
        .offline(&["token", "revoke", &second, "--offline"])
        .expect_code(0);
    let out = server
        .offline(&["token", "list", "--offline", "--user", "user:alice"])
        .expect_code(0);
    assert!(!out.stdout.contains(&second), "{out:?}");
    assert_eq!(
        server.json(&alice, &["token", "list"])["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    server
        .offline(&["token", "list", "--offline", "--user", "group:sre"])
        .expect_code(2)
        .expect_stderr("tokens belong to users");
    server.stop();
}
