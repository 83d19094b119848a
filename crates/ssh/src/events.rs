//! The SSH gateway's audit events: `ssh.session.started|ended` (the end seals the recording
//! with its SHA-256) and `ssh.exec` for each command or subsystem, with its text.

use wicket_core::NewEvent;
use wicket_core::audit::{EventBuilder, EventKind};
use wicket_engine::app::now;
use wicket_engine::ids::new_id;

use crate::handler::Shared;

/// Longest command text kept in an event.
const COMMAND_MAX: usize = 4096;

fn base(s: &Shared, kind: EventKind) -> Option<EventBuilder> {
    let who = s.who()?;
    let mut e = EventBuilder::new(new_id("ev"), now(), &who.user, kind)
        .subject(format!("user:{}", who.user))
        .action(wicket_engine::ssh::LOGIN)
        .resource(s.resource(&who.login))
        .detail("session", s.id.clone())
        .detail("target", s.target.config.name.clone())
        .detail("login", who.login.clone());
    if let Some(g) = &who.grant {
        e = e.grant(g.clone());
    }
    Some(e)
}

pub fn started(s: &Shared) -> Option<NewEvent> {
    let who = s.who()?;
    Some(
        base(s, EventKind::SshSessionStarted)?
            .decision("allow")
            .detail("client", s.peer.to_string())
            .detail("method", who.method)
            .detail("recording", s.recording_path())
            .build(),
    )
}

pub fn exec(s: &Shared, what: &str, text: &str) -> Option<NewEvent> {
    let mut text = text.to_string();
    if text.len() > COMMAND_MAX {
        let mut end = COMMAND_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    Some(
        base(s, EventKind::SshExec)?
            .decision("allow")
            .detail("request", what.to_string())
            .detail("command", text)
            .build(),
    )
}

pub fn ended(
    s: &Shared,
    reason: &str,
    sha256: Result<String, String>,
    seconds: f64,
) -> Option<NewEvent> {
    let mut e = base(s, EventKind::SshSessionEnded)?
        .detail("reason", reason.to_string())
        .detail("seconds", (seconds * 1000.0).round() / 1000.0)
        .detail("recording", s.recording_path());
    e = match sha256 {
        Ok(h) => e.detail("recording_sha256", h),
        Err(why) => e.detail("recording_error", why),
    };
    Some(e.build())
}
