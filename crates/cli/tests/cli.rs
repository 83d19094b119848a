//! The `wicket` binary from the outside: the offline commands, usage and connection errors,
//! and (in `cli/end_to_end.rs`) a whole request's life against a real server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

#[path = "cli/anchor.rs"]
mod anchor;
#[path = "cli/audit_stream.rs"]
mod audit_stream;
#[path = "cli/completion.rs"]
mod completion;
#[path = "cli/connect.rs"]
mod connect;
#[path = "cli/connections.rs"]
mod connections;
#[path = "cli/end_to_end.rs"]
mod end_to_end;
#[path = "cli/extend.rs"]
mod extend;
#[path = "cli/login.rs"]
mod login;
#[path = "cli/progress.rs"]
mod progress;
#[path = "cli/provision.rs"]
mod provision;
#[path = "cli/provision_extend.rs"]
mod provision_extend;
#[path = "cli/readme.rs"]
mod readme;
#[path = "cli/requests.rs"]
mod requests;
#[path = "cli/reviews.rs"]
mod reviews;
#[path = "cli/revocation.rs"]
mod revocation;
#[path = "cli/scim_replicas.rs"]
mod scim_replicas;
#[path = "cli/secrets.rs"]
mod secrets;
#[path = "cli/shutdown.rs"]
mod shutdown;
#[path = "cli/ssh_certs.rs"]
mod ssh_certs;
#[path = "cli/ssh_gateway.rs"]
mod ssh_gateway;
#[path = "cli/sshd.rs"]
mod sshd;
// Headless Chromium, as the server's browser tests drive it.
#[allow(dead_code)]
#[path = "../../server/tests/ui/browser.rs"]
mod chromium;
// The server's OpenID Provider and sign-in helpers, shared rather than copied.
#[allow(dead_code)]
#[path = "../../server/tests/oidc/browser.rs"]
mod browser;
#[allow(dead_code)]
#[path = "../../server/tests/oidc/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../server/tests/oidc/provider.rs"]
mod provider;
#[path = "cli/support.rs"]
mod support;
#[path = "cli/upstream.rs"]
mod upstream;

use support::{Out, fixture, wicket};

#[test]
fn help_works() {
    let out = wicket(&["--help"]).expect_code(0);
    for command in [
        "serve", "token", "policy", "audit", "whoami", "check", "request", "grant",
    ] {
        assert!(
            out.stdout.contains(command),
            "`{command}` missing from {}",
            out.stdout
        );
    }
    let out = wicket(&["request", "create", "--help"]).expect_code(0);
    assert!(out.stdout.contains("--wait"));
}

#[test]
fn usage_lines_leave_out_what_the_environment_filled_in() {
    let out = support::run(
        support::command()
            .args(["check", "db:select"])
            .env("WICKET_TOKEN", "wkt_x")
            .env("WICKET_CONFIG", "/etc/wicket.toml")
            .env("WICKET_SERVER", "http://127.0.0.1:1"),
    )
    .expect_code(2);
    out.expect_stderr("Usage: wicket check <ACTION> <RESOURCE>");
    assert!(!out.stderr.contains("--token"), "{out:?}");
    assert!(!out.stderr.contains("--config"), "{out:?}");
}

#[test]
fn id_arguments_are_described_and_only_the_top_command_has_a_version() {
    for (args, described) in [
        (
            &["request", "show", "--help"][..],
            "The request (`req_...`)",
        ),
        (
            &["request", "approve", "--help"][..],
            "The request (`req_...`)",
        ),
        (&["grant", "revoke", "--help"][..], "The grant (`gr_...`)"),
        (
            &["token", "revoke", "--help"][..],
            "The token's id (`tok_...`",
        ),
    ] {
        let out = wicket(args).expect_code(0);
        assert!(out.stdout.contains(described), "{args:?}: {out:?}");
        assert!(!out.stdout.contains("--version"), "{args:?}: {out:?}");
    }
    let out = wicket(&["-V"]).expect_code(0);
    assert!(out.stdout.starts_with("wicket "), "{out:?}");
    wicket(&["check", "-V"]).expect_code(2);
}

