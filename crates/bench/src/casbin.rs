//! The workload in Casbin: the RBAC model with deny-override, `keyMatch` on actions (`db:*`)
//! and `keyMatch2` on resources (`prefix/:seg` for one segment, `prefix/*` for any depth, so
//! `prefix/**` is two lines: `prefix` and `prefix/*`). Roles, groups and an `everyone` role
//! are `g` links; standing bindings with an expiry and grants are links only while they hold
//! at `now`.

use std::collections::HashSet;

use anyhow::{Result, anyhow, bail};
use casbin::prelude::*;

use crate::workload::{Subject, Workload};

pub const MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && keyMatch(r.act, p.act) && keyMatch2(r.obj, p.obj)
"#;

const EVERYONE: &str = "role:everyone";

fn user(u: &str) -> String {
    format!("user:{u}")
}

fn subject(s: &Subject) -> String {
    s.to_string()
}

/// `keyMatch2` patterns for one Wicket resource pattern.
fn objects(pattern: &str) -> Result<Vec<String>> {
    if let Some(prefix) = pattern.strip_suffix("/**") {
        return Ok(vec![prefix.to_string(), format!("{prefix}/*")]);
    }
    if let Some(prefix) = pattern.strip_suffix("/*") {
        return Ok(vec![format!("{prefix}/:seg")]);
    }
    if pattern.contains('*') || pattern.contains(':') {
        bail!("resource pattern `{pattern}` has no keyMatch2 translation here");
    }
    Ok(vec![pattern.to_string()])
}

/// The `p` lines: role permissions (allow) and guardrails (deny).
pub fn policies(w: &Workload) -> Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |sub: &str, actions: &[String], resources: &[String], eft: &str| -> Result<()> {
        for r in resources {
            for obj in objects(r)? {
                for act in actions {
                    let line = vec![sub.to_string(), obj.clone(), act.clone(), eft.to_string()];
                    if seen.insert(line.clone()) {
                        out.push(line);
                    }
                }
            }
        }
        Ok(())
    };
    for role in &w.roles {
        for p in &role.permissions {
            push(
                &format!("role:{}", role.name),
                &p.actions,
                &p.resources,
                "allow",
            )?;
        }
    }
    for g in &w.guardrails {
        let subjects: Vec<String> = if g.subjects.is_empty() {
            vec![EVERYONE.to_string()]
        } else {
            g.subjects.iter().map(subject).collect()
        };
        for s in subjects {
            push(&s, &g.actions, &g.resources, "deny")?;
        }
    }
    Ok(out)
}

/// The `g` lines at `w.now`.
pub fn groupings(w: &Workload) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let role = |r: usize| format!("role:{}", w.roles[r].name);
    for (g, roles) in w.groups.iter().zip(w.group_roles(w.now)) {
        out.extend(
            roles
                .into_iter()
                .map(|r| vec![format!("group:{g}"), role(r)]),
        );
    }
    for (u, roles) in w.users.iter().zip(w.all_direct_roles(w.now)) {
        out.push(vec![user(&u.name), EVERYONE.to_string()]);
        out.extend(
            u.groups
                .iter()
                .map(|g| vec![user(&u.name), format!("group:{g}")]),
        );
        out.extend(roles.into_iter().map(|r| vec![user(&u.name), role(r)]));
    }
    let mut seen = HashSet::new();
    out.retain(|line| seen.insert(line.clone()));
    out
}

/// The workload loaded in a Casbin enforcer, with the checks as request triples.
pub struct Engine {
    pub enforcer: Enforcer,
    pub requests: Vec<(String, String, String)>,
}

impl Engine {
    /// Builds the enforcer; Casbin's loading API is async, so this drives it on a runtime.
    pub fn new(w: &Workload) -> Result<Engine> {
        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        let enforcer = rt.block_on(async {
            let model = DefaultModel::from_str(MODEL).await?;
            let mut e = Enforcer::new(model, MemoryAdapter::default()).await?;
            e.add_policies(
                policies(w)
                    .map_err(|err| casbin::Error::from(std::io::Error::other(err.to_string())))?,
            )
            .await?;
            e.add_grouping_policies(groupings(w)).await?;
            Ok::<_, casbin::Error>(e)
        });
        let enforcer = enforcer.map_err(|e| anyhow!("building the Casbin enforcer: {e}"))?;
        let requests = w
            .checks
            .iter()
            .map(|c| {
                (
                    user(&w.users[c.user].name),
                    c.resource.clone(),
                    c.action.clone(),
                )
            })
            .collect();
        Ok(Engine { enforcer, requests })
    }

    pub fn allowed(&self, (sub, obj, act): &(String, String, String)) -> Result<bool> {
        self.enforcer
            .enforce((sub.as_str(), obj.as_str(), act.as_str()))
            .map_err(|e| anyhow!("casbin: {e}"))
    }
}
