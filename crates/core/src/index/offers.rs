//! What `requestable` needs per role, derived from the configuration once: the policies
//! offering it in file order, and its rank by size.

use crate::config::Config;

#[derive(Clone, Debug)]
pub(crate) struct Offers {
    /// For each role, the policies offering it, in file order.
    offers: Vec<Vec<u32>>,
    /// For each role, its place in "smallest first" order ([`crate::config::Role::size`]).
    rank: Vec<u32>,
}

impl Offers {
    pub(crate) fn new(config: &Config) -> Offers {
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
        let sizes: Vec<_> = config.roles.iter().map(|r| r.size()).collect();
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by(|&a, &b| sizes[a].cmp(&sizes[b]));
        let mut rank = vec![0; order.len()];
        for (place, r) in order.into_iter().enumerate() {
            rank[r] = place as u32;
        }
        Offers { offers, rank }
    }

    /// The policies offering role `r`, in file order.
    pub(crate) fn offers(&self, r: u32) -> &[u32] {
        self.offers.get(r as usize).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn rank(&self, r: u32) -> u32 {
        self.rank.get(r as usize).copied().unwrap_or(u32::MAX)
    }
}
