//! A grant revoked by an anomaly rule is explained wherever it appears: `grant list`,
//! `request show`, the denial that follows; and questions asked with `wicket check` (dry
//! runs) do not count towards the burst that revokes.

use std::time::{Duration, Instant};

use crate::support::{Server, json};

const ORDERS: &str = "postgres/prod/orders/public/orders";

#[test]
fn a_revocation_by_the_monitor_is_explained_and_questions_do_not_trigger_it() {
    let (_dir, server) = Server::on_fixture("monitor.toml");
    let alice = server.token("alice");

    let request = server.json(&alice, &["request", "create", "orders-db-read"]);
    assert_eq!(request["state"], "approved", "{request}");
    let id = request["id"].as_str().unwrap().to_string();
    let grant = request["grants"][0]["id"].as_str().unwrap().to_string();

    // Ten questions that are denied: dry runs, so no burst, and the grant lives on.
    for _ in 0..10 {
        server
            .wicket(&alice, &["check", "db:delete", ORDERS])
            .expect_code(1);
    }
    let out = server
        .wicket(&alice, &["check", "db:select", ORDERS])
        .expect_code(0);
    out.expect_stdout(&grant);

    // Three attempts (`--enforce`, as a service enforcing with wicket) are a burst.
    for _ in 0..3 {
        server
            .wicket(&alice, &["check", "--enforce", "db:delete", ORDERS])
            .expect_code(1);
    }
    let start = Instant::now();
    let listed = loop {
        let out = server
            .wicket(&alice, &["grant", "list", "--status", "revoked"])
            .expect_code(0);
        if out.stdout.contains(&grant) {
            break out;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the burst did not revoke the grant: {out:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // The table, then who revoked it and why, naming the rule.
    let why = format!("{grant} revoked by wicket:monitor: anomaly rule `denied-burst`: ");
    assert!(listed.stdout.contains(&why), "{listed:?}");
    assert!(listed.stdout.contains("was denied 3 times"), "{listed:?}");

    let out = server
        .wicket(&alice, &["request", "show", &id])
        .expect_code(0);
    out.expect_stdout("revoked by wicket:monitor: anomaly rule `denied-burst`");

    // The denial says a grant was just revoked, by whom and why.
    let out = server
        .wicket(&alice, &["check", "db:select", ORDERS])
        .expect_code(1);
    assert!(out.stdout.starts_with("denied: "), "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "grant `{grant}` of role `orders-db-read` was revoked at "
        )) && out
            .stdout
            .contains("by `wicket:monitor`: anomaly rule `denied-burst`"),
        "{out:?}"
    );
    let out = server
        .wicket(&alice, &["check", "db:select", ORDERS, "--output", "json"])
        .expect_code(1);
    let answer = json(&out.stdout);
    assert_eq!(answer["revoked"]["grant_id"], grant.as_str(), "{answer}");
    assert_eq!(
        answer["revoked"]["revoked_by"], "wicket:monitor",
        "{answer}"
    );

    // The audit list shows the anomaly's rule, severity and summary.
    let carol = server.token("carol");
    let out = server
        .wicket(&carol, &["audit", "list", "--kind", "anomaly.flagged"])
        .expect_code(0);
    assert!(
        out.stdout
            .contains("rule denied-burst (medium): `alice` was denied 3 times")
            && out.stdout.contains("(revokes)"),
        "{out:?}"
    );
    let out = server
        .wicket(&carol, &["audit", "list", "--kind", "grant.revoked"])
        .expect_code(0);
    out.expect_stdout("“anomaly rule `denied-burst`: ");

    // The dry runs are in the audit log, marked as such.
    let events = server.json(&carol, &["audit", "list", "--kind", "check.denied"]);
    let items = events["items"].as_array().unwrap();
    let dry = items
        .iter()
        .filter(|e| e["details"]["dry_run"] == true)
        .count();
    assert_eq!(
        dry, 12,
        "ten questions, then two after the revocation: {events}"
    );
    server.stop();
}
