//! The audit log for holders of `wicket:audit.read`: the chain's status, a filterable page of
//! events, and an export of everything the filter matches as JSON lines.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use wicket_core::{AuditEvent, Power};
use wicket_store::AuditFilter;

use super::error::{UiError, UiResult};
use super::extract::{FormData, Viewer};
use super::fmt::{Problem, Slot, when};
use super::layout::{Chrome, Nav, framed_error, page, respond};
use super::timeline::describe;
use crate::error::ApiError;
use wicket_core::audit::EventKind;
use wicket_engine::app::App;
use wicket_engine::verify::{VerifyReport, verify_chain};

/// Events per page.
const PAGE: i64 = 100;
/// Events per export; continue with `after` for more.
const MAX_EXPORT: usize = 100_000;
const FIELDS: [&str; 6] = ["actor", "kind", "request_id", "grant_id", "after", "before"];

/// A sequence number from the query; a bad one is a problem for that field.
fn seq(q: &FormData, field: &'static str) -> Result<Option<i64>, Problem> {
    match q.text(field) {
        None => Ok(None),
        Some(a) => a.parse::<i64>().map(Some).map_err(|_| Problem {
            form: "filter".into(),
            field: Some(field),
            message: format!("`{a}` is not a sequence number; give a whole number like `120`"),
            status: StatusCode::BAD_REQUEST,
        }),
    }
}

/// The filter the query names: newest first (paging back with `before`), unless `after`
/// asks to read forward from a sequence number.
fn filter(q: &FormData) -> Result<AuditFilter, Problem> {
    let after = seq(q, "after")?;
    let before = seq(q, "before")?;
    Ok(AuditFilter {
        after,
        before,
        newest_first: after.is_none(),
        limit: Some(PAGE),
        request_id: q.text("request_id"),
        grant_id: q.text("grant_id"),
        actor: q.text("actor"),
        kind: q.text("kind"),
        ..AuditFilter::default()
    })
}

/// The query string for `q`'s filters, with the paging (`after` or `before`) replaced.
fn query(q: &FormData, page: Option<(&str, i64)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for f in FIELDS.iter().filter(|f| !matches!(**f, "after" | "before")) {
        if let Some(v) = q.text(f) {
            s.append_pair(f, &v);
        }
    }
    if let Some((key, seq)) = page {
        s.append_pair(key, &seq.to_string());
    }
    s.finish()
}

fn chain(r: &VerifyReport) -> Markup {
    html! {
        @if r.ok {
            p.chain.ok role="status" {
                strong { "Chain verified" } ": " (r.events) " events"
                @if let Some((seq, hash)) = &r.head { ", head seq " (seq) " (" code { (hash.get(..12).unwrap_or(hash)) "…" } ")" }
                "."
            }
        } @else {
            p.chain.bad role="alert" {
                strong { "Chain broken" }
                @if let Some((seq, why)) = &r.first_bad { " at seq " strong.first-bad { (seq) } ": " (why) }
                ". Events from there on cannot be trusted."
            }
        }
    }
}

fn filters(q: &FormData, problem: Option<&Problem>) -> Markup {
    let slot = |n: &str| Slot::new("filter", n, problem);
    html! {
        form.filters method="get" action="/audit" novalidate {
            @for (name, label) in [("actor", "Actor"), ("kind", "Kind"), ("request_id", "Request id"), ("grant_id", "Grant id"), ("after", "After seq")] {
                @let s = slot(name);
                div.field {
                    label for=(s.id) { (label) }
                    input #(s.id) type="text" name=(name) value=(q.get(name).unwrap_or_default()) autocomplete="off"
                        list=[(name == "kind").then_some("kinds")] aria-invalid=[s.invalid()] aria-describedby=[s.described_by(false)];
                    (s.notes(None))
                }
            }
            datalist #kinds {
                @for k in EventKind::ALL.iter().filter(|k| !matches!(k, EventKind::GrantExpiring | EventKind::ReviewDue)) { option value=(k.as_str()) {} }
                option value="request.*" {}
            }
            div.buttons {
                button.primary type="submit" { "Filter" }
                a.button href="/audit" { "Reset" }
                a.button href=(format!("/audit/export?{}", query(q, q.text("after").and_then(|a| a.parse().ok()).map(|a| ("after", a))))) download { "Export JSON lines" }
            }
        }
    }
}

