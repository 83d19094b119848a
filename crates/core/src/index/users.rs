//! The users of the index, flat: one entry per configured user in one `Vec` indexed by the
//! user's position in the configuration, found by name through one hash table, with every
//! user's standing roles in two shared arrays (one in binding order, one sorted by role)
//! rather than in allocations of their own.
//!
//! Live grants stay in a `Vec` per user: they change at runtime, and adding one is then a
//! push (a shared array would have to move every later user's grants).

use crate::config::Config;
use crate::time::Time;

use super::interner::hash;
use super::short::Short;
use super::standing;
use super::table::IdTable;
use super::{LiveGrant, Standing};

/// A standing role of a user, as a check looks it up: by role, with its place in binding
/// order. Eight bytes: a member of a large group can hold thousands (5,000 users with 2,500
/// roles each at 100k roles), and its end is read from `standing` only for a role that
/// matched.
#[derive(Clone, Copy, Debug)]
struct ByRole {
    role: u32,
    pos: u32,
}

/// What the index holds for one configured user.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserEntry {
    key: Short,
    /// This user's standing roles: `standing[start..end]` and `by_role[start..end]`.
    start: u32,
    end: u32,
    pub(crate) grants: Vec<LiveGrant>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Users {
    pub(crate) entries: Vec<UserEntry>,
    ids: IdTable,
    /// Each user's in binding order, then role order within the binding.
    standing: Vec<Standing>,
    /// Each user's sorted by `(role, pos)`.
    by_role: Vec<ByRole>,
}

impl Users {
    /// The users of `config`, with the standing roles its bindings give them, less those of
    /// the bindings in `suspended`; no grants yet.
    pub(crate) fn new(config: &Config, suspended: &[(String, String)]) -> Users {
        let mut users = Users::default();
        for (i, u) in config.users.iter().enumerate() {
            users.entries.push(UserEntry {
                key: Short::new(&u.name),
                ..UserEntry::default()
            });
            let h = hash(&u.name);
            if users
                .ids
                .find(h, |id| config.users[id as usize].name == u.name)
                .is_none()
            {
                users.ids.insert(h, i as u32);
            }
        }
        let standing = standing::of_users(config, suspended, |name| users.id(config, name));
        let total = standing.iter().map(Vec::len).sum();
        users.standing.reserve_exact(total);
        users.by_role.reserve_exact(total);
        for (entry, own) in users.entries.iter_mut().zip(standing) {
            let start = users.standing.len();
            let mut by_role: Vec<ByRole> = own
                .iter()
                .enumerate()
                .map(|(pos, s)| ByRole {
                    role: s.role,
                    pos: pos as u32,
                })
                .collect();
            by_role.sort_unstable_by_key(|b| (b.role, b.pos));
            users.by_role.extend(by_role);
            users.standing.extend(own);
            entry.start = start as u32;
            entry.end = users.standing.len() as u32;
        }
        users
    }

    /// The position of user `name` in `config.users` (the configuration this was built from).
    #[inline]
    pub(crate) fn id(&self, config: &Config, name: &str) -> Option<usize> {
        let id = self.ids.find(hash(name), |id| {
            self.entries.get(id as usize).is_some_and(|e| {
                e.key.is(name, || {
                    config.users.get(id as usize).map_or("", |u| &u.name)
                })
            })
        })?;
        Some(id as usize)
    }

    /// The standing roles of entry `e`, in binding order.
    pub(crate) fn standing(&self, e: &UserEntry) -> &[Standing] {
        self.standing
            .get(e.start as usize..e.end as usize)
            .unwrap_or(&[])
    }

    /// Of entry `e`'s standing roles, the first (in binding order) that is one of `roles`
    /// (sorted) and has not expired at `now`.
    #[inline]
    pub(crate) fn first_standing(
        &self,
        e: &UserEntry,
        roles: &[u32],
        now: Time,
    ) -> Option<Standing> {
        let range = e.start as usize..e.end as usize;
        let (own, standing) = (self.by_role.get(range.clone())?, self.standing.get(range)?);
        let mut best: Option<u32> = None;
        for &role in roles {
            let start = own.partition_point(|b| b.role < role);
            let live = own[start..]
                .iter()
                .take_while(|b| b.role == role)
                .map(|b| b.pos)
                .find(|&pos| {
                    standing
                        .get(pos as usize)
                        .is_some_and(|s| s.expires_at.is_none_or(|e| now < e))
                });
            if let Some(pos) = live {
                best = Some(best.map_or(pos, |b| b.min(pos)));
            }
        }
        best.and_then(|pos| standing.get(pos as usize)).cloned()
    }
}
