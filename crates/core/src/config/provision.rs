//! `[[provision.postgres]]` targets: PostgreSQL databases where wicket writes grants as real
//! roles (an admin connection whose secret is never in the file, a role name template, how
//! often the reconciler runs), and the rule that `db:admin` is never provisioned.

use std::collections::HashMap;

use super::Validator;
use super::gateway::{PasswordSource, Upstream};
use crate::action::{Action, ActionPattern};
use crate::config::Role;
use crate::duration::Duration;
use crate::resource::Resource;

/// The role name template when a target does not say.
pub const DEFAULT_ROLE_TEMPLATE: &str = "wicket_{user}";
/// How often the reconciler compares and repairs when a target does not say.
pub const DEFAULT_RECONCILE_EVERY: Duration = Duration::MINUTE;
/// PostgreSQL's longest identifier, in bytes.
pub const MAX_ROLE_NAME: usize = 63;

/// Every provisioning target the configuration declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvisionConfig {
    pub postgres: Vec<ProvisionTarget>,
}

/// One PostgreSQL database whose roles wicket manages for the grants on `resource`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionTarget {
    pub name: String,
    /// Tables are `RESOURCE/SCHEMA/TABLE`, as the gateway's.
    pub resource: Resource,
    /// The admin connection (`CREATEROLE`, `pg_signal_backend`), without its password.
    pub admin: Upstream,
    pub password: Option<PasswordSource>,
    pub role_template: RoleTemplate,
    pub reconcile_every: Duration,
}

/// A role name template holding `{user}` exactly once, like `wicket_{user}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleTemplate {
    prefix: String,
    suffix: String,
}

impl RoleTemplate {
    /// Parses a template; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<RoleTemplate, String> {
        let Some((prefix, suffix)) = text.split_once("{user}") else {
            return Err(format!("role template `{text}` has no `{{user}}`"));
        };
        if suffix.contains("{user}") {
            return Err(format!(
                "role template `{text}` has `{{user}}` more than once"
            ));
        }
        let fixed = format!("{prefix}{suffix}");
        if !fixed
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "role template `{text}` may hold only lowercase letters, digits and `_` around `{{user}}`"
            ));
        }
        if prefix.is_empty() && suffix.is_empty() {
            return Err(format!(
                "role template `{text}` would name roles exactly as users; add a prefix like `wicket_`"
            ));
        }
        if prefix.starts_with("pg_") {
            return Err(format!(
                "role template `{text}` starts with `pg_`, which PostgreSQL reserves"
            ));
        }
        Ok(RoleTemplate {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        })
    }

    /// The role of `user`; an error when the name is longer than PostgreSQL allows.
    pub fn role(&self, user: &str) -> Result<String, String> {
        let name = format!("{}{user}{}", self.prefix, self.suffix);
        if name.len() > MAX_ROLE_NAME {
            return Err(format!(
                "role name `{name}` for user `{user}` is longer than {MAX_ROLE_NAME} bytes"
            ));
        }
        Ok(name)
    }

    /// The user a role of this template stands for.
    pub fn user<'a>(&self, role: &'a str) -> Option<&'a str> {
        role.strip_prefix(&self.prefix)?
            .strip_suffix(&self.suffix)
            .filter(|u| !u.is_empty())
    }

    pub fn text(&self) -> String {
        format!("{}{{user}}{}", self.prefix, self.suffix)
    }
}

/// The actions provisioning maps to PostgreSQL privileges.
pub const PROVISIONED_ACTIONS: &[&str] = &[
    "db:connect",
    "db:select",
    "db:insert",
    "db:update",
    "db:delete",
    "db:ddl",
];

/// True when `pattern` matches `resource` or anything under it.
pub fn reaches(pattern: &str, resource: &Resource) -> bool {
    #[derive(PartialEq)]
    enum Seg<'a> {
        Lit(&'a str),
        One,
        Any,
    }
    fn parse(s: &str) -> Vec<Seg<'_>> {
        s.split('/')
            .map(|p| match p {
                "*" => Seg::One,
                "**" => Seg::Any,
                l => Seg::Lit(l),
            })
            .collect()
    }
    let p = parse(pattern);
    let mut q = parse(resource.as_str());
    q.push(Seg::Any);
    // memo[i][j]: whether p[i..] and q[j..] match a common path.
    let (n, m) = (p.len(), q.len());
    let mut memo = vec![vec![false; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            let mut ok = i == n && j == m;
            if !ok && i < n && p[i] == Seg::Any {
                ok = memo[i + 1][j];
            }
            if !ok && j < m && q[j] == Seg::Any {
                ok = memo[i][j + 1];
            }
            if !ok && i < n && j < m {
                let compatible = match (&p[i], &q[j]) {
                    (Seg::Lit(a), Seg::Lit(b)) => a == b,
                    _ => true,
                };
                let ni = if p[i] == Seg::Any { i } else { i + 1 };
                let nj = if q[j] == Seg::Any { j } else { j + 1 };
                if compatible && (ni, nj) != (i, j) {
                    ok = memo[ni][nj];
                }
            }
            memo[i][j] = ok;
        }
    }
    memo[0][0]
}

