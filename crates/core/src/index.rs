//! The in-memory decision index: roles, standing bindings and live grants by user.

mod grants;
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
use crate::time::Time;
use hash::FastMap;
use users::{UserEntry, Users};

pub(crate) use matcher::Path;
pub(crate) use roleset::RoleSet;
pub(crate) use rules::{Owner, Rules};

/// A standing role of a user, from a binding to the user or one of their groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The role's position in the configuration's roles.
    pub role: u32,
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

    /// An index of `config` with the standing bindings in `suspended` giving nothing, and no
    /// grants yet: [`Index::new`] then [`Index::with_suspended`] in one build.
    pub fn new_suspended(config: Arc<Config>, suspended: Vec<(String, String)>) -> Index {
        Index::build(config, Arc::from(suspended))
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

    /// An index of `config` (which differs from this index's only in its users) with the
    /// standing bindings in `suspended` giving nothing, keeping the grants of every user still
    /// there: [`Index::with_users`] and [`Index::with_suspended`] in one build, so the grants
    /// are copied once (a million of them at start, where two copies in turn raised the
    /// peak memory and left the freed copies with the allocator).
    pub fn with_users_and_suspended(
        &self,
        config: Arc<Config>,
        suspended: Vec<(String, String)>,
    ) -> Index {
        let mut next = Index::build(config, Arc::from(suspended));
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

    /// The standing roles of `user`, in binding order, then role order within the binding.
    pub fn standing_of(&self, user: &str) -> Vec<Standing> {
        self.id(user)
            .and_then(|u| self.users.entries.get(u))
            .map_or_else(Vec::new, |e| self.users.standing(e))
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
mod idp_users;
