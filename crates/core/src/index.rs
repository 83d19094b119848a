//! The in-memory decision index: roles, standing bindings and live grants by user.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Config;
use crate::model::Grant;
use crate::time::Time;

/// A standing role of a user, from a binding to the user or one of their groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub role: usize,
    pub expires_at: Option<Time>,
}

/// A grant as the index keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveGrant {
    pub id: String,
    pub role: usize,
    pub starts_at: Time,
    pub expires_at: Time,
}

/// Everything `decide` needs, kept current by the server as writes happen.
#[derive(Clone, Debug)]
pub struct Index {
    config: Arc<Config>,
    standing: HashMap<String, Vec<Standing>>,
    grants: HashMap<String, Vec<LiveGrant>>,
    grant_owner: HashMap<String, String>,
}

impl Index {
    /// An index of `config`'s roles and bindings, with no grants yet.
    pub fn new(config: Arc<Config>) -> Index {
        let mut standing: HashMap<String, Vec<Standing>> = HashMap::new();
        for user in &config.users {
            for binding in &config.bindings {
                if binding.subjects.iter().any(|s| s.covers(&user.name, &user.groups)) {
                    for role in &binding.roles {
                        if let Some(role) = config.role_position(role) {
                            standing
                                .entry(user.name.clone())
                                .or_default()
                                .push(Standing { role, expires_at: binding.expires_at });
                        }
                    }
                }
            }
        }
        Index { config, standing, grants: HashMap::new(), grant_owner: HashMap::new() }
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// Adds or replaces a grant; a revoked grant, or one for a role or user the configuration
    /// no longer has, is removed instead.
    pub fn upsert_grant(&mut self, grant: &Grant) {
        self.remove_grant(&grant.id);
        if grant.revoked_at.is_some() || self.config.user(&grant.user).is_none() {
            return;
        }
        let Some(role) = self.config.role_position(&grant.role) else {
            return;
        };
        self.grant_owner.insert(grant.id.clone(), grant.user.clone());
        self.grants.entry(grant.user.clone()).or_default().push(LiveGrant {
            id: grant.id.clone(),
            role,
            starts_at: grant.starts_at,
            expires_at: grant.expires_at,
        });
    }

    pub fn remove_grant(&mut self, id: &str) {
        if let Some(user) = self.grant_owner.remove(id)
            && let Some(list) = self.grants.get_mut(&user)
        {
            list.retain(|g| g.id != id);
            if list.is_empty() {
                self.grants.remove(&user);
            }
        }
    }

    /// Drops grants that ended at or before `now`; they can never allow again.
    pub fn prune(&mut self, now: Time) {
        let owner = &mut self.grant_owner;
        self.grants.retain(|_, list| {
            list.retain(|g| {
                let live = g.expires_at > now;
                if !live {
                    owner.remove(&g.id);
                }
                live
            });
            !list.is_empty()
        });
    }

    pub fn standing_of(&self, user: &str) -> &[Standing] {
        self.standing.get(user).map_or(&[], Vec::as_slice)
    }

    pub fn grants_of(&self, user: &str) -> &[LiveGrant] {
        self.grants.get(user).map_or(&[], Vec::as_slice)
    }

    pub fn grant_count(&self) -> usize {
        self.grant_owner.len()
    }
}
