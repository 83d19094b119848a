//! Generating everything but the checks: four roles per service (read, write, ops, admin),
//! teams owning services, bindings, guardrails, policies and grants.

use super::{
    Binding, Grant, Guardrail, HOUR_MS, MINUTE_MS, NOW_MS, Permission, Policy, Role, Spec, Subject,
    User, Workload,
};
use crate::rng::Rng;

pub const SRE: &str = "sre";
pub const CONTRACTORS: &str = "contractors";
/// Groups before the teams in `Workload::groups`.
const FIXED_GROUPS: usize = 2;

fn perm(actions: &[&str], resources: &[String]) -> Permission {
    Permission {
        actions: actions.iter().map(|a| a.to_string()).collect(),
        resources: resources.to_vec(),
    }
}

/// The four roles of service `s` among `services`: read, write, ops, admin.
fn service_roles(s: usize, services: usize) -> [Role; 4] {
    let pg = format!("pg/prod/s{s}/**");
    let mut read = vec![
        perm(&["db:connect", "db:select"], std::slice::from_ref(&pg)),
        perm(&["logs:view"], &[format!("logs/prod/s{s}/*")]),
    ];
    if s.is_multiple_of(5) {
        // Some teams read a neighbour's public tables: rules deeper in another service's tree.
        read.push(perm(
            &["db:select"],
            &[format!("pg/prod/s{}/public/*", (s * 7 + 3) % services)],
        ));
    }
    let role = |kind: &str, permissions| Role {
        name: format!("s{s}-{kind}"),
        permissions,
    };
    [
        role("read", read),
        role(
            "write",
            vec![perm(
                &[
                    "db:connect",
                    "db:select",
                    "db:insert",
                    "db:update",
                    "db:delete",
                ],
                std::slice::from_ref(&pg),
            )],
        ),
        role(
            "ops",
            vec![
                perm(&["service:*"], &[format!("k8s/prod/s{s}/*")]),
                perm(&["logs:*"], &[format!("logs/prod/s{s}/**")]),
                perm(&["service:restart"], &[format!("k8s/prod/s{s}/api/pods")]),
            ],
        ),
        role(
            "admin",
            vec![
                perm(&["*"], &[pg, format!("k8s/prod/s{s}/**")]),
                perm(&["db:*"], &[format!("pg/staging/s{s}/**")]),
            ],
        ),
    ]
}

/// Role positions: service `s`, kind 0 read, 1 write, 2 ops, 3 admin.
pub fn role_of(s: usize, kind: usize) -> usize {
    4 * s + kind
}

/// The services team `t` (of `teams`) owns.
pub fn team_services(t: usize, teams: usize, services: usize) -> impl Iterator<Item = usize> {
    (t..services).step_by(teams.max(1))
}

pub fn build(spec: Spec) -> Workload {
    let mut rng = Rng::new(spec.seed);
    let services = spec.roles.div_ceil(4).max(1);
    let teams = (spec.users / 25).clamp(2, services.max(2));
    let roles: Vec<Role> = (0..services)
        .flat_map(|s| service_roles(s, services))
        .collect();
    let mut groups = vec![SRE.to_string(), CONTRACTORS.to_string()];
    groups.extend((0..teams).map(|t| format!("team-{t}")));
    let users: Vec<User> = (0..spec.users.max(1))
        .map(|j| {
            let mut g = vec![groups[FIXED_GROUPS + j % teams].clone()];
            if rng.percent(5) {
                g.push(SRE.to_string());
            } else if rng.percent(3) {
                g.push(CONTRACTORS.to_string());
            }
            User {
                name: format!("u{j}"),
                groups: g,
            }
        })
        .collect();
    let team = |t: usize| Subject::Group(groups[FIXED_GROUPS + t].clone());

    let mut bindings = Vec::new();
    for t in 0..teams {
        let reads: Vec<usize> = team_services(t, teams, services)
            .take(3)
            .map(|s| role_of(s, 0))
            .collect();
        if reads.is_empty() {
            continue;
        }
        let expires_at = match rng.below(10) {
            0 => Some(NOW_MS - HOUR_MS),
            1 => Some(NOW_MS + 30 * 24 * HOUR_MS),
            _ => None,
        };
        bindings.push(Binding {
            subjects: vec![team(t)],
            roles: reads,
            expires_at,
        });
    }
    let sre_reads = (0..services).step_by(10).map(|s| role_of(s, 0)).collect();
    bindings.push(Binding {
        subjects: vec![Subject::Group(SRE.into())],
        roles: sre_reads,
        expires_at: None,
    });
    let contractor_reads = (0..2).map(|_| role_of(rng.below(services), 0)).collect();
    bindings.push(Binding {
        subjects: vec![Subject::Group(CONTRACTORS.into())],
        roles: contractor_reads,
        expires_at: Some(NOW_MS + 7 * 24 * HOUR_MS),
    });
    for (j, u) in users.iter().enumerate() {
        if rng.percent(5) {
            let owned: Vec<usize> = team_services(j % teams, teams, services).collect();
            let s = rng.pick(&owned).copied().unwrap_or(0);
            let expires_at = [Some(NOW_MS - MINUTE_MS), Some(NOW_MS + HOUR_MS), None][rng.below(3)];
            bindings.push(Binding {
                subjects: vec![Subject::User(u.name.clone())],
                roles: vec![role_of(s, 2)],
                expires_at,
            });
        }
    }

    let guardrails = guardrails(&mut rng, services);
    let mut policies: Vec<Policy> = (0..teams)
        .map(|t| Policy {
            name: format!("team-{t}"),
            requesters: vec![team(t)],
            roles: team_services(t, teams, services)
                .flat_map(|s| (1..4).map(move |k| role_of(s, k)))
                .collect(),
        })
        .filter(|p| !p.roles.is_empty())
        .collect();
    policies.push(Policy {
        name: "sre-ops".into(),
        requesters: vec![Subject::Group(SRE.into())],
        roles: (0..services).map(|s| role_of(s, 2)).collect(),
    });
    policies.push(Policy {
        name: "contractor-read".into(),
        requesters: vec![Subject::Group(CONTRACTORS.into())],
        roles: (0..services).step_by(20).map(|s| role_of(s, 0)).collect(),
    });

    let grants = (0..spec.grants)
        .map(|k| grant(&mut rng, k, &users, teams, services))
        .collect();
    Workload {
        spec,
        now: NOW_MS,
        roles,
        users,
        groups,
        bindings,
        guardrails,
        policies,
        grants,
        checks: Vec::new(),
    }
}

