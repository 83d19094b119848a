//! The request state machine: create, review, cancel, expire, revoke. Each transition checks
//! every rule and returns the [`Changes`] to write, audit events included.

mod changes;
mod create;
mod extend;
mod oncall;
mod record;

use serde_json::json;

use crate::audit::{EventBuilder, EventKind};
use crate::config::{Config, Policy, Step};
use crate::error::WicketError;
use crate::model::{
    Anomaly, Grant, GrantStatus, NewEvent, Request, RequestState, Review, Severity, Verdict,
};
use crate::time::{self, Time};

pub use changes::{Changes, Extension, NewGrant, RequestWrite, Revocation};
pub use create::{NewRequest, create};
pub use extend::{NewExtension, extend};
pub use oncall::{ONCALL, OnCallEvidence, oncall_approve, pending_oncall};
pub use record::{Moment, grant_moment};

/// The longest reason or comment accepted, in bytes.
pub const MAX_TEXT: usize = 4096;
/// The longest ticket accepted, in bytes.
pub const MAX_TICKET: usize = 256;
/// The most roles one request may name.
pub const MAX_ROLES: usize = 32;

/// Where new ids come from; the server draws them at random, tests count.
pub trait IdSource {
    /// A fresh id starting with `prefix` (`req`, `gr`, `ev`, `an`, `tok`).
    fn next_id(&mut self, prefix: &str) -> String;
}

/// The actor name of wicket's own background work.
pub const SYSTEM: &str = "wicket";

fn user_subject(user: &str) -> String {
    format!("user:{user}")
}

/// Refuses the `what` someone wrote (a reason, a comment) with `code` when it is longer than
/// [`MAX_TEXT`] bytes.
fn ensure_short(text: Option<&str>, code: &'static str, what: &str) -> Result<(), WicketError> {
    match text {
        Some(t) if t.len() > MAX_TEXT => Err(WicketError::invalid(
            code,
            format!("{what} is longer than {MAX_TEXT} bytes"),
        )),
        _ => Ok(()),
    }
}

/// The `what` someone wrote (a reason, a comment), trimmed: `None` when missing or blank,
/// refused with `code` when longer than [`MAX_TEXT`] bytes.
pub(crate) fn written(
    text: Option<&str>,
    code: &'static str,
    what: &str,
) -> Result<Option<String>, WicketError> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    ensure_short(text, code, what)?;
    Ok(text.map(str::to_string))
}

fn policy_of<'c>(config: &'c Config, request: &Request) -> Result<&'c Policy, WicketError> {
    config.policy(&request.policy).ok_or_else(|| {
        WicketError::conflict(
            "policy_removed",
            format!(
                "policy `{}` of request `{}` no longer exists",
                request.policy, request.id
            ),
        )
    })
}

fn ensure_pending(request: &Request, now: Time) -> Result<(), WicketError> {
    // Past its TTL the answer is the same whether or not the sweep has recorded the expiry
    // yet: which of the two came first is a race the caller cannot see.
    let expired = request.state == RequestState::Expired
        || (request.state == RequestState::Pending && now >= request.pending_until);
    if expired {
        return Err(WicketError::conflict(
            "request_expired",
            format!(
                "request `{}` expired at {} without a decision",
                request.id,
                time::format(request.pending_until)
            ),
        ));
    }
    if request.state != RequestState::Pending {
        return Err(WicketError::conflict(
            "request_decided",
            format!(
                "request `{}` is already {}",
                request.id,
                request.state.as_str()
            ),
        ));
    }
    Ok(())
}

