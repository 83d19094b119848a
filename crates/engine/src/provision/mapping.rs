//! From permissions to privileges: what a user's live grants ask of one provisioning target,
//! given the schemas and tables that exist there now. Pure: no I/O, no clock.
//!
//! | permission | privilege |
//! | --- | --- |
//! | `db:connect` on `RESOURCE` | `CONNECT` on the database |
//! | `db:select\|insert\|update\|delete` on `RESOURCE/SCHEMA/TABLE` | the same privilege on the table, and `USAGE` on its schema |
//! | `db:ddl` reaching `RESOURCE/SCHEMA` | `CREATE` (and `USAGE`) on the schema |
//!
//! `*` and `**` are matched against the tables that exist, so they are expanded again each
//! time the target is reconciled. Guardrails apply: a denied action is never provisioned.

use std::collections::BTreeSet;

use wicket_core::config::Role;
use wicket_core::config::provision::{ProvisionTarget, provisions, reaches};
use wicket_core::resource::segment;
use wicket_core::{Action, Config, Grant, Resource, Time};

use super::privilege::Privilege;

/// The table privileges the `db:` verbs map to.
const TABLE_VERBS: &[(&str, &str)] = &[
    ("db:select", "SELECT"),
    ("db:insert", "INSERT"),
    ("db:update", "UPDATE"),
    ("db:delete", "DELETE"),
];

/// The schemas and tables of the target's database (system schemas left out).
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub schemas: Vec<String>,
    /// `(schema, table)`.
    pub tables: Vec<(String, String)>,
}

/// What a user's live grants need in a target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    pub privileges: BTreeSet<Privilege>,
    /// The end of the latest grant that needs anything here.
    pub valid_until: Option<Time>,
    /// The grants that need something here.
    pub grants: Vec<String>,
}

/// True when `role` can allow anything provisioning maps on `target`.
pub fn role_reaches(role: &Role, target: &ProvisionTarget) -> bool {
    role.pairs()
        .any(|(a, r)| provisions(a) && reaches(r.as_str(), &target.resource))
}

/// What `user`'s grants live at `now` need in `target`.
pub fn desired(
    config: &Config,
    target: &ProvisionTarget,
    user: &str,
    grants: &[Grant],
    catalog: &Catalog,
    now: Time,
) -> Desired {
    let mut out = Desired::default();
    for g in grants {
        let live =
            g.user == user && g.revoked_at.is_none() && g.starts_at <= now && now < g.expires_at;
        if !live {
            continue;
        }
        let privileges = of_role(config, target, user, &g.role, catalog);
        if privileges.is_empty() {
            continue;
        }
        out.privileges.extend(privileges);
        out.valid_until = out.valid_until.max(Some(g.expires_at));
        out.grants.push(g.id.clone());
    }
    out
}

/// Everything role `role` maps to in `target` for `user`, whatever the time.
pub fn of_role(
    config: &Config,
    target: &ProvisionTarget,
    user: &str,
    role: &str,
    catalog: &Catalog,
) -> BTreeSet<Privilege> {
    let mut out = BTreeSet::new();
    let Some(role) = config.role(role) else {
        return out;
    };
    if !role_reaches(role, target) {
        return out;
    }
    let groups = config.groups_of(user);
    let denied = |action: &Action, resource: &Resource| {
        config
            .guardrails
            .iter()
            .any(|g| g.applies_to(user, groups) && g.matches(action, resource))
    };
    let allowed = |action: &str, resource: &Resource| {
        Action::parse(action).is_ok_and(|a| role.allows(&a, resource) && !denied(&a, resource))
    };
    let base = target.resource.as_str();
    if allowed("db:connect", &target.resource) {
        out.insert(Privilege::Database("CONNECT".into()));
    }
    for (schema, table) in &catalog.tables {
        let path = format!("{base}/{}/{}", segment(schema), segment(table));
        let Ok(resource) = Resource::parse(&path) else {
            continue;
        };
        for (action, privilege) in TABLE_VERBS {
            if allowed(action, &resource) {
                out.insert(Privilege::Table {
                    schema: schema.clone(),
                    table: table.clone(),
                    privilege: (*privilege).into(),
                });
                out.insert(usage(schema));
            }
        }
    }
    let Ok(ddl) = Action::parse("db:ddl") else {
        return out;
    };
    for schema in &catalog.schemas {
        let Ok(resource) = Resource::parse(&format!("{base}/{}", segment(schema))) else {
            continue;
        };
        let reach = |patterns: &[wicket_core::ResourcePattern]| {
            patterns.iter().any(|r| reaches(r.as_str(), &resource))
        };
        let granted = role
            .permissions
            .iter()
            .any(|p| p.actions.iter().any(|a| a.matches(&ddl)) && reach(&p.resources));
        // Deny wins: a guardrail on DDL anywhere in the schema keeps `CREATE` away from it.
        let guarded = config.guardrails.iter().any(|g| {
            g.applies_to(user, groups)
                && g.actions.iter().any(|a| a.matches(&ddl))
                && reach(&g.resources)
        });
        if granted && !guarded {
            out.insert(Privilege::Schema {
                schema: schema.clone(),
                privilege: "CREATE".into(),
            });
            out.insert(usage(schema));
        }
    }
    out
}

fn usage(schema: &str) -> Privilege {
    Privilege::Schema {
        schema: schema.to_string(),
        privilege: "USAGE".into(),
    }
}

#[cfg(test)]
mod tests;
