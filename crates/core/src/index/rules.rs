//! The rule table: every role permission and guardrail in a trie keyed by the literal prefix
//! of its resource pattern, so a check visits only the rules that could match its resource,
//! however many roles exist. Also what `requestable` needs per role: the policies offering
//! it in file order, and its rank by size.

use crate::action::{Action, ActionPattern};
use crate::config::Config;
use crate::resource::ResourcePattern;

use super::hash::FastMap;
use super::matcher::{self, Seg};

/// Whom a rule speaks for: a role (allow) or a guardrail (deny), by position in the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    Role(u32),
    Guardrail(u32),
}

/// One resource pattern of a permission or guardrail, with that permission's actions.
#[derive(Clone, Debug)]
struct Rule {
    owner: Owner,
    actions: Box<[ActionPattern]>,
    tail: Box<[Seg]>,
}

#[derive(Clone, Debug, Default)]
struct Node {
    children: FastMap<Box<str>, u32>,
    /// Rules whose literal prefix ends exactly here.
    rules: Vec<Rule>,
}

/// Everything `decide` and `requestable` derive from the configuration alone.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    nodes: Vec<Node>,
    /// For each role, the policies offering it, in file order.
    offers: Vec<Vec<u32>>,
    /// For each role, its place in "smallest first" order ([`crate::config::Role::size`]).
    rank: Vec<u32>,
}

impl Rules {
    pub(crate) fn new(config: &Config) -> Rules {
        let mut rules = Rules {
            nodes: vec![Node::default()],
            offers: vec![Vec::new(); config.roles.len()],
            rank: Vec::new(),
        };
        for (r, role) in config.roles.iter().enumerate() {
            for p in &role.permissions {
                for resource in &p.resources {
                    rules.add(Owner::Role(r as u32), &p.actions, resource);
                }
            }
        }
        for (g, guardrail) in config.guardrails.iter().enumerate() {
            for resource in &guardrail.resources {
                rules.add(Owner::Guardrail(g as u32), &guardrail.actions, resource);
            }
        }
        for (i, policy) in config.policies.iter().enumerate() {
            for role in &policy.roles {
                if let Some(r) = config.role_position(role)
                    && rules.offers[r].last() != Some(&(i as u32))
                {
                    rules.offers[r].push(i as u32);
                }
            }
        }
        let sizes: Vec<_> = config.roles.iter().map(|r| r.size()).collect();
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by(|&a, &b| sizes[a].cmp(&sizes[b]));
        rules.rank = vec![0; order.len()];
        for (rank, r) in order.into_iter().enumerate() {
            rules.rank[r] = rank as u32;
        }
        rules
    }

    fn add(&mut self, owner: Owner, actions: &[ActionPattern], pattern: &ResourcePattern) {
        let (prefix, tail) = matcher::compile(pattern);
        let mut node = 0;
        for seg in prefix {
            node = match self.nodes[node].children.get(seg) {
                Some(&child) => child as usize,
                None => {
                    let child = self.nodes.len();
                    self.nodes.push(Node::default());
                    self.nodes[node].children.insert(seg.into(), child as u32);
                    child
                }
            };
        }
        self.nodes[node].rules.push(Rule {
            owner,
            actions: actions.into(),
            tail,
        });
    }

    /// Calls `found` for every rule that matches `action` on the resource split as `path`.
    pub(crate) fn visit(&self, action: &Action, path: &[&str], mut found: impl FnMut(Owner)) {
        let service = action.service();
        let action_matches = |p: &ActionPattern| match p {
            ActionPattern::Any => true,
            ActionPattern::Service(s) => s == service,
            ActionPattern::Exact(a) => a == action,
        };
        let mut node = &self.nodes[0];
        for depth in 0..=path.len() {
            for rule in &node.rules {
                if rule.actions.iter().any(action_matches)
                    && matcher::matches(&rule.tail, &path[depth..])
                {
                    found(rule.owner);
                }
            }
            match path.get(depth).and_then(|seg| node.children.get(*seg)) {
                Some(&child) => node = &self.nodes[child as usize],
                None => return,
            }
        }
    }

    /// The policies offering role `r`, in file order.
    pub(crate) fn offers(&self, r: u32) -> &[u32] {
        self.offers.get(r as usize).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn rank(&self, r: u32) -> u32 {
        self.rank.get(r as usize).copied().unwrap_or(u32::MAX)
    }
}

/// The roles a check matched: a few on the stack, more on the heap; sorted and deduplicated
/// by [`RoleSet::finish`].
pub(crate) struct RoleSet {
    inline: [u32; 8],
    len: usize,
    heap: Vec<u32>,
}

impl RoleSet {
    pub(crate) fn new() -> RoleSet {
        RoleSet {
            inline: [0; 8],
            len: 0,
            heap: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, role: u32) {
        if self.len < self.inline.len() {
            self.inline[self.len] = role;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(role);
        }
        self.len += 1;
    }

    /// The roles, sorted, each once.
    pub(crate) fn finish(&mut self) -> &[u32] {
        let all = if self.heap.is_empty() {
            &mut self.inline[..self.len]
        } else {
            &mut self.heap[..]
        };
        all.sort_unstable();
        let mut kept = 0;
        for i in 0..all.len() {
            if kept == 0 || all[i] != all[kept - 1] {
                all[kept] = all[i];
                kept += 1;
            }
        }
        &all[..kept]
    }
}
