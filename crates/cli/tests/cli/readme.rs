//! The README's "Five minutes with Wicket", word for word: the shell block is read from the
//! README itself and run by bash against `wicket serve --config examples/wicket.toml` (on a
//! free port instead of 7070, through `WICKET_SERVER`), with `target/release/wicket` being the
//! binary under test. It sleeps two minutes, as the README does.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{BIN, command, lines};

/// The first ```sh block after the "Five minutes" heading.
fn walkthrough() -> String {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&readme).unwrap();
    let section = text
        .split("## Five minutes with Wicket")
        .nth(1)
        .expect("the README has its five minutes");
    let block = section.split("```sh\n").nth(1).expect("a shell block");
    block.split("\n```").next().unwrap().to_string()
}

#[test]
fn the_readme_walkthrough_runs_word_for_word() {
    let script = walkthrough();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("examples")).unwrap();
    std::fs::create_dir_all(root.join("target/release")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wicket.toml"),
        root.join("examples/wicket.toml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(BIN, root.join("target/release/wicket")).unwrap();

    // The README's first command, on a free port.
    let mut server = command()
        .current_dir(root)
        .args([
            "serve",
            "--config",
            "examples/wicket.toml",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let rx = lines(server.stdout.take().unwrap());
    let said = |prefix: &str| {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("`wicket serve` never said `{prefix}`"));
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("`wicket serve` said `{line}`, not `{prefix}...`"))
            .to_string()
    };
    let url = said("listening on ");
    // Where the web UI is, and how to get in.
    let ui = said("web UI: ");
    assert_eq!(
        ui,
        format!(
            "{url}/ (sign in with a token from `wicket token create USER --config examples/wicket.toml`)"
        )
    );

    // The second terminal: bash runs the block, echoing each command before its output.
    let out = Command::new("bash")
        .current_dir(root)
        .arg("-c")
        .arg(format!("exec 2>&1\nPS4='$ '\nset -x\n{script}"))
        .env_remove("WICKET_TOKEN")
        .env_remove("WICKET_CONFIG")
        .env_remove("WICKET_DATABASE")
        .env("WICKET_SERVER", &url)
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("error:"), "{text}");

    // What the README promises, in order.
    let mut rest = text.as_str();
    for expected in [
        "denied: ",
        "wicket request create orders-db-read --reason \"...\" --ticket TICKET",
        "is pending: step 1/2",
        "req_",
        "is pending: step 2/2",
        "is approved",
        "allowed: allowed by grant",
        "active",
        "$ sleep 125",
        "denied: ",
        "request.created",
        "“refunds stuck, INC-4711”",
        "review.added",
        "“ok for INC-4711”",
        "grant.expired",
        "audit chain ok: ",
    ] {
        let at = rest.find(expected).unwrap_or_else(|| {
            panic!("`{expected}` missing after this point:\n{rest}\n\nwhole run:\n{text}")
        });
        rest = &rest[at + expected.len()..];
    }
    // The example teaches rather than alarms: reading the orders database at night is not
    // flagged (its off-hours rule watches the write role).
    assert!(!text.contains("off-hours"), "{text}");
}

/// The README's two commands are the set-up script's: on this machine (set up as CI sets it up)
/// nothing is missing, and a wrong word is a usage error.
#[test]
fn the_readme_two_commands_set_up_what_is_missing_then_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let first = readme.split("```sh\n").nth(1).unwrap();
    let first = first.split("\n```").next().unwrap();
    assert_eq!(first, "scripts/setup.sh serve\nscripts/setup.sh test");
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci.contains("\nscripts/setup.sh\n"), "{ci}");

    let setup = root.join("scripts/setup.sh");
    let out = Command::new(&setup)
        .arg("check")
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "run `scripts/setup.sh` first: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = Command::new(&setup).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("usage: scripts/setup.sh [serve|test|check]")
    );
}
