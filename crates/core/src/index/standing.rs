//! Standing roles by subject: one list for each user and each group that a binding names,
//! kept once however many members the group has.
//!
//! A user's standing roles are those of their own list and of their groups' lists. Each entry
//! carries its place in the configuration (binding order, then role order within the
//! binding), so the first of a user's roles is found across lists, and a binding that names a
//! user twice (directly and through a group) counts once, as `covers` would.

use std::collections::HashMap;

use crate::config::Config;
use crate::subject::Subject;
use crate::time::Time;

use super::Standing;

/// A standing role as a list keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Held {
    /// The role's position in the configuration's roles.
    pub(super) role: u32,
    /// The binding's place in the configuration, then the role's within the binding: the
    /// order in which a user's standing roles are listed and the first one is chosen.
    pub(super) order: u32,
    pub(super) expires_at: Option<Time>,
}

impl Held {
    #[inline]
    pub(super) fn live(&self, now: Time) -> bool {
        self.expires_at.is_none_or(|e| now < e)
    }

    /// The role as the index hands it out.
    pub(super) fn standing(&self) -> Standing {
        Standing {
            role: self.role,
            expires_at: self.expires_at,
        }
    }
}

/// The lists of every subject a binding names, less the bindings in `suspended`
/// (`(subject, role)`): each list sorted by role, then order.
#[derive(Debug, Default)]
pub(super) struct Lists {
    pub(super) users: HashMap<String, Vec<Held>>,
    pub(super) groups: HashMap<String, Vec<Held>>,
}

impl Lists {
    pub(super) fn new(config: &Config, suspended: &[(String, String)]) -> Lists {
        let mut lists = Lists::default();
        let mut order = 0u32;
        for binding in &config.bindings {
            let roles: Vec<(u32, &str, u32)> = binding
                .roles
                .iter()
                .filter_map(|name| {
                    let role = config.role_position(name)? as u32;
                    order += 1;
                    Some((role, name.as_str(), order - 1))
                })
                .collect();
            for subject in &binding.subjects {
                let text = subject.to_string();
                let list = match subject {
                    Subject::User(name) => lists.users.entry(name.clone()).or_default(),
                    Subject::Group(name) => lists.groups.entry(name.clone()).or_default(),
                };
                list.extend(
                    roles
                        .iter()
                        .filter(|&&(_, name, _)| {
                            !suspended.iter().any(|(s, r)| *s == text && r == name)
                        })
                        .map(|&(role, _, order)| Held {
                            role,
                            order,
                            expires_at: binding.expires_at,
                        }),
                );
            }
        }
        for list in lists.users.values_mut().chain(lists.groups.values_mut()) {
            list.sort_unstable_by_key(|h| (h.role, h.order));
            // A binding that names the same subject twice.
            list.dedup_by_key(|h| h.order);
        }
        lists
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[[users]]\nname = \"alice\"\ngroups = [\"sre\"]\n\
        [[roles]]\nname = \"a\"\n[[roles.permissions]]\nactions = [\"db:read\"]\nresources = [\"db/**\"]\n\
        [[roles]]\nname = \"b\"\n[[roles.permissions]]\nactions = [\"db:write\"]\nresources = [\"db/**\"]\n\
        [[bindings]]\nsubjects = [\"group:sre\", \"user:alice\", \"group:sre\"]\nroles = [\"b\", \"a\"]\n\
        [[bindings]]\nsubjects = [\"group:sre\"]\nroles = [\"a\"]\n";

    fn held(role: u32, order: u32) -> Held {
        Held {
            role,
            order,
            expires_at: None,
        }
    }

    #[test]
    fn one_list_per_subject_sorted_by_role_then_order() {
        let config = Config::parse("w.toml", CONFIG).unwrap();
        let lists = Lists::new(&config, &[]);
        assert_eq!(
            lists.groups["sre"],
            vec![held(0, 1), held(0, 2), held(1, 0)]
        );
        assert_eq!(lists.users["alice"], vec![held(0, 1), held(1, 0)]);
    }

    #[test]
    fn a_suspension_takes_the_role_from_that_subject_alone() {
        let config = Config::parse("w.toml", CONFIG).unwrap();
        let suspended = [("group:sre".to_string(), "a".to_string())];
        let lists = Lists::new(&config, &suspended);
        assert_eq!(lists.groups["sre"], vec![held(1, 0)]);
        assert_eq!(lists.users["alice"], vec![held(0, 1), held(1, 0)]);
    }
}
