//! Functions that reach past the tables a statement names: they read or write server files,
//! run SQL given as text, or act on other sessions. Calling one is `db:admin`, whatever
//! statement it appears in. `set_config` needs what a `SET` of the same setting needs, and
//! `current_setting` what a `SHOW` of it needs. Functions that read or write data no table
//! check covers ([`data`]: large objects, other sessions' SQL, decoded WAL) need `db:select`
//! or `db:update` on the target, and those that read the catalog ([`catalog`])
//! `db:metadata`, wherever they appear.

mod catalog;
mod data;

use serde_json::Value;

/// Lowercase names, matched with or without the `pg_catalog` schema.
const ADMIN: &[&str] = &[
    // server files and directories
    "pg_read_file",
    "pg_read_binary_file",
    "pg_stat_file",
    "pg_ls_dir",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_ls_logicalsnapdir",
    "pg_ls_logicalmapdir",
    "pg_ls_replslotdir",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "lo_import",
    "lo_export",
    // SQL given as text, run with the gateway's privileges
    "query_to_xml",
    "query_to_xmlschema",
    "query_to_xml_and_xmlschema",
    "cursor_to_xml",
    "cursor_to_xmlschema",
    "table_to_xml",
    "table_to_xmlschema",
    "table_to_xml_and_xmlschema",
    "schema_to_xml",
    "schema_to_xmlschema",
    "schema_to_xml_and_xmlschema",
    "database_to_xml",
    "database_to_xmlschema",
    "database_to_xml_and_xmlschema",
    "ts_stat",
    "dblink",
    "dblink_exec",
    "dblink_open",
    "dblink_fetch",
    "dblink_send_query",
    "dblink_connect",
    "dblink_connect_u",
    // other sessions and the server
    "pg_reload_conf",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_drop_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_copy_logical_replication_slot",
    "pg_logical_emit_message",
    "pg_replication_origin_create",
    "pg_replication_origin_drop",
    "pg_replication_origin_advance",
    "pg_replication_origin_session_setup",
    "pg_replication_origin_session_reset",
    "pg_replication_origin_xact_setup",
    "pg_replication_origin_xact_reset",
    "pg_import_system_collations",
    "pg_nextoid",
    // maintenance of indexes, as VACUUM is
    "brin_summarize_new_values",
    "brin_summarize_range",
    "brin_desummarize_range",
    "gin_clean_pending_list",
    "pg_replication_slot_advance",
    "pg_log_backend_memory_contexts",
    "pg_wal_replay_pause",
    "pg_wal_replay_resume",
    "pg_stat_reset",
    "pg_stat_reset_shared",
    "pg_stat_reset_single_table_counters",
    "pg_stat_reset_single_function_counters",
    "pg_stat_reset_slru",
    "pg_stat_reset_replication_slot",
    "pg_stat_reset_subscription_stats",
    // the server's configuration files
    "pg_show_all_file_settings",
    "pg_hba_file_rules",
    "pg_ident_file_mappings",
];

/// PostgreSQL's own functions that the gateway treats as a database's own code: they read or
/// move sequences, whose values no table check covers, so a statement that touches no table
/// needs `db:select` on the target to call them, as it does to call a function of the
/// database's.
const SEQUENCES: &[&str] = &[
    "currval",
    "lastval",
    "nextval",
    "setval",
    "pg_sequence_last_value",
];

/// True when the `FuncCall` with fields `f` calls one of the functions above, or one that
/// only a binary upgrade may call.
pub(super) fn is_admin(f: &Value) -> bool {
    name(f).is_some_and(|n| {
        ADMIN.contains(&n.as_str())
            || n.starts_with("binary_upgrade_")
            // `ts_rewrite(query, 'SELECT target, substitute FROM t')` runs the SELECT it is
            // given; its three-argument form does not.
            || (n == "ts_rewrite" && args(f).len() == 2)
    })
}

fn args(f: &Value) -> Vec<&Value> {
    f.get("args")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// What the `FuncCall` with fields `f` needs on the target for data no table check covers:
/// `db:select` to read it, `db:update` to write it.
pub(super) fn data_access(f: &Value) -> Option<super::Action> {
    name(f).and_then(|n| data::access(&n))
}

/// True when the `FuncCall` with fields `f` reads a setting that a `SHOW` needs more than
/// `db:connect` for: `current_setting` of a setting not known to be harmless to read (or of a
/// name computed at run time, such as a parameter), or every setting at once.
pub(super) fn reads_settings(f: &Value) -> bool {
    match name(f).as_deref() {
        Some("current_setting") => {
            let first = f
                .get("args")
                .and_then(Value::as_array)
                .and_then(|a| a.first());
            !first
                .and_then(super::settings::const_text)
                .is_some_and(|n| super::settings::is_readable(&n))
        }
        Some("pg_show_all_settings") => true,
        _ => false,
    }
}

/// True when the `FuncCall` with fields `f` calls one of PostgreSQL's own functions that read
/// the catalog.
pub(super) fn reads_catalog(f: &Value) -> bool {
    let parts = super::builtins::parts(f.get("funcname"));
    if !super::builtins::is_function(&parts) {
        return false;
    }
    match parts.as_slice() {
        [name] => catalog::reads_catalog("", name),
        [schema, name] => catalog::reads_catalog(schema, name),
        _ => false,
    }
}

/// True for a cast to a type whose values name objects other than types and schemas
/// (`'payroll'::regclass`).
pub(super) fn is_catalog_type(parts: &[&str]) -> bool {
    catalog::is_catalog_type(parts)
}

/// True when the `FuncCall` with fields `f` reads a setting by name, so that what it needs
/// depends on that name.
pub(super) fn names_setting(f: &Value) -> bool {
    name(f).as_deref() == Some("current_setting")
}

/// True when the `FuncCall` with fields `f` calls a function PostgreSQL defines, and not one
/// the gateway treats as the database's own.
pub(super) fn is_builtin(f: &Value) -> bool {
    let parts = super::builtins::parts(f.get("funcname"));
    super::builtins::is_function(&parts) && !parts.last().is_some_and(|n| SEQUENCES.contains(n))
}

/// For a call of `set_config(name, value, local)`, the setting's name and value when each is
/// a constant (a computed one is `None`).
pub(super) fn set_config(f: &Value) -> Option<(Option<String>, Option<String>)> {
    if name(f)? != "set_config" {
        return None;
    }
    let args = args(f);
    let constant = |i: usize| args.get(i).and_then(|v| super::settings::const_text(v));
    Some((constant(0), constant(1)))
}

/// The lowercase name of the function called, when it is unqualified or in `pg_catalog`.
fn name(f: &Value) -> Option<String> {
    let parts: Vec<&str> = f
        .get("funcname")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| super::node(n))
        .filter_map(|(_, s)| s.get("sval").and_then(Value::as_str))
        .collect();
    match parts.as_slice() {
        [name] | ["pg_catalog", name] => Some(name.to_ascii_lowercase()),
        _ => None,
    }
}
