//! The workload as Wicket sees it: a TOML configuration parsed by `Config::parse`, an `Index`
//! with the grants upserted, and the checks parsed once.

use std::fmt::Write;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use wicket_core::{Action, Config, Grant, Index, Resource, Time, time};

use crate::workload::{Subject, Workload};

/// A TOML string literal.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = items.into_iter().map(q).collect();
    format!("[{}]", quoted.join(", "))
}

fn subjects(s: &[Subject]) -> String {
    let text: Vec<String> = s.iter().map(|s| s.to_string()).collect();
    list(text.iter().map(String::as_str))
}

/// The workload's configuration file.
pub fn config_text(w: &Workload) -> String {
    let mut out = String::with_capacity(w.roles.len() * 400 + w.users.len() * 60);
    let role_names = |roles: &[usize]| list(roles.iter().map(|&r| w.roles[r].name.as_str()));
    for u in &w.users {
        let _ = writeln!(
            out,
            "[[users]]\nname = {}\ngroups = {}\n",
            q(&u.name),
            list(u.groups.iter().map(String::as_str))
        );
    }
    for r in &w.roles {
        let perms: Vec<String> = r
            .permissions
            .iter()
            .map(|p| {
                let (a, res) = (
                    list(p.actions.iter().map(String::as_str)),
                    list(p.resources.iter().map(String::as_str)),
                );
                format!("{{ actions = {a}, resources = {res} }}")
            })
            .collect();
        let _ = writeln!(
            out,
            "[[roles]]\nname = {}\npermissions = [{}]\n",
            q(&r.name),
            perms.join(", ")
        );
    }
    for g in &w.guardrails {
        let _ = writeln!(
            out,
            "[[guardrails]]\nname = {}\nactions = {}\nresources = {}\nsubjects = {}\nreason = \"benchmark guardrail\"\n",
            q(&g.name),
            list(g.actions.iter().map(String::as_str)),
            list(g.resources.iter().map(String::as_str)),
            subjects(&g.subjects),
        );
    }
    for b in &w.bindings {
        let _ = writeln!(
            out,
            "[[bindings]]\nsubjects = {}\nroles = {}",
            subjects(&b.subjects),
            role_names(&b.roles)
        );
        if let Some(e) = b.expires_at {
            let _ = writeln!(
                out,
                "expires_at = {}",
                q(&time::format(time::from_millis(e)))
            );
        }
        out.push('\n');
    }
    for p in &w.policies {
        let _ = writeln!(
            out,
            "[[policies]]\nname = {}\nrequesters = {}\nroles = {}\nmax_duration = \"8h\"\nrequire_reason = false\n",
            q(&p.name),
            subjects(&p.requesters),
            role_names(&p.roles),
        );
    }
    out
}

/// The workload's configuration, validated by Wicket.
pub fn config(w: &Workload) -> Result<Config> {
    Config::parse("bench.toml", &config_text(w))
        .map_err(|e| anyhow!("the generated configuration is invalid: {e}"))
}

/// The workload's grants as Wicket stores them.
pub fn grants(w: &Workload) -> Vec<Grant> {
    w.grants
        .iter()
        .map(|g| {
            Grant::new(
                g.id.clone(),
                w.users[g.user].name.clone(),
                w.roles[g.role].name.clone(),
                format!("rq-{}", g.id),
                (
                    time::from_millis(g.starts_at),
                    time::from_millis(g.expires_at),
                ),
            )
        })
        .collect()
}

/// An index over `config` with every grant of `w` in it.
pub fn index(w: &Workload, config: Arc<Config>) -> Index {
    let mut index = Index::new(config);
    for g in grants(w) {
        index.upsert_grant(&g);
    }
    index
}

/// One check, parsed once as the server does before deciding.
#[derive(Clone, Debug)]
pub struct ParsedCheck {
    pub user: String,
    pub action: Action,
    pub resource: Resource,
}

pub fn checks(w: &Workload) -> Result<Vec<ParsedCheck>> {
    w.checks
        .iter()
        .map(|c| {
            Ok(ParsedCheck {
                user: w.users[c.user].name.clone(),
                action: Action::parse(&c.action)
                    .map_err(anyhow::Error::msg)
                    .context("a generated action")?,
                resource: Resource::parse(&c.resource)
                    .map_err(anyhow::Error::msg)
                    .context("a generated resource")?,
            })
        })
        .collect()
}

/// The workload ready for `decide`.
pub struct Engine {
    pub index: Index,
    pub checks: Vec<ParsedCheck>,
    pub now: Time,
}

impl Engine {
    pub fn new(w: &Workload) -> Result<Engine> {
        let config = Arc::new(config(w)?);
        Ok(Engine {
            index: index(w, config),
            checks: checks(w)?,
            now: time::from_millis(w.now),
        })
    }

    pub fn allowed(&self, c: &ParsedCheck) -> bool {
        wicket_core::decide(&self.index, &c.user, &c.action, &c.resource, self.now).allowed
    }
}
