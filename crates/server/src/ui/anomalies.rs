//! Anomalies flagged during access windows, for holders of `wicket:audit.read`.

use crate::error::ApiError;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::html;
use wicket_core::{Power, Severity};
use wicket_store::AnomalyFilter;

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
