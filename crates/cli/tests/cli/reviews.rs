//! `wicket review`: a reviewer lists the campaign the schedule started, revokes one item and
//! certifies another; a non-reviewer is refused, saying why; `start` takes the power; the
//! report comes out as CSV for a spreadsheet and as JSON.

use std::time::{Duration, Instant};

use crate::support::{Server, json};

const CONFIG: &str = r#"
[[users]]
name = "alice"
groups = ["sre"]

[[users]]
name = "bob"

[[users]]
name = "root"

[[roles]]
name = "payments-read"
owners = ["user:bob"]
permissions = [{ actions = ["db:select"], resources = ["postgres/prod/payments/**"] }]

[[roles]]
name = "wicket-admin"
permissions = [{ actions = ["wicket:reviews.manage", "wicket:audit.read"], resources = ["wicket"] }]

[[bindings]]
subjects = ["group:sre", "user:root"]
roles = ["payments-read"]

[[bindings]]
subjects = ["user:root"]
roles = ["wicket-admin"]

[[reviews]]
name = "payments"
roles = ["payments-read"]
reviewers = ["owners"]
every = "90d"
deadline = "7d"
"#;

#[test]
fn a_reviewer_decides_from_the_command_line() {
    let (_dir, server) = Server::with_config(CONFIG);
    let [alice, bob, root] = server.tokens(["alice", "bob", "root"]);

    // The schedule starts the first campaign at once; wait for it, boundedly.
    let started = Instant::now();
    let list = loop {
        let list = server.json(&bob, &["review", "list"])["items"]
            .as_array()
            .unwrap()
            .clone();
        if !list.is_empty() {
            break list;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no campaign started"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let campaign = list[0]["id"].as_str().unwrap().to_string();
    let item = |subject: &str| {
        list[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["subject"] == subject)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (sre, roots) = (item("group:sre"), item("user:root"));

    let out = server.wicket(&bob, &["review", "list"]).expect_code(0);
    assert!(
        out.stdout
            .contains(&format!("campaign {campaign} of review payments"))
            && out.stdout.contains("group:sre")
            && out.stdout.contains("pending"),
        "{out:?}"
    );
    let out = server
        .wicket(&alice, &["review", "certify", &campaign, &sre])
        .expect_code(2);
    out.expect_stderr("is not a reviewer of item");
    let out = server
        .wicket(&alice, &["review", "start", "payments"])
        .expect_code(2);
    out.expect_stderr("wicket:reviews.manage");
    let out = server
        .wicket(&root, &["review", "start", "payments", "--output", "json"])
        .expect_code(2);
    assert_eq!(json(&out.stderr)["error"]["code"], "campaign_open");

    let out = server
        .wicket(
            &bob,
            &[
                "review",
                "revoke",
                &campaign,
                &sre,
                "--comment",
                "left the team",
            ],
        )
        .expect_code(0);
    out.expect_stdout(&format!(
        "item {sre} (group:sre payments-read) revoked: the binding is suspended"
    ));
    let out = server
        .wicket(
            &bob,
            &["review", "certify", &campaign, &roots, "--output", "json"],
        )
        .expect_code(0);
    assert_eq!(json(&out.stdout)["decision"], "certified");
    let out = server
        .wicket(&bob, &["review", "certify", &campaign, &sre])
        .expect_code(2);
    out.expect_stderr("was already revoked by `bob`");

    let out = server
        .wicket(&root, &["review", "report", &campaign, "--format", "csv"])
        .expect_code(0);
    let row = out
        .stdout
        .lines()
        .find(|l| l.contains("group:sre"))
        .unwrap();
    assert!(
        row.contains(",revoked,bob,") && row.ends_with(",left the team"),
        "{row}"
    );
    let out = server
        .wicket(&root, &["review", "report", &campaign])
        .expect_code(0);
    assert_eq!(json(&out.stdout)["items"].as_array().unwrap().len(), 2);
    let out = server
        .wicket(&bob, &["review", "report", &campaign])
        .expect_code(2);
    out.expect_stderr("lacks `wicket:reviews.manage`");
}
