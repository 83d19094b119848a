//! Markup shared by the inbox, the request page, grants and my access: a request's facts, its
//! policy's steps with who approved so far, the review form, and a grant's line.

use maud::{Markup, html};
use wicket_core::{Grant, GrantStatus, Request, RequestState, Time, Verdict};

use super::fmt::{Problem, Slot, badge, countdown, form_problem, when};
use super::layout::csrf_field;
use wicket_engine::app::App;

/// The facts of a request as a definition list.
pub fn facts(r: &Request) -> Markup {
    html! {
        dl.facts {
            dt { "Requester" } dd { (r.requester) }
            @if let Some(g) = &r.extends { dt { "Extends" } dd { "grant " code { (g) } " by " (r.duration) } }
            dt { "Roles" } dd { @for (i, role) in r.roles.iter().enumerate() { @if i > 0 { ", " } code { (role) } } }
            @if let (Some(a), Some(res)) = (&r.action, &r.resource) {
                dt { "For" } dd { code { (a) } " on " code { (res) } }
            }
            dt { "Duration" } dd { (r.duration) }
            dt { "Reason" } dd { (r.reason.as_deref().unwrap_or("—")) }
            dt { "Ticket" } dd { (r.ticket.as_deref().unwrap_or("—")) }
            dt { "Policy" } dd { (r.policy) }
            dt { "Created" } dd { (when(r.created_at)) }
            @if let Some(s) = r.start_at { dt { "Starts" } dd { (when(s)) } }
            @if r.state == RequestState::Pending {
                dt { "Decide by" } dd { (when(r.pending_until)) }
            }
            @if let Some(d) = r.decided_at { dt { "Decided" } dd { (when(d)) } }
            @if r.break_glass { dt { "Break-glass" } dd { strong { "yes: approved at once, review after the fact" } } }
        }
    }
}