#[test]
fn bad_usage_exits_2() {
    let out = wicket(&["request", "frobnicate"]).expect_code(2);
    assert!(out.stderr.contains("frobnicate"));
}

/// `wicket policy check` of the fixture `name` with `flags`, which must exit with `code`.
fn policy_check(name: &str, flags: &[&str], code: i32) -> Out {
    let file = fixture(name);
    wicket(&[&["policy", "check", file.to_str().unwrap()], flags].concat()).expect_code(code)
}

#[test]
fn policy_check_accepts_a_valid_file() {
    let out = policy_check("wicket.toml", &[], 0);
    assert!(out.stdout.starts_with("ok: "), "{out:?}");
    out.expect_stdout("is valid (2 roles, 1 policy)");
    assert!(!out.stdout.contains("warning"), "{out:?}");
}

#[test]
fn policy_check_names_the_key_and_the_unknown_role() {
    let out = policy_check("unknown-role.toml", &[], 1);
    assert!(out.stderr.starts_with("error: "), "{out:?}");
    out.expect_stderr("unknown-role.toml");
    out.expect_stderr("`policies[0].roles[0]`");
    out.expect_stderr("`orders-db-raed`");
}

#[test]
fn policy_check_fails_on_warnings_only_when_asked() {
    let out = policy_check("warnings.toml", &[], 0);
    out.expect_stdout("warning: roles.orders-read-again: role `orders-read-again` has the same permissions as role `orders-db-read`");
    assert!(!out.stdout.contains("contained"), "{out:?}");
    let out = policy_check("warnings.toml", &["--deny-warnings"], 1);
    out.expect_stdout("warning: ");
    out.expect_stderr("--deny-warnings");
}

#[test]
fn policy_check_reports_every_error_at_once() {
    let out = policy_check("errors.toml", &[], 1);
    let errors = out.errors();
    assert_eq!(errors.len(), 3, "{out:?}");
    out.expect_stderr(
        "unknown role `orders-db-raed` in policy `sre-production`; did you mean `orders-db-read`?",
    );
    out.expect_stderr("4 hours");
    out.expect_stderr("alcie");
    out.expect_stderr("3 errors in");
}

#[test]
fn the_shipped_example_passes_policy_check_with_deny_warnings() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wicket.toml");
    let out = wicket(&[
        "policy",
        "check",
        example.to_str().unwrap(),
        "--deny-warnings",
    ])
    .expect_code(0);
    assert!(!out.stdout.contains("warning"), "{out:?}");
}

#[test]
fn the_shipped_examples_commented_review_passes_policy_check_once_uncommented() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wicket.toml");
    let text = std::fs::read_to_string(&example).unwrap();
    // The `# [[reviews]]` block, uncommented up to the blank line that ends it.
    let mut inside = false;
    let mut uncommented = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line == "# [[reviews]]" {
                inside = true;
            } else if line.trim().is_empty() {
                inside = false;
            }
            match line.strip_prefix("# ") {
                Some(rest) if inside => {
                    uncommented += 1;
                    rest.to_string()
                }
                _ => line.to_string(),
            }
        })
        .collect();
    assert!(uncommented >= 7, "no `# [[reviews]]` block in the example");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wicket.toml");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let out =
        wicket(&["policy", "check", path.to_str().unwrap(), "--deny-warnings"]).expect_code(0);
    assert!(!out.stdout.contains("warning"), "{out:?}");
    // The uncommented block is checked as a review: a bad value in it is refused.
    let broken = lines
        .join("\n")
        .replace("on_missed = \"keep\"", "on_missed = \"sometimes\"");
    std::fs::write(&path, broken).unwrap();
    let out = wicket(&["policy", "check", path.to_str().unwrap()]).expect_code(1);
    out.expect_stderr("reviews[0].on_missed");
}

