//! Drawing checks from a workload: users exercising roles they hold (or held, or will hold),
//! their team's other roles, anyone's roles, guardrails, and resources no rule covers.

use std::collections::HashMap;

use super::build::{role_of, team_services};
use super::{Check, Subject, Workload};
use crate::rng::Rng;

const VERBS: [(&str, &[&str]); 3] = [
    (
        "db",
        &["connect", "select", "insert", "update", "delete", "ddl"],
    ),
    ("logs", &["view", "export"]),
    ("service", &["restart", "scale", "deploy"]),
];
const SEGMENTS: [&str; 6] = ["public", "orders", "pii", "secrets", "api", "pods"];

/// Every concrete action the workload uses.
pub fn all_actions() -> Vec<String> {
    VERBS
        .iter()
        .flat_map(|(s, verbs)| verbs.iter().map(move |v| format!("{s}:{v}")))
        .collect()
}

/// Where a user's roles come from, for drawing one without listing them all.
struct Holdings<'a> {
    by_group: HashMap<&'a str, Vec<usize>>,
    by_user: HashMap<&'a str, Vec<usize>>,
    grants: Vec<Vec<usize>>,
}

impl<'a> Holdings<'a> {
    fn new(w: &'a Workload) -> Holdings<'a> {
        let mut h = Holdings {
            by_group: HashMap::new(),
            by_user: HashMap::new(),
            grants: vec![Vec::new(); w.users.len()],
        };
        for b in &w.bindings {
            for s in &b.subjects {
                let list = match s {
                    Subject::Group(g) => h.by_group.entry(g.as_str()).or_default(),
                    Subject::User(u) => h.by_user.entry(u.as_str()).or_default(),
                };
                list.extend(&b.roles);
            }
        }
        for g in &w.grants {
            h.grants[g.user].push(g.role);
        }
        h
    }

    /// A role `users[user]` holds, held or will hold, by any route; `None` if none.
    fn draw(&self, rng: &mut Rng, w: &Workload, user: usize) -> Option<usize> {
        let u = &w.users[user];
        let mut lists: Vec<&[usize]> = u
            .groups
            .iter()
            .filter_map(|g| self.by_group.get(g.as_str()))
            .map(Vec::as_slice)
            .collect();
        lists.extend(self.by_user.get(u.name.as_str()).map(Vec::as_slice));
        lists.push(&self.grants[user]);
        let mut i = rng.below(lists.iter().map(|l| l.len()).sum());
        for l in lists {
            if i < l.len() {
                return Some(l[i]);
            }
            i -= l.len();
        }
        None
    }
}

pub fn generate(w: &Workload) -> Vec<Check> {
    let mut rng = Rng::new(w.spec.seed ^ 0x00C4_EC45);
    let holdings = Holdings::new(w);
    let services = w.roles.len() / 4;
    let teams = w.groups.len().saturating_sub(2).max(1);
    (0..w.spec.checks)
        .map(|_| {
            let user = rng.below(w.users.len());
            let roll = rng.below(100);
            let role = match roll {
                0..40 => holdings.draw(&mut rng, w, user),
                40..65 => {
                    let owned: Vec<usize> = team_services(user % teams, teams, services).collect();
                    rng.pick(&owned).map(|&s| role_of(s, rng.below(4)))
                }
                65..85 => Some(rng.below(w.roles.len())),
                _ => None,
            };
            let (action, resource) = match role {
                Some(r) => {
                    let p = rng.pick(&w.roles[r].permissions);
                    let a = p
                        .and_then(|p| rng.pick(&p.actions))
                        .cloned()
                        .unwrap_or_default();
                    let r = p
                        .and_then(|p| rng.pick(&p.resources))
                        .cloned()
                        .unwrap_or_default();
                    (
                        concrete_action(&mut rng, &a),
                        concrete_resource(&mut rng, &r),
                    )
                }
                None if roll < 95 => match rng.pick(&w.guardrails) {
                    Some(g) => (
                        concrete_action(&mut rng, &g.actions[0]),
                        concrete_resource(&mut rng, &g.resources[0]),
                    ),
                    None => nowhere(&mut rng),
                },
                None => nowhere(&mut rng),
            };
            Check {
                user,
                action,
                resource,
            }
        })
        .collect()
}

/// A check on a resource no rule covers.
fn nowhere(rng: &mut Rng) -> (String, String) {
    (
        concrete_action(rng, "*"),
        format!("s3/bucket{}/k{}", rng.below(50), rng.below(1000)),
    )
}

/// A concrete action matched by `pattern` (`*`, `service:*` or exact).
pub fn concrete_action(rng: &mut Rng, pattern: &str) -> String {
    let verb = |rng: &mut Rng, service: &str| {
        let verbs = VERBS
            .iter()
            .find(|(s, _)| *s == service)
            .map_or(&["run"][..], |(_, v)| *v);
        format!("{service}:{}", rng.pick(verbs).copied().unwrap_or("run"))
    };
    match pattern {
        "*" => {
            let (service, _) = VERBS[rng.below(VERBS.len())];
            verb(rng, service)
        }
        p => match p.strip_suffix(":*") {
            Some(service) => verb(rng, service),
            None => p.to_string(),
        },
    }
}

/// A concrete resource matched by `pattern` (exact, `prefix/*` or `prefix/**`).
pub fn concrete_resource(rng: &mut Rng, pattern: &str) -> String {
    let segment = |rng: &mut Rng| match rng.below(SEGMENTS.len() + 2) {
        i if i < SEGMENTS.len() => SEGMENTS[i].to_string(),
        _ => format!("t{}", rng.below(100)),
    };
    if let Some(prefix) = pattern.strip_suffix("/**") {
        let mut out = prefix.to_string();
        for _ in 0..rng.below(3) {
            out.push('/');
            out.push_str(&segment(rng));
        }
        out
    } else if let Some(prefix) = pattern.strip_suffix("/*") {
        format!("{prefix}/{}", segment(rng))
    } else {
        pattern.to_string()
    }
}
