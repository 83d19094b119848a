//! The `wicket` binary from the outside: the offline commands, usage and connection errors,
//! and (in `cli/end_to_end.rs`) a whole request's life against a real server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

#[path = "cli/audit_stream.rs"]
mod audit_stream;
#[path = "cli/connect.rs"]
mod connect;
#[path = "cli/connections.rs"]
mod connections;
#[path = "cli/end_to_end.rs"]
mod end_to_end;
#[path = "cli/login.rs"]
mod login;
#[path = "cli/provision.rs"]
mod provision;
#[path = "cli/secrets.rs"]
mod secrets;
#[path = "cli/shutdown.rs"]
mod shutdown;
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

use support::{fixture, wicket};

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
fn bad_usage_exits_2() {
    let out = wicket(&["request", "frobnicate"]).expect_code(2);
    assert!(out.stderr.contains("frobnicate"));
}

#[test]
fn policy_check_accepts_a_valid_file() {
    let file = fixture("wicket.toml");
    let out = wicket(&["policy", "check", file.to_str().unwrap()]).expect_code(0);
    assert!(out.stdout.starts_with("ok: "), "{out:?}");
    assert!(
        out.stdout.contains("is valid (2 roles, 1 policy)"),
        "{out:?}"
    );
    assert!(!out.stdout.contains("warning"), "{out:?}");
}

#[test]
fn policy_check_names_the_key_and_the_unknown_role() {
    let file = fixture("unknown-role.toml");
    let out = wicket(&["policy", "check", file.to_str().unwrap()]).expect_code(1);
    assert!(out.stderr.starts_with("error: "), "{out:?}");
    assert!(out.stderr.contains("unknown-role.toml"), "{out:?}");
    assert!(out.stderr.contains("`policies[0].roles[0]`"), "{out:?}");
    assert!(out.stderr.contains("`orders-db-raed`"), "{out:?}");
}

#[test]
fn policy_check_fails_on_warnings_only_when_asked() {
    let file = fixture("warnings.toml");
    let file = file.to_str().unwrap();
    let out = wicket(&["policy", "check", file]).expect_code(0);
    assert!(
        out.stdout
            .contains("warning: roles.orders-db-read: role `orders-db-read` is contained"),
        "{out:?}"
    );
    let out = wicket(&["policy", "check", file, "--deny-warnings"]).expect_code(1);
    assert!(out.stdout.contains("warning: "), "{out:?}");
    assert!(out.stderr.contains("--deny-warnings"), "{out:?}");
}

#[test]
fn policy_check_of_a_missing_file_is_an_error() {
    let out = wicket(&["policy", "check", "/nonexistent/wicket.toml"]).expect_code(2);
    assert!(out.stderr.contains("/nonexistent/wicket.toml"), "{out:?}");
}

#[test]
fn an_http_command_without_a_token_says_how_to_get_one() {
    let out = wicket(&["whoami"]).expect_code(2);
    assert!(out.stderr.contains("WICKET_TOKEN"), "{out:?}");
    assert!(out.stderr.contains("--token"), "{out:?}");
    assert!(out.stderr.contains("wicket token create USER"), "{out:?}");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
}

#[test]
fn an_unreachable_server_is_named() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
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
    assert!(out.stderr.contains(&server), "{out:?}");
    assert!(out.stderr.contains("wicket serve"), "{out:?}");
    assert!(out.stderr.contains("--server"), "{out:?}");
}

#[test]
fn offline_commands_need_the_configuration() {
    let out = wicket(&["token", "create", "alice", "--config", "/nonexistent.toml"]).expect_code(2);
    assert!(
        out.stderr.contains("`/nonexistent.toml` not found"),
        "{out:?}"
    );
    assert!(out.stdout.is_empty(), "{out:?}");
}
