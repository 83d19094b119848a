//! The benchmark workload: roles over services, users in groups, standing bindings,
//! guardrails, policies, grants and checks, all drawn from one seed. It is one abstract
//! model; `wicket`, `cedar` and `casbin` express it for each engine.

pub mod build;
pub mod checks;

pub use checks::all_actions;

use std::collections::HashMap;
use std::fmt;

/// The moment every check is decided at: 2026-01-01T12:00:00Z, in Unix milliseconds.
pub const NOW_MS: i64 = 1_767_268_800_000;
pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;

/// How big a workload to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub roles: usize,
    pub users: usize,
    pub grants: usize,
    pub checks: usize,
    pub seed: u64,
}

impl Spec {
    /// `roles` roles (rounded up to a multiple of 4, one of each kind per service), as many
    /// users (100 to 100k), one grant per user, 10k checks, seed 42.
    pub fn with_roles(roles: usize) -> Spec {
        let users = roles.clamp(100, 100_000);
        Spec {
            roles,
            users,
            grants: users,
            checks: 10_000,
            seed: 42,
        }
    }

    pub fn checks(self, checks: usize) -> Spec {
        Spec { checks, ..self }
    }

    pub fn grants(self, grants: usize) -> Spec {
        Spec { grants, ..self }
    }

    pub fn users(self, users: usize) -> Spec {
        Spec { users, ..self }
    }
}

/// One permission: any of `actions` (`db:select`, `db:*`, `*`) on any of `resources`
/// (exact paths, or a literal prefix followed by `*` or `**`).
#[derive(Clone, Debug)]
pub struct Permission {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub name: String,
    pub permissions: Vec<Permission>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Group(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(u) => write!(f, "user:{u}"),
            Subject::Group(g) => write!(f, "group:{g}"),
        }
    }
}

/// Standing roles for subjects, permanent or until `expires_at` (Unix ms).
#[derive(Clone, Debug)]
pub struct Binding {
    pub subjects: Vec<Subject>,
    pub roles: Vec<usize>,
    pub expires_at: Option<i64>,
}

impl Binding {
    pub fn live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|e| now < e)
    }
}

/// A deny rule; no subjects means everyone.
#[derive(Clone, Debug)]
pub struct Guardrail {
    pub name: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub subjects: Vec<Subject>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub requesters: Vec<Subject>,
    pub roles: Vec<usize>,
}

/// A grant of one role to one user over `[starts_at, expires_at)` (Unix ms).
#[derive(Clone, Debug)]
pub struct Grant {
    pub id: String,
    pub user: usize,
    pub role: usize,
    pub starts_at: i64,
    pub expires_at: i64,
}

impl Grant {
    pub fn active(&self, now: i64) -> bool {
        self.starts_at <= now && now < self.expires_at
    }
}

/// May `users[user]` do `action` on `resource`?
#[derive(Clone, Debug)]
pub struct Check {
    pub user: usize,
    pub action: String,
    pub resource: String,
}

/// The whole workload.
#[derive(Clone, Debug)]
pub struct Workload {
    pub spec: Spec,
    pub now: i64,
    pub roles: Vec<Role>,
    pub users: Vec<User>,
    pub groups: Vec<String>,
    pub bindings: Vec<Binding>,
    pub guardrails: Vec<Guardrail>,
    pub policies: Vec<Policy>,
    pub grants: Vec<Grant>,
    pub checks: Vec<Check>,
}

impl Workload {
    /// Generates the workload `spec` describes; the same spec always gives the same workload.
    pub fn generate(spec: Spec) -> Workload {
        let mut w = build::build(spec);
        w.checks = checks::generate(&w);
        w
    }

    /// Adds the load generator's users: `bench` and `bench-granted`, both in the first team
    /// (whose policy offers its write role with no approval steps) with standing read on
    /// service 0.
    pub fn add_bench_users(&mut self) {
        let team = self.groups.get(2).cloned().unwrap_or_default();
        for name in ["bench", "bench-granted"] {
            self.users.push(User {
                name: name.into(),
                groups: vec![team.clone()],
            });
            self.bindings.push(Binding {
                subjects: vec![Subject::User(name.into())],
                roles: vec![build::role_of(0, 0)],
                expires_at: None,
            });
        }
    }

    /// For every group (by position in `groups`), the roles its unexpired bindings give it.
    pub fn group_roles(&self, now: i64) -> Vec<Vec<usize>> {
        let positions: HashMap<&str, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str(), i))
            .collect();
        let mut out = vec![Vec::new(); self.groups.len()];
        for b in self.bindings.iter().filter(|b| b.live(now)) {
            for s in &b.subjects {
                if let Subject::Group(g) = s
                    && let Some(&i) = positions.get(g.as_str())
                {
                    out[i].extend(b.roles.iter().copied());
                }
            }
        }
        for roles in &mut out {
            roles.sort_unstable();
            roles.dedup();
        }
        out
    }

    /// For every user, the roles held at `now` directly: unexpired bindings naming the user, and
    /// grants whose window holds `now` (roles through groups are in [`Workload::group_roles`]).
    pub fn all_direct_roles(&self, now: i64) -> Vec<Vec<usize>> {
        let positions: HashMap<&str, usize> = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.name.as_str(), i))
            .collect();
        let mut out = vec![Vec::new(); self.users.len()];
        for b in self.bindings.iter().filter(|b| b.live(now)) {
            for s in &b.subjects {
                if let Subject::User(u) = s
                    && let Some(&i) = positions.get(u.as_str())
                {
                    out[i].extend(b.roles.iter().copied());
                }
            }
        }
        for g in self.grants.iter().filter(|g| g.active(now)) {
            out[g.user].push(g.role);
        }
        for roles in &mut out {
            roles.sort_unstable();
            roles.dedup();
        }
        out
    }
}
