//! Exit codes and how a failed command is shown: `error: MESSAGE` on stderr, exit 2.

use std::io;
use std::process::ExitCode;

use crate::client::ApiFailure;
use crate::output::Format;

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

/// Prints `error: ...` with the whole cause chain (under `--output json`, the API's error
/// shape, `{"error": {"code", "message"}}`, with the API's code when the server refused) and
/// returns exit code 2. A reader that went away (`wicket audit export | head`) is not an
/// error worth a message.
pub fn report(e: &anyhow::Error, format: Format) -> ExitCode {
    if is_broken_pipe(e) {
        return ExitCode::SUCCESS;
    }
    match format {
        Format::Human => eprintln!("error: {}", message(e)),
        Format::Json => eprintln!("{}", as_json(e)),
    }
    ExitCode::from(ERROR)
}

/// `{"error": {"code", "message"}}`: the API's code, or `cli_error` for a failure of the
/// command itself (no server answer, a bad file, a bad value).
fn as_json(e: &anyhow::Error) -> serde_json::Value {
    let code = e
        .chain()
        .find_map(|c| c.downcast_ref::<ApiFailure>())
        .map_or("cli_error", |f| f.code.as_str());
    serde_json::json!({ "error": { "code": code, "message": message(e) } })
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

    #[test]
    fn json_errors_carry_the_api_code() {
        let e = anyhow::Error::new(ApiFailure {
            code: "request_not_found".into(),
            message: "no request `req_x`".into(),
        });
        assert_eq!(
            as_json(&e),
            serde_json::json!({"error": {"code": "request_not_found", "message": "no request `req_x`"}})
        );
        let local = anyhow::anyhow!("configuration file `x` not found");
        assert_eq!(as_json(&local)["error"]["code"], "cli_error");
    }
}