/// The policy's steps, which one decides now, and each review so far.
pub fn steps(app: &App, r: &Request) -> Markup {
    let Some(policy) = app.config.policy(&r.policy) else {
        return html! { p.hint { "policy " code { (r.policy) } " no longer exists" } };
    };
    let list = policy.steps_for(r.extends.is_some());
    if list.is_empty() {
        return html! { p.hint { "No approval steps: approved at once." } };
    }
    html! {
        ol.steps {
            @for (i, step) in list.iter().enumerate() {
                @let state = if (i as u32) < r.step { "done" } else if i as u32 == r.step && r.state == RequestState::Pending { "current" } else { "waiting" };
                @let reviews: Vec<_> = r.reviews.iter().filter(|v| v.step as usize == i).collect();
                li class=(format!("step {state}")) aria-current=[(state == "current").then_some("step")] {
                    strong { "Step " (i + 1) } " · "
                    @for (j, a) in step.approvers.iter().enumerate() { @if j > 0 { ", " } (a.to_string()) }
                    " · " (step.min_approvals) " approval" @if step.min_approvals != 1 { "s" } " needed"
                    @if state == "current" { " · " em { "deciding now" } }
                    @if !reviews.is_empty() {
                        ul.reviews {
                            @for v in reviews {
                                li {
                                    (v.reviewer) " "
                                    @if v.decision == Verdict::Approve { span.approved { "approved" } } @else { span.denied { "denied" } }
                                    " " (when(v.at))
                                    @if let Some(c) = v.comment.as_deref().filter(|c| !c.is_empty()) { ": “" (c) "”" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Approve in one click, with an optional comment, or deny with a comment saying why. `back`
/// is where to return.
pub fn review_form(csrf: &str, r: &Request, back: &str, problem: Option<&Problem>) -> Markup {
    let form = format!("review-{}", r.id);
    let comment = Slot::new(&form, "comment", problem);
    html! {
        form.review method="post" action=(format!("/requests/{}/review", r.id)) novalidate {
            (csrf_field(csrf))
            input type="hidden" name="back" value=(back);
            (form_problem(&form, &["comment"], problem))
            label for=(comment.id) { "Comment " span.opt { "(optional to approve; required to deny)" } }
            textarea #(comment.id) name="comment" rows="2" aria-invalid=[comment.invalid()] aria-describedby=[comment.described_by(false)] {}
            (comment.notes(None))
            div.buttons {
                button.primary type="submit" name="verdict" value="approve" { "Approve" }
                button.danger type="submit" name="verdict" value="deny" { "Deny" }
            }
        }
    }
}

/// Who looks at a grant, and where its form returns to.
pub struct GrantCtx<'a> {
    pub now: Time,
    pub csrf: &'a str,
    pub viewer: &'a str,
    /// The viewer holds `wicket:grants.revoke`.
    pub may_revoke: bool,
    pub back: &'a str,
    pub problem: Option<&'a Problem>,
    /// Link each grant to its request (not on the request's own page).
    pub link_request: bool,
}

fn window(g: &Grant, status: GrantStatus) -> Markup {
    html! {
        @match status {
            GrantStatus::Active => { "expires " (when(g.expires_at)) " · " (countdown(g.expires_at)) }
            GrantStatus::Scheduled => { "starts " (when(g.starts_at)) ", ends " (when(g.expires_at)) }
            GrantStatus::Expired => { "expired " (when(g.expires_at)) }
            GrantStatus::Revoked => {
                "revoked " @if let Some(t) = g.revoked_at { (when(t)) }
                @if let Some(by) = &g.revoked_by { " by " (by) }
                @if let Some(why) = &g.revoke_reason { ": " (why) }
            }
        }
    }
}

/// The holder's form to ask for more time on a live grant: how much, and why.
fn extend_form(g: &Grant, cx: &GrantCtx<'_>) -> Markup {
    let form = format!("extend-{}", g.id);
    let by = Slot::new(&form, "by", cx.problem);
    let reason = Slot::new(&form, "reason", cx.problem);
    html! {
        form.inline.extend #(form) method="post" action=(format!("/grants/{}/extend", g.id)) novalidate {
            (csrf_field(cx.csrf))
            input type="hidden" name="back" value=(cx.back);
            (form_problem(&form, &["by", "reason"], cx.problem))
            div.row {
                label for=(by.id) { "Extend by" }
                input #(by.id) type="text" name="by" value="1h" size="5" required aria-invalid=[by.invalid()]
                    aria-describedby=[by.described_by(false)];
                label for=(reason.id) { "because" }
                input #(reason.id) type="text" name="reason" aria-invalid=[reason.invalid()]
                    aria-describedby=[reason.described_by(false)];
                button type="submit" { "Extend" }
            }
            (by.notes(None))
            (reason.notes(None))
        }
    }
}

/// A grant: role, status, window, a live countdown while active, the extend form and the
/// release form (own grant) or the revoke form with its reason (someone else's, with
/// `wicket:grants.revoke`).
pub fn grant_row(g: &Grant, cx: &GrantCtx<'_>) -> Markup {
    let form = format!("revoke-{}", g.id);
    let reason = Slot::new(&form, "reason", cx.problem);
    let status = g.status(cx.now);
    let live = matches!(status, GrantStatus::Active | GrantStatus::Scheduled);
    let own = g.user == cx.viewer;
    html! {
        li.grant id=(format!("grant-{}", g.id)) {
            div.line {
                code.role { (g.role) }
                " " (badge(status.as_str()))
                @if !own { " " span.holder { "for " strong { (g.user) } } }
            }
            div.window {
                (window(g, status))
                @if cx.link_request { " · " a href=(format!("/requests/{}", g.request_id)) { "request" } }
            }
            @if live && own { (extend_form(g, cx)) }
            @if live && (own || cx.may_revoke) {
                form.inline method="post" action=(format!("/grants/{}/revoke", g.id)) novalidate {
                    (csrf_field(cx.csrf))
                    input type="hidden" name="back" value=(cx.back);
                    (form_problem(&form, &["reason"], cx.problem))
                    @if own {
                        button.danger type="submit" { "Release now" }
                    } @else {
                        label for=(reason.id) { "Reason to revoke " code { (g.role) } " of " (g.user) }
                        div.row {
                            input #(reason.id) type="text" name="reason" required aria-invalid=[reason.invalid()]
                                aria-describedby=[reason.described_by(false)];
                            button.danger type="submit" { "Revoke" }
                        }
                        (reason.notes(None))
                    }
                }
            }
        }
    }
}
