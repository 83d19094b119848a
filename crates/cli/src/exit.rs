//! Exit codes and how a failed command is shown: `error: MESSAGE` on stderr, exit 2.

use std::io;
use std::process::ExitCode;

/// The answer of a command that ran to the end: yes (exit 0) or no (exit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Yes,
    No,
}

impl Verdict {
    pub fn from_bool(yes: bool) -> Verdict {
        if yes { Verdict::Yes } else { Verdict::No }
    }

    pub fn code(self) -> ExitCode {
        match self {
            Verdict::Yes => ExitCode::SUCCESS,
            Verdict::No => ExitCode::from(1),
        }
    }
}

/// The exit code of every error: bad usage, an unreachable server, an HTTP error.
const ERROR: u8 = 2;

/// Prints `error: ...` with the whole cause chain and returns exit code 2. A reader that went
/// away (`wicket audit export | head`) is not an error worth a message.
pub fn report(e: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(e) {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {}", message(e));
    ExitCode::from(ERROR)
}

/// The cause chain joined with `: `, leaving out a cause whose text is already shown (some
/// errors repeat their source in their own message).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_causes_are_shown_once() {
        let e = anyhow::anyhow!("disk full")
            .context("writing `x`: disk full")
            .context("saving");
        assert_eq!(message(&e), "saving: writing `x`: disk full");
    }
}
