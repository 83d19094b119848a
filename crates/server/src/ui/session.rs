//! The player of an SSH session's recording, reached from the request's timeline: the
//! session's facts from its `ssh.session.ended` event, whether the recording still matches the
//! SHA-256 that event sealed, and the output replayed at its recorded pace by the page script
//! (compiled into the binary, no CDN). Auditors and the session's own user may watch it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{PreEscaped, html};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wicket_core::Power;
use wicket_engine::app::App;

use super::error::{UiError, UiResult};
use super::extract::Viewer;
use super::fmt::when;
use super::layout::{Chrome, Nav, framed_error, page, respond};

/// Recordings larger than this are replayed with `wicket ssh replay` instead.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> UiResult<Response> {
    let chrome = Chrome::load(&app, &viewer, Nav::None).await;
    let unknown = || {
        UiError::page(
            StatusCode::NOT_FOUND,
            "Not found",
            format!(
                "no ended SSH session `{id}` in the audit log (an open session has no sealed recording yet)"
            ),
        )
    };
    if id.is_empty()
        || id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(unknown());
    }
    let ended = wicket_engine::ssh::recordings::ended_event(app.store.as_ref(), &id)
        .await
        .map_err(crate::error::ApiError::from)?
        .ok_or_else(unknown)?;
    if ended.actor != viewer.user && !app.has_power(&viewer.user, Power::AuditRead) {
        let message = format!(
            "`{}` may not watch session `{id}` of `{}`; that takes `{}`",
            viewer.user,
            ended.actor,
            Power::AuditRead
        );
        return Ok(framed_error(&chrome, StatusCode::FORBIDDEN, &message));
    }
    let d: Value = serde_json::from_str(&ended.details).unwrap_or(Value::Null);
    let text = |k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let path = text("recording");
    let sealed = text("recording_sha256");
    let read = match std::fs::metadata(&path) {
        Ok(m) if m.len() > MAX_BYTES => Err(format!(
            "the recording is {} MiB, more than a page plays; replay it with `wicket ssh replay {id}`",
            m.len() / (1024 * 1024)
        )),
        Ok(_) => std::fs::read(&path).map_err(|e| format!("`{path}` cannot be read here: {e}")),
        Err(e) => Err(format!(
            "`{path}` is not on this server ({e}); replay it where the SSH gateway wrote it"
        )),
    };
    let frames = read.as_ref().ok().map(|bytes| frames(bytes));
    let matches = read
        .as_ref()
        .ok()
        .map(|bytes| hex::encode(Sha256::digest(bytes)) == sealed);
    let body = html! {
        dl.facts {
            dt { "Session" } dd { code { (id) } }
            dt { "User" } dd { (ended.actor) }
            dt { "Login" } dd { code { (text("login")) } " on " code { (ended.resource.as_deref().unwrap_or("?")) } }
            @if let Some(g) = &ended.grant_id { dt { "Grant" } dd { a href=(format!("/audit?grant_id={g}")) { code { (g) } } } }
            dt { "Ended" } dd { (when(ended.at)) " (" (text("reason")) ")" }
        }
        @match (&read, matches) {
            (Err(why), _) => { p.problem role="alert" { (why) } }
            (Ok(_), Some(true)) => {
                p.chain.ok #recording-status { "The recording matches the SHA-256 sealed in the audit log at seq " (ended.seq) "." }
            }
            (Ok(_), _) => {
                p.problem #recording-status role="alert" { "The recording has changed since the session ended: it no longer matches the SHA-256 sealed in the audit log at seq " (ended.seq) ". What plays below is not what the session showed." }
            }
        }
        @if let Some(frames) = &frames {
            div.player-controls {
                button #player-play type="button" { "Play" }
                label for="player-speed" { "Speed" }
                select #player-speed {
                    option value="1" selected { "1×" }
                    option value="2" { "2×" }
                    option value="8" { "8×" }
                    option value="0" { "all at once" }
                }
            }
            pre #player-screen data-state="idle" aria-live="off" {}
            script #player-data type="application/json" { (PreEscaped(frames)) }
            p.hint { "Output only, as the terminal received it, with pauses over two seconds shortened. "
                code { "wicket ssh replay " (id) } " plays it in a terminal." }
        }
    };
    Ok(respond(StatusCode::OK, page(&chrome, "SSH session", body)))
}

/// The recording's output events as a JSON array of `[seconds, text]`, safe inside a
/// `<script>` element (`<` written as `\u003c`).
fn frames(cast: &[u8]) -> String {
    let text = String::from_utf8_lossy(cast);
    let out: Vec<Value> = text
        .lines()
        .skip(1)
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|e| e.get(1).and_then(Value::as_str) == Some("o"))
        .filter_map(|e| {
            Some(serde_json::json!([
                e.get(0)?.as_f64()?,
                e.get(2)?.as_str()?
            ]))
        })
        .collect();
    Value::Array(out).to_string().replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::frames;

    #[test]
    fn output_frames_are_kept_and_cannot_close_the_script() {
        let cast = "{\"version\":2,\"width\":80,\"height\":24}\n[0.5,\"o\",\"hi </script>\"]\n[0.7,\"i\",\"typed\"]\n[1.0,\"o\",\"\\r\\n\"]\n";
        assert_eq!(
            frames(cast.as_bytes()),
            "[[0.5,\"hi \\u003c/script>\"],[1.0,\"\\r\\n\"]]"
        );
    }
}
