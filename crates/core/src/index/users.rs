//! The users of the index, flat: one entry per configured user in one `Vec` indexed by the
//! user's position in the configuration, found by name through one hash table. Standing
//! roles are kept once per subject that a binding names (`standing.rs`): a user's entry
//! names the lists it reads (its own and its groups'), so a group's roles are stored once
//! however many members it has.
//!
//! Live grants stay in a `Vec` per user: they change at runtime, and adding one is then a
//! push (a shared array would have to move every later user's grants).

use std::collections::HashMap;

use crate::config::Config;
use crate::time::Time;

use super::interner::hash;
use super::short::Short;
use super::standing::{Held, Lists};
use super::table::IdTable;
use super::{LiveGrant, Standing};

/// What the index holds for one configured user.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserEntry {
    key: Short,
    /// The lists of this user's standing roles: `sources[start..end]`.
    start: u32,
    end: u32,
    pub(crate) grants: Vec<LiveGrant>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Users {
    pub(crate) entries: Vec<UserEntry>,
    ids: IdTable,
    /// Each user's lists, by position in `lists`.
    sources: Vec<u32>,
    /// Each list's entries: `held[start..end]`, sorted by role, then order.
    lists: Vec<(u32, u32)>,
    held: Vec<Held>,
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
        let Lists {
            users: by_user,
            groups: by_group,
        } = Lists::new(config, suspended);
        let mut add = |held: Vec<Held>| {
            let start = users.held.len() as u32;
            users.held.extend(held);
            users.lists.push((start, users.held.len() as u32));
            users.lists.len() as u32 - 1
        };
        let groups: HashMap<String, u32> = by_group
            .into_iter()
            .map(|(group, held)| (group, add(held)))
            .collect();
        let own: HashMap<String, u32> = by_user
            .into_iter()
            .map(|(user, held)| (user, add(held)))
            .collect();
        for (entry, u) in users.entries.iter_mut().zip(&config.users) {
            entry.start = users.sources.len() as u32;
            let mut lists: Vec<u32> = own.get(&u.name).into_iter().copied().collect();
            lists.extend(u.groups.iter().filter_map(|g| groups.get(g).copied()));
            lists.sort_unstable();
            lists.dedup();
            users.sources.extend(lists);
            entry.end = users.sources.len() as u32;
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

    /// The lists of entry `e`'s standing roles.
    #[inline]
    fn lists<'a>(&'a self, e: &UserEntry) -> impl Iterator<Item = &'a [Held]> + 'a {
        let sources = self.sources.get(e.start as usize..e.end as usize);
        sources.unwrap_or(&[]).iter().map(|&l| {
            self.lists
                .get(l as usize)
                .and_then(|&(start, end)| self.held.get(start as usize..end as usize))
                .unwrap_or(&[])
        })
    }

    /// The standing roles of entry `e`, in binding order, then role order within the binding.
    pub(crate) fn standing(&self, e: &UserEntry) -> Vec<Standing> {
        let mut all: Vec<Held> = self.lists(e).flatten().copied().collect();
        all.sort_unstable_by_key(|h| h.order);
        // A binding that names the user directly and through a group gives its roles once.
        all.dedup_by_key(|h| h.order);
        all.iter().map(Held::standing).collect()
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
        let mut best: Option<&Held> = None;
        for list in self.lists(e) {
            for &role in roles {
                let start = list.partition_point(|h| h.role < role);
                // In order within the role: the first live one is this list's for it.
                let first = list[start..]
                    .iter()
                    .take_while(|h| h.role == role && best.is_none_or(|b| h.order < b.order))
                    .find(|h| h.live(now));
                if first.is_some() {
                    best = first;
                }
            }
        }
        best.map(Held::standing)
    }
}
