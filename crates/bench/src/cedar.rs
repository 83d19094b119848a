//! The workload in Cedar: roles as entity groups (`User` in `Group` in `Role`), one `permit`
//! per role permission and resource pattern, one `forbid` per guardrail subject. Resources
//! are a hierarchy (`Res::"a/b/c"` in `Res::"a/b"`), so `prefix/**` is `resource in`, and
//! `prefix/*` adds `resource.depth`. Standing bindings with an expiry and grants are entity
//! membership filtered by time: a user or group is in a role only while it holds it at `now`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::str::FromStr;

use anyhow::{Context as _, Result, anyhow, bail};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};

use crate::workload::{Subject, Workload};

fn uid(kind: &str, id: &str) -> Result<EntityUid> {
    let kind = EntityTypeName::from_str(kind).map_err(|e| anyhow!("entity type `{kind}`: {e}"))?;
    Ok(EntityUid::from_type_name_and_id(kind, EntityId::new(id)))
}

/// A Cedar string literal (workload names need no escapes, but stay correct if they did).
fn lit(s: &str) -> String {
    format!("\"{}\"", s.escape_default())
}

/// The scope's action part for Wicket action patterns: any `*` leaves it open.
fn action_scope(actions: &[String]) -> String {
    if actions.iter().any(|a| a == "*") {
        return "action".into();
    }
    let list: Vec<String> = actions
        .iter()
        .map(|a| format!("Action::{}", lit(a)))
        .collect();
    format!("action in [{}]", list.join(", "))
}

/// The scope's resource part and any `when` condition for one Wicket resource pattern.
fn resource_scope(pattern: &str) -> Result<(String, String)> {
    if let Some(prefix) = pattern.strip_suffix("/**") {
        return Ok((format!("resource in Res::{}", lit(prefix)), String::new()));
    }
    if let Some(prefix) = pattern.strip_suffix("/*") {
        let depth = prefix.split('/').count() + 1;
        return Ok((
            format!("resource in Res::{}", lit(prefix)),
            format!(" when {{ resource.depth == {depth} }}"),
        ));
    }
    if pattern.contains('*') {
        bail!("resource pattern `{pattern}` has no Cedar translation here");
    }
    Ok((format!("resource == Res::{}", lit(pattern)), String::new()))
}

fn principal_scope(s: &Subject) -> String {
    match s {
        Subject::User(u) => format!("principal == User::{}", lit(u)),
        Subject::Group(g) => format!("principal in Group::{}", lit(g)),
    }
}

/// The policy set in Cedar's text syntax.
pub fn policy_text(w: &Workload) -> Result<String> {
    let mut out = String::with_capacity(w.roles.len() * 600);
    for role in &w.roles {
        for p in &role.permissions {
            for pattern in &p.resources {
                let (resource, when) = resource_scope(pattern)?;
                let principal = format!("principal in Role::{}", lit(&role.name));
                let _ = writeln!(
                    out,
                    "permit({principal}, {}, {resource}){when};",
                    action_scope(&p.actions)
                );
            }
        }
    }
    for g in &w.guardrails {
        let principals: Vec<String> = if g.subjects.is_empty() {
            vec!["principal".into()]
        } else {
            g.subjects.iter().map(principal_scope).collect()
        };
        for principal in principals {
            for pattern in &g.resources {
                let (resource, when) = resource_scope(pattern)?;
                let _ = writeln!(
                    out,
                    "forbid({principal}, {}, {resource}){when};",
                    action_scope(&g.actions)
                );
            }
        }
    }
    Ok(out)
}

/// Users, groups, roles at `w.now`, every action and action group, and every resource a check
/// names with all its ancestors.
pub fn entities(w: &Workload) -> Result<Entities> {
    let mut list = Vec::new();
    let group_roles = w.group_roles(w.now);
    let direct = w.all_direct_roles(w.now);
    let role = |r: usize| uid("Role", &w.roles[r].name);
    for r in &w.roles {
        list.push(Entity::new_no_attrs(uid("Role", &r.name)?, HashSet::new()));
    }
    for (g, roles) in w.groups.iter().zip(&group_roles) {
        let parents = roles
            .iter()
            .map(|&r| role(r))
            .collect::<Result<HashSet<_>>>()?;
        list.push(Entity::new_no_attrs(uid("Group", g)?, parents));
    }
    for (u, roles) in w.users.iter().zip(&direct) {
        let mut parents = roles
            .iter()
            .map(|&r| role(r))
            .collect::<Result<HashSet<_>>>()?;
        for g in &u.groups {
            parents.insert(uid("Group", g)?);
        }
        list.push(Entity::new_no_attrs(uid("User", &u.name)?, parents));
    }
    let mut services = BTreeSet::new();
    for a in crate::workload::all_actions() {
        let service = a.split(':').next().unwrap_or_default().to_string();
        list.push(Entity::new_no_attrs(
            uid("Action", &a)?,
            HashSet::from([uid("Action", &format!("{service}:*"))?]),
        ));
        services.insert(service);
    }
    for s in &services {
        list.push(Entity::new_no_attrs(
            uid("Action", &format!("{s}:*"))?,
            HashSet::new(),
        ));
    }
    let mut resources: HashMap<String, usize> = HashMap::new();
    for c in &w.checks {
        let mut end = Some(c.resource.len());
        while let Some(e) = end {
            let path = &c.resource[..e];
            if resources
                .insert(path.to_string(), path.split('/').count())
                .is_some()
            {
                break;
            }
            end = path.rfind('/');
        }
    }
    for (path, depth) in resources {
        let parents = match path.rfind('/') {
            Some(i) => HashSet::from([uid("Res", &path[..i])?]),
            None => HashSet::new(),
        };
        let attrs = HashMap::from([(
            "depth".to_string(),
            RestrictedExpression::new_long(depth as i64),
        )]);
        list.push(Entity::new(uid("Res", &path)?, attrs, parents).context("a resource entity")?);
    }
    Entities::from_entities(list, None).context("building the Cedar entities")
}

/// The workload ready for `Authorizer::is_authorized`.
pub struct Engine {
    pub policies: PolicySet,
    pub entities: Entities,
    pub requests: Vec<Request>,
    authorizer: Authorizer,
}

impl Engine {
    pub fn new(w: &Workload) -> Result<Engine> {
        let policies = PolicySet::from_str(&policy_text(w)?)
            .map_err(|e| anyhow!("the Cedar policies do not parse: {e}"))?;
        let requests = w
            .checks
            .iter()
            .map(|c| {
                Request::new(
                    uid("User", &w.users[c.user].name)?,
                    uid("Action", &c.action)?,
                    uid("Res", &c.resource)?,
                    Context::empty(),
                    None,
                )
                .map_err(|e| anyhow!("a Cedar request: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Engine {
            policies,
            entities: entities(w)?,
            requests,
            authorizer: Authorizer::new(),
        })
    }

    pub fn allowed(&self, request: &Request) -> bool {
        self.authorizer
            .is_authorized(request, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }
}
