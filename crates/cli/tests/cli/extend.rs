//! `wicket grant extend`: the holder asks, the approver approves, the same grant ends later;
//! someone else's grant, a revoked one and one past `max_extended` are refused, saying why.

use crate::support::{Server, json};

const CONFIG: &str = r#"
[[users]]
name = "alice"
groups = ["sre"]

[[users]]
name = "bob"
groups = ["sre-leads"]

[[users]]
name = "dave"
groups = ["sre"]

[[roles]]
name = "orders-db-read"
permissions = [{ actions = ["db:connect", "db:select"], resources = ["postgres/prod/orders/**"] }]

[[policies]]
name = "sre-production"
requesters = ["group:sre"]
roles = ["orders-db-read"]
max_duration = "1h"
max_extended = "2h"
require_reason = true
extend_steps = [{ approvers = ["group:sre-leads"] }]
"#;

#[test]
fn a_grant_is_extended_from_the_command_line() {
    let (_dir, server) = Server::with_config(CONFIG);
    let [alice, bob, dave] = server.tokens(["alice", "bob", "dave"]);

    // No steps for a request: granted at once, for the default hour.
    let out = server
        .wicket(
            &alice,
            &[
                "request",
                "create",
                "orders-db-read",
                "--reason",
                "INC-1",
                "--output",
                "json",
            ],
        )
        .expect_code(0);
    let grant = json(&out.stdout)["grants"][0].clone();
    let id = grant["id"].as_str().unwrap().to_string();

    let out = server
        .wicket(
            &alice,
            &[
                "grant",
                "extend",
                &id,
                "--by",
                "30m",
                "--reason",
                "the backfill is slow",
            ],
        )
        .expect_code(0);
    assert!(
        out.stdout.contains(&format!(
            "of grant {id} by 30m is pending: step 1/1 awaits approval"
        )),
        "{out:?}"
    );
    let ext = out.stdout.split_whitespace().nth(1).unwrap().to_string();
    assert!(ext.starts_with("req_"), "{out:?}");

    let out = server
        .wicket(&bob, &["request", "approve", &ext])
        .expect_code(0);
    assert!(out.stdout.contains("approved"), "{out:?}");
    let out = server
        .wicket(&alice, &["grant", "list", "--output", "json"])
        .expect_code(0);
    let items = json(&out.stdout)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "still one grant: {items:?}");
    assert_eq!(items[0]["id"], id.as_str());
    let before = wicket_core::time::parse(grant["expires_at"].as_str().unwrap()).unwrap();
    let after = wicket_core::time::parse(items[0]["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((after - before).num_minutes(), 30);

    // Someone else's grant.
    let out = server
        .wicket(
            &dave,
            &["grant", "extend", &id, "--by", "10m", "--reason", "x"],
        )
        .expect_code(2);
    assert!(
        out.stderr.contains("only its holder may ask to extend it"),
        "{out:?}"
    );
    // Past `max_extended`: 1h30m used of 2h.
    let out = server
        .wicket(
            &alice,
            &["grant", "extend", &id, "--by", "31m", "--reason", "x"],
        )
        .expect_code(2);
    assert!(
        out.stderr.contains("(max_extended)") && out.stderr.contains("at most `30m` more"),
        "{out:?}"
    );
    // JSON errors carry the API's code.
    let out = server
        .wicket(
            &alice,
            &[
                "grant", "extend", &id, "--by", "1h", "--reason", "x", "--output", "json",
            ],
        )
        .expect_code(2);
    assert_eq!(json(&out.stderr)["error"]["code"], "extension_exceeds_max");
    // Revoked.
    server
        .wicket(&alice, &["grant", "revoke", &id, "--reason", "done"])
        .expect_code(0);
    let out = server
        .wicket(
            &alice,
            &["grant", "extend", &id, "--by", "10m", "--reason", "x"],
        )
        .expect_code(2);
    assert!(
        out.stderr
            .contains("was revoked; a revoked grant cannot be extended"),
        "{out:?}"
    );
}
