//! Which audit events are news, and for whom: a new request for the approvers of its first
//! step, a decision for the requester, an ended grant for its holder, an anomaly, a new
//! access review campaign for its reviewers.

use serde_json::Value;
use wicket_core::{AuditEvent, Config, Subject};

use super::message::Notification;
use wicket_core::audit::EventKind;

/// The notification `event` gives rise to, if any.
pub fn notification(config: &Config, event: &AuditEvent) -> Option<Notification> {
    let details: Value = serde_json::from_str(&event.details).unwrap_or(Value::Null);
    let text = |key: &str| details[key].as_str().unwrap_or_default().to_string();
    let user = event
        .subject
        .as_deref()
        .and_then(|s| s.strip_prefix("user:"))
        .unwrap_or_default()
        .to_string();
    let request = event.request_id.as_deref().unwrap_or("?");
    let holder = || {
        if user.is_empty() {
            Vec::new()
        } else {
            vec![user.clone()]
        }
    };
    let (summary, recipients) = match EventKind::parse(&event.kind) {
        Some(EventKind::RequestCreated) => {
            let roles = roles_of(&details);
            let extends = text("extends");
            let mut summary = if extends.is_empty() {
                format!(
                    "{user} requests {roles} for {} under policy `{}`",
                    text("duration"),
                    text("policy")
                )
            } else {
                format!(
                    "{user} asks to extend grant `{extends}` of {roles} by {} (to {}) under policy `{}`",
                    text("duration"),
                    text("extended_to"),
                    text("policy")
                )
            };
            for (label, key) in [("reason", "reason"), ("ticket", "ticket")] {
                let value = text(key);
                if !value.is_empty() {
                    summary.push_str(&format!("; {label}: {value}"));
                }
            }
            if details["break_glass"].as_bool() == Some(true) {
                summary.push_str(" (break-glass)");
            }
            let extension = !extends.is_empty();
            (
                summary,
                approvers(config, &text("policy"), &user, extension),
            )
        }
        Some(EventKind::RequestApproved) => (
            format!(
                "{user}'s request `{request}` for {} was approved: access from {} until {}",
                roles_of(&details),
                text("starts_at"),
                text("expires_at")
            ),
            holder(),
        ),
        Some(EventKind::RequestDenied) => (
            format!("{user}'s request `{request}` was denied by {}", event.actor),
            holder(),
        ),
        Some(EventKind::RequestExpired) => (
            format!("{user}'s request `{request}` expired without a decision"),
            holder(),
        ),
        Some(EventKind::GrantExpired) => (
            format!(
                "{user}'s grant of role `{}` ended at {}",
                text("role"),
                text("expires_at")
            ),
            holder(),
        ),
        Some(EventKind::AnomalyFlagged) => {
            let what = ["summary", "rule"]
                .iter()
                .map(|k| text(k))
                .find(|s| !s.is_empty())
                .unwrap_or_else(|| "an anomaly".to_string());
            let severity = text("severity");
            let summary = if severity.is_empty() {
                format!(
                    "anomaly for {}: {what}",
                    event.subject.as_deref().unwrap_or("?")
                )
            } else {
                format!(
                    "{severity} anomaly for {}: {what}",
                    event.subject.as_deref().unwrap_or("?")
                )
            };
            (summary, holder())
        }
        Some(EventKind::ReviewStarted) => (
            format!(
                "access review `{}` started campaign `{}`: {} item(s) to certify or revoke by {}; \
                 review them on the /reviews page or with `wicket review list --pending`",
                text("review"),
                text("campaign"),
                details["items"].as_u64().unwrap_or(0),
                text("deadline")
            ),
            reviewers(config, &details),
        ),
        Some(EventKind::NotifyFailed) => (
            format!(
                "a `{}` notification to sink `{}` was given up after {} attempts: {}",
                text("notification"),
                text("sink"),
                details["attempts"].as_u64().unwrap_or(0),
                text("error")
            ),
            Vec::new(),
        ),
        _ => return None,
    };
    Some(Notification::of_event(
        event,
        &event.kind,
        summary,
        recipients,
    ))
}

/// `role-a, role-b` from a `roles` detail.
fn roles_of(details: &Value) -> String {
    let roles: Vec<&str> = details["roles"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if roles.is_empty() {
        "access".to_string()
    } else {
        roles.join(", ")
    }
}

/// The users who may approve a new request (an extension when `extension`) under `policy`
/// (its first step), never the requester themself.
fn approvers(config: &Config, policy: &str, requester: &str, extension: bool) -> Vec<String> {
    let Some(step) = config
        .policy(policy)
        .and_then(|p| p.steps_for(extension).first())
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for subject in &step.approvers {
        for user in config.users_of(subject) {
            if user != requester && !out.iter().any(|u| u == user) {
                out.push(user.to_string());
            }
        }
    }
    out
}

/// The users named by a `review.started` event's `reviewers` (users and groups), each once.
fn reviewers(config: &Config, details: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let subjects = details["reviewers"].as_array().into_iter().flatten();
    for subject in subjects.filter_map(|s| Subject::parse(s.as_str()?).ok()) {
        for user in config.users_of(&subject) {
            if !out.iter().any(|u| u == user) {
                out.push(user.to_string());
            }
        }
    }
    out.sort();
    out
}
