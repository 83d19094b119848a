//! Progress bars of long CLI work: drawn on a terminal (a real pseudo-terminal from `script`),
//! and absent when the output is piped.

use std::path::Path;
use std::process::Command;

use crate::support::{Server, fixture, run};

/// Runs `wicket ARGS` on a pseudo-terminal through `script` (util-linux): what the terminal
/// showed, and the exit code. `stdout_to` keeps stdout off the terminal, as a redirect does.
fn on_a_terminal(env: &[(&str, &str)], args: &[&str], stdout_to: Option<&Path>) -> (String, i32) {
    let mut line = std::iter::once(env!("CARGO_BIN_EXE_wicket"))
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(file) = stdout_to {
        line.push_str(&format!(" > {}", shell_quote(file.to_str().unwrap())));
    }
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .envs(env.iter().copied())
        .env("TERM", "xterm")
        .env("COLUMNS", "160")
        .output()
        .unwrap_or_else(|e| panic!("running `script` (Debian package bsdutils): {e}"));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn verify_and_export_show_a_bar_on_a_terminal_and_stay_plain_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let database = format!("sqlite://{}", db.display());
    let config = fixture("wicket.toml");
    let server = Server::start(&config, &database);
    let carol = server.token("carol");
    // Denied checks, each an audit event.
    for _ in 0..5 {
        server
            .wicket(&carol, &["check", "logs:view", "logs/prod/api"])
            .expect_code(1);
    }

    // On a terminal: the bar, then the result on its own.
    let (screen, code) = on_a_terminal(
        &[],
        &[
            "audit",
            "verify",
            "--config",
            config.to_str().unwrap(),
            "--database",
            &database,
        ],
        None,
    );
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("verifying the audit chain"), "{screen}");
    assert!(
        screen.contains("events ·") && screen.contains("left"),
        "{screen}"
    );
    assert!(screen.contains("audit chain ok"), "{screen}");

    let exported = dir.path().join("export.jsonl");
    let (screen, code) = on_a_terminal(
        &[("WICKET_SERVER", &server.url), ("WICKET_TOKEN", &carol)],
        &["audit", "export"],
        Some(&exported),
    );
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("exporting the audit log"), "{screen}");
    assert!(screen.contains("exported"), "{screen}");
    // The file holds the events alone: the bar went to the terminal.
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        !text.is_empty() && text.lines().all(|l| l.starts_with("{\"seq\":")),
        "{text}"
    );

    // Piped: no bar, no control characters.
    let out = server.offline(&["audit", "verify"]).expect_code(0);
    assert!(!out.stderr.contains("verifying"), "{out:?}");
    let out = run(&mut server.command(&carol, &["audit", "export"])).expect_code(0);
    assert!(
        !out.stderr.contains("exporting") && !out.stderr.contains('\u{1b}'),
        "{out:?}"
    );
    assert_eq!(out.stdout, text);
}

#[test]
fn policy_check_says_what_it_is_doing_on_a_terminal_only() {
    let file = fixture("wicket.toml");
    let (screen, code) = on_a_terminal(&[], &["policy", "check", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("validating `"), "{screen}");
    assert!(screen.contains("ok: "), "{screen}");
    let out = crate::support::wicket(&["policy", "check", file.to_str().unwrap()]).expect_code(0);
    assert!(!out.stderr.contains("validating"), "{out:?}");
}
