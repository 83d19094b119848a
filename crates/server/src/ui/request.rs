//! One request: its facts, approval steps, grants with live countdowns, the actions the viewer
//! may take (review, cancel, release, revoke), and its timeline from the audit log.

use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use wicket_core::{Power, RequestState};

use super::error::{UiError, UiResult, see_other};
use super::extract::{Posted, Viewer};
use super::fmt::{Problem, Slot, badge, form_problem};
use super::layout::{Chrome, Nav, csrf_field, framed_error, page, respond};
use super::parts::{GrantCtx, facts, grant_row, review_form, steps};
use super::timeline;
use wicket_engine::access::{reviewable_by, visible_to};
use wicket_engine::app::{App, now};
use wicket_engine::ops;

/// The request page; `problem` is a failed action to show on its form.
pub async fn render(
    app: &App,
    viewer: &Viewer,
    id: &str,
    problem: Option<&Problem>,
) -> UiResult<Response> {
    let request = app.store.get_request(id).await?.ok_or_else(|| {
        UiError::page(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("unknown request `{id}`"),
        )
    })?;
    let mut chrome = Chrome::load(app, viewer, Nav::None).await;
    chrome.problem(problem);
    if !visible_to(app, &request, &viewer.user) {
        let message = format!(
            "`{}` may not see request `{id}`; that takes `{}`",
            viewer.user,
            Power::RequestsRead
        );
        return Ok(framed_error(&chrome, StatusCode::FORBIDDEN, &message));
    }
    let grants = app.grants_of_request(id).await?;
    let (events, truncated) = timeline::events(app, &request, &grants).await?;
    let back = format!("/requests/{id}");
    let cx = GrantCtx {
        now: now(),
        csrf: &viewer.csrf,
        viewer: &viewer.user,
        may_revoke: app.has_power(&viewer.user, Power::GrantsRevoke),
        back: &back,
        problem,
        link_request: false,
    };
    let cancel_form = format!("cancel-{id}");
    let comment = Slot::new(&cancel_form, "comment", problem);
    let mine = request.requester == viewer.user;
    let body = html! {
        p.state { (badge(request.state.as_str())) " " code { (request.id) } }
        div.columns {
            section aria-labelledby="details-h" {
                h2 #details-h { "Details" }
                (facts(&request))
            }
            section aria-labelledby="steps-h" {
                h2 #steps-h { "Approval" }
                (steps(app, &request))
                @if reviewable_by(app, &request, &viewer.user, now()) { (review_form(&viewer.csrf, &request, &back, problem)) }
                @if mine && request.state == RequestState::Pending {
                    form.cancel method="post" action=(format!("/requests/{id}/cancel")) novalidate {
                        (csrf_field(&viewer.csrf))
                        (form_problem(&cancel_form, &["comment"], problem))
                        label for=(comment.id) { "Why cancel " span.opt { "(optional)" } }
                        input #(comment.id) type="text" name="comment" aria-invalid=[comment.invalid()]
                            aria-describedby=[comment.described_by(false)];
                        (comment.notes(None))
                        button.danger type="submit" { "Cancel request" }
                    }
                }
            }
        }
        section aria-labelledby="grants-h" {
            h2 #grants-h { "Grants" }
            @if grants.is_empty() { p.empty { "No grants: access starts when the request is approved." } }
            ul.grants { @for g in &grants { (grant_row(g, &cx)) } }
        }
        section aria-labelledby="timeline-h" {
            h2 #timeline-h { "Timeline" }
            (timeline::render(&events, truncated, id))
        }
    };
    let status = problem.map_or(StatusCode::OK, |p| p.status);
    Ok(respond(
        status,
        page(&chrome, &format!("Request by {}", request.requester), body),
    ))
}

pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> UiResult<Response> {
    render(&app, &viewer, &id, None).await
}

pub async fn cancel(
    State(app): State<App>,
    Path(id): Path<String>,
    Posted { viewer, form }: Posted,
) -> UiResult<Response> {
    match ops::cancel_request(&app, &viewer.user, &id, form.text("comment"))
        .await
        .map_err(ApiError::from)
    {
        Ok(r) => {
            viewer.flash(&app, true, format!("Cancelled request {}.", r.id));
            Ok(see_other(&form.back(&format!("/requests/{id}"))))
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(e.into()),
        Err(e) => {
            render(
                &app,
                &viewer,
                &id,
                Some(&Problem::new(&format!("cancel-{id}"), e)),
            )
            .await
        }
    }
}