/// Approves `request` at `now`: one grant per role over `[max(now, start_at), +duration)`;
/// for an extension, `grant`'s end moves instead (see [`extend`]).
fn approve(
    config: &Config,
    request: &mut Request,
    grant: Option<&Grant>,
    now: Time,
    actor: &str,
    ids: &mut dyn IdSource,
    changes: &mut Changes,
) -> Result<(), WicketError> {
    if request.extends.is_some() {
        return extend::approve_extension(config, request, grant, now, actor, ids, changes);
    }
    request.state = RequestState::Approved;
    request.decided_at = Some(now);
    request.step = policy_of(config, request).map_or(request.step, |p| p.steps.len() as u32);
    // The clock starts at approval; a scheduled window is never extended by a late approval.
    let starts_at = request.start_at.map_or(now, |s| s.max(now));
    let expires_at = request.start_at.unwrap_or(starts_at) + request.duration.to_chrono();
    let mut grant_ids = Vec::new();
    for role in &request.roles {
        let grant = Grant::new(
            ids.next_id("gr"),
            &request.requester,
            role,
            &request.id,
            (starts_at, expires_at),
        );
        grant_ids.push(grant.id.clone());
        let active = grant.starts_at <= now;
        changes.grants.push(NewGrant {
            grant,
            activation_recorded: active,
        });
    }
    changes.events.push(
        EventBuilder::new(ids.next_id("ev"), now, actor, EventKind::RequestApproved)
            .subject(user_subject(&request.requester))
            .request(&request.id)
            .detail("roles", json!(request.roles))
            .detail("grants", json!(grant_ids))
            .detail("starts_at", time::format(starts_at))
            .detail("expires_at", time::format(expires_at))
            .build(),
    );
    for g in &changes.grants {
        if g.activation_recorded {
            let event = grant_moment(&g.grant, Moment::Activation, actor, now, ids);
            changes.events.push(event);
        }
    }
    Ok(())
}

/// True when `reviewer` may review `request` at `now`: pending, not their own, approver of
/// the current step, not yet reviewed by them. What [`review`] checks, for listing.
pub fn may_review(config: &Config, request: &Request, reviewer: &str, now: Time) -> bool {
    ensure_pending(request, now).is_ok() && eligible(config, request, reviewer).is_ok()
}

/// True when `user` approves any step of `request`'s policy.
pub fn approves_any_step(config: &Config, request: &Request, user: &str) -> bool {
    let groups = config.groups_of(user);
    config.policy(&request.policy).is_some_and(|p| {
        p.steps_for(request.extends.is_some())
            .iter()
            .any(|s| s.approvers.iter().any(|a| a.covers(user, groups)))
    })
}

/// True when `user` approves some step of some policy: an approver, who may see the
/// overview of requests and decisions.
pub fn approves_anywhere(config: &Config, user: &str) -> bool {
    let groups = config.groups_of(user);
    config.policies.iter().any(|p| {
        p.steps
            .iter()
            .any(|s| s.approvers.iter().any(|a| a.covers(user, groups)))
    })
}

/// Who may review the current step: never the requester, only its approvers, once each.
fn eligible<'c>(
    config: &'c Config,
    request: &Request,
    reviewer: &str,
) -> Result<(&'c Policy, usize, &'c Step), WicketError> {
    // INVARIANT: the requester never reviews their own request, even when listed as approver.
    if reviewer == request.requester {
        return Err(WicketError::forbidden(
            "self_review",
            format!(
                "`{reviewer}` requested `{}` and cannot review it",
                request.id
            ),
        ));
    }
    let policy = policy_of(config, request)?;
    let step_no = request.step as usize;
    let Some(step) = policy.steps_for(request.extends.is_some()).get(step_no) else {
        return Err(WicketError::conflict(
            "request_decided",
            format!("request `{}` has no step left to review", request.id),
        ));
    };
    let groups = config.groups_of(reviewer);
    if !step.approvers.iter().any(|s| s.covers(reviewer, groups)) {
        let approvers: Vec<String> = step.approvers.iter().map(ToString::to_string).collect();
        return Err(WicketError::forbidden(
            "not_an_approver",
            format!(
                "`{reviewer}` is not an approver of step {} of policy `{}` (approvers: {})",
                step_no + 1,
                policy.name,
                approvers.join(", ")
            ),
        ));
    }
    if request.reviews.iter().any(|r| r.reviewer == reviewer) {
        return Err(WicketError::conflict(
            "already_reviewed",
            format!("`{reviewer}` already reviewed request `{}`", request.id),
        ));
    }
    Ok((policy, step_no, step))
}

