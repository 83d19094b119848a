//! The inbox: requests the viewer may review now, approve or deny in one click; the list
//! refreshes itself from `/inbox/items` every few seconds.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use wicket_core::{Request, RequestState, Verdict};
use wicket_store::RequestFilter;

use super::error::{UiError, UiResult};
use super::extract::{Posted, Viewer, viewer};
use super::fmt::{Problem, approvers, countdown, rich, when};
use super::layout::{Chrome, Nav, page, respond};
use super::login::unauthenticated;
use super::parts::{facts, review_form, steps};
use super::{answered, rerender};
use crate::error::{ApiError, ApiResult};
use wicket_engine::access::reviewable_by;
use wicket_engine::app::App;
use wicket_engine::ops;

/// How often the open inbox asks for new requests.
pub const POLL_MS: u32 = 2000;

/// The pending requests `user` may review at their current step, newest first.
pub async fn reviewable(app: &App, user: &str) -> ApiResult<Vec<Request>> {
    let pending = app
        .store
        .list_requests(&RequestFilter {
            state: Some(RequestState::Pending),
            ..Default::default()
        })
        .await?;
    let now = wicket_engine::now();
    Ok(pending
        .into_iter()
        .filter(|r| reviewable_by(app, r, user, now))
        .collect())
}

fn card(app: &App, csrf: &str, r: &Request, problem: Option<&Problem>) -> Markup {
    html! {
        article.card.request id=(format!("req-{}", r.id)) data-card {
            h2 {
                a href=(format!("/requests/{}", r.id)) { (r.requester) " asks for " (r.roles.join(", ")) }
                @if r.extends.is_some() { " " span.badge { "extension" } }
                @if r.break_glass { " " span.badge.high { "break-glass" } }
            }
            p.hint { code { (r.id) } " · created " (when(r.created_at)) " · " (countdown(r.pending_until)) " to decide" }
            (facts(r))
            h3 { "Approval steps" }
            (steps(app, r))
            (review_form(csrf, r, "/inbox", problem))
        }
    }
}

/// The cards, or a note that there is nothing to review.
fn items(app: &App, csrf: &str, requests: &[Request], problem: Option<&Problem>) -> Markup {
    html! {
        @if requests.is_empty() {
            p.empty #inbox-empty data-card { "Nothing waits for your review." }
        }
        @for r in requests { (card(app, csrf, r, problem)) }
    }
}

/// The inbox page; `problem` is a failed review to show on its card (or atop the list when the
/// request is no longer there, e.g. someone else decided it first).
pub async fn render(app: &App, viewer: &Viewer, problem: Option<&Problem>) -> UiResult<Response> {
    let requests = reviewable(app, &viewer.user).await?;
    let mut chrome = Chrome::load(app, viewer, Nav::Inbox).await;
    chrome.problem(problem);
    let orphan = problem.filter(|p| {
        !requests
            .iter()
            .any(|r| p.form == format!("review-{}", r.id))
    });
    let status = problem.map_or(StatusCode::OK, |p| p.status);
    let body = html! {
        p.lede { "Requests waiting for your review at their current step. New ones appear here by themselves." }
        @if let Some(p) = orphan { p.form-error role="alert" { (rich(&p.message)) } }
        div #inbox data-poll="/inbox/items" data-poll-ms=(POLL_MS) data-merge="cards" aria-live="polite" {
            (items(app, &viewer.csrf, &requests, problem))
        }
    };
    Ok(respond(status, page(&chrome, "Inbox", body)))
}

pub async fn show(State(app): State<App>, viewer: Viewer) -> UiResult<Response> {
    render(&app, &viewer, None).await
}

/// The cards alone, for the poller; 401 without a session.
pub async fn fragment(State(app): State<App>, headers: HeaderMap) -> UiResult<Response> {
    let Some(viewer) = viewer(&app, &headers).await? else {
        return Ok(unauthenticated());
    };
    let requests = reviewable(&app, &viewer.user).await?;
    Ok(Html(items(&app, &viewer.csrf, &requests, None).into_string()).into_response())
}

/// What a review did, for the flash.
fn outcome(app: &App, r: &Request, verdict: Verdict) -> String {
    match (verdict, r.state) {
        (Verdict::Deny, _) => format!("Denied request {} of {}.", r.id, r.requester),
        (Verdict::Approve, RequestState::Approved) => {
            format!(
                "Approved request {}: {} now holds {} for {}.",
                r.id,
                r.requester,
                r.roles.join(", "),
                r.duration
            )
        }
        (Verdict::Approve, _) => {
            let next = app
                .config
                .policy(&r.policy)
                .and_then(|p| p.steps_for(r.extends.is_some()).get(r.step as usize))
                .map(|s| approvers(s, ", "))
                .unwrap_or_default();
            format!(
                "Approved your step of request {}; step {} waits for {next}.",
                r.id,
                r.step + 1
            )
        }
    }
}

pub async fn review(
    State(app): State<App>,
    Path(id): Path<String>,
    Posted { viewer, form }: Posted,
) -> UiResult<Response> {
    let verdict = match form.get("verdict") {
        Some("approve") => Verdict::Approve,
        Some("deny") => Verdict::Deny,
        _ => {
            return Err(UiError::page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "choose approve or deny",
            ));
        }
    };
    let back = form.back("/inbox");
    // A denial is final and ends someone's request: it takes a word of why (no one-click
    // denials by a slip of the mouse).
    if verdict == Verdict::Deny && form.text("comment").is_none() {
        let problem = Problem {
            form: format!("review-{id}"),
            field: Some("comment"),
            message: "say why you deny the request: the requester reads this comment".into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        };
        return rerender(&app, &viewer, &back, &problem).await;
    }
    let done = ops::review_request(&app, &viewer.user, &id, verdict, form.text("comment"))
        .await
        .map(|r| outcome(&app, &r, verdict))
        .map_err(ApiError::from);
    answered(&app, &viewer, &back, &format!("review-{id}"), done).await
}
