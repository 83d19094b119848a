//! `wicket policy check`: warnings about a configuration that is valid but likely wrong.

use std::collections::{BTreeSet, HashMap};

use super::{Config, Guardrail, Role};
use crate::subject::Subject;

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

/// The users of the file that any of `subjects` stands for.
fn members<'c>(config: &'c Config, subjects: &[Subject]) -> BTreeSet<&'c str> {
    subjects.iter().flat_map(|s| config.users_of(s)).collect()
}

/// Every warning for `config`, in file order.
///
/// A role contained in another (read within write) is how least privilege is laid out, not a
/// mistake, so only roles with the very same permissions are flagged.
pub fn lint(config: &Config) -> Vec<Lint> {
    let mut out = Vec::new();
    // Roles by their permissions: each role with the same permissions as one before it is
    // flagged once, naming the first of them (not once for every pair of copies).
    let mut first: HashMap<BTreeSet<(String, String)>, usize> = HashMap::new();
    for (i, role) in config.roles.iter().enumerate() {
        let &mut f = first.entry(pair_set(role)).or_insert(i);
        if f != i {
            out.push(Lint {
                key: format!("roles.{}", role.name),
                message: format!(
                    "role `{}` has the same permissions as role `{}`",
                    role.name, config.roles[f].name
                ),
            });
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
        let requesters = members(config, &policy.requesters);
        // Each step's approvers, then all of them: a requester is taken out of each below.
        let steps: Vec<BTreeSet<&str>> = policy
            .steps
            .iter()
            .map(|step| members(config, &step.approvers))
            .collect();
        let reviewers: BTreeSet<&str> = steps.iter().flatten().copied().collect();
        let needed: usize = policy.steps.iter().map(|s| s.min_approvals as usize).sum();
        let others = |set: &BTreeSet<&str>, requester: &str| {
            set.len() - usize::from(set.contains(requester))
        };
        for requester in &requesters {
            let mut every_step_ok = true;
            for (n, (step, approvers)) in policy.steps.iter().zip(&steps).enumerate() {
                let eligible = others(approvers, requester);
                if eligible < step.min_approvals as usize {
                    every_step_ok = false;
                    out.push(Lint {
                        key: format!("policies.{}.steps[{n}]", policy.name),
                        message: format!(
                            "policy `{}` cannot be satisfied when `{requester}` requests: step {} needs {} approver(s) other than the requester and has {}",
                            policy.name,
                            n + 1,
                            step.min_approvals,
                            eligible
                        ),
                    });
                }
            }
            let all_reviewers = others(&reviewers, requester);
            if every_step_ok && all_reviewers < needed {
                out.push(Lint {
                    key: format!("policies.{}", policy.name),
                    message: format!(
                        "policy `{}` cannot be satisfied when `{requester}` requests: its steps need {needed} distinct approvers and only {} exist (a person reviews a request once)",
                        policy.name, all_reviewers
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
    let named: Vec<(&Guardrail, BTreeSet<&str>)> = config
        .guardrails
        .iter()
        .filter(|g| !g.subjects.is_empty())
        .map(|g| (g, members(config, &g.subjects)))
        .collect();
    let givers = Givers::new(config);
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
        for (g, subjects) in &named {
            let mut among = everyone.clone();
            among.push(g);
            let Some(names) = cancelling(role, &among) else {
                continue;
            };
            // Only worth saying when someone the guardrail names could hold the role.
            let affected: Vec<&str> = subjects
                .iter()
                .copied()
                .filter(|u| givers.could_hold(u, &role.name))
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
                    affected.join("`, `")
                ),
            });
        }
    }
    out
}

/// For each role, the subjects who may get it: the requesters of the policies that offer it
/// and the subjects of the bindings that name it.
struct Givers<'c> {
    config: &'c Config,
    by_role: HashMap<&'c str, Vec<&'c Subject>>,
}

impl<'c> Givers<'c> {
    fn new(config: &'c Config) -> Givers<'c> {
        let mut by_role: HashMap<&str, Vec<&Subject>> = HashMap::new();
        for p in &config.policies {
            for r in &p.roles {
                by_role.entry(r).or_default().extend(&p.requesters);
            }
        }
        for b in &config.bindings {
            for r in &b.roles {
                by_role.entry(r).or_default().extend(&b.subjects);
            }
        }
        Givers { config, by_role }
    }

    /// True when `user` may request `role` under some policy or holds it through a binding.
    fn could_hold(&self, user: &str, role: &str) -> bool {
        let groups = self.config.groups_of(user);
        self.by_role
            .get(role)
            .is_some_and(|subjects| subjects.iter().any(|s| s.covers(user, groups)))
    }
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
