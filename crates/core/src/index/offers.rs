//! What `requestable` needs, derived from the configuration once and laid out flat: for each
//! role the policies offering it (in file order) and its rank by size, for each policy who may
//! request under it, and for each user its groups, all by id in a few shared arrays.
//!
//! A denial looks this up for every role that would have allowed it. Read through the
//! configuration, that was a `Vec` per role, then each policy's requesters, each requester's
//! name and each of the user's group names: allocations of their own, each a cache miss once
//! the configuration is large (at 10k roles, half of a denial's time).

use std::ops::Range;

use crate::config::Config;
use crate::subject::Subject;

use super::hash::FastMap;

/// One requester of a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Requester {
    /// A user of the configuration, by position.
    User(u32),
    /// A user the configuration does not have, by name in [`Offers::named`].
    Named(u32),
    /// A group, by id.
    Group(u32),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Offers {
    /// Role `r`'s offering policies are `offered_by[range(offer_ends, r)]`.
    offer_ends: Vec<u32>,
    offered_by: Vec<u32>,
    /// For each role, its place in "smallest first" order ([`crate::config::Role::size`]).
    rank: Vec<u32>,
    /// Policy `p`'s requesters are `requesters[range(requester_ends, p)]`.
    requester_ends: Vec<u32>,
    requesters: Vec<Requester>,
    named: Vec<String>,
    /// User `u`'s groups (by id, sorted) are `groups[range(group_ends, u)]`.
    group_ends: Vec<u32>,
    groups: Vec<u32>,
}

/// The range of item `i` of a list whose items end at `ends` (each starts where the one
/// before ends).
#[inline]
fn range(ends: &[u32], i: usize) -> Range<usize> {
    let end = ends.get(i).copied().unwrap_or(0) as usize;
    let start = match i.checked_sub(1) {
        Some(prev) => ends.get(prev).copied().unwrap_or(0) as usize,
        None => 0,
    };
    start..end.max(start)
}

impl Offers {
    pub(crate) fn new(config: &Config) -> Offers {
        let mut o = Offers::default();
        let mut offers = vec![Vec::new(); config.roles.len()];
        for (i, policy) in config.policies.iter().enumerate() {
            for role in &policy.roles {
                if let Some(r) = config.role_position(role)
                    && offers[r].last() != Some(&(i as u32))
                {
                    offers[r].push(i as u32);
                }
            }
        }
        for own in offers {
            o.offered_by.extend(own);
            o.offer_ends.push(o.offered_by.len() as u32);
        }
        let sizes: Vec<_> = config.roles.iter().map(|r| r.size()).collect();
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by(|&a, &b| sizes[a].cmp(&sizes[b]));
        o.rank = vec![0; order.len()];
        for (place, r) in order.into_iter().enumerate() {
            o.rank[r] = place as u32;
        }

        let mut group_ids: FastMap<&str, u32> = FastMap::default();
        let mut group_id = |name| {
            let next = group_ids.len() as u32;
            *group_ids.entry(name).or_insert(next)
        };
        for user in &config.users {
            let mut own: Vec<u32> = user.groups.iter().map(|g| group_id(g)).collect();
            own.sort_unstable();
            own.dedup();
            o.groups.extend(own);
            o.group_ends.push(o.groups.len() as u32);
        }
        for policy in &config.policies {
            for subject in &policy.requesters {
                let requester = match subject {
                    Subject::User(name) => match config.user_position(name) {
                        Some(u) => Requester::User(u as u32),
                        None => {
                            o.named.push(name.clone());
                            Requester::Named(o.named.len() as u32 - 1)
                        }
                    },
                    Subject::Group(name) => Requester::Group(group_id(name)),
                };
                o.requesters.push(requester);
            }
            o.requester_ends.push(o.requesters.len() as u32);
        }
        o
    }

    /// The policies offering role `r`, in file order.
    #[inline]
    pub(crate) fn offers(&self, r: u32) -> &[u32] {
        self.offered_by
            .get(range(&self.offer_ends, r as usize))
            .unwrap_or(&[])
    }

    #[inline]
    pub(crate) fn rank(&self, r: u32) -> u32 {
        self.rank.get(r as usize).copied().unwrap_or(u32::MAX)
    }

    /// Whether policy `p` lets the user named `name` request: `user` is that user's position
    /// in the configuration, `None` for a user it does not have (who has no groups).
    #[inline]
    pub(crate) fn covers(&self, p: u32, user: Option<usize>, name: &str) -> bool {
        let groups = user
            .and_then(|u| self.groups.get(range(&self.group_ends, u)))
            .unwrap_or(&[]);
        let requesters = self
            .requesters
            .get(range(&self.requester_ends, p as usize))
            .unwrap_or(&[]);
        requesters.iter().any(|r| match *r {
            Requester::User(u) => user == Some(u as usize),
            Requester::Named(n) => self.named.get(n as usize).is_some_and(|s| s == name),
            Requester::Group(g) => groups.binary_search(&g).is_ok(),
        })
    }
}

#[cfg(test)]
mod tests;
