//! Shell completions and manual pages, generated from the parser's own definitions, tried in
//! the real shells and rendered by the real `groff`.

use std::path::Path;
use std::process::Command;

use crate::support::{run, wicket};

/// `script` run by `shell` with the `wicket` under test first on PATH; its stdout.
fn in_shell(shell: &str, args: &[&str]) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_wicket")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(shell)
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap_or_else(|e| {
            panic!("running `{shell}`: {e}; the completion tests need the Debian packages bash, zsh and fish (scripts/setup.sh installs them)")
        });
    assert!(
        out.status.success(),
        "{shell} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completes_commands_and_subcommands() {
    let words = in_shell(
        "bash",
        &[
            "-c",
            r#"source <(wicket completion bash)
               COMP_WORDS=(wicket req); COMP_CWORD=1; COMP_LINE="wicket req"; COMP_POINT=${#COMP_LINE}
               _wicket wicket req wicket; printf '%s\n' "${COMPREPLY[@]}"
               COMP_WORDS=(wicket request c); COMP_CWORD=2; COMP_LINE="wicket request c"; COMP_POINT=${#COMP_LINE}
               _wicket wicket c request; printf '%s\n' "${COMPREPLY[@]}""#,
        ],
    );
    let words: Vec<&str> = words.lines().collect();
    assert_eq!(words, ["request", "create", "cancel"]);
}

#[test]
fn fish_completes_with_the_commands_descriptions() {
    let out = in_shell(
        "fish",
        &[
            "-c",
            r#"wicket completion fish | source; complete -C "wicket req"; complete -C "wicket grant ""#,
        ],
    );
    assert!(
        out.contains("request\tAsk for access, and review other people's requests"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("revoke\t")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("list\t")), "{out}");
}

#[test]
fn zsh_loads_the_completion_function() {
    let out = in_shell(
        "zsh",
        &[
            "-c",
            "autoload -U compinit; compinit -u -D; source <(wicket completion zsh); print $_comps[wicket]; whence -w _wicket",
        ],
    );
    assert_eq!(out, "_wicket\n_wicket: function\n");
}

#[test]
fn an_unknown_shell_is_named_with_the_ones_there_are() {
    let out = wicket(&["completion", "powershell"]).expect_code(2);
    out.expect_stderr("powershell");
    out.expect_stderr("bash, zsh, fish");
}

#[test]
fn the_manual_page_renders_and_covers_every_command() {
    let out = wicket(&["man"]).expect_code(0);
    assert!(out.stdout.contains(".TH wicket 1"), "{}", out.stdout);
    // groff renders it without a warning.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("wicket.1");
    std::fs::write(&page, &out.stdout).unwrap();
    let rendered = run(Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .arg(&page))
    .expect_code(0);
    assert!(rendered.stderr.is_empty(), "{rendered:?}");
    assert!(
        rendered
            .stdout
            .contains("least-privilege access to production")
            || rendered
                .stdout
                .contains("least‐privilege access to production"),
        "{rendered:?}"
    );
    // One page per command, each naming its own options.
    let pages = dir.path().join("man1");
    let out = wicket(&["man", "--out", pages.to_str().unwrap()]).expect_code(0);
    out.expect_stdout("manual pages");
    for (name, option) in [
        ("wicket-request-create.1", "wait"),
        ("wicket-grant-revoke.1", "reason"),
        ("wicket-audit-verify.1", "checkpoints"),
        ("wicket-completion.1", "shell"),
    ] {
        let text =
            std::fs::read_to_string(pages.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(option), "{name} lacks `{option}`");
    }
}
