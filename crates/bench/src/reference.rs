//! The decision as Wicket first wrote it: scan the guardrails, then the user's standing roles
//! and grants pattern by pattern, then every policy's roles for "requestable". Kept, through
//! the public API only, as the oracle `decide` must agree with word for word, and as the
//! "before" in BENCHMARKS.md.

use wicket_core::index::Standing;
use wicket_core::{Action, Config, Decision, Index, Requestable, Resource, Time, Via};

pub fn decide(
    index: &Index,
    user: &str,
    action: &Action,
    resource: &Resource,
    now: Time,
) -> Decision {
    let config = index.config();
    let Some(u) = config.user(user) else {
        return Decision::deny(format!("unknown user `{user}`"));
    };
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
        if s.expires_at.is_none_or(|e| now < e)
            && config.roles[s.role as usize].allows(action, resource)
        {
            let role = &config.roles[s.role as usize].name;
            let via = Via {
                role: role.clone(),
                grant_id: None,
                expires_at: s.expires_at,
            };
            return Decision::allow(format!("allowed by standing role `{role}`"), via);
        }
    }
    let best = index
        .grants_of(user)
        .iter()
        .filter(|g| {
            g.starts_at <= now
                && now < g.expires_at
                && config.roles[g.role].allows(action, resource)
        })
        .max_by_key(|g| g.expires_at);
    if let Some(g) = best {
        let role = &config.roles[g.role].name;
        let via = Via {
            role: role.clone(),
            grant_id: Some(g.id.clone()),
            expires_at: Some(g.expires_at),
        };
        return Decision::allow(format!("allowed by grant `{}` of role `{role}`", g.id), via);
    }
    let mut d = Decision::deny(format!(
        "no role of `{user}` allows `{action}` on `{resource}`"
    ));
    // The newest revocation of a grant whose window is still open and whose role allows this.
    if let Some(r) = index
        .revoked_of(user)
        .iter()
        .filter(|g| {
            g.revoked_at <= now
                && now < g.expires_at
                && config.roles[g.role].allows(action, resource)
        })
        .max_by_key(|g| g.revoked_at)
    {
        let role = &config.roles[r.role].name;
        d.reason.push_str(&format!(
            "; grant `{}` of role `{role}` was revoked at {}",
            r.id,
            wicket_core::time::format(r.revoked_at)
        ));
        if let Some(by) = &r.revoked_by {
            d.reason.push_str(&format!(" by `{by}`"));
        }
        if let Some(why) = &r.reason {
            d.reason.push_str(&format!(": {why}"));
        }
        d.revoked = Some(wicket_core::decide::Revoked::of(r, role));
    }
    d.requestable = requestable(index, user, action, resource);
    if !d.requestable.is_empty() {
        let names: Vec<&str> = d.requestable.iter().map(|r| r.role.as_str()).collect();
        d.reason
            .push_str(&format!("; you may request `{}`", names.join("`, `")));
    }
    d
}

pub fn requestable(
    index: &Index,
    user: &str,
    action: &Action,
    resource: &Resource,
) -> Vec<Requestable> {
    let config = index.config();
    let groups = config.groups_of(user);
    let mut found: Vec<(usize, &str)> = Vec::new();
    for policy in config
        .policies
        .iter()
        .filter(|p| p.covers_requester(user, groups))
    {
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
        .map(|(r, p)| Requestable {
            role: config.roles[r].name.clone(),
            policy: p.to_string(),
        })
        .collect()
}

/// `user`'s standing roles as the first index computed them: every binding (in order) that
/// covers the user, every role it names (in order).
pub fn standing(config: &Config, user: &str) -> Vec<Standing> {
    let Some(u) = config.user(user) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for binding in &config.bindings {
        if binding
            .subjects
            .iter()
            .any(|s| s.covers(&u.name, &u.groups))
        {
            for role in &binding.roles {
                if let Some(role) = config.role_position(role) {
                    out.push(Standing {
                        role: role as u32,
                        expires_at: binding.expires_at,
                    });
                }
            }
        }
    }
    out
}
