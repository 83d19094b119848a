//! Who may see, review and hold what: the rules the JSON API and the web UI share, so the two
//! front doors cannot drift apart.

use wicket_core::{Request, RequestState, Time, powers};

use crate::app::{App, now};

/// True when `user` may review `request` now: pending, not theirs, approver of the current
/// step, not yet reviewed.
pub fn reviewable_by(app: &App, request: &Request, user: &str) -> bool {
    let now = now();
    if request.state != RequestState::Pending
        || now >= request.pending_until
        || request.requester == user
    {
        return false;
    }
    if request.reviews.iter().any(|r| r.reviewer == user) {
        return false;
    }
    let groups = app.config.groups_of(user);
    app.config
        .policy(&request.policy)
        .and_then(|p| p.steps.get(request.step as usize))
        .is_some_and(|s| s.approvers.iter().any(|a| a.covers(user, groups)))
}

/// True when `user` may see `request`: its requester, an approver of any of its steps, or a
/// holder of `wicket:requests.read`.
pub fn visible_to(app: &App, request: &Request, user: &str) -> bool {
    if request.requester == user {
        return true;
    }
    let groups = app.config.groups_of(user);
    let approver = app.config.policy(&request.policy).is_some_and(|p| {
        p.steps
            .iter()
            .any(|s| s.approvers.iter().any(|a| a.covers(user, groups)))
    });
    approver || app.has_power(user, powers::REQUESTS_READ)
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
            role: app.config.roles[s.role].name.clone(),
            expires_at: s.expires_at,
        })
        .collect()
}
