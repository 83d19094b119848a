//! `wicket policy check`: warnings about a configuration that is valid but likely wrong.

use std::collections::BTreeSet;

use super::{Config, Role};

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

/// True when every pair of `inner` is within some permission of `outer`.
fn contained(inner: &Role, outer: &Role) -> bool {
    inner
        .pairs()
        .all(|(a, r)| outer.pairs().any(|(oa, or)| a.within(oa) && r.within(or)))
}

/// Every warning for `config`, in file order.
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
            } else if contained(a, b) {
                out.push(Lint {
                    key: format!("roles.{}", a.name),
                    message: format!("role `{}` is contained in role `{}`", a.name, b.name),
                });
            } else if contained(b, a) {
                out.push(Lint {
                    key: format!("roles.{}", b.name),
                    message: format!("role `{}` is contained in role `{}`", b.name, a.name),
                });
            }
        }
    }
    for role in &config.roles {
        for g in config.guardrails.iter().filter(|g| g.subjects.is_empty()) {
            let useless = role.pairs().all(|(a, r)| {
                g.actions.iter().any(|ga| a.within(ga)) && g.resources.iter().any(|gr| r.within(gr))
            });
            if useless {
                out.push(Lint {
                    key: format!("roles.{}", role.name),
                    message: format!(
                        "guardrail `{}` denies everything role `{}` allows; the role is useless",
                        g.name, role.name
                    ),
                });
            }
        }
    }
    // With an identity provider, requesters and approvers also come from it: who is there is
    // not known from the file, so the file cannot say a policy is unsatisfiable.
    let policies = if config.oidc.is_some() {
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
