//! Who may see, review and hold what, for the JSON API and the web UI alike: core's rules
//! applied to the engine's state, the time always passed in.

use wicket_core::{Power, Request, Time, workflow};

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
            role: app.config.roles[s.role].name.clone(),
            expires_at: s.expires_at,
        })
        .collect()
}
