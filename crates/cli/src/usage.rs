//! Usage errors as clap prints them, minus the options the environment filled in: with
//! `WICKET_TOKEN` set, clap's `Usage:` line would read `wicket check --token <TOKEN> ...` as if
//! the option had to be typed.

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
    eprint!("{}", without_env(&e.render().to_string()));
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
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
}