/// Records one reviewer's verdict on the current step of a pending request (not an
/// extension: see [`review_with`]).
pub fn review(
    config: &Config,
    request: &Request,
    reviewer: &str,
    verdict: Verdict,
    comment: Option<String>,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<Changes, WicketError> {
    review_with(config, request, None, reviewer, verdict, comment, now, ids)
}

/// Records one reviewer's verdict on the current step of a pending request; `grant` is the
/// grant an extension request extends, as stored now (`None` for other requests).
#[expect(
    clippy::too_many_arguments,
    reason = "one transition's inputs, each plain data"
)]
pub fn review_with(
    config: &Config,
    request: &Request,
    grant: Option<&Grant>,
    reviewer: &str,
    verdict: Verdict,
    comment: Option<String>,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<Changes, WicketError> {
    ensure_pending(request, now)?;
    ensure_short(comment.as_deref(), "comment_too_long", "comment")?;
    let (policy, step_no, step) = eligible(config, request, reviewer)?;
    let mut next = request.clone();
    next.version += 1;
    let review = Review {
        request_id: request.id.clone(),
        reviewer: reviewer.to_string(),
        step: request.step,
        decision: verdict,
        comment,
        at: now,
    };
    next.reviews.push(review.clone());
    let mut changes = Changes {
        reviews: vec![review.clone()],
        ..Changes::default()
    };
    changes.events.push(
        EventBuilder::new(ids.next_id("ev"), now, reviewer, EventKind::ReviewAdded)
            .subject(user_subject(&request.requester))
            .request(&request.id)
            .decision(verdict.as_str())
            .detail("step", step_no + 1)
            .detail("comment", review.comment.clone().unwrap_or_default())
            .build(),
    );
    match verdict {
        Verdict::Deny => {
            next.state = RequestState::Denied;
            next.decided_at = Some(now);
            changes.events.push(
                EventBuilder::new(ids.next_id("ev"), now, reviewer, EventKind::RequestDenied)
                    .subject(user_subject(&request.requester))
                    .request(&request.id)
                    .detail("step", step_no + 1)
                    .build(),
            );
        }
        Verdict::Approve => {
            let approvals = next
                .reviews
                .iter()
                .filter(|r| r.step == request.step && r.decision == Verdict::Approve)
                .count();
            if approvals >= step.min_approvals as usize {
                next.step += 1;
                if next.step as usize >= policy.steps_for(next.extends.is_some()).len() {
                    approve(config, &mut next, grant, now, reviewer, ids, &mut changes)?;
                }
            }
        }
    }
    changes.request = Some(RequestWrite::Update {
        request: next,
        expected_version: request.version,
    });
    Ok(changes)
}

/// Cancels a pending request; only its requester may.
pub fn cancel(
    request: &Request,
    actor: &str,
    comment: Option<String>,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<Changes, WicketError> {
    if actor != request.requester {
        return Err(WicketError::forbidden(
            "not_the_requester",
            format!(
                "only `{}` may cancel request `{}`",
                request.requester, request.id
            ),
        ));
    }
    // Past its ttl a request is expired, swept or not.
    ensure_pending(request, now)?;
    let event = EventBuilder::new(ids.next_id("ev"), now, actor, EventKind::RequestCancelled)
        .subject(user_subject(actor))
        .request(&request.id)
        .detail("comment", comment.unwrap_or_default())
        .build();
    Ok(closed(request, RequestState::Cancelled, now, event))
}

/// Expires a pending request whose `pending_until` has passed; `None` when it has not.
pub fn expire(request: &Request, now: Time, ids: &mut dyn IdSource) -> Option<Changes> {
    if request.state != RequestState::Pending || now < request.pending_until {
        return None;
    }
    let event = EventBuilder::new(ids.next_id("ev"), now, SYSTEM, EventKind::RequestExpired)
        .subject(user_subject(&request.requester))
        .request(&request.id)
        .detail("reason", "not decided within the request ttl")
        .build();
    Some(closed(request, RequestState::Expired, now, event))
}

/// `request` ended undecided in `state` at `now`, with `event` saying so: written over the
/// version read.
fn closed(request: &Request, state: RequestState, now: Time, event: NewEvent) -> Changes {
    let mut next = request.clone();
    next.version += 1;
    next.state = state;
    next.decided_at = Some(now);
    Changes {
        request: Some(RequestWrite::Update {
            request: next,
            expected_version: request.version,
        }),
        events: vec![event],
        ..Changes::default()
    }
}

/// Revokes a grant at once. The holder may release their own; others need `may_revoke_others`
/// (the `wicket:grants.revoke` power).
pub fn revoke(
    grant: &Grant,
    actor: &str,
    may_revoke_others: bool,
    reason: Option<String>,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<Changes, WicketError> {
    let own = actor == grant.user;
    if !own && !may_revoke_others {
        return Err(WicketError::forbidden(
            "missing_power",
            format!(
                "revoking another user's grant needs `wicket:grants.revoke` on `wicket`; `{actor}` lacks it"
            ),
        ));
    }
    let reason = written(reason.as_deref(), "reason_too_long", "reason")?;
    let reason = match reason {
        Some(r) => r,
        None if own => "released by the holder".to_string(),
        None => {
            return Err(WicketError::policy(
                "reason_required",
                "revoking another user's grant needs a reason",
            ));
        }
    };
    match grant.status(now) {
        GrantStatus::Revoked => {
            return Err(WicketError::conflict(
                "grant_revoked",
                format!("grant `{}` is already revoked", grant.id),
            ));
        }
        GrantStatus::Expired => {
            return Err(WicketError::conflict(
                "grant_expired",
                format!("grant `{}` has already expired", grant.id),
            ));
        }
        GrantStatus::Scheduled | GrantStatus::Active => {}
    }
    let event = EventBuilder::new(ids.next_id("ev"), now, actor, EventKind::GrantRevoked)
        .subject(user_subject(&grant.user))
        .request(&grant.request_id)
        .grant(&grant.id)
        .detail("role", grant.role.clone())
        .detail("reason", reason.clone())
        .build();
    Ok(Changes {
        revocation: Some(Revocation {
            grant_id: grant.id.clone(),
            at: now,
            by: actor.to_string(),
            reason,
        }),
        events: vec![event],
        ..Changes::default()
    })
}

/// The `high` anomaly every break-glass request raises.
fn break_glass_anomaly(
    request: &Request,
    grant_id: Option<String>,
    now: Time,
    ids: &mut dyn IdSource,
) -> (Anomaly, crate::model::NewEvent) {
    let anomaly = Anomaly {
        id: ids.next_id("an"),
        at: now,
        rule: "break_glass".into(),
        severity: Severity::High,
        subject: user_subject(&request.requester),
        request_id: Some(request.id.clone()),
        grant_id,
        summary: format!(
            "`{}` used break-glass for `{}` ({}); review after the fact",
            request.requester,
            request.roles.join("`, `"),
            request.duration
        ),
    };
    let mut event = EventBuilder::new(ids.next_id("ev"), now, SYSTEM, EventKind::AnomalyFlagged)
        .subject(anomaly.subject.clone())
        .request(&request.id)
        .detail("anomaly_id", anomaly.id.clone())
        .detail("rule", anomaly.rule.clone())
        .detail("severity", anomaly.severity.as_str())
        .detail("summary", anomaly.summary.clone());
    if let Some(g) = &anomaly.grant_id {
        event = event.grant(g);
    }
    (anomaly, event.build())
}

#[cfg(test)]
mod tests;
