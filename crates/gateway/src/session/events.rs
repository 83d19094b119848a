//! The audit events of the gateway: `gateway.session.started|ended`, one `gateway.statement`
//! per statement (allowed or denied), and `check.denied` for a refused connection.

use serde_json::Value;
use wicket_core::audit::{EventBuilder, EventKind};
use wicket_core::{Decision, NewEvent, Time};
use wicket_engine::App;
use wicket_engine::ids::new_id;

use super::Session;
use super::inflight::{Done, Outcome};
use crate::sql::Access;
use crate::target::Target;

/// At most `max` bytes of `text`, cut at a character boundary.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A statement's text as the audit log keeps it: passwords redacted, then at most `max` bytes.
pub fn recorded(text: &str, max: usize) -> String {
    truncate(&crate::sql::redact(text), max)
}

fn base(s: &Session, kind: EventKind, at: Time) -> EventBuilder {
    EventBuilder::new(new_id("ev"), at, &s.user, kind)
        .subject(format!("user:{}", s.user))
        .detail("session", s.id.clone())
        .detail("target", s.target.config.name.clone())
}

/// The resource an event names: the first table's, else the target's.
fn resource(s: &Session, accesses: &[Access]) -> String {
    let resources = &s.target.resources;
    accesses
        .iter()
        .find_map(|a| a.table.as_ref())
        .and_then(|t| resources.of(t).ok())
        .map_or_else(|| resources.target().to_string(), |r| r.to_string())
}

fn tables(accesses: &[Access]) -> Value {
    let mut out: Vec<String> = Vec::new();
    for t in accesses.iter().filter_map(|a| a.table.as_ref()) {
        let name = t.to_string();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Value::from(out)
}

fn actions(accesses: &[Access]) -> Value {
    let mut out: Vec<&str> = accesses.iter().map(|a| a.action.as_str()).collect();
    out.sort_unstable();
    out.dedup();
    Value::from(out)
}

/// A statement that ran (or was skipped after an earlier error). Takes `done`, whose text and
/// names go into the event as they are.
pub fn statement(s: &Session, done: Done, at: Time) -> NewEvent {
    let Done {
        run,
        outcome,
        elapsed,
        masked,
    } = done;
    let (outcome, rows) = match outcome {
        Outcome::Ok { rows } => (Value::from("ok"), rows.map_or(Value::Null, Value::from)),
        Outcome::Error { code } => (Value::from(format!("error {code}")), Value::Null),
        Outcome::NotRun => (Value::from("not run"), Value::Null),
        Outcome::Suspended => (Value::from("suspended"), Value::Null),
    };
    let mut e = base(s, EventKind::GatewayStatement, at)
        .action(run.kind.as_str())
        .resource(resource(s, &run.accesses))
        .decision("allow")
        .detail("statement_bytes", run.text_bytes)
        .detail("tables", tables(&run.accesses))
        .detail("actions", actions(&run.accesses))
        .detail("statement", run.text)
        .detail("protocol", run.protocol)
        .detail("outcome", outcome)
        .detail("rows", rows)
        .detail("duration_us", elapsed.as_micros() as u64);
    if matches!(run.shape.command.as_str(), "DELETE" | "UPDATE") {
        e = e.detail("unfiltered", run.shape.unfiltered);
    }
    if !run.shape.command.is_empty() {
        e = e.detail("command", run.shape.command);
    }
    if !masked.is_empty() {
        e = e.detail("masked", Value::from(masked));
    }
    if let Some(g) = run.grant {
        e = e.grant(g);
    }
    e.build()
}

/// A statement the gateway refused; it never reached the database.
pub fn denied(
    s: &Session,
    text: &str,
    accesses: &[Access],
    kind: Option<&str>,
    reason: &str,
    at: Time,
) -> NewEvent {
    base(s, EventKind::GatewayStatement, at)
        .action(kind.unwrap_or("unclassified"))
        .resource(resource(s, accesses))
        .decision("deny")
        .detail(
            "statement",
            recorded(text, s.target.config.statement_max_bytes),
        )
        .detail("statement_bytes", text.len())
        .detail("tables", tables(accesses))
        .detail("actions", actions(accesses))
        .detail("reason", reason.to_string())
        .build()
}

pub fn started(s: &Session, peer: &str, application: &str, at: Time) -> NewEvent {
    let mut e = base(s, EventKind::GatewaySessionStarted, at)
        .action("db:connect")
        .resource(s.target.config.resource.to_string())
        .decision("allow")
        .detail("client", peer.to_string())
        .detail("application_name", application.to_string())
        .detail("read_only", s.read_only)
        .detail("upstream", if s.reused { "reused" } else { "new" });
    if let Some(pid) = s.backend_pid {
        e = e.detail("backend_pid", pid);
    }
    if let Some(g) = &s.grant {
        e = e.grant(g.clone());
    }
    e.build()
}

pub fn ended(
    s: &Session,
    reason: &str,
    statements: u64,
    denied: u64,
    seconds: f64,
    at: Time,
) -> NewEvent {
    let mut e = base(s, EventKind::GatewaySessionEnded, at)
        .resource(s.target.config.resource.to_string())
        .detail("reason", reason.to_string())
        .detail("statements", statements)
        .detail("denied", denied)
        .detail("seconds", (seconds * 1000.0).round() / 1000.0);
    if let Some(g) = &s.grant {
        e = e.grant(g.clone());
    }
    e.build()
}

/// A connection refused for want of `db:connect`, recorded as the check it was.
pub async fn connect_denied(app: &App, user: &str, target: &Target, d: &Decision, at: Time) {
    let event = EventBuilder::new(new_id("ev"), at, user, EventKind::CheckDenied)
        .subject(format!("user:{user}"))
        .action("db:connect")
        .resource(target.config.resource.to_string())
        .decision("deny")
        .detail("reason", d.reason.clone())
        .detail("via", "gateway")
        .detail("target", target.config.name.clone())
        .build();
    if let Err(e) = app.audit.append(event).await {
        tracing::error!(error = %e, "recording a refused gateway connection failed");
    }
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("select 1", 100), "select 1");
        assert_eq!(truncate("héllo", 2), "h…");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}
