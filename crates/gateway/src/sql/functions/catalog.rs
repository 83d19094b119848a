//! PostgreSQL's own functions and casts that read the catalog or its statistics: what a view
//! or function says (`pg_get_viewdef`, `pg_get_functiondef`), how big a table is, who may do
//! what (`has_table_privilege`), what a name or oid is (`'payroll'::regclass`). Each needs
//! `db:metadata` wherever it appears, as reading the catalog relation itself does.
//!
//! `pg_` functions are the system's, so each is one of these unless it is known to read
//! nothing of the database (advisory locks, the session's own process id, sizes of values).
//! Type names and schemas stay session basics (`::regtype`, `format_type`, `to_regtype`):
//! drivers look types up to decode columns.

/// `pg_` functions that read nothing of the database's objects.
const SESSION: &[&str] = &[
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_advisory_unlock",
    "pg_advisory_unlock_all",
    "pg_advisory_unlock_shared",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_backend_pid",
    "pg_char_to_encoding",
    "pg_client_encoding",
    "pg_column_compression",
    "pg_column_size",
    "pg_conf_load_time",
    "pg_current_snapshot",
    "pg_current_xact_id",
    "pg_current_xact_id_if_assigned",
    "pg_encoding_max_length",
    "pg_encoding_to_char",
    "pg_export_snapshot",
    "pg_is_in_recovery",
    "pg_is_other_temp_schema",
    "pg_jit_available",
    "pg_listening_channels",
    "pg_my_temp_schema",
    "pg_notification_queue_usage",
    "pg_notify",
    "pg_options_to_table",
    "pg_postmaster_start_time",
    "pg_size_bytes",
    "pg_size_pretty",
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "pg_snapshot_xip",
    "pg_snapshot_xmax",
    "pg_snapshot_xmin",
    "pg_trigger_depth",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "pg_type_is_visible",
    "pg_typeof",
    "pg_visible_in_snapshot",
    "pg_wal_lsn_diff",
    "pg_xact_status",
];

/// Functions without the `pg_` prefix that read the catalog.
const OTHERS: &[&str] = &[
    "col_description",
    "obj_description",
    "row_security_active",
    "shobj_description",
    "to_regclass",
    "to_regcollation",
    "to_regoper",
    "to_regoperator",
    "to_regproc",
    "to_regprocedure",
    "to_regrole",
];

/// The object-identifier types whose input and output look up (and so reveal) objects other
/// than types and schemas: a cast to one, or its functions (`regclass('t')`, `regclassin`).
const REG_TYPES: &[&str] = &[
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
];

/// True when the function `schema.name` (`schema` as written, empty when it is not) is one of
/// PostgreSQL's own that read the catalog. `name` must already be known to be PostgreSQL's.
pub(super) fn reads_catalog(schema: &str, name: &str) -> bool {
    if schema == "information_schema" {
        // Helpers of its views (`_pg_index_position` reads `pg_index`).
        return true;
    }
    (name.starts_with("pg_") && SESSION.binary_search(&name).is_err())
        || (name.starts_with("has_") && name.ends_with("_privilege"))
        || name == "pg_has_role"
        || OTHERS.binary_search(&name).is_ok()
        || REG_TYPES.iter().any(|t| name.starts_with(t))
}

/// True for a cast to a type whose values name objects other than types and schemas.
pub(in crate::sql) fn is_catalog_type(parts: &[&str]) -> bool {
    match parts {
        [name] | ["pg_catalog", name] => {
            let name = name.strip_prefix('_').unwrap_or(name);
            REG_TYPES.contains(&name)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_functions_read_the_catalog_unless_known_not_to() {
        assert!(SESSION.windows(2).all(|w| w[0] < w[1]));
        assert!(OTHERS.windows(2).all(|w| w[0] < w[1]));
        for f in [
            "pg_get_viewdef",
            "pg_get_functiondef",
            "pg_relation_size",
            "pg_table_is_visible",
            "pg_stat_get_live_tuples",
            "has_table_privilege",
            "pg_has_role",
            "obj_description",
            "to_regclass",
            "regclass",
            "regprocedurein",
        ] {
            assert!(reads_catalog("", f), "{f}");
        }
        for f in [
            "version",
            "pg_backend_pid",
            "pg_advisory_unlock_all",
            "pg_typeof",
            "format_type",
            "to_regtype",
            "current_schemas",
            "regexp_replace",
            "lower",
        ] {
            assert!(!reads_catalog("pg_catalog", f), "{f}");
        }
        assert!(reads_catalog("information_schema", "_pg_index_position"));
        assert!(is_catalog_type(&["regclass"]) && is_catalog_type(&["pg_catalog", "_regproc"]));
        assert!(!is_catalog_type(&["regtype"]) && !is_catalog_type(&["public", "regclass"]));
    }
}
