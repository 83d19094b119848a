//! A request's timeline from the audit log: its own events (created, reviews, decision,
//! grants, expiry, revocation, anomalies) and the uses of its grants (checks and gateway
//! statements that name a grant id), in chain order.

use maud::{Markup, html};
use serde_json::Value;
use wicket_core::{AuditEvent, Grant, Request};
use wicket_store::AuditFilter;

use super::fmt::{rich, when};
use crate::error::ApiResult;
use wicket_core::audit::EventKind;
use wicket_engine::app::App;

/// The most events read per source (the request, each grant); the audit page has the rest.
pub const PER_SOURCE: i64 = 200;

/// The events of `request` and of its grants, by `seq`, and whether some were left out.
pub async fn events(
    app: &App,
    request: &Request,
    grants: &[Grant],
) -> ApiResult<(Vec<AuditEvent>, bool)> {
    let mut filters = vec![AuditFilter {
        request_id: Some(request.id.clone()),
        limit: Some(PER_SOURCE),
        ..Default::default()
    }];
    filters.extend(grants.iter().map(|g| AuditFilter {
        grant_id: Some(g.id.clone()),
        limit: Some(PER_SOURCE),
        ..Default::default()
    }));
    let mut all = Vec::new();
    let mut truncated = false;
    for f in &filters {
        let page = app.store.list_events(f).await?;
        truncated |= page.len() as i64 >= PER_SOURCE;
        all.extend(page);
    }
    all.sort_by_key(|e| e.seq);
    all.dedup_by_key(|e| e.seq);
    Ok((all, truncated))
}

fn text<'a>(d: &'a Value, key: &str) -> &'a str {
    d.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A time from the details, as people read it (as stored when it does not parse).
fn at(d: &Value, key: &str) -> String {
    let raw = text(d, key);
    wicket_core::time::parse(raw).map_or_else(
        |_| raw.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn list(d: &Value, key: &str) -> String {
    d.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn target(e: &AuditEvent) -> Markup {
    html! { code { (e.action.as_deref().unwrap_or("?")) } " on " code { (e.resource.as_deref().unwrap_or("?")) } }
}

/// One event as a sentence.
pub fn describe(e: &AuditEvent) -> Markup {
    let d: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
    let grant = e.grant_id.as_deref().unwrap_or_default();
    html! {
        @match EventKind::parse(&e.kind) {
            Some(EventKind::RequestCreated) => {
                (e.actor) " requested " code { (list(&d, "roles")) } " for " (text(&d, "duration"))
                @if !text(&d, "reason").is_empty() { ": “" (text(&d, "reason")) "”" }
                @if !text(&d, "ticket").is_empty() { " (ticket " (text(&d, "ticket")) ")" }
                @if d.get("break_glass").and_then(Value::as_bool) == Some(true) { " — break-glass" }
            }
            Some(EventKind::ReviewAdded) => {
                (e.actor) " " (if e.decision.as_deref() == Some("approve") { "approved" } else { "denied" })
                " step " (d.get("step").map(ToString::to_string).unwrap_or_default())
                @if !text(&d, "comment").is_empty() { ": “" (text(&d, "comment")) "”" }
            }
            Some(EventKind::RequestApproved) => { "Approved; access from " (at(&d, "starts_at")) " to " (at(&d, "expires_at")) }
            Some(EventKind::RequestDenied) => { "Denied by " (e.actor) }
            Some(EventKind::RequestCancelled) => { "Cancelled by " (e.actor) }
            Some(EventKind::RequestExpired) => { "Expired without a decision" }
            Some(EventKind::GrantActivated) => { "Grant " code { (grant) } " of " code { (text(&d, "role")) } " active until " (at(&d, "expires_at")) }
            Some(EventKind::GrantExpired) => { "Grant " code { (grant) } " of " code { (text(&d, "role")) } " expired" }
            Some(EventKind::GrantRevoked) => { (e.actor) " revoked grant " code { (grant) } ": " (text(&d, "reason")) }
            Some(EventKind::CheckAllowed) if wicket_core::audit::dry_run_in(&d) => { "Checked (a question, not a use): " (target(e)) " by " (e.subject.as_deref().unwrap_or(&e.actor)) }
            Some(EventKind::CheckAllowed) => { "Used: " (target(e)) " by " (e.subject.as_deref().unwrap_or(&e.actor)) }
            Some(EventKind::CheckDenied) => { "Denied: " (target(e)) " for " (e.subject.as_deref().unwrap_or(&e.actor)) }
            Some(EventKind::AnomalyFlagged) => {
                "Anomaly (" (text(&d, "severity")) ", " (text(&d, "rule")) "): " (rich(text(&d, "summary")))
            }
            Some(EventKind::GatewayStatement) => { "Statement: " (target(e)) " — " (e.decision.as_deref().unwrap_or("?")) }
            Some(EventKind::GatewaySessionStarted | EventKind::GatewaySessionEnded) => {
                "Gateway session " (if e.kind.ends_with("started") { "started" } else { "ended" })
                " for " (e.subject.as_deref().unwrap_or(&e.actor))
                @if let Some(r) = &e.resource { " on " code { (r) } }
            }
            Some(EventKind::SshSessionStarted) => {
                "SSH session " code { (text(&d, "session")) } " opened as " code { (text(&d, "login")) }
                @if let Some(r) = &e.resource { " on " code { (r) } }
            }
            Some(EventKind::SshExec) => { "SSH " (text(&d, "request")) ": " code { (text(&d, "command")) } }
            Some(EventKind::SshSessionEnded) => {
                "SSH session " code { (text(&d, "session")) } " ended (" (text(&d, "reason")) ") · "
                a.replay href=(format!("/ssh/sessions/{}", text(&d, "session"))) { "Replay the recording" }
            }
            Some(EventKind::TokenCreated) => {
                (e.actor) " created token " code { (text(&d, "token_id")) } " for " (e.subject.as_deref().unwrap_or("?"))
                @if !text(&d, "expires_at").is_empty() { ", valid until " (at(&d, "expires_at")) }
            }
            Some(EventKind::TokenRevoked) => { (e.actor) " revoked token " code { (text(&d, "token_id")) } " of " (e.subject.as_deref().unwrap_or("?")) }
            Some(EventKind::PolicyLoaded) => {
                "Configuration " code { (text(&d, "file")) } " loaded: " (d.get("roles").map(ToString::to_string).unwrap_or_default())
                " roles, " (d.get("policies").map(ToString::to_string).unwrap_or_default()) " policies"
            }
            _ => {
                (e.kind) " by " (e.actor)
                @if let Some(s) = &e.subject { " about " (s) }
            }
        }
    }
}

/// The timeline as an ordered list.
pub fn render(events: &[AuditEvent], truncated: bool, request_id: &str) -> Markup {
    html! {
        @if events.is_empty() { p.empty { "No events yet." } }
        ol.timeline {
            @for e in events {
                li class=(format!("ev {}", e.kind.replace('.', "-"))) data-kind=(e.kind) {
                    span.when { (when(e.at)) }
                    span.kind { (e.kind) }
                    span.what { (describe(e)) }
                }
            }
        }
        @if truncated {
            p.hint { "Only the first " (PER_SOURCE) " events of each source are shown; "
                a href=(format!("/audit?request_id={request_id}")) { "the audit log has them all" } "." }
        }
    }
}
