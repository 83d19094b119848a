//! Anomalies flagged during access windows, for holders of `wicket:audit.read`.

use std::collections::HashMap;

use crate::error::ApiError;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::html;
use wicket_core::anomaly::MONITOR_ACTOR;
use wicket_core::{Anomaly, Grant, Power, Severity};
use wicket_engine::monitor::revoke_reason;
use wicket_store::{AnomalyFilter, GrantFilter};

use super::error::UiResult;
use super::extract::{FormData, Viewer};
use super::fmt::{badge, rich, when};
use super::layout::{Chrome, Nav, framed_error, page, respond};
use wicket_engine::app::App;

const LIMIT: i64 = 200;

pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> UiResult<Response> {
    let chrome = Chrome::load(&app, &viewer, Nav::Anomalies).await;
    if let Err(e) = app
        .require_power(&viewer.user, Power::AuditRead)
        .map_err(ApiError::from)
    {
        return Ok(framed_error(&chrome, e.status, &e.message));
    }
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let severity = q.text("severity").and_then(|s| Severity::parse(&s).ok());
    let items = app
        .store
        .list_anomalies(&AnomalyFilter {
            severity,
            limit: Some(LIMIT),
            ..Default::default()
        })
        .await?;
    let revoked = revocations(&app, &items).await?;
    let body = html! {
        form.filters method="get" action="/anomalies" {
            div.field {
                label for="severity" { "Severity" }
                select #severity name="severity" {
                    option value="" { "any" }
                    @for s in [Severity::High, Severity::Medium, Severity::Low] {
                        option value=(s.as_str()) selected[severity == Some(s)] { (s.as_str()) }
                    }
                }
            }
            div.buttons { button.primary type="submit" { "Filter" } }
        }
        @if items.is_empty() { p.empty { "No anomalies flagged." } }
        ul.anomalies {
            @for a in &items {
                li.card {
                    div.line { (badge(a.severity.as_str())) " " code { (a.rule) } " · " (a.subject) " · " (when(a.at)) }
                    p { (rich(&a.summary)) }
                    @for g in revoked.get(&a.id).map_or(&[][..], Vec::as_slice) {
                        p.revoked data-revoked=(g.id) {
                            "Revoked grant "
                            a href=(format!("/requests/{}", g.request_id)) { code { (g.id) } }
                            " (" code { (g.role) } ") of " (g.user)
                            @if let Some(at) = g.revoked_at { " at " (when(at)) }
                            ", as this rule has " code { "revoke = true" } "."
                        }
                    }
                    p.hint {
                        @if let Some(r) = &a.request_id { a href=(format!("/requests/{r}")) { "request" } " " }
                        @if let Some(g) = &a.grant_id { a href=(format!("/audit?grant_id={g}")) { "grant events" } }
                    }
                }
            }
        }
    };
    Ok(respond(
        axum::http::StatusCode::OK,
        page(&chrome, "Anomalies", body),
    ))
}

/// The grants each anomaly revoked (rules with `revoke = true`): the monitor's revocations of
/// the anomaly's user whose reason is the one it gives for that anomaly.
async fn revocations(
    app: &App,
    items: &[Anomaly],
) -> Result<HashMap<String, Vec<Grant>>, wicket_store::StoreError> {
    let revoking = |rule: &str| {
        app.config
            .anomalies
            .iter()
            .any(|r| r.name == rule && r.revoke)
    };
    let mut by_user: HashMap<String, Vec<Grant>> = HashMap::new();
    let mut out: HashMap<String, Vec<Grant>> = HashMap::new();
    for a in items.iter().filter(|a| revoking(&a.rule)) {
        let Some(user) = a.subject.strip_prefix("user:") else {
            continue;
        };
        if !by_user.contains_key(user) {
            let grants = app
                .store
                .list_grants(&GrantFilter {
                    user: Some(user.to_string()),
                    limit: Some(LIMIT),
                    ..GrantFilter::default()
                })
                .await?
                .into_iter()
                .filter(|g| g.revoked_by.as_deref() == Some(MONITOR_ACTOR))
                .collect();
            by_user.insert(user.to_string(), grants);
        }
        let reason = revoke_reason(&a.rule, &a.summary);
        let mine: Vec<Grant> = by_user[user]
            .iter()
            .filter(|g| g.revoke_reason.as_deref() == Some(reason.as_str()))
            .cloned()
            .collect();
        if !mine.is_empty() {
            out.insert(a.id.clone(), mine);
        }
    }
    Ok(out)
}
