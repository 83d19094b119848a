//! The benchmark tools end a failed run with the error on one line and exit status 1, not a
//! backtrace, even with `RUST_BACKTRACE` set.

use std::process::Command;

#[test]
fn a_tool_that_fails_names_the_error_without_a_backtrace() {
    let out = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["--wicket", "/nonexistent/wicket", "--duration", "1"])
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("running loadgen");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("/nonexistent/wicket"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("backtrace"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
