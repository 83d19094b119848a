//! `wicket policy check`: warnings about a configuration that is valid but likely wrong.

use std::collections::BTreeSet;

use super::{Config, Guardrail, Role};

/// One warning: which part of the configuration, and why it looks wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    pub key: String,
    pub message: String,
}

fn pair_set(role: &Role) -> BTreeSet<(String, String)> {
    role.pairs()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

/// Every warning for `config`, in file order.
///
/// A role contained in another (read within write) is how least privilege is laid out, not a
/// mistake, so only roles with the very same permissions are flagged.
pub fn lint(config: &Config) -> Vec<Lint> {
    let mut out = Vec::new();
    for (i, a) in config.roles.iter().enumerate() {
        for b in &config.roles[i + 1..] {
            if pair_set(a) == pair_set(b) {
                out.push(Lint {
                    key: format!("roles.{}", b.name),
                    message: format!(
                        "role `{}` has the same permissions as role `{}`",
                        b.name, a.name
                    ),
                });
            }
        }
    }
    out.extend(useless_roles(config));
    // With an identity provider, requesters and approvers also come from it: who is there is
    // not known from the file, so the file cannot say a policy is unsatisfiable.
    let policies = if config.oidc.is_some() || config.scim.is_some() {
        &[][..]
    } else {
        &config.policies[..]
    };
    for policy in policies {
        let requesters: BTreeSet<&str> = policy
            .requesters
            .iter()
            .flat_map(|s| config.users_of(s))
            .collect();
        for requester in &requesters {
            let mut all_reviewers = BTreeSet::new();
            let mut needed = 0usize;
            let mut every_step_ok = true;
            for (n, step) in policy.steps.iter().enumerate() {
                let eligible: BTreeSet<&str> = step
                    .approvers
                    .iter()
                    .flat_map(|s| config.users_of(s))
                    .filter(|u| u != requester)
                    .collect();
                if eligible.len() < step.min_approvals as usize {
                    every_step_ok = false;
                    out.push(Lint {
                        key: format!("policies.{}.steps[{n}]", policy.name),
                        message: format!(
                            "policy `{}` cannot be satisfied when `{requester}` requests: step {} needs {} approver(s) other than the requester and has {}",
                            policy.name,
                            n + 1,
                            step.min_approvals,
                            eligible.len()
                        ),
                    });
                }
                needed += step.min_approvals as usize;
                all_reviewers.extend(eligible);
            }
            if every_step_ok && all_reviewers.len() < needed {
                out.push(Lint {
                    key: format!("policies.{}", policy.name),
                    message: format!(
                        "policy `{}` cannot be satisfied when `{requester}` requests: its steps need {needed} distinct approvers and only {} exist (a person reviews a request once)",
                        policy.name,
                        all_reviewers.len()
                    ),
                });
            }
        }
    }
    out.extend(anomaly_lints(config));
    out
}

/// The guardrails (of `among`) that deny every pair of `role`, one per pair, or `None` when
/// some pair stays allowed.
fn cancelling<'c>(role: &Role, among: &[&'c Guardrail]) -> Option<Vec<&'c str>> {
    let mut names: Vec<&str> = Vec::new();
    for (a, r) in role.pairs() {
        let g: &'c Guardrail = among.iter().copied().find(|g| {
            g.actions.iter().any(|ga| a.within(ga)) && g.resources.iter().any(|gr| r.within(gr))
        })?;
        if !names.contains(&g.name.as_str()) {
            names.push(&g.name);
        }
    }
    (!names.is_empty()).then_some(names)
}

/// `guardrail `a``, `guardrails `a` and `b``.
fn guardrails_text(names: &[&str]) -> String {
    match names {
        [one] => format!("guardrail `{one}` denies"),
        _ => format!("guardrails `{}` together deny", names.join("` and `")),
    }
}

/// Roles the guardrails leave nothing of: for everyone (guardrails without subjects, alone or
/// together), or for the subjects a guardrail names, when those subjects could get the role.
fn useless_roles(config: &Config) -> Vec<Lint> {
    let mut out = Vec::new();
    let everyone: Vec<&Guardrail> = config
        .guardrails
        .iter()
        .filter(|g| g.subjects.is_empty())
        .collect();
    for role in &config.roles {
        if let Some(names) = cancelling(role, &everyone) {
            out.push(Lint {
                key: format!("roles.{}", role.name),
                message: format!(
                    "{} everything role `{}` allows; the role is useless",
                    guardrails_text(&names),
                    role.name
                ),
            });
            continue;
        }
        for g in config.guardrails.iter().filter(|g| !g.subjects.is_empty()) {
            let mut among = everyone.clone();
            among.push(g);
            let Some(names) = cancelling(role, &among) else {
                continue;
            };
            // Only worth saying when someone the guardrail names could hold the role.
            let affected: BTreeSet<&str> = g
                .subjects
                .iter()
                .flat_map(|s| config.users_of(s))
                .filter(|u| could_hold(config, u, &role.name))
                .collect();
            if affected.is_empty() {
                continue;
            }
            out.push(Lint {
                key: format!("roles.{}", role.name),
                message: format!(
                    "{} everything role `{}` allows to `{}`, who may still be given it; the role is useless to them",
                    guardrails_text(&names),
                    role.name,
                    affected.into_iter().collect::<Vec<_>>().join("`, `")
                ),
            });
        }
    }
    out
}

/// True when `user` may request `role` under some policy or holds it through a binding.
fn could_hold(config: &Config, user: &str, role: &str) -> bool {
    let groups = config.groups_of(user);
    config
        .policies
        .iter()
        .any(|p| p.offers(role) && p.covers_requester(user, groups))
        || config.bindings.iter().any(|b| {
            b.roles.iter().any(|r| r == role) && b.subjects.iter().any(|s| s.covers(user, groups))
        })
}

/// Monitoring rules that can never do what they say.
fn anomaly_lints(config: &Config) -> Vec<Lint> {
    use crate::anomaly::Detector;
    let mut out = Vec::new();
    for rule in &config.anomalies {
        let key = format!("anomalies.{}", rule.name);
        if rule.revoke && rule.detector == Detector::UnusedGrant {
            out.push(Lint {
                key: key.clone(),
                message: format!(
                    "rule `{}` has `revoke = true`, but `unused_grant` fires once the grant has ended; there is nothing left to revoke",
                    rule.name
                ),
            });
        }
        if !rule.scope.roles.is_empty() && matches!(rule.detector, Detector::DeniedBurst { .. }) {
            out.push(Lint {
                key: key.clone(),
                message: format!(
                    "rule `{}` is scoped to roles, but a denial uses no grant and has no role; the rule never fires",
                    rule.name
                ),
            });
        }
        if !rule.scope.resources.is_empty()
            && matches!(
                rule.detector,
                Detector::UnusedGrant | Detector::BreakGlass | Detector::FrequentActivation { .. }
            )
        {
            out.push(Lint {
                key,
                message: format!(
                    "rule `{}` is scoped to resources, but `{}` looks at grant and request events, which name no resource; the rule never fires",
                    rule.name,
                    rule.detector.name()
                ),
            });
        }
    }
    out
}
