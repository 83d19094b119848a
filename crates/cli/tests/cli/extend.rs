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
    let grant = server.json(
        &alice,
        &["request", "create", "orders-db-read", "--reason", "INC-1"],
    )["grants"][0]
        .clone();
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
    out.expect_stdout(&format!(
        "of grant {id} by 30m is pending: step 1/1 awaits approval"
    ));
    let ext = out.stdout.split_whitespace().nth(1).unwrap().to_string();
    assert!(ext.starts_with("req_"), "{out:?}");

    let out = server
        .wicket(&bob, &["request", "approve", &ext])
        .expect_code(0);
    out.expect_stdout("approved");
    let items = server.json(&alice, &["grant", "list"])["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 1, "still one grant: {items:?}");
    assert_eq!(items[0]["id"], id.as_str());
    let before = wicket_core::time::parse(grant["expires_at"].as_str().unwrap()).unwrap();
    let after = wicket_core::time::parse(items[0]["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((after - before).num_minutes(), 30);

    // Refused, with what `grant extend ID --by BY --reason x` as the holder of `token` says.
    let refused = |token: &str, by: &str, more: &[&str]| {
        let args = [&["grant", "extend", &id, "--by", by, "--reason", "x"], more].concat();
        server.wicket(token, &args).expect_code(2)
    };
    // Someone else's grant.
    refused(&dave, "10m", &[]).expect_stderr("only its holder may ask to extend it");
    // Past `max_extended`: 1h30m used of 2h.
    refused(&alice, "31m", &[])
        .expect_stderr("(max_extended)")
        .expect_stderr("at most `30m` more");
    // JSON errors carry the API's code.
    let out = refused(&alice, "1h", &["--output", "json"]);
    assert_eq!(json(&out.stderr)["error"]["code"], "extension_exceeds_max");
    // Revoked.
    server
        .wicket(&alice, &["grant", "revoke", &id, "--reason", "done"])
        .expect_code(0);
    refused(&alice, "10m", &[]).expect_stderr("was revoked; a revoked grant cannot be extended");
}