#[test]
fn policy_check_of_a_missing_file_is_an_error() {
    let out = wicket(&["policy", "check", "/nonexistent/wicket.toml"]).expect_code(2);
    out.expect_stderr("/nonexistent/wicket.toml");
}

#[test]
fn an_http_command_without_a_token_says_how_to_get_one() {
    let out = wicket(&["whoami"]).expect_code(2);
    out.expect_stderr("WICKET_TOKEN");
    out.expect_stderr("--token");
    out.expect_stderr("wicket token create USER");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
}

#[test]
fn errors_are_json_on_stderr_under_output_json() {
    let out = wicket(&["whoami", "--output", "json"]).expect_code(2);
    out.expect_json_error("cli_error", "WICKET_TOKEN");
}

#[test]
fn an_unreachable_server_is_named() {
    // A port bound but never listening: held for the whole test, so no other process can
    // take it, and every connection to it is refused.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let server = format!("http://127.0.0.1:{port}");
    let out = wicket(&[
        "check",
        "db:select",
        "postgres/prod/orders",
        "--server",
        &server,
        "--token",
        "wkt_x",
    ])
    .expect_code(2);
    out.expect_stderr(&server);
    out.expect_stderr("wicket serve");
    out.expect_stderr("--server");
    drop(socket);
}

#[test]
fn offline_commands_need_the_configuration() {
    let out = wicket(&["token", "create", "alice", "--config", "/nonexistent.toml"]).expect_code(2);
    out.expect_stderr("`/nonexistent.toml` not found");
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[test]
fn serve_says_what_to_do_about_a_busy_port_and_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let config = fixture("wicket.toml");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    // `wicket serve` on `database` and `listen`, which fails to start.
    let refused = |database: &str, listen: &str| {
        let config = config.to_str().unwrap();
        let args = [
            "serve",
            "--config",
            config,
            "--database",
            database,
            "--listen",
            listen,
        ];
        wicket(&args).expect_code(2)
    };
    refused(&support::sqlite(dir.path()), &addr)
        .expect_stderr(&format!("address `{addr}` is already in use"))
        .expect_stderr("--listen 127.0.0.1:0");

    let missing = format!("sqlite://{}", dir.path().join("nope/w.db").display());
    let out = refused(&missing, "127.0.0.1:0");
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{out:?}");
    assert!(
        errors[0].contains("/nope` of the database file")
            && errors[0].contains("does not exist; create it"),
        "{out:?}"
    );
}

#[test]
fn server_urls_with_v1_or_the_wrong_scheme_are_understood_or_explained() {
    let dir = tempfile::tempdir().unwrap();
    let database = support::sqlite(dir.path());
    let server = support::Server::start(&fixture("wicket.toml"), &database);
    let alice = server.token("alice");
    let with_v1 = format!("{}/v1", server.url);
    let out = support::run(
        support::command()
            .args(["whoami", "--server", &with_v1])
            .env("WICKET_TOKEN", &alice),
    )
    .expect_code(0);
    out.expect_stdout("alice");
    let https = server.url.replacen("http://", "https://", 1);
    let out = support::run(
        support::command()
            .args(["whoami", "--server", &https])
            .env("WICKET_TOKEN", &alice),
    )
    .expect_code(2);
    assert!(
        out.stderr.contains("does not speak TLS") && out.stderr.contains(&server.url),
        "{out:?}"
    );
    server.stop();
}

#[test]
fn usage_errors_are_json_on_stderr_under_output_json() {
    let out = wicket(&["request", "frobnicate", "--output", "json"]).expect_code(2);
    out.expect_json_error("invalid_usage", "frobnicate");
    // Without it, clap's text as before.
    let out = wicket(&["request", "frobnicate"]).expect_code(2);
    assert!(out.stderr.starts_with("error: "), "{out:?}");
}
