//! Approval by being on call: when a step's `oncall` schedule has the requester on call now,
//! the step is approved by `wicket:oncall`, with the schedule and the shift recorded. Who is on
//! call is asked of the provider by the engine; this only records what it found.

use serde_json::json;

use super::{Changes, IdSource, RequestWrite, approve, ensure_pending, policy_of, user_subject};
use crate::audit::{EventBuilder, EventKind};
use crate::config::Config;
use crate::config::oncall::Provider;
use crate::error::WicketError;
use crate::model::{Grant, Request, Review, Verdict};
use crate::time::{self, Time};

/// The reviewer name of on-call approvals.
pub const ONCALL: &str = "wicket:oncall";

/// What the provider said: the requester is on call now for `schedule`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnCallEvidence {
    pub provider: Provider,
    pub schedule: String,
    /// The step (counted from 0) the lookup was made for.
    pub step: u32,
    /// PagerDuty's escalation level of the on-call entry.
    pub escalation_level: Option<u32>,
    /// The shift, when the provider says.
    pub shift_start: Option<Time>,
    pub shift_end: Option<Time>,
}

/// Approves the current step of `request` because its requester is on call (`evidence`); the
/// request is approved when that was the last step. `grant` as for `review_with`.
pub fn oncall_approve(
    config: &Config,
    request: &Request,
    grant: Option<&Grant>,
    evidence: &OnCallEvidence,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<Changes, WicketError> {
    ensure_pending(request, now)?;
    let policy = policy_of(config, request)?;
    let steps = policy.steps_for(request.extends.is_some());
    let step_no = request.step as usize;
    let oncall = steps.get(step_no).and_then(|s| s.oncall.as_ref());
    let fits = oncall.is_some_and(|o| {
        o.provider == evidence.provider && o.schedules.contains(&evidence.schedule)
    });
    if request.step != evidence.step || !fits {
        return Err(WicketError::conflict(
            "step_changed",
            format!(
                "request `{}` is no longer at an on-call step of schedule `{}`",
                request.id, evidence.schedule
            ),
        ));
    }
    if request.reviews.iter().any(|r| r.reviewer == ONCALL) {
        return Err(WicketError::conflict(
            "already_reviewed",
            format!(
                "`{ONCALL}` already approved a step of request `{}`",
                request.id
            ),
        ));
    }
    let shift = match (evidence.shift_start, evidence.shift_end) {
        (Some(s), Some(e)) => format!(" (shift {} to {})", time::format(s), time::format(e)),
        _ => String::new(),
    };
    let comment = format!(
        "`{}` is on call now for {} schedule `{}`{shift}",
        request.requester,
        evidence.provider.as_str(),
        evidence.schedule
    );
    let review = Review {
        request_id: request.id.clone(),
        reviewer: ONCALL.to_string(),
        step: request.step,
        decision: Verdict::Approve,
        comment: Some(comment.clone()),
        at: now,
    };
    let mut next = request.clone();
    next.version += 1;
    next.reviews.push(review.clone());
    next.step += 1;
    let mut changes = Changes {
        reviews: vec![review],
        ..Changes::default()
    };
    changes.events.push(
        EventBuilder::new(ids.next_id("ev"), now, ONCALL, EventKind::ReviewAdded)
            .subject(user_subject(&request.requester))
            .request(&request.id)
            .decision(Verdict::Approve.as_str())
            .detail("step", step_no + 1)
            .detail("comment", comment)
            .detail(
                "oncall",
                json!({
                    "provider": evidence.provider.as_str(),
                    "schedule": evidence.schedule,
                    "escalation_level": evidence.escalation_level,
                    "shift_start": evidence.shift_start.map(time::format),
                    "shift_end": evidence.shift_end.map(time::format),
                }),
            )
            .build(),
    );
    if next.step as usize >= steps.len() {
        approve(config, &mut next, grant, now, ONCALL, ids, &mut changes)?;
    }
    changes.request = Some(RequestWrite::Update {
        request: next,
        expected_version: request.version,
    });
    Ok(changes)
}

/// The on-call setting of the step `request` waits on now, if it has one.
pub fn pending_oncall<'c>(
    config: &'c Config,
    request: &Request,
) -> Option<&'c crate::config::oncall::OnCallStep> {
    if request.state != crate::model::RequestState::Pending {
        return None;
    }
    let policy = config.policy(&request.policy)?;
    let steps = policy.steps_for(request.extends.is_some());
    steps.get(request.step as usize)?.oncall.as_ref()
}

#[cfg(test)]
mod tests;
