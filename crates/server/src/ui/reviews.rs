//! Access reviews: the open campaigns' items the viewer reviews, each with Certify and Revoke
//! buttons, and the closed campaigns' outcomes. Decisions go through
//! [`wicket_engine::reviews::decide`], as the JSON API's do; holders of
//! `wicket:reviews.manage` or `wicket:audit.read` download each campaign's report (CSV or
//! JSON) under the page's own sign-in.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use wicket_core::Power;
use wicket_core::review::{Campaign, ItemDecision, ReviewItem};
use wicket_engine::app::{App, now};
use wicket_engine::reviews;

use super::error::{UiError, UiResult, see_other};
use super::extract::{FormData, Posted, Viewer};
use super::fmt::{Problem, Slot, badge, form_problem, when};
use super::layout::{Chrome, Nav, csrf_field, page, respond};
use crate::error::ApiError;
use crate::routes::reviews::report;

/// The reviews page; `problem` is a refused decision to show beside its item.
pub async fn render(app: &App, viewer: &Viewer, problem: Option<&Problem>) -> UiResult<Response> {
    let mut chrome = Chrome::load(app, viewer, Nav::Reviews).await;
    chrome.problem(problem);
    let campaigns = reviews::visible(app, &viewer.user).await?;
    let now = now();
    let reports = app.has_power(&viewer.user, Power::ReviewsManage)
        || app.has_power(&viewer.user, Power::AuditRead);
    let body = html! {
        p.lede { "Each item is someone's standing access or long grant. Certify what should stay; revoke what should not. Revoking a binding suspends it at once; revoking a grant ends it." }
        @if campaigns.is_empty() { p.empty { "No access reviews for you." } }
        @for c in &campaigns { (campaign(c, viewer, now, reports, problem)) }
    };
    let status = problem.map_or(StatusCode::OK, |p| p.status);
    Ok(respond(status, page(&chrome, "Access reviews", body)))
}

fn campaign(
    c: &Campaign,
    viewer: &Viewer,
    now: wicket_core::Time,
    reports: bool,
    problem: Option<&Problem>,
) -> Markup {
    let open = c.open_at(now);
    let report = format!("/reviews/{}/report", c.id);
    html! {
        section.campaign data-campaign=(c.id) {
            h2 { "Review " code { (c.review) } " · " (c.id) }
            p.hint {
                @if open { "Open until " (when(c.deadline)) "." } @else { "Closed." }
            }
            @if reports {
                p.report {
                    "Report: "
                    a href=(format!("{report}?format=csv")) download { "CSV" } " · "
                    a href=(format!("{report}?format=json")) download { "JSON" }
                }
            }
            ul.items { @for i in &c.items { (item(i, viewer, open, problem)) } }
        }
    }
}

fn item(i: &ReviewItem, viewer: &Viewer, open: bool, problem: Option<&Problem>) -> Markup {
    let form = format!("item-{}", i.id);
    let comment = Slot::new(&form, "comment", problem);
    html! {
        li.item data-item=(i.id) data-decision=(i.decision.as_str()) {
            p {
                (badge(i.decision.as_str())) " "
                code { (i.subject) } " holds " code { (i.role) }
                @if let Some(g) = &i.grant_id { " through grant " code { (g) } }
                @else { " through a standing binding" }
            }
            @if let (Some(by), Some(at)) = (&i.decided_by, i.decided_at) {
                p.hint { (i.decision.as_str()) " by " (by) " " (when(at))
                    @if let Some(c) = &i.comment { ": " (c) } }
            }
            @if open && i.decision == ItemDecision::Pending {
                form.decide method="post" action=(format!("/reviews/{}/items/{}", i.campaign_id, i.id)) novalidate {
                    (csrf_field(&viewer.csrf))
                    (form_problem(&form, &["comment"], problem))
                    label for=(comment.id) { "Comment " span.opt { "(optional)" } }
                    input #(comment.id) type="text" name="comment" aria-invalid=[comment.invalid()] aria-describedby=[comment.described_by(false)];
                    (comment.notes(None))
                    div.buttons {
                        button.primary type="submit" name="decision" value="certify" { "Certify" }
                        button.danger type="submit" name="decision" value="revoke" { "Revoke" }
                    }
                }
            }
        }
    }
}

pub async fn show(State(app): State<App>, viewer: Viewer) -> UiResult<Response> {
    render(&app, &viewer, None).await
}

/// A reviewer's decision from the page's buttons.
pub async fn decide(
    State(app): State<App>,
    Path((campaign, id)): Path<(String, String)>,
    Posted { viewer, form }: Posted,
) -> UiResult<Response> {
    let verdict = form
        .text("decision")
        .as_deref()
        .and_then(reviews::verdict)
        .ok_or_else(|| {
            ApiError::bad_request("invalid_decision", "decision must be `certify` or `revoke`")
        });
    let result = match verdict {
        Ok(v) => reviews::decide(&app, &viewer.user, &campaign, &id, v, form.text("comment"))
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(i) => {
            let text = match i.decision {
                ItemDecision::Revoked => format!("Revoked {} of {}.", i.role, i.subject),
                _ => format!("Certified {} of {}.", i.role, i.subject),
            };
            viewer.flash(&app, true, text);
            Ok(see_other("/reviews"))
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(e.into()),
        Err(e) => render(&app, &viewer, Some(&Problem::new(&format!("item-{id}"), e))).await,
    }
}

/// A campaign's report as a download (`format=csv` or `format=json`), for holders of
/// `wicket:reviews.manage` or `wicket:audit.read`, as the API's report is.
pub async fn download(
    State(app): State<App>,
    Path(id): Path<String>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> UiResult<Response> {
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let format = q.text("format").unwrap_or_else(|| "csv".into());
    if format != "csv" && format != "json" {
        return Err(UiError::page(
            StatusCode::BAD_REQUEST,
            "Bad request",
            format!("format must be `csv` or `json`, not `{format}`"),
        ));
    }
    let campaign = reviews::report(&app, &viewer.user, &id).await?;
    Ok(if format == "csv" {
        report::csv(&campaign)
    } else {
        report::json_file(&campaign)
    })
}
