//! The in-memory decision index: roles, standing bindings and live grants by user.

mod hash;
mod matcher;
mod rules;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Config;
use crate::model::Grant;
use crate::subject::Subject;
use crate::time::Time;
use hash::FastMap;

pub(crate) use matcher::Path;
pub(crate) use rules::{Owner, RoleSet, Rules};

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

/// A grant revoked before its window ended, kept until that window would have ended so a
/// denial can say why the access it gave is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedGrant {
    pub id: String,
    pub role: usize,
    pub expires_at: Time,
    pub revoked_at: Time,
    pub revoked_by: Option<String>,
    pub reason: Option<String>,
}

/// What the index holds for one configured user.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserEntry {
    /// Position in `config.users`.
    pub(crate) user: usize,
    /// In binding order, then role order within the binding.
    standing: Vec<Standing>,
    /// `(role, position in standing)`, sorted: where a role's standing entries are.
    by_role: Box<[(u32, u32)]>,
    grants: Vec<LiveGrant>,
    /// Grants revoked before their end, until that end.
    revoked: Vec<RevokedGrant>,
}

impl UserEntry {
    /// The first standing entry (in binding order) for one of `roles` (sorted) that has not
    /// expired at `now`.
    pub(crate) fn first_standing(&self, roles: &[u32], now: Time) -> Option<&Standing> {
        let mut best: Option<u32> = None;
        for &role in roles {
            let start = self.by_role.partition_point(|&(r, _)| r < role);
            let live = self.by_role[start..]
                .iter()
                .take_while(|&&(r, _)| r == role)
                .map(|&(_, pos)| pos)
                .find(|&pos| {
                    self.standing[pos as usize]
                        .expires_at
                        .is_none_or(|e| now < e)
                });
            if let Some(pos) = live {
                best = Some(best.map_or(pos, |b| b.min(pos)));
            }
        }
        best.map(|pos| &self.standing[pos as usize])
    }

    pub(crate) fn grants(&self) -> &[LiveGrant] {
        &self.grants
    }

    pub(crate) fn revoked(&self) -> &[RevokedGrant] {
        &self.revoked
    }
}

/// Everything `decide` needs, kept current by the server as writes happen.
#[derive(Clone, Debug)]
pub struct Index {
    config: Arc<Config>,
    rules: Arc<Rules>,
    users: FastMap<String, UserEntry>,
    /// Grant id to the position of its user in `config.users`.
    grant_owner: FastMap<String, u32>,
    /// The same for the grants in each user's `revoked` list.
    revoked_owner: FastMap<String, u32>,
    /// Standing bindings taken away by an access review, as `(subject, role)`: they give
    /// nothing while suspended.
    suspended: Arc<[(String, String)]>,
}

impl Index {
    /// An index of `config`'s roles and bindings, with no grants yet.
    pub fn new(config: Arc<Config>) -> Index {
        Index::build(config, Arc::from([]))
    }

    /// This index with the standing bindings in `suspended` (`(subject, role)`, such as
    /// `("group:sre", "orders-db-read")`) giving nothing, keeping every grant.
    pub fn with_suspended(&self, suspended: Vec<(String, String)>) -> Index {
        let mut next = Index::build(self.config.clone(), Arc::from(suspended));
        next.keep_grants_of(self);
        next
    }

    /// The standing bindings an access review suspended, as `(subject, role)`.
    pub fn suspended(&self) -> &[(String, String)] {
        &self.suspended
    }

