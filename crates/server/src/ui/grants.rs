//! Grants: every live grant for holders of `wicket:grants.revoke`, the form action that ends a
//! grant early (release one's own, or revoke another's with a reason), and the holder's
//! request to extend one.

use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use wicket_core::workflow::NewExtension;
use wicket_core::{GrantStatus, Power, RequestState, time};
use wicket_store::GrantFilter;

use super::answered;
use super::error::UiResult;
use super::extract::{Posted, Viewer};
use super::fmt::Problem;
use super::layout::{Chrome, Nav, framed_error, page, respond};
use super::parts::{GrantCtx, grant_row};
use wicket_engine::app::{App, now};
use wicket_engine::ops;

/// The grants page; `problem` is a failed revocation to show beside its reason.
pub async fn render(app: &App, viewer: &Viewer, problem: Option<&Problem>) -> UiResult<Response> {
    let mut chrome = Chrome::load(app, viewer, Nav::Grants).await;
    chrome.problem(problem);
    if let Err(e) = app
        .require_power(&viewer.user, Power::GrantsRevoke)
        .map_err(ApiError::from)
    {
        return Ok(framed_error(&chrome, e.status, &e.message));
    }
    let now = now();
    let grants = app
        .store
        .list_grants(&GrantFilter {
            live_at: Some(now),
            ..Default::default()
        })
        .await?;
    let active = grants
        .iter()
        .filter(|g| g.status(now) == GrantStatus::Active)
        .count();
    let cx = GrantCtx {
        now,
        csrf: &viewer.csrf,
        viewer: &viewer.user,
        may_revoke: true,
        back: "/grants",
        problem,
        link_request: true,
    };
    let body = html! {
        p.lede { (active) " active, " (grants.len() - active) " scheduled. Revoking takes effect at once and is audited with its reason." }
        @if grants.is_empty() { p.empty { "No live grants." } }
        ul.grants.wide { @for g in &grants { (grant_row(g, &cx)) } }
    };
    let status = problem.map_or(StatusCode::OK, |p| p.status);
    Ok(respond(status, page(&chrome, "Grants", body)))
}

pub async fn show(State(app): State<App>, viewer: Viewer) -> UiResult<Response> {
    render(&app, &viewer, None).await
}

pub async fn revoke(
    State(app): State<App>,
    Path(id): Path<String>,
    Posted { viewer, form }: Posted,
) -> UiResult<Response> {
    let back = form.back("/");
    let outcome = ops::revoke_grant(&app, &viewer.user, &id, form.text("reason"))
        .await
        .map(|g| {
            if g.user == viewer.user {
                format!(
                    "Released {}: your access through grant {} has ended.",
                    g.role, g.id
                )
            } else {
                format!("Revoked {} of {} (grant {}).", g.role, g.user, g.id)
            }
        })
        .map_err(ApiError::from);
    answered(&app, &viewer, &back, &format!("revoke-{id}"), outcome).await
}

/// The holder asks for more time: approved at once (the flash gives the new end) or pending.
pub async fn extend(
    State(app): State<App>,
    Path(id): Path<String>,
    Posted { viewer, form }: Posted,
) -> UiResult<Response> {
    let back = form.back("/");
    let input = NewExtension {
        by: form.text("by"),
        reason: form.text("reason"),
    };
    let outcome = match ops::extend_grant(&app, &viewer.user, &id, &input).await {
        Ok(r) => {
            let by = r.duration;
            Ok(if r.state == RequestState::Approved {
                let end = app.store.get_grant(&id).await?.map(|g| g.expires_at);
                format!(
                    "Grant {id} extended by {by}: it now ends at {}.",
                    end.map_or_else(|| "its new end".to_string(), time::format)
                )
            } else {
                format!(
                    "Extension {} of grant {id} by {by} is pending approval.",
                    r.id
                )
            })
        }
        Err(e) => Err(ApiError::from(e)),
    };
    answered(&app, &viewer, &back, &format!("extend-{id}"), outcome).await
}
