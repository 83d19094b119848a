//! The least-privilege usage report, computed in one pass over the audit events of a window:
//! per role, the grants issued, the permissions its grants actually exercised (allowed checks
//! and gateway statements under a grant) against those the role grants, and the roles that
//! were granted but never used. Memory grows with grants and roles, not with events.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;
use wicket_core::audit::EventKind;
use wicket_core::config::Role;
use wicket_core::{Action, AuditEvent, Config, Resource};

/// Distinct concrete uses listed per role at most; the rest are counted.
pub const MAX_EXAMPLES: usize = 50;

/// One permission pair of a role, and how often it was exercised.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionUse {
    pub action: String,
    pub resource: String,
    pub uses: u64,
}

/// One concrete action on one resource, and how often.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exercised {
    pub action: String,
    pub resource: String,
    pub uses: u64,
}

/// The report for one role.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleUsage {
    pub role: String,
    /// Grants of this role active in the window.
    pub grants: u64,
    /// Of those, the grants used at least once.
    pub used_grants: u64,
    pub uses: u64,
    /// Every permission pair the role grants, with its uses (0: never exercised).
    pub permissions: Vec<PermissionUse>,
    /// Pairs never exercised: candidates to remove.
    pub unused_permissions: u64,
    /// The concrete actions and resources used, most used first (at most [`MAX_EXAMPLES`]).
    pub exercised: Vec<Exercised>,
    /// Distinct concrete uses beyond [`MAX_EXAMPLES`].
    pub exercised_more: u64,
}

/// What one scan builds up; feed it events in order, then [`Usage::finish`].
#[derive(Debug, Default)]
pub struct Usage {
    /// Grant id → (role, used).
    grants: HashMap<String, (String, bool)>,
    roles: BTreeMap<String, RoleState>,
    pub events: u64,
}

#[derive(Debug, Default)]
struct RoleState {
    grants: u64,
    uses: u64,
    pairs: Vec<u64>,
    exercised: HashMap<(String, String), u64>,
    exercised_more: u64,
}

impl Usage {
    /// Notes a grant of `role` seen in the window (from its activation, or looked up when
    /// a grant activated earlier is used).
    pub fn grant(&mut self, id: &str, role: &str) {
        if self.grants.contains_key(id) {
            return;
        }
        self.grants
            .insert(id.to_string(), (role.to_string(), false));
        self.roles.entry(role.to_string()).or_default().grants += 1;
    }

    /// True when the role of grant `id` is known.
    pub fn knows(&self, id: &str) -> bool {
        self.grants.contains_key(id)
    }

    /// The grant and concrete use an event records, if it is a use under a grant.
    pub fn use_of(event: &AuditEvent) -> Option<(&str, &str, &str)> {
        let used = match EventKind::parse(&event.kind) {
            Some(EventKind::CheckAllowed) => !wicket_core::audit::is_dry_run(&event.details),
            Some(EventKind::GatewayStatement) => event.decision.as_deref() == Some("allow"),
            _ => false,
        };
        if !used {
            return None;
        }
        Some((
            event.grant_id.as_deref()?,
            event.action.as_deref()?,
            event.resource.as_deref()?,
        ))
    }

    /// Takes one event into account.
    pub fn observe(&mut self, config: &Config, event: &AuditEvent) {
        self.events += 1;
        if event.kind == EventKind::GrantActivated
            && let Some(id) = &event.grant_id
        {
            let role = serde_json::from_str::<serde_json::Value>(&event.details)
                .ok()
                .and_then(|d| d["role"].as_str().map(str::to_string));
            if let Some(role) = role {
                self.grant(id, &role);
            }
            return;
        }
        let Some((grant, action, resource)) = Self::use_of(event) else {
            return;
        };
        let Some((role, used)) = self.grants.get_mut(grant) else {
            return;
        };
        *used = true;
        let role = role.clone();
        let state = self.roles.entry(role.clone()).or_default();
        state.uses += 1;
        if let Some(r) = config.role(&role) {
            mark_pairs(r, state, action, resource);
        }
        let key = (action.to_string(), resource.to_string());
        if let Some(n) = state.exercised.get_mut(&key) {
            *n += 1;
        } else if state.exercised.len() < MAX_EXAMPLES {
            state.exercised.insert(key, 1);
        } else {
            state.exercised_more += 1;
        }
    }

    /// The per-role report: every role of the configuration plus any other role seen, in
    /// name order; and the roles granted in the window but never used.
    pub fn finish(self, config: &Config) -> (Vec<RoleUsage>, Vec<String>) {
        let mut used_grants: HashMap<&str, u64> = HashMap::new();
        for (role, used) in self.grants.values() {
            if *used {
                *used_grants.entry(role.as_str()).or_default() += 1;
            }
        }
        let mut names: Vec<String> = config.roles.iter().map(|r| r.name.clone()).collect();
        for name in self.roles.keys() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names.sort();
        let mut out = Vec::new();
        let mut never_used = Vec::new();
        let empty = RoleState::default();
        for name in names {
            let state = self.roles.get(&name).unwrap_or(&empty);
            let permissions: Vec<PermissionUse> = config
                .role(&name)
                .map(|r| {
                    r.pairs()
                        .enumerate()
                        .map(|(i, (a, res))| PermissionUse {
                            action: a.to_string(),
                            resource: res.to_string(),
                            uses: state.pairs.get(i).copied().unwrap_or(0),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut exercised: Vec<Exercised> = state
                .exercised
                .iter()
                .map(|((a, r), n)| Exercised {
                    action: a.clone(),
                    resource: r.clone(),
                    uses: *n,
                })
                .collect();
            exercised.sort_by(|x, y| {
                y.uses
                    .cmp(&x.uses)
                    .then_with(|| (&x.action, &x.resource).cmp(&(&y.action, &y.resource)))
            });
            if state.grants > 0 && state.uses == 0 {
                never_used.push(name.clone());
            }
            out.push(RoleUsage {
                unused_permissions: permissions.iter().filter(|p| p.uses == 0).count() as u64,
                role: name.clone(),
                grants: state.grants,
                used_grants: used_grants.get(name.as_str()).copied().unwrap_or(0),
                uses: state.uses,
                permissions,
                exercised,
                exercised_more: state.exercised_more,
            });
        }
        (out, never_used)
    }
}

/// Counts the use against every pair of `role` that allows it.
fn mark_pairs(role: &Role, state: &mut RoleState, action: &str, resource: &str) {
    let (Ok(action), Ok(resource)) = (Action::parse(action), Resource::parse(resource)) else {
        return;
    };
    let pairs: Vec<bool> = role
        .pairs()
        .map(|(a, r)| a.matches(&action) && r.matches(&resource))
        .collect();
    if state.pairs.len() < pairs.len() {
        state.pairs.resize(pairs.len(), 0);
    }
    for (i, hit) in pairs.into_iter().enumerate() {
        if hit {
            state.pairs[i] += 1;
        }
    }
}
