//! "My access": live grants with countdowns and release, my requests, standing roles, and the
//! request forms. The live part refreshes itself from `/mine/live`.

use crate::error::ApiError;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use wicket_core::workflow::NewRequest;
use wicket_core::{GrantStatus, Power, RequestState};
use wicket_store::{GrantFilter, RequestFilter};

use super::error::{UiResult, see_other};
use super::extract::{FormData, Posted, Viewer, viewer};
use super::fmt::{Problem, badge, when};
use super::layout::{Chrome, Nav, page, respond};
use super::login::unauthenticated;
use super::parts::{GrantCtx, grant_row};
use super::request_form::{Need, action_form, form_id, policy_form};
use wicket_engine::access::standing_roles;
use wicket_engine::app::{App, now};
use wicket_engine::ops;

/// How often the page refreshes its live part.
pub const POLL_MS: u32 = 3000;
/// Ended grants and past requests shown.
const RECENT: usize = 5;
const MY_REQUESTS: i64 = 10;

/// Live and recently ended grants, and my latest requests; `problem` is a failed form of a
/// grant (an extension) to show beside its field.
async fn live(app: &App, viewer: &Viewer, problem: Option<&Problem>) -> UiResult<Markup> {
    let now = now();
    let mine = |live_at, limit| GrantFilter {
        user: Some(viewer.user.clone()),
        live_at,
        limit,
        ..Default::default()
    };
    let current = app.store.list_grants(&mine(Some(now), None)).await?;
    // The latest grants, newest first; those no longer live are the recently ended.
    let latest = RECENT as i64 + current.len() as i64;
    let ended: Vec<_> = app
        .store
        .list_grants(&mine(None, Some(latest)))
        .await?
        .into_iter()
        .filter(|g| !matches!(g.status(now), GrantStatus::Active | GrantStatus::Scheduled))
        .collect();
    let requests = app
        .store
        .list_requests(&RequestFilter {
            requester: Some(viewer.user.clone()),
            limit: Some(MY_REQUESTS),
            ..Default::default()
        })
        .await?;
    let cx = GrantCtx {
        now,
        csrf: &viewer.csrf,
        viewer: &viewer.user,
        may_revoke: app.has_power(&viewer.user, Power::GrantsRevoke),
        back: "/",
        problem,
        link_request: true,
    };
    Ok(html! {
        section aria-labelledby="grants-h" {
            h2 #grants-h { "Active grants" }
            @if current.is_empty() { p.empty { "No active grants." } }
            ul.grants #current-grants { @for g in &current { (grant_row(g, &cx)) } }
            @if !ended.is_empty() {
                h3 { "Recently ended" }
                ul.grants.ended #ended-grants { @for g in ended.iter().take(RECENT) { (grant_row(g, &cx)) } }
            }
        }
        section aria-labelledby="requests-h" {
            h2 #requests-h { "My requests" }
            @if requests.is_empty() { p.empty { "No requests yet." } }
            ul.requests #my-requests {
                @for r in &requests {
                    li data-request=(r.id) {
                        a href=(format!("/requests/{}", r.id)) { code { (r.roles.join(", ")) } }
                        " " (badge(r.state.as_str()))
                        @if r.state == RequestState::Pending {
                            @if let Some(p) = app.config.policy(&r.policy) { " " span.hint { "step " (r.step + 1) " of " (p.steps_for(r.extends.is_some()).len()) } }
                        }
                        " " span.hint { (when(r.created_at)) }
                    }
                }
            }
        }
    })
}

