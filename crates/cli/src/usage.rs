//! Usage errors as clap prints them, minus the options the environment filled in: with
//! `WICKET_TOKEN` set, clap's `Usage:` line would read `wicket check --token <TOKEN> ...` as if
//! the option had to be typed. Under `--output json` the error is the same JSON object on
//! stderr as every other error, with the code `invalid_usage`.

use std::process::ExitCode;

/// The global options that take their value from a `WICKET_*` variable.
const FROM_ENV: [&str; 5] = [
    " --server <URL>",
    " --token <TOKEN>",
    " --ca <FILE>",
    " --config <FILE>",
    " --database <URL>",
];

/// Prints clap's error (help and version as they are) and returns its exit code.
pub fn report(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        // `--help` and `--version`: clap's own output, colours and all.
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = without_env(&e.render().to_string());
    if wants_json(std::env::args()) {
        eprintln!("{}", as_json(&text));
    } else {
        eprint!("{text}");
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// True when the command line asks for JSON (`--output json` or `--output=json`), read from
/// the raw arguments since parsing them is what failed.
fn wants_json(args: impl Iterator<Item = String>) -> bool {
    let mut previous_was_output = false;
    for arg in args {
        if arg == "--" {
            return false;
        }
        if (previous_was_output && arg == "json") || arg == "--output=json" {
            return true;
        }
        previous_was_output = arg == "--output";
    }
    false
}

/// The error shape of every failed command: `{"error": {"code", "message"}}`.
fn as_json(text: &str) -> serde_json::Value {
    let message = text
        .trim()
        .strip_prefix("error: ")
        .unwrap_or(text.trim())
        .to_string();
    serde_json::json!({ "error": { "code": "invalid_usage", "message": message } })
}

/// `text` with the environment's options taken out of its `Usage:` lines.
fn without_env(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("Usage:") {
                FROM_ENV
                    .iter()
                    .fold(line.to_string(), |l, opt| l.replace(opt, ""))
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_lines_lose_the_environments_options_only() {
        let text = "error: the following required arguments were not provided:\n  <RESOURCE>\n\nUsage: wicket check --token <TOKEN> --config <FILE> <ACTION> <RESOURCE>\n\nFor more information, try '--help'.";
        let out = without_env(text);
        assert!(
            out.contains("Usage: wicket check <ACTION> <RESOURCE>\n"),
            "{out}"
        );
        assert!(out.contains("  <RESOURCE>\n"), "{out}");
    }

    #[test]
    fn json_is_asked_for_with_either_spelling_and_not_after_a_double_dash() {
        let args = |a: &[&str]| {
            a.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert!(wants_json(args(&["wicket", "check", "--output", "json"])));
        assert!(wants_json(args(&["wicket", "--output=json", "check"])));
        assert!(!wants_json(args(&["wicket", "check", "json"])));
        assert!(!wants_json(args(&["wicket", "--", "--output", "json"])));
        let e = as_json("error: unexpected argument 'x' found\n\nUsage: wicket check\n");
        assert_eq!(e["error"]["code"], "invalid_usage");
        assert_eq!(
            e["error"]["message"],
            "unexpected argument 'x' found\n\nUsage: wicket check"
        );
    }
}