    fn build(config: Arc<Config>, suspended: Arc<[(String, String)]>) -> Index {
        let positions: HashMap<&str, usize> = config
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.name.as_str(), i))
            .collect();
        let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, user) in config.users.iter().enumerate() {
            for group in &user.groups {
                members.entry(group).or_default().push(i);
            }
        }
        let mut standing: Vec<Vec<Standing>> = vec![Vec::new(); config.users.len()];
        // One past the last binding each user got roles from: a binding that names a user
        // twice (directly and through a group) gives its roles once, as `covers` would.
        let mut last = vec![0usize; config.users.len()];
        for (b, binding) in config.bindings.iter().enumerate() {
            let roles: Vec<usize> = binding
                .roles
                .iter()
                .filter_map(|r| config.role_position(r))
                .collect();
            for subject in &binding.subjects {
                let text = subject.to_string();
                let roles: Vec<usize> = roles
                    .iter()
                    .copied()
                    .filter(|&r| {
                        !suspended
                            .iter()
                            .any(|(s, role)| *s == text && *role == config.roles[r].name)
                    })
                    .collect();
                let covered: &[usize] = match subject {
                    Subject::User(name) => positions
                        .get(name.as_str())
                        .map_or(&[], std::slice::from_ref),
                    Subject::Group(group) => members.get(group.as_str()).map_or(&[], Vec::as_slice),
                };
                for &u in covered {
                    if last[u] == b + 1 {
                        continue;
                    }
                    last[u] = b + 1;
                    standing[u].extend(roles.iter().map(|&role| Standing {
                        role,
                        expires_at: binding.expires_at,
                    }));
                }
            }
        }
        let users = config
            .users
            .iter()
            .zip(standing)
            .enumerate()
            .map(|(i, (u, standing))| {
                let mut by_role: Vec<(u32, u32)> = standing
                    .iter()
                    .enumerate()
                    .map(|(pos, s)| (s.role as u32, pos as u32))
                    .collect();
                by_role.sort_unstable();
                (
                    u.name.clone(),
                    UserEntry {
                        user: i,
                        standing,
                        by_role: by_role.into_boxed_slice(),
                        grants: Vec::new(),
                        revoked: Vec::new(),
                    },
                )
            })
            .collect();
        Index {
            rules: Arc::new(Rules::new(&config)),
            config,
            users,
            grant_owner: FastMap::default(),
            revoked_owner: FastMap::default(),
            suspended,
        }
    }

    /// An index of `config`, which differs from this index's only in its users (the identity
    /// provider added, changed or removed some), keeping the live grants of every user still
    /// there. A user new to the index has no grants yet: add them with [`Index::upsert_grant`].
    pub fn with_users(&self, config: Arc<Config>) -> Index {
        let mut next = Index::build(config, self.suspended.clone());
        next.keep_grants_of(self);
        next
    }

    /// Takes the live (and revoked, remembered) grants of `previous`'s users that this index
    /// has too.
    fn keep_grants_of(&mut self, previous: &Index) {
        for (name, entry) in &previous.users {
            if let Some(e) = self.users.get_mut(name) {
                for g in &entry.grants {
                    self.grant_owner.insert(g.id.clone(), e.user as u32);
                }
                for g in &entry.revoked {
                    self.revoked_owner.insert(g.id.clone(), e.user as u32);
                }
                e.grants = entry.grants.clone();
                e.revoked = entry.revoked.clone();
            }
        }
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub(crate) fn rules(&self) -> &Rules {
        &self.rules
    }

    pub(crate) fn user(&self, name: &str) -> Option<&UserEntry> {
        self.users.get(name)
    }

    /// Adds or replaces a grant; a revoked grant, or one for a role or user the configuration
    /// no longer has, is removed instead (a grant revoked before its end is remembered, with
    /// who revoked it and why, until that end).
    pub fn upsert_grant(&mut self, grant: &Grant) {
        self.note_revoked(grant);
        let live = match (grant.revoked_at, self.config.role_position(&grant.role)) {
            (None, Some(role)) => self.users.get(&grant.user).map(|e| (role, e.user as u32)),
            _ => None,
        };
        // One lookup in the common case (a new grant): the previous owner, if any, comes back.
        let previous = match live {
            Some((_, user)) => self.grant_owner.insert(grant.id.clone(), user),
            None => self.grant_owner.remove(&grant.id),
        };
        if let Some(user) = previous {
            self.drop_from(user, &grant.id);
        }
        if let Some((role, _)) = live
            && let Some(entry) = self.users.get_mut(&grant.user)
        {
            entry.grants.push(LiveGrant {
                id: grant.id.clone(),
                role,
                starts_at: grant.starts_at,
                expires_at: grant.expires_at,
            });
        }
    }

    /// Removes grant `id` from the list of the user at position `user`.
    fn drop_from(&mut self, user: u32, id: &str) {
        if let Some(u) = self.config.users.get(user as usize)
            && let Some(entry) = self.users.get_mut(&u.name)
        {
            entry.grants.retain(|g| g.id != id);
        }
    }

    pub fn remove_grant(&mut self, id: &str) {
        if let Some(user) = self.grant_owner.remove(id) {
            self.drop_from(user, id);
        }
        if let Some(user) = self.revoked_owner.remove(id) {
            self.forget_revoked(user, id);
        }
    }

    /// Revokes live grant `id` at `at`: it allows nothing from now on, and, revoked before its
    /// end, is remembered with who revoked it and why until that end. An unknown id is left
    /// alone (already ended, or never here).
    pub fn revoke_grant(&mut self, id: &str, at: Time, by: &str, reason: &str) {
        let Some(user) = self.grant_owner.remove(id) else {
            return;
        };
        let Some(u) = self.config.users.get(user as usize) else {
            return;
        };
        let Some(entry) = self.users.get_mut(&u.name) else {
            return;
        };
        let Some(pos) = entry.grants.iter().position(|g| g.id == id) else {
            return;
        };
        let live = entry.grants.remove(pos);
        if at < live.expires_at {
            entry.revoked.retain(|g| g.id != id);
            entry.revoked.push(RevokedGrant {
                id: live.id,
                role: live.role,
                expires_at: live.expires_at,
                revoked_at: at,
                revoked_by: Some(by.to_string()),
                reason: (!reason.is_empty()).then(|| reason.to_string()),
            });
            self.revoked_owner.insert(id.to_string(), user);
        }
    }

    /// Keeps `grant` in its user's `revoked` list when it was revoked before its end, and out
    /// of it otherwise.
    fn note_revoked(&mut self, grant: &Grant) {
        if let Some(user) = self.revoked_owner.remove(&grant.id) {
            self.forget_revoked(user, &grant.id);
        }
        let Some(revoked_at) = grant.revoked_at.filter(|&r| r < grant.expires_at) else {
            return;
        };
        let Some(role) = self.config.role_position(&grant.role) else {
            return;
        };
        if let Some(entry) = self.users.get_mut(&grant.user) {
            self.revoked_owner
                .insert(grant.id.clone(), entry.user as u32);
            entry.revoked.push(RevokedGrant {
                id: grant.id.clone(),
                role,
                expires_at: grant.expires_at,
                revoked_at,
                revoked_by: grant.revoked_by.clone(),
                reason: grant.revoke_reason.clone(),
            });
        }
    }

    fn forget_revoked(&mut self, user: u32, id: &str) {
        if let Some(u) = self.config.users.get(user as usize)
            && let Some(entry) = self.users.get_mut(&u.name)
        {
            entry.revoked.retain(|g| g.id != id);
        }
    }

    /// Drops grants that ended at or before `now`; they can never allow again.
    pub fn prune(&mut self, now: Time) {
        let owner = &mut self.grant_owner;
        for entry in self.users.values_mut() {
            entry.grants.retain(|g| {
                let live = g.expires_at > now;
                if !live {
                    owner.remove(&g.id);
                }
                live
            });
            let owner = &mut self.revoked_owner;
            entry.revoked.retain(|g| {
                let live = g.expires_at > now;
                if !live {
                    owner.remove(&g.id);
                }
                live
            });
        }
    }

    pub fn standing_of(&self, user: &str) -> &[Standing] {
        self.users.get(user).map_or(&[], |e| e.standing.as_slice())
    }

    pub fn grants_of(&self, user: &str) -> &[LiveGrant] {
        self.users.get(user).map_or(&[], |e| e.grants.as_slice())
    }

    pub fn revoked_of(&self, user: &str) -> &[RevokedGrant] {
        self.users.get(user).map_or(&[], |e| e.revoked.as_slice())
    }

    pub fn grant_count(&self) -> usize {
        self.grant_owner.len()
    }
}

