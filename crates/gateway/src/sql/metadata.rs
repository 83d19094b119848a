//! What reading a catalog relation needs: the type look-ups drivers make when they connect
//! are session basics (`db:connect`); the relations that describe the database's objects are
//! `db:metadata` on the target; and the relations that hold secrets or row data are never
//! covered by either. Any catalog relation also stays readable with `db:select` on
//! `RESOURCE/pg_catalog/NAME` (or `information_schema/NAME`), for those who grant it.
//!
//! INVARIANT: no relation of [`NEVER`] is in [`BASIC`] or [`METADATA`], and reading only
//! covered relations never vouches for code of the database's own (a statement that calls
//! some needs `db:select` on the target, as a query of no table does).

use super::{Access, Action, Statement, Table};

/// How a catalog relation is covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// With `db:connect`: what drivers read to decode a column's type.
    Basic,
    /// With `db:metadata`: names, definitions, comments, privileges, settings.
    Metadata,
}

/// `pg_catalog` relations drivers read to decode types (psycopg's `TypeInfo`, pgjdbc's and
/// asyncpg's look-ups by oid or name): type, range and schema names.
const BASIC: &[&str] = &["pg_namespace", "pg_range", "pg_type"];

/// `pg_catalog` relations that describe objects, read by psql's `\d` family, ORMs' reflection
/// and drivers' introspection. `pg_roles` and `pg_user` show `********` for passwords;
/// `pg_settings`, `pg_db_role_setting` and `pg_roles.rolconfig` show settings, which
/// `db:metadata` covers (PostgreSQL hides those it marks superuser-only from other roles).
const METADATA: &[&str] = &[
    "pg_aggregate",
    "pg_am",
    "pg_amop",
    "pg_amproc",
    "pg_attrdef",
    "pg_attribute",
    "pg_auth_members",
    "pg_available_extension_versions",
    "pg_available_extensions",
    "pg_cast",
    "pg_class",
    "pg_collation",
    "pg_constraint",
    "pg_conversion",
    "pg_database",
    "pg_db_role_setting",
    "pg_default_acl",
    "pg_depend",
    "pg_description",
    "pg_enum",
    "pg_event_trigger",
    "pg_extension",
    "pg_foreign_data_wrapper",
    "pg_foreign_server",
    "pg_foreign_table",
    "pg_group",
    "pg_index",
    "pg_indexes",
    "pg_inherits",
    "pg_init_privs",
    "pg_language",
    "pg_largeobject_metadata",
    "pg_matviews",
    "pg_opclass",
    "pg_operator",
    "pg_opfamily",
    "pg_parameter_acl",
    "pg_partitioned_table",
    "pg_policies",
    "pg_policy",
    "pg_proc",
    "pg_publication",
    "pg_publication_namespace",
    "pg_publication_rel",
    "pg_publication_tables",
    "pg_rewrite",
    "pg_roles",
    "pg_rules",
    "pg_seclabel",
    "pg_seclabels",
    "pg_sequence",
    "pg_settings",
    "pg_shdepend",
    "pg_shdescription",
    "pg_shseclabel",
    "pg_statistic_ext",
    "pg_tables",
    "pg_tablespace",
    "pg_timezone_abbrevs",
    "pg_timezone_names",
    "pg_transform",
    "pg_trigger",
    "pg_ts_config",
    "pg_ts_config_map",
    "pg_ts_dict",
    "pg_ts_parser",
    "pg_ts_template",
    "pg_user",
    "pg_views",
];

/// Catalog relations that hold secrets or row data, and why: never covered by session
/// basics or `db:metadata`, whatever a later edit of the lists above says.
pub const NEVER: &[(&str, &str)] = &[
    ("pg_authid", "password hashes"),
    ("pg_shadow", "password hashes"),
    ("pg_user_mapping", "the passwords of user mappings"),
    ("pg_user_mappings", "the passwords of user mappings"),
    ("pg_subscription", "connection strings with passwords"),
    ("pg_statistic", "values sampled from table rows"),
    ("pg_statistic_ext_data", "values sampled from table rows"),
    ("pg_stats", "values sampled from table rows"),
    ("pg_stats_ext", "values sampled from table rows"),
    ("pg_stats_ext_exprs", "values sampled from table rows"),
    ("pg_largeobject", "the contents of large objects"),
    ("pg_sequences", "the last value of every sequence"),
    (
        "pg_stat_activity",
        "the SQL of every gateway session (they share one upstream role)",
    ),
    ("pg_file_settings", "the server's configuration files"),
    ("pg_hba_file_rules", "the server's configuration files"),
    ("pg_ident_file_mappings", "the server's configuration files"),
];

