//! Users' standing roles, from the bindings to them and to their groups.

use std::collections::HashMap;

use crate::config::Config;
use crate::subject::Subject;

use super::Standing;

/// For each user of `config` (by position), the standing roles its bindings give them, in
/// binding order, then role order within the binding; less those of the bindings in
/// `suspended` (`(subject, role)`). `id` finds a user by name.
pub(super) fn of_users(
    config: &Config,
    suspended: &[(String, String)],
    id: impl Fn(&str) -> Option<usize>,
) -> Vec<Vec<Standing>> {
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, user) in config.users.iter().enumerate() {
        for group in &user.groups {
            members.entry(group).or_default().push(i);
        }
    }
    let mut standing: Vec<Vec<Standing>> = vec![Vec::new(); config.users.len()];
    // One past the last binding each user got roles from: a binding that names a user
    // twice (directly and through a group) gives its roles once, as `covers` would.
    let mut last = vec![0usize; config.users.len()];
    for (b, binding) in config.bindings.iter().enumerate() {
        let roles: Vec<usize> = binding
            .roles
            .iter()
            .filter_map(|r| config.role_position(r))
            .collect();
        for subject in &binding.subjects {
            let text = subject.to_string();
            let roles: Vec<usize> = roles
                .iter()
                .copied()
                .filter(|&r| {
                    !suspended
                        .iter()
                        .any(|(s, role)| *s == text && *role == config.roles[r].name)
                })
                .collect();
            let user = match subject {
                Subject::User(name) => id(name),
                Subject::Group(_) => None,
            };
            let covered: &[usize] = match (subject, &user) {
                (Subject::User(_), Some(u)) => std::slice::from_ref(u),
                (Subject::User(_), None) => &[],
                (Subject::Group(group), _) => {
                    members.get(group.as_str()).map_or(&[], Vec::as_slice)
                }
            };
            for &u in covered {
                if last[u] == b + 1 {
                    continue;
                }
                last[u] = b + 1;
                standing[u].extend(roles.iter().map(|&role| Standing {
                    role: role as u32,
                    expires_at: binding.expires_at,
                }));
            }
        }
    }
    standing
}