#[cfg(test)]
mod idp_users {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::User;
    use crate::decide::decide;
    use crate::testkit::{action, resource, t};

    const CONFIG: &str = "[[users]]\nname = \"alice\"\ngroups = [\"ops\"]\n\
        [[roles]]\nname = \"reader\"\n[[roles.permissions]]\nactions = [\"db:read\"]\nresources = [\"db/**\"]\n\
        [[roles]]\nname = \"writer\"\n[[roles.permissions]]\nactions = [\"db:write\"]\nresources = [\"db/**\"]\n\
        [[bindings]]\nsubjects = [\"group:sre\"]\nroles = [\"reader\"]\n\
        [auth.oidc]\nissuer = \"https://idp.example.com\"\nclient_id = \"w\"\n\
        redirect_uri = \"https://w.example.com/login/oidc/callback\"\n";

    #[test]
    fn idp_users_join_the_index_and_grants_survive_the_change() {
        let file = Arc::new(Config::parse("w.toml", CONFIG).unwrap());
        let mut index = Index::new(file.clone());
        let (read, write, db) = (action("db:read"), action("db:write"), resource("db/x"));
        assert!(!decide(&index, "ann", &read, &db, t(0)).allowed);
        index.upsert_grant(&Grant {
            id: "g1".into(),
            user: "alice".into(),
            role: "writer".into(),
            request_id: "r1".into(),
            starts_at: t(0),
            expires_at: t(100),
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
        });
        let ann = User {
            name: "ann".into(),
            groups: vec!["sre".into()],
        };
        let index = index.with_users(Arc::new(file.with_users([ann])));
        let d = decide(&index, "ann", &read, &db, t(1));
        assert!(d.allowed, "{}", d.reason);
        assert!(decide(&index, "alice", &write, &db, t(1)).allowed);
        // The grant is still known by id: revoking it takes it away.
        let mut index = index;
        index.remove_grant("g1");
        assert!(!decide(&index, "alice", &write, &db, t(1)).allowed);
        // Without the user again, the IdP user is unknown.
        let index = index.with_users(file);
        assert!(!decide(&index, "ann", &read, &db, t(1)).allowed);
    }

    #[test]
    fn a_suspended_binding_gives_nothing_and_survives_a_change_of_users() {
        let file = Arc::new(Config::parse("w.toml", CONFIG).unwrap());
        let ann = User {
            name: "ann".into(),
            groups: vec!["sre".into()],
        };
        let index = Index::new(file.clone()).with_users(Arc::new(file.with_users([ann.clone()])));
        let (read, db) = (action("db:read"), resource("db/x"));
        assert!(decide(&index, "ann", &read, &db, t(1)).allowed);
        let index = index.with_suspended(vec![("group:sre".into(), "reader".into())]);
        assert!(!decide(&index, "ann", &read, &db, t(1)).allowed);
        let index = index.with_users(Arc::new(file.with_users([ann])));
        assert!(!decide(&index, "ann", &read, &db, t(1)).allowed);
        let index = index.with_suspended(Vec::new());
        assert!(decide(&index, "ann", &read, &db, t(1)).allowed);
    }
}