/// The page; `refill` puts back what was typed into one form (by form id).
pub async fn render(
    app: &App,
    viewer: &Viewer,
    problem: Option<&Problem>,
    refill: Option<(&str, &FormData)>,
) -> UiResult<Response> {
    let mut chrome = Chrome::load(app, viewer, Nav::Mine).await;
    chrome.problem(problem);
    let user = &viewer.user;
    let groups = &app.groups_of(user);
    let standing = standing_roles(app, user, now());
    let held: Vec<&str> = Power::ALL
        .into_iter()
        .filter(|p| app.has_power(user, *p))
        .map(Power::as_str)
        .collect();
    let policies: Vec<_> = app
        .config
        .policies
        .iter()
        .filter(|p| p.covers_requester(user, groups))
        .collect();
    let values = |form: &str| refill.filter(|(f, _)| *f == form).map(|(_, v)| v);
    let body = html! {
        p.lede { "Signed in as " strong { (user) } @if !groups.is_empty() { " · groups " (groups.join(", ")) } }
        div #live data-poll="/mine/live" data-poll-ms=(POLL_MS) { (live(app, viewer, problem).await?) }
        section aria-labelledby="standing-h" {
            h2 #standing-h { "Standing roles" }
            @if standing.is_empty() { p.empty { "None: everything you hold is temporary." } }
            ul.plain { @for s in &standing {
                li { code { (s.role) } @if let Some(e) = s.expires_at { " until " (when(e)) } }
            } }
            @if !held.is_empty() { p.hint { "Wicket powers: " @for (i, p) in held.iter().enumerate() { @if i > 0 { ", " } code { (p) } } } }
        }
        section #request aria-labelledby="request-h" {
            h2 #request-h { "Request access" }
            @if policies.is_empty() { p.empty { "No policy lets you request access." } }
            div.forms {
                @for p in &policies { (policy_form(p, app, &viewer.csrf, values(&form_id(&p.name)), problem)) }
                @if !policies.is_empty() { (action_form(&viewer.csrf, values("action"), problem, Need::of(policies.iter().copied()))) }
            }
        }
    };
    let status = problem.map_or(StatusCode::OK, |p| p.status);
    Ok(respond(status, page(&chrome, "My access", body)))
}

/// `/?action=A&resource=R` fills the action form (a denied check can link here).
pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> UiResult<Response> {
    let prefill = FormData::parse(query.unwrap_or_default().as_bytes());
    render(&app, &viewer, None, Some(("action", &prefill))).await
}

pub async fn fragment(State(app): State<App>, headers: HeaderMap) -> UiResult<Response> {
    let Some(viewer) = viewer(&app, &headers).await? else {
        return Ok(unauthenticated());
    };
    Ok(Html(live(&app, &viewer, None).await?.into_string()).into_response())
}

/// What the two request forms send, as the core reads it.
fn new_request(form: &FormData) -> NewRequest {
    let by_action = form.get("kind") == Some("action");
    NewRequest {
        roles: if by_action {
            Vec::new()
        } else {
            form.all("roles")
        },
        action: form.text("action").filter(|_| by_action),
        resource: form.text("resource").filter(|_| by_action),
        duration: form.text("duration"),
        reason: form.text("reason"),
        ticket: form.text("ticket"),
        start_at: None,
        policy: if by_action { None } else { form.text("policy") },
        break_glass: form.get("break_glass").is_some(),
    }
}

pub async fn create(State(app): State<App>, Posted { viewer, form }: Posted) -> UiResult<Response> {
    let input = new_request(&form);
    let which = match &input.policy {
        Some(p) => form_id(p),
        None => "action".to_string(),
    };
    match ops::create_request(&app, &viewer.user, &input)
        .await
        .map_err(ApiError::from)
    {
        Ok(r) => {
            let text = match r.state {
                RequestState::Approved => format!(
                    "Request {} approved at once: {} is yours for {}.",
                    r.id,
                    r.roles.join(", "),
                    r.duration
                ),
                _ => format!(
                    "Request {} for {} is pending approval.",
                    r.id,
                    r.roles.join(", ")
                ),
            };
            viewer.flash(&app, true, text);
            Ok(see_other("/"))
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(e.into()),
        Err(e) => {
            render(
                &app,
                &viewer,
                Some(&Problem::new(&which, e)),
                Some((&which, &form)),
            )
            .await
        }
    }
}