/// `information_schema` views that hold secrets (the options, passwords among them, of user
/// mappings); every other view of it describes objects and is `db:metadata`.
const NEVER_INFORMATION_SCHEMA: &[&str] = &["_pg_user_mappings", "user_mapping_options"];

/// Every table and view of `information_schema` in PostgreSQL 15.
const INFORMATION_SCHEMA: &[&str] = &[
    "_pg_foreign_data_wrappers",
    "_pg_foreign_servers",
    "_pg_foreign_table_columns",
    "_pg_foreign_tables",
    "_pg_user_mappings",
    "administrable_role_authorizations",
    "applicable_roles",
    "attributes",
    "character_sets",
    "check_constraint_routine_usage",
    "check_constraints",
    "collation_character_set_applicability",
    "collations",
    "column_column_usage",
    "column_domain_usage",
    "column_options",
    "column_privileges",
    "column_udt_usage",
    "columns",
    "constraint_column_usage",
    "constraint_table_usage",
    "data_type_privileges",
    "domain_constraints",
    "domain_udt_usage",
    "domains",
    "element_types",
    "enabled_roles",
    "foreign_data_wrapper_options",
    "foreign_data_wrappers",
    "foreign_server_options",
    "foreign_servers",
    "foreign_table_options",
    "foreign_tables",
    "information_schema_catalog_name",
    "key_column_usage",
    "parameters",
    "referential_constraints",
    "role_column_grants",
    "role_routine_grants",
    "role_table_grants",
    "role_udt_grants",
    "role_usage_grants",
    "routine_column_usage",
    "routine_privileges",
    "routine_routine_usage",
    "routine_sequence_usage",
    "routine_table_usage",
    "routines",
    "schemata",
    "sequences",
    "sql_features",
    "sql_implementation_info",
    "sql_parts",
    "sql_sizing",
    "table_constraints",
    "table_privileges",
    "tables",
    "transforms",
    "triggered_update_columns",
    "triggers",
    "udt_privileges",
    "usage_privileges",
    "user_defined_types",
    "user_mapping_options",
    "user_mappings",
    "view_column_usage",
    "view_routine_usage",
    "view_table_usage",
    "views",
];

/// How reading `table` is covered, if it is a catalog relation that is.
pub fn tier(table: &Table) -> Option<Tier> {
    let name = table.name.as_str();
    match table.schema.as_str() {
        "pg_catalog" if never_covered(table).is_some() => None,
        "pg_catalog" if BASIC.contains(&name) => Some(Tier::Basic),
        "pg_catalog" if METADATA.contains(&name) => Some(Tier::Metadata),
        "information_schema"
            if INFORMATION_SCHEMA.contains(&name) && !NEVER_INFORMATION_SCHEMA.contains(&name) =>
        {
            Some(Tier::Metadata)
        }
        _ => None,
    }
}

/// What `table` holds, when it is a catalog relation that no tier ever covers.
pub fn never_covered(table: &Table) -> Option<&'static str> {
    match table.schema.as_str() {
        "pg_catalog" => NEVER
            .iter()
            .find(|(n, _)| *n == table.name)
            .map(|(_, why)| *why),
        "information_schema" if NEVER_INFORMATION_SCHEMA.contains(&table.name.as_str()) => {
            Some("the options, passwords among them, of user mappings")
        }
        _ => None,
    }
}

/// Rewrites each read of a covered catalog relation of a resolved statement to the action
/// that covers it, and makes a statement that reads nothing but such relations and runs the
/// database's own code need `db:select` on the target.
pub(super) fn settle(st: &mut Statement) {
    let mut tables = false;
    let mut uncovered = false;
    for a in &mut st.accesses {
        let Some(t) = &a.table else { continue };
        tables = true;
        match (a.action, tier(t)) {
            (Action::Select, Some(Tier::Basic)) => a.action = Action::Connect,
            (Action::Select, Some(Tier::Metadata)) => a.action = Action::Metadata,
            _ => uncovered = true,
        }
    }
    if !tables {
        return;
    }
    if st.user_code && !uncovered {
        st.accesses.push(Access {
            action: Action::Select,
            table: None,
        });
    }
    let mut seen = Vec::with_capacity(st.accesses.len());
    st.accesses.retain(|a| {
        let new = !seen.contains(a);
        if new {
            seen.push(a.clone());
        }
        new
    });
    if st.kind == Action::Select {
        st.kind = st
            .accesses
            .iter()
            .map(|a| a.action)
            .max()
            .unwrap_or(Action::Connect);
    }
}

#[cfg(test)]
mod tests;
