//! Grants in and out of the index as they are made, revoked, removed and end: each kept in
//! its user's list, with the id of its user by grant id.

use crate::model::Grant;
use crate::time::Time;

use super::{Index, LiveGrant, RevokedGrant};

impl Index {
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

    /// Forgets grant `id`: it stops allowing, and any note of its revocation goes too.
    pub fn remove_grant(&mut self, id: &str) {
        self.stop_grant(id);
        if let Some(user) = self.revoked_owner.remove(id) {
            self.forget_revoked(user, id);
        }
    }

    /// Stops live grant `id` allowing at once, keeping what is known of its revocation (who,
    /// when, why) for the denials to say; another server's revocation, before its details
    /// are read.
    pub fn stop_grant(&mut self, id: &str) {
        if let Some(user) = self.grant_owner.remove(id) {
            self.drop_from(user, id);
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
}