/// The first permission of `role` that lets `db:admin` reach `resource`, as text.
fn admin_reach(role: &Role, resource: &Resource) -> Option<String> {
    let admin = Action::parse("db:admin").ok()?;
    role.permissions.iter().find_map(|p| {
        let action = p.actions.iter().find(|a| a.matches(&admin))?;
        let res = p.resources.iter().find(|r| reaches(r.as_str(), resource))?;
        Some(format!("`{action}` on `{res}`"))
    })
}

impl Validator<'_> {
    pub(super) fn provision(
        &mut self,
        raw: super::raw::RawProvision,
        roles: &[Role],
    ) -> ProvisionConfig {
        let mut postgres: Vec<ProvisionTarget> = Vec::new();
        let mut templates: HashMap<(String, u16, String), usize> = HashMap::new();
        for (i, t) in raw.postgres.into_iter().enumerate() {
            let key = format!("provision.postgres[{i}]");
            let Some(target) = self.provision_target(&key, t) else {
                continue;
            };
            if postgres.iter().any(|p| p.name == target.name) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate provisioning target `{}`", target.name),
                );
                continue;
            }
            // Roles belong to the whole cluster: two targets on one cluster need two templates.
            let cluster = (
                target.admin.host.clone(),
                target.admin.port,
                target.role_template.text(),
            );
            if let Some(other) = templates.insert(cluster, i) {
                self.err(
                    format!("{key}.role_template"),
                    format!(
                        "`provision.postgres[{other}]` uses role template `{}` on the same server; \
                         roles are shared by a whole PostgreSQL cluster, so give each target its own",
                        target.role_template.text()
                    ),
                );
                continue;
            }
            for role in roles {
                if let Some(what) = admin_reach(role, &target.resource) {
                    self.err(
                        format!("{key}.resource"),
                        format!(
                            "role `{}` allows {what}, which reaches provisioned resource `{}`; \
                             `db:admin` cannot be provisioned: narrow the role, or reach this \
                             database through the gateway instead",
                            role.name, target.resource
                        ),
                    );
                }
            }
            postgres.push(target);
        }
        ProvisionConfig { postgres }
    }

    fn provision_target(
        &mut self,
        key: &str,
        t: super::raw::RawProvisionTarget,
    ) -> Option<ProvisionTarget> {
        let before = self.errors.len();
        self.target_name(key, &t.name);
        let resource =
            Resource::parse(&t.resource).map_err(|e| self.err(format!("{key}.resource"), e.into()));
        let admin =
            Upstream::parse(&t.admin).map_err(|e| self.err(format!("{key}.admin"), e.into()));
        let password = self.secret_source(key, t.password_env, t.password_file);
        let role_template =
            RoleTemplate::parse(t.role_template.as_deref().unwrap_or(DEFAULT_ROLE_TEMPLATE))
                .map_err(|e| self.err(format!("{key}.role_template"), e));
        let reconcile_every = match t.reconcile_every.as_deref() {
            None => DEFAULT_RECONCILE_EVERY,
            Some(text) => match Duration::parse(text) {
                Ok(d) if d.as_secs() >= 1 => d,
                Ok(_) => {
                    self.err(
                        format!("{key}.reconcile_every"),
                        "must be at least `1s`".into(),
                    );
                    DEFAULT_RECONCILE_EVERY
                }
                Err(e) => {
                    self.err(format!("{key}.reconcile_every"), e.into());
                    DEFAULT_RECONCILE_EVERY
                }
            },
        };
        if self.errors.len() > before {
            return None;
        }
        Some(ProvisionTarget {
            name: t.name,
            resource: resource.ok()?,
            admin: admin.ok()?,
            password,
            role_template: role_template.ok()?,
            reconcile_every,
        })
    }

    /// `password_env` or `password_file`, never both (gateway targets and provisioning alike).
    pub(super) fn secret_source(
        &mut self,
        key: &str,
        env: Option<String>,
        file: Option<String>,
    ) -> Option<PasswordSource> {
        match (env, file) {
            (Some(_), Some(_)) => {
                self.err(
                    format!("{key}.password_file"),
                    "give `password_env` or `password_file`, not both".into(),
                );
                None
            }
            (Some(env), None) if env.is_empty() || env.contains('=') => {
                self.err(
                    format!("{key}.password_env"),
                    format!("`{env}` is not an environment variable name"),
                );
                None
            }
            (Some(env), None) => Some(PasswordSource::Env(env)),
            (None, Some(file)) if file.is_empty() => {
                self.err(
                    format!("{key}.password_file"),
                    "the file name is empty".into(),
                );
                None
            }
            (None, Some(file)) => Some(PasswordSource::File(file)),
            (None, None) => None,
        }
    }
}

/// True when `pattern` can allow one of the actions provisioning maps.
pub fn provisions(pattern: &ActionPattern) -> bool {
    PROVISIONED_ACTIONS
        .iter()
        .filter_map(|a| Action::parse(a).ok())
        .any(|a| pattern.matches(&a))
}

#[cfg(test)]
mod tests;
