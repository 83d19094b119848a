//! Creating a request: pick the roles and the policy, check every rule, approve at once when
//! the policy has no steps or the request is break-glass.

use serde::Deserialize;
use serde_json::json;

use super::{
    Changes, IdSource, MAX_ROLES, MAX_TICKET, RequestWrite, approve, break_glass_anomaly,
    user_subject, written,
};
use crate::action::Action;
use crate::audit::EventBuilder;
use crate::audit::EventKind;
use crate::config::{Config, Policy};
use crate::decide::requestable;
use crate::duration::Duration;
use crate::error::WicketError;
use crate::index::Index;
use crate::model::{Request, RequestState};
use crate::resource::Resource;
use crate::time::{self, Time};

/// How far ahead a request may be scheduled.
pub const MAX_SCHEDULE_AHEAD_DAYS: i64 = 90;
/// How far in the past a `start_at` may lie (clock skew).
pub const START_AT_SKEW_SECONDS: i64 = 60;

/// What a requester asks for, as received.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    #[serde(default)]
    pub roles: Vec<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub duration: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub start_at: Option<String>,
    pub policy: Option<String>,
    #[serde(default)]
    pub break_glass: bool,
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The reason given, trimmed (`None` when blank): refused when too long, or missing where
/// `policy` requires one (a request and an extension alike).
pub(super) fn reason_for(
    policy: &Policy,
    given: &Option<String>,
) -> Result<Option<String>, WicketError> {
    let reason = written(given.as_deref(), "reason_too_long", "reason")?;
    if policy.require_reason && reason.is_none() {
        return Err(WicketError::policy(
            "reason_required",
            format!("policy `{}` requires a reason", policy.name),
        ));
    }
    Ok(reason)
}

/// Resolves `action` + `resource` to the smallest role the requester may request for it.
fn role_for(
    index: &Index,
    requester: &str,
    input: &NewRequest,
    action: &str,
    resource: &str,
) -> Result<(String, String), WicketError> {
    let action = Action::parse(action).map_err(|e| WicketError::invalid("invalid_action", e))?;
    let resource =
        Resource::parse(resource).map_err(|e| WicketError::invalid("invalid_resource", e))?;
    let config = index.config();
    let groups = config.groups_of(requester);
    if let Some(g) = config
        .guardrails
        .iter()
        .find(|g| g.applies_to(requester, groups) && g.matches(&action, &resource))
    {
        return Err(WicketError::policy(
            "denied_by_guardrail",
            format!(
                "`{action}` on `{resource}` is denied by guardrail `{}`: {}; no role can allow it",
                g.name, g.reason
            ),
        ));
    }
    requestable(index, requester, &action, &resource)
        .into_iter()
        .find(|r| {
            input.policy.as_ref().is_none_or(|p| {
                *p == r.policy || config.policy(p).is_some_and(|p| p.offers(&r.role))
            })
        })
        .map(|r| (r.role, r.policy))
        .ok_or_else(|| {
            // No role grants the action anywhere: most likely a typo in it.
            let granted = config
                .roles
                .iter()
                .flat_map(|r| r.pairs())
                .any(|(a, _)| a.matches(&action));
            if !granted {
                let literal = config
                    .roles
                    .iter()
                    .flat_map(|r| r.pairs())
                    .filter_map(|(a, _)| match a {
                        crate::action::ActionPattern::Exact(a) => Some(a.as_str()),
                        _ => None,
                    });
                let hint = crate::suggest::closest(action.as_str(), literal)
                    .map(|near| format!("; did you mean `{near}`?"))
                    .unwrap_or_default();
                return WicketError::policy(
                    "unknown_action",
                    format!("no role grants `{action}` on any resource{hint}"),
                );
            }
            WicketError::policy(
                "nothing_requestable",
                format!("no role that `{requester}` may request allows `{action}` on `{resource}`"),
            )
        })
}

