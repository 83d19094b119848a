//! Who may see, review and hold what, for the JSON API and the web UI alike: core's rules
//! applied to the engine's state, the time always passed in.

use wicket_core::{Action, GrantStatus, Power, Request, Resource, Time, time, workflow};

use crate::app::App;

/// True when `user` may review `request` at `now` (core's rule: pending, not theirs,
/// approver of the current step, not yet reviewed).
pub fn reviewable_by(app: &App, request: &Request, user: &str, now: Time) -> bool {
    workflow::may_review(&app.config, request, user, now)
}

/// True when `user` may see `request`: its requester, an approver of any of its steps, or a
/// holder of `wicket:requests.read`.
pub fn visible_to(app: &App, request: &Request, user: &str) -> bool {
    request.requester == user
        || workflow::approves_any_step(&app.config, request, user)
        || app.has_power(user, Power::RequestsRead)
}

/// A standing role held now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandingRole {
    pub role: String,
    pub expires_at: Option<Time>,
}

/// The standing roles `user` holds at `now` (bindings whose `expires_at` has passed are gone).
pub fn standing_roles(app: &App, user: &str, now: Time) -> Vec<StandingRole> {
    app.index()
        .standing_of(user)
        .iter()
        .filter(|s| s.expires_at.is_none_or(|e| now < e))
        .map(|s| StandingRole {
            role: app.config.roles[s.role as usize].name.clone(),
            expires_at: s.expires_at,
        })
        .collect()
}

/// Whether a live session of `user` may go on: `action` on `resource` is decided again at
/// `at`. `Ok(grant)` names the grant that allows it now (if any); `Err(why)` says why it must
/// end, naming the grant `previous` that allowed it before when there was one (expired, or
/// revoked by whom and why). The PostgreSQL and SSH gateways watch their sessions with it.
pub async fn still_allowed(
    app: &App,
    user: &str,
    action: &Action,
    resource: &Resource,
    previous: Option<&str>,
    at: Time,
) -> Result<Option<String>, String> {
    let d = app.decide(user, action, resource, at);
    if d.allowed {
        return Ok(d.via.and_then(|v| v.grant_id));
    }
    let fallback = format!(
        "`{action}` on `{resource}` is no longer allowed: {}",
        d.reason
    );
    let Some(id) = previous else {
        return Err(fallback);
    };
    Err(match app.store.get_grant(id).await {
        Ok(Some(g)) => match g.status(at) {
            GrantStatus::Revoked => {
                let by = g.revoked_by.as_deref().unwrap_or("someone");
                let why = g
                    .revoke_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                format!(
                    "grant `{id}` of role `{}` was revoked by `{by}`{why}",
                    g.role
                )
            }
            GrantStatus::Expired => format!(
                "grant `{id}` of role `{}` expired at {}",
                g.role,
                time::format(g.expires_at)
            ),
            _ => fallback,
        },
        _ => fallback,
    })
}
