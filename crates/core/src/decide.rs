//! The decision: may this user do this action on this resource, now?

use serde::Serialize;

use crate::action::Action;
use crate::index::{Index, Owner, Path, RevokedGrant, RoleSet};
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

/// A grant that would have allowed a denied check had it not been revoked before its end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Revoked {
    pub grant_id: String,
    pub role: String,
    pub revoked_at: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Revoked {
    /// What the denial says of the revoked grant `g`, whose role is named `role`.
    pub fn of(g: &RevokedGrant, role: &str) -> Revoked {
        Revoked {
            grant_id: g.id.clone(),
            role: role.to_string(),
            revoked_at: g.revoked_at,
            revoked_by: g.revoked_by.clone(),
            reason: g.reason.clone(),
        }
    }
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
    /// When denied: the grant that allowed this until it was revoked, if its window has not
    /// yet ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revoked>,
}

impl Decision {
    /// A denial for `reason`, naming no guardrail, revocation or requestable role.
    pub fn deny(reason: String) -> Decision {
        Decision {
            allowed: false,
            reason,
            via: None,
            guardrail: None,
            requestable: Vec::new(),
            revoked: None,
        }
    }

    /// An allow for `reason`, through the role (and grant) `via` names.
    pub fn allow(reason: String, via: Via) -> Decision {
        Decision {
            allowed: true,
            reason,
            via: Some(via),
            guardrail: None,
            requestable: Vec::new(),
            revoked: None,
        }
    }
}

/// Decides a check at `now`. Deny by default; a matching guardrail beats every allow;
/// standing bindings (unexpired) and grants active at `now` allow.
///
/// The index's rule table yields the roles and guardrails that match the action and resource
/// (only the rules under the resource's literal prefixes are looked at); the user's own
/// standing entries and grants are then looked up among those roles.
pub fn decide(
    index: &Index,
    user: &str,
    action: &Action,
    resource: &Resource,
    now: Time,
) -> Decision {
    let config = index.config();
    let Some(entry) = index.user(user) else {
        return Decision::deny(format!("unknown user `{user}`"));
    };
    let groups = &config.users[entry.user].groups;
    let mut found = RoleSet::new();
    let mut guardrail: Option<usize> = None;
    index.rules().visit(
        action,
        Path::new(resource).segments(),
        |owner| match owner {
            Owner::Role(r) => found.push(r),
            Owner::Guardrail(g) => {
                let g = g as usize;
                if guardrail.is_none_or(|first| g < first)
                    && config.guardrails[g].applies_to(user, groups)
                {
                    guardrail = Some(g);
                }
            }
        },
    );
    // INVARIANT: a guardrail that matches denies, whatever else holds; the first in file order is named.
    if let Some(g) = guardrail.map(|g| &config.guardrails[g]) {
        let mut d = Decision::deny(text(&["denied by guardrail `", &g.name, "`: ", &g.reason]));
        d.guardrail = Some(g.name.clone());
        return d;
    }
    let roles = found.finish();
    if let Some(s) = entry.first_standing(roles, now) {
        let role = &config.roles[s.role as usize].name;
        let via = Via {
            role: role.clone(),
            grant_id: None,
            expires_at: s.expires_at,
        };
        return Decision::allow(text(&["allowed by standing role `", role, "`"]), via);
    }
    // INVARIANT: only a grant whose window holds `now` allows; the longest-lasting one is named.
    let best = entry
        .grants()
        .iter()
        .filter(|g| {
            g.starts_at <= now
                && now < g.expires_at
                && roles.binary_search(&(g.role as u32)).is_ok()
        })
        .max_by_key(|g| g.expires_at);
    if let Some(g) = best {
        let role = &config.roles[g.role].name;
        let via = Via {
            role: role.clone(),
            grant_id: Some(g.id.clone()),
            expires_at: Some(g.expires_at),
        };
        return Decision::allow(
            text(&["allowed by grant `", &g.id, "` of role `", role, "`"]),
            via,
        );
    }
    let mut d = Decision::deny(text(&[
        "no role of `",
        user,
        "` allows `",
        action.as_str(),
        "` on `",
        resource.as_str(),
        "`",
    ]));
    // The newest revocation of a grant that would still allow this, so the denial says why
    // the access is gone.
    if let Some(r) = entry
        .revoked()
        .iter()
        .filter(|g| {
            g.revoked_at <= now
                && now < g.expires_at
                && roles.binary_search(&(g.role as u32)).is_ok()
        })
        .max_by_key(|g| g.revoked_at)
    {
        let role = &config.roles[r.role].name;
        d.reason.push_str("; grant `");
        d.reason.push_str(&r.id);
        d.reason.push_str("` of role `");
        d.reason.push_str(role);
        d.reason.push_str("` was revoked at ");
        d.reason.push_str(&crate::time::format(r.revoked_at));
        if let Some(by) = &r.revoked_by {
            d.reason.push_str(" by `");
            d.reason.push_str(by);
            d.reason.push('`');
        }
        if let Some(why) = &r.reason {
            d.reason.push_str(": ");
            d.reason.push_str(why);
        }
        d.revoked = Some(Revoked::of(r, role));
    }
    d.requestable = offered(index, user, Some(entry.user), roles);
    if !d.requestable.is_empty() {
        d.reason.push_str("; you may request `");
        for (i, r) in d.requestable.iter().enumerate() {
            if i > 0 {
                d.reason.push_str("`, `");
            }
            d.reason.push_str(&r.role);
        }
        d.reason.push('`');
    }
    d
}

/// The roles `user` may request under some policy that would allow `action` on `resource`,
/// smallest first, each with the first policy (in file order) that offers it.
pub fn requestable(
    index: &Index,
    user: &str,
    action: &Action,
    resource: &Resource,
) -> Vec<Requestable> {
    let mut found = RoleSet::new();
    index
        .rules()
        .visit(action, Path::new(resource).segments(), |owner| {
            if let Owner::Role(r) = owner {
                found.push(r);
            }
        });
    let position = index.user(user).map(|u| u.user);
    offered(index, user, position, found.finish())
}

/// `parts` joined, without the formatting machinery (this is on every check's path).
fn text(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// Of `roles` (each allowing the check), those some policy covering `user` offers, smallest
/// first, each with the first such policy in file order. `position` is the user's position
/// in the configuration, `None` for a user it does not have.
fn offered(index: &Index, user: &str, position: Option<usize>, roles: &[u32]) -> Vec<Requestable> {
    let config = index.config();
    let offers = &index.rules().offers;
    let mut found: Vec<(u32, usize)> = roles
        .iter()
        .filter_map(|&r| {
            let policy = offers
                .offers(r)
                .iter()
                .find(|&&p| offers.covers(p, position, user))?;
            Some((r, *policy as usize))
        })
        .collect();
    found.sort_by_key(|&(r, _)| offers.rank(r));
    found
        .into_iter()
        .map(|(r, p)| Requestable {
            role: config.roles[r as usize].name.clone(),
            policy: config.policies[p].name.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