/// Refuses a request for a role the requester holds as a standing role.
fn already_standing(
    index: &Index,
    requester: &str,
    roles: &[String],
    now: Time,
) -> Result<(), WicketError> {
    let config = index.config();
    for s in index.standing_of(requester) {
        let role = &config.roles[s.role as usize].name;
        if roles.contains(role) && s.expires_at.is_none_or(|e| now < e) {
            return Err(WicketError::conflict(
                "already_held",
                format!(
                    "`{requester}` already holds `{role}` as a standing role; there is nothing to request"
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a request that would add no time: one of its roles is held through a grant whose
/// window already covers the whole window asked for (`start`, for `duration`). Asking again
/// to go on past a grant's end is a renewal, and allowed.
fn already_granted(
    index: &Index,
    requester: &str,
    roles: &[String],
    start: Time,
    duration: Duration,
) -> Result<(), WicketError> {
    let config = index.config();
    let end = start + duration.to_chrono();
    for g in index.grants_of(requester) {
        let role = &config.roles[g.role].name;
        if roles.contains(role) && g.starts_at <= start && end < g.expires_at {
            return Err(WicketError::conflict(
                "already_granted",
                format!(
                    "`{requester}` already holds `{role}` through grant `{}` until {}, longer than this request would give; release it first to ask for something else",
                    g.id,
                    time::format(g.expires_at),
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a request by action and resource when the requester may already do it.
fn already_allowed(
    index: &Index,
    requester: &str,
    action: &str,
    resource: &str,
    now: Time,
) -> Result<(), WicketError> {
    let (Ok(a), Ok(r)) = (Action::parse(action), Resource::parse(resource)) else {
        return Ok(()); // `role_for` names what is wrong with them
    };
    let d = crate::decide::decide(index, requester, &a, &r, now);
    // Through a grant, asking again is a renewal (judged once the duration is known).
    let through_grant = d.via.as_ref().is_some_and(|v| v.grant_id.is_some());
    if !d.allowed || through_grant {
        return Ok(());
    }
    Err(WicketError::conflict(
        "already_allowed",
        format!(
            "`{requester}` may already do `{a}` on `{r}` ({}); there is nothing to request",
            d.reason
        ),
    ))
}

fn choose_policy<'c>(
    config: &'c Config,
    requester: &str,
    roles: &[String],
    named: Option<&str>,
    break_glass: bool,
) -> Result<&'c Policy, WicketError> {
    let groups = config.groups_of(requester);
    let fits =
        |p: &Policy| p.covers_requester(requester, groups) && roles.iter().all(|r| p.offers(r));
    if let Some(name) = named {
        let policy = config.policy(name).ok_or_else(|| {
            WicketError::policy("unknown_policy", format!("unknown policy `{name}`"))
        })?;
        if !policy.covers_requester(requester, groups) {
            return Err(WicketError::policy(
                "not_a_requester",
                format!("policy `{name}` does not let `{requester}` request access"),
            ));
        }
        if let Some(r) = roles.iter().find(|r| !policy.offers(r)) {
            return Err(WicketError::policy(
                "role_not_offered",
                format!("policy `{name}` does not offer role `{r}`"),
            ));
        }
        return Ok(policy);
    }
    // A break-glass request goes to the first matching policy that allows break-glass; when
    // none does, the first matching policy refuses it below, saying why.
    let glass = break_glass
        .then(|| config.policies.iter().find(|p| p.break_glass && fits(p)))
        .flatten();
    glass
        .or_else(|| config.policies.iter().find(|p| fits(p)))
        .ok_or_else(|| {
            let alone = |r: &String| config.policies.iter().any(|p| p.covers_requester(requester, groups) && p.offers(r));
            let message = match roles {
                [one] => format!("no policy lets `{requester}` request `{one}`"),
                _ if roles.iter().all(alone) => format!(
                    "no policy lets `{requester}` request `{}` together; request them one at a time",
                    roles.join("`, `")
                ),
                _ => format!(
                    "no policy lets `{requester}` request `{}`",
                    roles.iter().filter(|r| !alone(r)).cloned().collect::<Vec<_>>().join("`, `")
                ),
            };
            WicketError::policy("no_policy", message)
        })
}

/// Creates a request from `input` for `requester` at `now`.
pub fn create(
    index: &Index,
    requester: &str,
    input: &NewRequest,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<Changes, WicketError> {
    let config = index.config();
    if config.user(requester).is_none() {
        return Err(WicketError::forbidden(
            "unknown_user",
            format!("unknown user `{requester}`"),
        ));
    }
    let (mut roles, mut policy_name) = (input.roles.clone(), input.policy.clone());
    match (&input.action, &input.resource, roles.is_empty()) {
        (Some(action), Some(resource), true) => {
            already_allowed(index, requester, action, resource, now)?;
            let (role, policy) = role_for(index, requester, input, action, resource)?;
            roles = vec![role];
            // The role's first offering policy, unless break-glass looks further (see below).
            if !input.break_glass {
                policy_name = Some(policy_name.unwrap_or(policy));
            }
        }
        (None, None, false) => {}
        (None, None, true) => {
            return Err(WicketError::invalid(
                "nothing_requested",
                "name `roles`, or an `action` and a `resource`",
            ));
        }
        (Some(_), Some(_), false) => {
            return Err(WicketError::invalid(
                "ambiguous_request",
                "name either `roles` or an `action` and a `resource`, not both",
            ));
        }
        _ => {
            return Err(WicketError::invalid(
                "incomplete_request",
                "`action` and `resource` go together; give both",
            ));
        }
    }
    if roles.len() > MAX_ROLES {
        return Err(WicketError::invalid(
            "too_many_roles",
            format!("a request may name at most {MAX_ROLES} roles"),
        ));
    }
    for (i, r) in roles.iter().enumerate() {
        if config.role(r).is_none() {
            let names = config.roles.iter().map(|role| role.name.as_str());
            let hint = match crate::suggest::closest(r, names) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => String::new(),
            };
            return Err(WicketError::policy(
                "unknown_role",
                format!("unknown role `{r}`{hint}"),
            ));
        }
        if roles[..i].contains(r) {
            return Err(WicketError::invalid(
                "duplicate_role",
                format!("role `{r}` is named twice"),
            ));
        }
    }
    already_standing(index, requester, &roles, now)?;
    let policy = choose_policy(
        config,
        requester,
        &roles,
        policy_name.as_deref(),
        input.break_glass,
    )?;

    let duration = match &input.duration {
        None => policy.default_duration,
        Some(d) => Duration::parse(d).map_err(|e| WicketError::invalid("invalid_duration", e))?,
    };
    // INVARIANT: over the maximum is rejected, never shortened.
    if duration > policy.max_duration {
        return Err(WicketError::policy(
            "duration_exceeds_max",
            format!(
                "duration `{duration}` is longer than the `{}` policy `{}` allows",
                policy.max_duration, policy.name
            ),
        ));
    }
    let reason = reason_for(policy, &input.reason)?;
    let ticket = trimmed(&input.ticket);
    if ticket.as_ref().is_some_and(|t| t.len() > MAX_TICKET) {
        return Err(WicketError::invalid(
            "ticket_too_long",
            format!("ticket is longer than {MAX_TICKET} bytes"),
        ));
    }
    if let (Some(re), Some(text)) = (&policy.ticket_pattern, &policy.ticket_pattern_text) {
        match &ticket {
            None => {
                return Err(WicketError::policy(
                    "ticket_required",
                    format!(
                        "policy `{}` requires a ticket matching `{text}`",
                        policy.name
                    ),
                ));
            }
            Some(t) if !re.is_match(t) => {
                return Err(WicketError::policy(
                    "ticket_invalid",
                    format!(
                        "ticket `{t}` does not match `{text}` required by policy `{}`",
                        policy.name
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let start_at = match &input.start_at {
        None => None,
        Some(s) => {
            let t = time::parse(s).map_err(|e| WicketError::invalid("invalid_start_at", e))?;
            // INVARIANT: a grant's window is never over before it begins.
            if t < now - chrono::Duration::seconds(START_AT_SKEW_SECONDS)
                || t + duration.to_chrono() <= now
            {
                return Err(WicketError::policy(
                    "start_at_in_past",
                    format!("start_at `{s}` is in the past"),
                ));
            }
            if t > now + chrono::Duration::days(MAX_SCHEDULE_AHEAD_DAYS) {
                return Err(WicketError::policy(
                    "start_at_too_far",
                    format!("start_at `{s}` is more than {MAX_SCHEDULE_AHEAD_DAYS} days ahead"),
                ));
            }
            Some(t)
        }
    };
    already_granted(index, requester, &roles, start_at.unwrap_or(now), duration)?;
    if input.break_glass && !policy.break_glass {
        return Err(WicketError::policy(
            "break_glass_not_allowed",
            format!(
                "policy `{}` does not allow break-glass requests",
                policy.name
            ),
        ));
    }

    let ttl_end = now + policy.request_ttl.to_chrono();
    let mut request = Request {
        id: ids.next_id("req"),
        requester: requester.to_string(),
        roles,
        policy: policy.name.clone(),
        reason,
        ticket,
        duration,
        start_at,
        break_glass: input.break_glass,
        action: if input.roles.is_empty() {
            input.action.clone()
        } else {
            None
        },
        resource: if input.roles.is_empty() {
            input.resource.clone()
        } else {
            None
        },
        state: RequestState::Pending,
        step: 0,
        created_at: now,
        // Approving after the scheduled window ended would grant nothing.
        pending_until: start_at.map_or(ttl_end, |s| ttl_end.min(s + duration.to_chrono())),
        decided_at: None,
        extends: None,
        reviews: Vec::new(),
        version: 1,
    };
    let mut changes = Changes::default();
    changes
        .events
        .push(created_event(&request, now, ids).build());
    if policy.steps.is_empty() || input.break_glass {
        approve(
            config,
            &mut request,
            None,
            now,
            requester,
            ids,
            &mut changes,
        )?;
        if input.break_glass {
            let grant = changes.grants.first().map(|g| g.grant.id.clone());
            let (anomaly, event) = break_glass_anomaly(&request, grant, now, ids);
            changes.anomalies.push(anomaly);
            changes.events.push(event);
        }
    }
    changes.request = Some(RequestWrite::Insert(request));
    Ok(changes)
}

/// The `request.created` event for a new `request` at `now`, with the details every request
/// has; an extension adds its own.
pub(super) fn created_event(request: &Request, now: Time, ids: &mut dyn IdSource) -> EventBuilder {
    let requester = request.requester.as_str();
    EventBuilder::new(ids.next_id("ev"), now, requester, EventKind::RequestCreated)
        .subject(user_subject(requester))
        .request(&request.id)
        .detail("roles", json!(request.roles))
        .detail("policy", request.policy.clone())
        .detail("duration", request.duration.to_string())
        .detail("reason", request.reason.clone().unwrap_or_default())
        .detail("ticket", request.ticket.clone().unwrap_or_default())
        .detail("break_glass", request.break_glass)
}
