//! The rule table: every role permission and guardrail in a trie keyed by the literal prefix
//! of its resource pattern, so a check visits only the rules that could match its resource,
//! however many roles exist.
//!
//! The layout is flat: one rule per (action pattern, resource pattern) pair, all rules in
//! one `Vec` grouped by trie node (a node holds the range of its own), each with its action
//! pattern and, for the common tails (none, `*`, `**`), its tail inline; action texts and
//! tail literals are interned, so a check reads a node's rules in one or two cache lines.

use crate::action::{Action, ActionPattern};
use crate::config::Config;
use crate::resource::ResourcePattern;

use super::interner::Interner;
use super::matcher::{self, Seg};
use super::offers::Offers;
use super::trie::{ROOT, Trie};

/// Whom a rule speaks for: a role (allow) or a guardrail (deny), by position in the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    Role(u32),
    Guardrail(u32),
}

/// An action pattern, its text by id in [`Rules::actions`].
#[derive(Clone, Copy, Debug)]
enum Act {
    Any,
    Service(u32),
    Exact(u32),
}

/// What a rule's pattern asks of the path below its literal prefix.
#[derive(Clone, Copy, Debug)]
enum Tail {
    /// Nothing more: the path ends at the prefix.
    End,
    /// `*`: exactly one more segment.
    One,
    /// `**`: anything.
    Any,
    /// Anything else: `tails[start..end]`, literals by id in the trie's segments.
    Segs { start: u32, end: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Rule {
    owner: Owner,
    act: Act,
    tail: Tail,
}

/// Everything `decide` and `requestable` derive from the configuration alone.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    trie: Trie,
    /// In trie node order; a node's rules are `rules[node.start..node.end]`.
    rules: Vec<Rule>,
    actions: Interner,
    tails: Vec<Seg<u32>>,
    pub(crate) offers: Offers,
}

impl Rules {
    pub(crate) fn new(config: &Config) -> Rules {
        let mut rules = Rules {
            trie: Trie::new(),
            rules: Vec::new(),
            actions: Interner::default(),
            tails: Vec::new(),
            offers: Offers::new(config),
        };
        // Each rule with its node, in file order; grouped by node below.
        let mut placed: Vec<(u32, Rule)> = Vec::new();
        for (r, role) in config.roles.iter().enumerate() {
            for p in &role.permissions {
                for resource in &p.resources {
                    rules.add(&mut placed, Owner::Role(r as u32), &p.actions, resource);
                }
            }
        }
        for (g, guardrail) in config.guardrails.iter().enumerate() {
            for resource in &guardrail.resources {
                let owner = Owner::Guardrail(g as u32);
                rules.add(&mut placed, owner, &guardrail.actions, resource);
            }
        }
        placed.sort_by_key(|&(node, _)| node);
        rules.rules = placed.iter().map(|&(_, rule)| rule).collect();
        for (i, &(node, _)) in placed.iter().enumerate() {
            let n = &mut rules.trie.nodes[node as usize];
            if n.start == n.end {
                n.start = i as u32;
            }
            n.end = i as u32 + 1;
        }
        rules
    }

    fn add(
        &mut self,
        placed: &mut Vec<(u32, Rule)>,
        owner: Owner,
        actions: &[ActionPattern],
        pattern: &ResourcePattern,
    ) {
        let (prefix, tail) = matcher::compile(pattern);
        let node = self.trie.insert(&prefix);
        let tail = match tail.as_slice() {
            [] => Tail::End,
            [Seg::One] => Tail::One,
            [Seg::Any] => Tail::Any,
            segs => {
                let start = self.tails.len() as u32;
                for seg in segs {
                    let seg = match seg {
                        Seg::Literal(l) => Seg::Literal(self.trie.segments.intern(l)),
                        Seg::One => Seg::One,
                        Seg::Any => Seg::Any,
                    };
                    self.tails.push(seg);
                }
                Tail::Segs {
                    start,
                    end: self.tails.len() as u32,
                }
            }
        };
        for a in actions {
            let act = match a {
                ActionPattern::Any => Act::Any,
                ActionPattern::Service(s) => Act::Service(self.actions.intern(s)),
                ActionPattern::Exact(a) => Act::Exact(self.actions.intern(a.as_str())),
            };
            placed.push((node, Rule { owner, act, tail }));
        }
    }

    /// Calls `found` for every rule that matches `action` on the resource split as `path`
    /// (a rule with several action patterns that match may be reported more than once).
    pub(crate) fn visit(&self, action: &Action, path: &[&str], mut found: impl FnMut(Owner)) {
        let service = action.service();
        let act_matches = |a: Act| match a {
            Act::Any => true,
            Act::Service(s) => self.actions.get(s) == service,
            Act::Exact(a) => self.actions.get(a) == action.as_str(),
        };
        let segments = &self.trie.segments;
        let mut node = ROOT;
        for depth in 0..=path.len() {
            let n = &self.trie.nodes[node as usize];
            let rest = &path[depth..];
            for rule in &self.rules[n.start as usize..n.end as usize] {
                let tail_matches = match rule.tail {
                    Tail::End => rest.is_empty(),
                    Tail::One => rest.len() == 1,
                    Tail::Any => true,
                    Tail::Segs { start, end } => matcher::matches(
                        &self.tails[start as usize..end as usize],
                        rest,
                        |&l, s| segments.get(l) == s,
                    ),
                };
                if tail_matches && act_matches(rule.act) {
                    found(rule.owner);
                }
            }
            match path.get(depth).and_then(|seg| self.trie.child(node, seg)) {
                Some(child) => node = child,
                None => return,
            }
        }
    }
}
