//! Extending a live grant: the holder asks for more time, the grant's policy decides (its
//! `extend_steps`, or its `steps`), and the approval moves the grant's end; the grant keeps
//! its id. The whole window never exceeds the policy's `max_extended`.

use serde_json::json;

use super::{Changes, Extension, IdSource, RequestWrite, approve, policy_of, user_subject};
use crate::audit::{EventBuilder, EventKind};
use crate::config::{Config, Policy};
use crate::duration::Duration;
use crate::error::WicketError;
use crate::model::{Grant, GrantStatus, Request, RequestState};
use crate::time::{self, Time};

/// Refuses to extend a grant that is no longer live at `now`, saying what happened to it.
fn ensure_live(grant: &Grant, now: Time) -> Result<(), WicketError> {
    match grant.status(now) {
        GrantStatus::Revoked => Err(WicketError::conflict(
            "grant_revoked",
            format!(
                "grant `{}` was revoked; a revoked grant cannot be extended, request the role again",
                grant.id
            ),
        )),
        GrantStatus::Expired => Err(WicketError::conflict(
            "grant_expired",
            format!(
                "grant `{}` expired at {}; an expired grant cannot be extended, request the role again",
                grant.id,
                time::format(grant.expires_at)
            ),
        )),
        GrantStatus::Scheduled | GrantStatus::Active => Ok(()),
    }
}

/// The end of `grant` after adding `by`, if the whole window stays within `max_extended`.
fn extended_end(policy: &Policy, grant: &Grant, by: Duration) -> Result<Time, WicketError> {
    let end = grant.expires_at + by.to_chrono();
    let window = (end - grant.starts_at).num_seconds();
    // INVARIANT: an extension never makes the window longer than `max_extended`.
    if window > policy.max_extended.as_secs() {
        let left =
            policy.max_extended.as_secs() - (grant.expires_at - grant.starts_at).num_seconds();
        let room = match Duration::from_secs(left) {
            Some(d) => format!("; at most `{d}` more can be asked"),
            None => "; it cannot be extended any further".to_string(),
        };
        return Err(WicketError::policy(
            "extension_exceeds_max",
            format!(
                "extending grant `{}` by `{by}` would make its window longer than the `{}` (max_extended) policy `{}` allows{room}",
                grant.id, policy.max_extended, policy.name
            ),
        ));
    }
    Ok(end)
}

/// What a holder asks for: `by` more time, with a reason.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExtension {
    pub by: Option<String>,
    pub reason: Option<String>,
}

/// Asks to extend `grant` (created by request `origin`) by `input.by`, for `requester` at
/// `now`. Approved at once when the policy's extension has no steps.
pub fn extend(
    config: &Config,
    grant: &Grant,
    origin: &Request,
    requester: &str,
    input: &NewExtension,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<Changes, WicketError> {
    // INVARIANT: only the holder extends their own grant.
    if requester != grant.user {
        return Err(WicketError::forbidden(
            "not_the_holder",
            format!(
                "grant `{}` is not `{requester}`'s; only its holder may ask to extend it",
                grant.id
            ),
        ));
    }
    ensure_live(grant, now)?;
    let policy = policy_of(config, origin)?;
    let groups = config.groups_of(requester);
    if !policy.covers_requester(requester, groups) || !policy.offers(&grant.role) {
        return Err(WicketError::policy(
            "not_a_requester",
            format!(
                "policy `{}` no longer lets `{requester}` request `{}`",
                policy.name, grant.role
            ),
        ));
    }
    let by = match input.by.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(WicketError::invalid(
                "missing_by",
                "say how much longer with `by`, like `30m` or `1h`",
            ));
        }
        Some(s) => Duration::parse(s).map_err(|e| WicketError::invalid("invalid_duration", e))?,
    };
    let end = extended_end(policy, grant, by)?;
    let reason = super::create::reason_for(policy, &input.reason)?;
    // Past the grant's end there is nothing left to extend.
    let pending_until = (now + policy.request_ttl.to_chrono()).min(grant.expires_at);
    let mut request = Request {
        id: ids.next_id("req"),
        requester: requester.to_string(),
        roles: vec![grant.role.clone()],
        policy: policy.name.clone(),
        reason,
        ticket: origin.ticket.clone(),
        duration: by,
        start_at: None,
        break_glass: false,
        action: None,
        resource: None,
        state: RequestState::Pending,
        step: 0,
        created_at: now,
        pending_until,
        decided_at: None,
        extends: Some(grant.id.clone()),
        reviews: Vec::new(),
        version: 1,
    };
    let mut changes = Changes::default();
    changes.events.push(
        super::create::created_event(&request, now, ids)
            .grant(&grant.id)
            .detail("extends", grant.id.clone())
            .detail("expires_at", time::format(grant.expires_at))
            .detail("extended_to", time::format(end))
            .build(),
    );
    if policy.steps_for(true).is_empty() {
        approve(
            config,
            &mut request,
            Some(grant),
            now,
            requester,
            ids,
            &mut changes,
        )?;
    }
    changes.request = Some(RequestWrite::Insert(request));
    Ok(changes)
}

/// Approves extension `request` of `grant` at `now`: the grant's end moves by the request's
/// duration, if the grant is still live and the window still within `max_extended`.
pub(super) fn approve_extension(
    config: &Config,
    request: &mut Request,
    grant: Option<&Grant>,
    now: Time,
    actor: &str,
    ids: &mut dyn IdSource,
    changes: &mut Changes,
) -> Result<(), WicketError> {
    let wanted = request.extends.as_deref().unwrap_or_default();
    let Some(grant) = grant.filter(|g| g.id == wanted) else {
        return Err(WicketError::conflict(
            "grant_missing",
            format!(
                "grant `{wanted}` that request `{}` extends was not found",
                request.id
            ),
        ));
    };
    ensure_live(grant, now)?;
    let policy = policy_of(config, request)?;
    let end = extended_end(policy, grant, request.duration)?;
    request.state = RequestState::Approved;
    request.decided_at = Some(now);
    request.step = policy.steps_for(true).len() as u32;
    let mut after = grant.clone();
    after.expires_at = end;
    changes.events.push(
        EventBuilder::new(ids.next_id("ev"), now, actor, EventKind::RequestApproved)
            .subject(user_subject(&request.requester))
            .request(&request.id)
            .grant(&grant.id)
            .detail("roles", json!(request.roles))
            .detail("grants", json!([grant.id]))
            .detail("extends", grant.id.clone())
            .detail("starts_at", time::format(grant.starts_at))
            .detail("expires_at", time::format(end))
            .build(),
    );
    changes.events.push(
        EventBuilder::new(ids.next_id("ev"), now, actor, EventKind::GrantExtended)
            .subject(user_subject(&grant.user))
            .request(&request.id)
            .grant(&grant.id)
            .detail("role", grant.role.clone())
            .detail("by", request.duration.to_string())
            .detail("origin_request", grant.request_id.clone())
            .detail("starts_at", time::format(grant.starts_at))
            .detail("previous_expires_at", time::format(grant.expires_at))
            .detail("expires_at", time::format(end))
            .build(),
    );
    changes.extension = Some(Extension {
        grant: after,
        previous_expires_at: grant.expires_at,
    });
    Ok(())
}

#[cfg(test)]
mod tests;
