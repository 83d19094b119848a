//! The decision: may this user do this action on this resource, now?

use serde::Serialize;

use crate::action::Action;
use crate::index::Index;
use crate::resource::Resource;
use crate::time::Time;

/// Which role allowed a check, and through which grant if it was not standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Via {
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
}

/// A role the subject could request, and the policy that governs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Requestable {
    pub role: String,
    pub policy: String,
}

/// The verdict of [`decide`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<String>,
    pub requestable: Vec<Requestable>,
}

impl Decision {
    fn deny(reason: String) -> Decision {
        Decision { allowed: false, reason, via: None, guardrail: None, requestable: Vec::new() }
    }
}

/// Decides a check at `now`. Deny by default; a matching guardrail beats every allow;
/// standing bindings (unexpired) and grants active at `now` allow.
pub fn decide(index: &Index, user: &str, action: &Action, resource: &Resource, now: Time) -> Decision {
    let config = index.config();
    let Some(u) = config.user(user) else {
        return Decision::deny(format!("unknown user `{user}`"));
    };
    // INVARIANT: a guardrail that matches denies, whatever else holds.
    if let Some(g) = config
        .guardrails
        .iter()
        .find(|g| g.applies_to(user, &u.groups) && g.matches(action, resource))
    {
        let mut d = Decision::deny(format!("denied by guardrail `{}`: {}", g.name, g.reason));
        d.guardrail = Some(g.name.clone());
        return d;
    }
    for s in index.standing_of(user) {
        if s.expires_at.is_none_or(|e| now < e) && config.roles[s.role].allows(action, resource) {
            return Decision {
                allowed: true,
                reason: format!("allowed by standing role `{}`", config.roles[s.role].name),
                via: Some(Via { role: config.roles[s.role].name.clone(), grant_id: None, expires_at: s.expires_at }),
                guardrail: None,
                requestable: Vec::new(),
            };
        }
    }
    // INVARIANT: only a grant whose window holds `now` allows; the longest-lasting one is named.
    let best = index
        .grants_of(user)
        .iter()
        .filter(|g| g.starts_at <= now && now < g.expires_at && config.roles[g.role].allows(action, resource))
        .max_by_key(|g| g.expires_at);
    if let Some(g) = best {
        let role = &config.roles[g.role].name;
        return Decision {
            allowed: true,
            reason: format!("allowed by grant `{}` of role `{role}`", g.id),
            via: Some(Via { role: role.clone(), grant_id: Some(g.id.clone()), expires_at: Some(g.expires_at) }),
            guardrail: None,
            requestable: Vec::new(),
        };
    }
    let mut d = Decision::deny(format!("no role of `{user}` allows `{action}` on `{resource}`"));
    d.requestable = requestable(index, user, action, resource);
    if !d.requestable.is_empty() {
        let names: Vec<&str> = d.requestable.iter().map(|r| r.role.as_str()).collect();
        d.reason.push_str(&format!("; you may request `{}`", names.join("`, `")));
    }
    d
}

/// The roles `user` may request under some policy that would allow `action` on `resource`,
/// smallest first, each with the first policy (in file order) that offers it.
pub fn requestable(index: &Index, user: &str, action: &Action, resource: &Resource) -> Vec<Requestable> {
    let config = index.config();
    let groups = config.groups_of(user);
    let mut found: Vec<(usize, &str)> = Vec::new();
    for policy in config.policies.iter().filter(|p| p.covers_requester(user, groups)) {
        for role in &policy.roles {
            if let Some(pos) = config.role_position(role)
                && !found.iter().any(|(r, _)| *r == pos)
                && config.roles[pos].allows(action, resource)
            {
                found.push((pos, &policy.name));
            }
        }
    }
    found.sort_by(|a, b| config.roles[a.0].size().cmp(&config.roles[b.0].size()));
    found
        .into_iter()
        .map(|(r, p)| Requestable { role: config.roles[r].name.clone(), policy: p.to_string() })
        .collect()
}

#[cfg(test)]
mod tests;
