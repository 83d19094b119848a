//! The in-memory decision index: roles, standing bindings and live grants by user.

mod hash;
mod interner;
mod matcher;
mod offers;
mod roleset;
mod rules;
mod short;
mod standing;
mod table;
mod trie;
mod users;

use std::sync::Arc;

use crate::config::Config;
use crate::model::Grant;
use crate::time::Time;
use hash::FastMap;
use users::{UserEntry, Users};

pub(crate) use matcher::Path;
pub(crate) use roleset::RoleSet;
pub(crate) use rules::{Owner, Rules};

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

/// One user of the index, as `decide` reads it.
pub(crate) struct UserView<'a> {
    /// Position in `config.users`.
    pub(crate) user: usize,
    users: &'a Users,
    entry: &'a UserEntry,
    revoked: &'a [RevokedGrant],
}

impl<'a> UserView<'a> {
    /// The first standing entry (in binding order) for one of `roles` (sorted) that has not
    /// expired at `now`.
    #[inline]
    pub(crate) fn first_standing(&self, roles: &[u32], now: Time) -> Option<Standing> {
        self.users.first_standing(self.entry, roles, now)
    }

    pub(crate) fn grants(&self) -> &'a [LiveGrant] {
        &self.entry.grants
    }

    pub(crate) fn revoked(&self) -> &'a [RevokedGrant] {
        self.revoked
    }
}

/// Everything `decide` needs, kept current by the server as writes happen.
#[derive(Clone, Debug)]
pub struct Index {
    config: Arc<Config>,
    rules: Arc<Rules>,
    users: Users,
    /// Grant id to the position of its user in `config.users`.
    grant_owner: FastMap<String, u32>,
    /// Grants revoked before their end, until that end, by the position of their user (few
    /// users have any, so they are kept apart from the entries a check reads).
    revoked: FastMap<u32, Vec<RevokedGrant>>,
    /// Grant id to the position of its user in `revoked`.
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
        Index {
            rules: Arc::new(Rules::new(&config)),
            users: Users::new(&config, &suspended),
            config,
            grant_owner: FastMap::default(),
            revoked: FastMap::default(),
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
        for (u, entry) in previous.config.users.iter().zip(&previous.users.entries) {
            if let Some(id) = self.users.id(&self.config, &u.name) {
                for g in &entry.grants {
                    self.grant_owner.insert(g.id.clone(), id as u32);
                }
                self.users.entries[id].grants = entry.grants.clone();
            }
        }
        for (&user, revoked) in &previous.revoked {
            let Some(u) = previous.config.users.get(user as usize) else {
                continue;
            };
            if let Some(id) = self.users.id(&self.config, &u.name) {
                for g in revoked {
                    self.revoked_owner.insert(g.id.clone(), id as u32);
                }
                self.revoked.insert(id as u32, revoked.clone());
            }
        }
    }

    fn id(&self, name: &str) -> Option<usize> {
        self.users.id(&self.config, name)
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub(crate) fn rules(&self) -> &Rules {
        &self.rules
    }

    #[inline]
    pub(crate) fn user(&self, name: &str) -> Option<UserView<'_>> {
        let user = self.id(name)?;
        Some(UserView {
            user,
            users: &self.users,
            entry: self.users.entries.get(user)?,
            revoked: self.revoked.get(&(user as u32)).map_or(&[], Vec::as_slice),
        })
    }

    /// Adds or replaces a grant; a revoked grant, or one for a role or user the configuration
    /// no longer has, is removed instead (a grant revoked before its end is remembered, with
    /// who revoked it and why, until that end).
    pub fn upsert_grant(&mut self, grant: &Grant) {
        self.note_revoked(grant);
        let live = match (grant.revoked_at, self.config.role_position(&grant.role)) {
            (None, Some(role)) => self.id(&grant.user).map(|u| (role, u as u32)),
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
        if let Some((role, user)) = live
            && let Some(entry) = self.users.entries.get_mut(user as usize)
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
        if let Some(entry) = self.users.entries.get_mut(user as usize) {
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
        let Some(entry) = self.users.entries.get_mut(user as usize) else {
            return;
        };
        let Some(pos) = entry.grants.iter().position(|g| g.id == id) else {
            return;
        };
        let live = entry.grants.remove(pos);
        if at < live.expires_at {
            let revoked = self.revoked.entry(user).or_default();
            revoked.retain(|g| g.id != id);
            revoked.push(RevokedGrant {
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
        if let Some(user) = self.id(&grant.user) {
            self.revoked_owner.insert(grant.id.clone(), user as u32);
            self.revoked
                .entry(user as u32)
                .or_default()
                .push(RevokedGrant {
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
        if let Some(revoked) = self.revoked.get_mut(&user) {
            revoked.retain(|g| g.id != id);
            if revoked.is_empty() {
                self.revoked.remove(&user);
            }
        }
    }

    /// Drops grants that ended at or before `now`; they can never allow again.
    pub fn prune(&mut self, now: Time) {
        let owner = &mut self.grant_owner;
        for entry in &mut self.users.entries {
            entry.grants.retain(|g| {
                let live = g.expires_at > now;
                if !live {
                    owner.remove(&g.id);
                }
                live
            });
        }
        let owner = &mut self.revoked_owner;
        self.revoked.retain(|_, revoked| {
            revoked.retain(|g| {
                let live = g.expires_at > now;
                if !live {
                    owner.remove(&g.id);
                }
                live
            });
            !revoked.is_empty()
        });
    }

    pub fn standing_of(&self, user: &str) -> &[Standing] {
        self.id(user)
            .and_then(|u| self.users.entries.get(u))
            .map_or(&[], |e| self.users.standing(e))
    }

    pub fn grants_of(&self, user: &str) -> &[LiveGrant] {
        self.id(user)
            .and_then(|u| self.users.entries.get(u))
            .map_or(&[], |e| e.grants.as_slice())
    }

    pub fn revoked_of(&self, user: &str) -> &[RevokedGrant] {
        self.id(user)
            .and_then(|u| self.revoked.get(&(u as u32)))
            .map_or(&[], Vec::as_slice)
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
