//! Turning transport failures and API error bodies into messages that say what went wrong and
//! what to do.

use std::io;

use anyhow::anyhow;
use reqwest::StatusCode;
use serde_json::Value;

/// The server could not be reached, or stopped answering.
pub fn transport(server: &str, e: &reqwest::Error) -> anyhow::Error {
    let cause = root_cause(e);
    if cause.contains("certificate") {
        return anyhow!(
            "the wicket server at `{server}` presented a certificate this client does not trust \
             ({cause}); pass its CA with `--ca FILE` or set `WICKET_CA`"
        );
    }
    // A TLS hello answered in plain HTTP: rustls reads the reply as a corrupt record.
    if server.starts_with("https://")
        && [
            "corrupt message",
            "InvalidContentType",
            "wrong version number",
        ]
        .iter()
        .any(|m| cause.contains(m))
    {
        return anyhow!(
            "the server at `{server}` does not speak TLS; it looks like a plain HTTP server, so use `{}`",
            server.replacen("https://", "http://", 1)
        );
    }
    if e.is_connect() {
        return anyhow!(
            "cannot reach the wicket server at `{server}` ({cause}); start one with `wicket serve`, \
             or point `--server` or `WICKET_SERVER` at a running one"
        );
    }
    if e.is_timeout() {
        return anyhow!("the wicket server at `{server}` did not answer in time");
    }
    anyhow!("talking to the wicket server at `{server}` failed: {cause}")
}

/// The deepest cause, in words: `connection refused`, `dns error: ...`.
fn root_cause(e: &reqwest::Error) -> String {
    let mut deepest: &dyn std::error::Error = e;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    if let Some(io) = deepest.downcast_ref::<io::Error>() {
        match io.kind() {
            io::ErrorKind::ConnectionRefused => return "connection refused".into(),
            io::ErrorKind::ConnectionReset => return "connection reset".into(),
            io::ErrorKind::TimedOut => return "timed out".into(),
            _ => {}
        }
    }
    lowercase_first(&deepest.to_string())
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An error answer of the API: its `code`, and the message to show.
#[derive(Debug)]
pub struct ApiFailure {
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiFailure {}

/// A 4xx/5xx: the message of `{"error": {"code", "message"}}`, with a hint for 401; the
/// code travels with it (`--output json` prints it).
pub fn api(server: &str, status: StatusCode, body: &[u8]) -> anyhow::Error {
    let error = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").cloned());
    let text = |key: &str| {
        error
            .as_ref()
            .and_then(|e| e.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let Some(message) = text("message") else {
        return anyhow!(
            "the server at `{server}` answered {status} without a wicket error; is it a wicket server?"
        );
    };
    let message = if status == StatusCode::UNAUTHORIZED {
        format!(
            "{message}; check `--token` or `WICKET_TOKEN` (mint one with `wicket token create USER`)"
        )
    } else {
        message
    };
    anyhow::Error::new(ApiFailure {
        code: text("code").unwrap_or_else(|| "error".into()),
        message,
    })
}

/// A 2xx whose body is not JSON.
pub fn not_json(server: &str, status: StatusCode) -> anyhow::Error {
    anyhow!(
        "the server at `{server}` answered {status} with something other than JSON; is it a wicket server?"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_show_the_message() {
        let body = br#"{"error":{"code":"not_found","message":"no request `req_x`"}}"#;
        assert_eq!(
            api("http://h", StatusCode::NOT_FOUND, body).to_string(),
            "no request `req_x`"
        );
        let e = api(
            "http://h",
            StatusCode::UNAUTHORIZED,
            br#"{"error":{"code":"x","message":"the token is not valid"}}"#,
        );
        assert!(e.to_string().contains("WICKET_TOKEN"));
        assert!(
            api("http://h", StatusCode::BAD_GATEWAY, b"<html>")
                .to_string()
                .contains("502")
        );
    }
}