fn guardrails(rng: &mut Rng, services: usize) -> Vec<Guardrail> {
    let g = |name: String, actions: &[&str], resource: String, subjects: Vec<Subject>| Guardrail {
        name,
        actions: actions.iter().map(|a| a.to_string()).collect(),
        resources: vec![resource],
        subjects,
    };
    let contractors = || vec![Subject::Group(CONTRACTORS.into())];
    let (frozen, pii1, pii2, sec1, sec2) = (
        rng.below(services),
        rng.below(services),
        rng.below(services),
        rng.below(services),
        rng.below(services),
    );
    vec![
        g(
            "no-ddl-in-prod".into(),
            &["db:ddl"],
            "pg/prod/**".into(),
            vec![],
        ),
        g(
            "contractors-no-delete".into(),
            &["db:delete"],
            "pg/prod/**".into(),
            contractors(),
        ),
        g(
            "contractors-no-log-export".into(),
            &["logs:export"],
            "logs/prod/**".into(),
            contractors(),
        ),
        g(
            format!("freeze-s{frozen}"),
            &["*"],
            format!("k8s/prod/s{frozen}/**"),
            vec![],
        ),
        g(
            format!("pii-s{pii1}"),
            &["db:select"],
            format!("pg/prod/s{pii1}/pii/**"),
            vec![],
        ),
        g(
            format!("pii-s{pii2}-b"),
            &["db:select"],
            format!("pg/prod/s{pii2}/pii/**"),
            vec![],
        ),
        g(
            format!("secrets-s{sec1}"),
            &["db:*"],
            format!("pg/prod/s{sec1}/secrets"),
            vec![],
        ),
        g(
            format!("secrets-s{sec2}-b"),
            &["db:*"],
            format!("pg/prod/s{sec2}/secrets"),
            vec![],
        ),
    ]
}

/// Grant `k`: a role from the user's team (or, for some SREs, any ops role), active now
/// (60%), already expired (20%) or scheduled (20%).
fn grant(rng: &mut Rng, k: usize, users: &[User], teams: usize, services: usize) -> Grant {
    let user = rng.below(users.len());
    let sre = users[user].groups.iter().any(|g| g == SRE);
    let role = if sre && rng.percent(30) {
        role_of(rng.below(services), 2)
    } else {
        let owned: Vec<usize> = team_services(user % teams, teams, services).collect();
        role_of(rng.pick(&owned).copied().unwrap_or(0), 1 + rng.below(3))
    };
    let minutes =
        |rng: &mut Rng, lo: usize, hi: usize| (lo + rng.below(hi - lo)) as i64 * MINUTE_MS;
    let (starts_at, expires_at) = match rng.below(10) {
        0..=5 => (NOW_MS - minutes(rng, 1, 120), NOW_MS + minutes(rng, 5, 240)),
        6 | 7 => (NOW_MS - 6 * HOUR_MS, NOW_MS - minutes(rng, 1, 300)),
        _ => {
            let start = NOW_MS + minutes(rng, 10, 600);
            (start, start + HOUR_MS)
        }
    };
    Grant {
        id: format!("g{k}"),
        user,
        role,
        starts_at,
        expires_at,
    }
}