fn table(events: &[AuditEvent]) -> Markup {
    html! {
        p.scroll-hint aria-hidden="true" { "The table scrolls sideways →" }
        div.scroll tabindex="0" role="region" aria-label="Audit events" {
            table.events {
                thead { tr { th scope="col" { "Seq" } th scope="col" { "Time" } th scope="col" { "Actor" } th scope="col" { "Kind" } th scope="col" { "What" } th scope="col" { "Links" } } }
                tbody {
                    @for e in events {
                        tr data-kind=(e.kind) {
                            td { (e.seq) }
                            td { (when(e.at)) }
                            td { (e.actor) }
                            td.kind { code { (e.kind) } }
                            td { (describe(e)) }
                            td.links {
                                @if let Some(r) = &e.request_id { a href=(format!("/requests/{r}")) { "request" } }
                                @if let Some(g) = &e.grant_id { a href=(format!("/audit?grant_id={g}")) { "grant" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> UiResult<Response> {
    let chrome = Chrome::load(&app, &viewer, Nav::Audit).await;
    if let Err(e) = app
        .require_power(&viewer.user, Power::AuditRead)
        .map_err(ApiError::from)
    {
        return Ok(framed_error(&chrome, e.status, &e.message));
    }
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let report = verify_chain(app.store.as_ref()).await?;
    let (events, problem) = match filter(&q) {
        Ok(f) => (app.store.list_events(&f).await?, None),
        Err(p) => (Vec::new(), Some(p)),
    };
    // Newest first pages back to older events; read forward (`after`), it pages on.
    let newest_first = q.text("after").is_none();
    let next = (events.len() as i64 == PAGE)
        .then(|| events.last().map(|e| e.seq))
        .flatten()
        .map(|seq| {
            if newest_first {
                ("before", seq)
            } else {
                ("after", seq)
            }
        });
    let body = html! {
        (chain(&report))
        (filters(&q, problem.as_ref()))
        @if events.is_empty() && problem.is_none() { p.empty { "No events match." } }
        @if !events.is_empty() { (table(&events)) }
        @if let Some(n) = next {
            p { a.button href=(format!("/audit?{}", query(&q, Some(n)))) { (if newest_first { "Older events" } else { "Next page" }) } }
        }
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    Ok(respond(status, page(&chrome, "Audit log", body)))
}

/// Every matching event (up to [`MAX_EXPORT`]) as JSON lines, page by page.
pub async fn export(
    State(app): State<App>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> UiResult<Response> {
    app.require_power(&viewer.user, Power::AuditRead)?;
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let mut f = filter(&q).map_err(|p| UiError::page(p.status, "Bad request", p.message))?;
    // An export reads the chain in its own order, oldest first, paging with `after`.
    f.newest_first = false;
    f.limit = Some(wicket_store::filter::MAX_LIMIT);
    let mut out = Vec::new();
    let mut count = 0;
    loop {
        let page = app.store.list_events(&f).await?;
        for e in &page {
            serde_json::to_writer(&mut out, e).map_err(|_| ApiError::internal())?;
            out.push(b'\n');
        }
        count += page.len();
        match page.last() {
            Some(last)
                if (page.len() as i64) == wicket_store::filter::MAX_LIMIT && count < MAX_EXPORT =>
            {
                f.after = Some(last.seq)
            }
            _ => break,
        }
    }
    Ok((
        [
            (CONTENT_TYPE, "application/x-ndjson"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"wicket-audit.jsonl\"",
            ),
        ],
        out,
    )
        .into_response())
}
