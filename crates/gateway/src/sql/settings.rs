//! `SET`, `RESET`, `SET TRANSACTION`, `BEGIN` and `SHOW`: which settings are harmless to set
//! (need only `db:connect`), which are `db:admin`, which would make a read-only session
//! writable, and which are harmless to read.

use serde_json::Value;

use super::Action;
use pg_query::protobuf::{TransactionStmtKind, VariableSetKind};

/// Settings a session may change with `db:connect` alone. Everything else (`role`,
/// `session_authorization`, `search_path`, `standard_conforming_strings`, ...) is `db:admin`:
/// it changes who acts or how the gateway's reading of the SQL compares with the server's.
const HARMLESS: &[&str] = &[
    "application_name",
    "datestyle",
    "intervalstyle",
    "timezone",
    "extra_float_digits",
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",
    "transaction_timeout",
    "client_min_messages",
    "bytea_output",
    "transaction_isolation",
    "default_transaction_isolation",
    "transaction_deferrable",
    "default_transaction_deferrable",
    "synchronous_commit",
    "work_mem",
    "maintenance_work_mem",
    "temp_buffers",
    "jit",
    "random_page_cost",
    "seq_page_cost",
    "cpu_tuple_cost",
    "effective_cache_size",
    "max_parallel_workers_per_gather",
    "plan_cache_mode",
    "xmloption",
    "vacuum_cost_delay",
    "row_security",
];

/// Settings that say what the server and session are, harmless to read with `db:connect`
/// alone (with the harmless ones above). Reading any other setting (`SHOW`,
/// `current_setting`, `pg_settings`) needs `db:metadata`: a setting may hold a secret, such
/// as a custom `app.jwt_secret` set with `ALTER DATABASE ... SET`.
const READABLE: &[&str] = &[
    "server_version",
    "server_version_num",
    "server_encoding",
    "client_encoding",
    "standard_conforming_strings",
    "integer_datetimes",
    "is_superuser",
    "session_authorization",
    "role",
    "search_path",
    "in_hot_standby",
    "default_transaction_read_only",
    "transaction_read_only",
    "max_identifier_length",
    "max_index_keys",
    "max_function_args",
    "block_size",
    "data_checksums",
    "lc_collate",
    "lc_ctype",
    "lc_messages",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "default_text_search_config",
    "default_table_access_method",
    "escape_string_warning",
    "array_nulls",
    "max_connections",
];

/// True for a setting a client may read (`SHOW`, `current_setting`) with `db:connect` alone.
pub(super) fn is_readable(name: &str) -> bool {
    READABLE.contains(&name.to_ascii_lowercase().as_str()) || is_harmless(name)
}

/// What a `SHOW` needs: `db:connect` for a setting harmless to read, else `db:metadata`
/// (`SHOW ALL` too).
pub(super) fn show(f: &Value) -> Action {
    let name = f.get("name").and_then(Value::as_str).unwrap_or("");
    if is_readable(name) {
        Action::Connect
    } else {
        Action::Metadata
    }
}

pub(super) fn is_harmless(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    HARMLESS.contains(&name.as_str()) || name.starts_with("enable_")
}

const READ_ONLY: &[&str] = &["default_transaction_read_only", "transaction_read_only"];

/// What a `SET` or `RESET` needs, and whether it makes the session read-write.
pub(super) fn set(f: &Value) -> (Action, bool) {
    let kind = f.get("kind").and_then(Value::as_i64).unwrap_or(0);
    let name = f
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let args = f.get("args");
    // Back to the value the session started with, which the gateway chose.
    if [
        VariableSetKind::VarSetDefault,
        VariableSetKind::VarReset,
        VariableSetKind::VarResetAll,
    ]
    .iter()
    .any(|k| *k as i64 == kind)
    {
        return (Action::Connect, false);
    }
    if kind == VariableSetKind::VarSetMulti as i64 {
        // `SET TRANSACTION ...`, `SET SESSION CHARACTERISTICS AS TRANSACTION ...`,
        // `SET TRANSACTION SNAPSHOT ...`.
        return (Action::Connect, options_read_write(args));
    }
    if kind != VariableSetKind::VarSetValue as i64 && kind != VariableSetKind::VarSetCurrent as i64
    {
        return (Action::Admin, false);
    }
    let value = args
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(const_text);
    setting(&name, value.as_deref())
}

/// What setting `name` to `value` (`None`: a value the gateway cannot read) needs, and
/// whether it makes the session read-write: the rule for `SET` and `set_config` alike.
pub(super) fn setting(name: &str, value: Option<&str>) -> (Action, bool) {
    let name = name.to_ascii_lowercase();
    if READ_ONLY.contains(&name.as_str()) {
        return (Action::Connect, !value.is_some_and(is_true));
    }
    if name == "client_encoding" {
        let utf8 = value.is_some_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "utf8" | "utf-8" | "unicode"
            )
        });
        return (if utf8 { Action::Connect } else { Action::Admin }, false);
    }
    if is_harmless(&name) {
        (Action::Connect, false)
    } else {
        (Action::Admin, false)
    }
}

/// The `search_path` a `SET` or `RESET` names: `None` for another setting; `Some(vec![])`
/// when it goes back to the session's own (the pinned one, which the gateway knows).
pub(super) fn search_path(f: &Value) -> Option<Option<Vec<String>>> {
    let kind = f.get("kind").and_then(Value::as_i64).unwrap_or(0);
    if kind == VariableSetKind::VarResetAll as i64 {
        return Some(Some(Vec::new()));
    }
    let name = f.get("name").and_then(Value::as_str)?;
    if !name.eq_ignore_ascii_case("search_path") {
        return None;
    }
    if kind != VariableSetKind::VarSetValue as i64 {
        return Some(Some(Vec::new()));
    }
    // Each element of `SET search_path = a, "B", 'c d'` is one schema name, as written.
    let mut out = Vec::new();
    for v in f
        .get("args")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match const_text(v) {
            Some(name) => out.push(name),
            None => return Some(None),
        }
    }
    Some(Some(out))
}

/// What a transaction statement needs, and whether it starts a read-write transaction.
pub(super) fn transaction(f: &Value) -> (Action, bool) {
    let kind = f.get("kind").and_then(Value::as_i64).unwrap_or(0);
    let two_phase = [
        TransactionStmtKind::TransStmtPrepare,
        TransactionStmtKind::TransStmtCommitPrepared,
        TransactionStmtKind::TransStmtRollbackPrepared,
    ];
    if two_phase.iter().any(|k| *k as i64 == kind) {
        // Prepared transactions outlive the session and can be finished by anyone.
        return (Action::Admin, false);
    }
    (Action::Connect, options_read_write(f.get("options")))
}

/// True when a list of transaction options holds `READ WRITE`.
fn options_read_write(options: Option<&Value>) -> bool {
    options
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| super::node(o))
        .any(|(_, d)| {
            d.get("defname").and_then(Value::as_str) == Some("transaction_read_only")
                && !d
                    .get("arg")
                    .and_then(const_text)
                    .as_deref()
                    .is_some_and(is_true)
        })
}

/// The text of a constant (`'off'`, `0`, `true`), if the value is one.
pub(super) fn const_text(v: &Value) -> Option<String> {
    let (kind, f) = super::node(v)?;
    if kind != "AConst" {
        return None;
    }
    let (variant, val) = super::node(f.get("val")?)?;
    match variant {
        "Sval" => val.get("sval").and_then(Value::as_str).map(str::to_string),
        "Ival" => Some(
            val.get("ival")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .to_string(),
        ),
        "Fval" => val.get("fval").and_then(Value::as_str).map(str::to_string),
        "Boolval" => Some(
            val.get("boolval")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .to_string(),
        ),
        _ => None,
    }
}

/// PostgreSQL's spellings of true (`parse_bool`): a prefix of `true` or `yes`, `on`, `1`.
fn is_true(s: &str) -> bool {
    let s = s.trim().to_ascii_lowercase();
    !s.is_empty() && ("true".starts_with(&s) || "yes".starts_with(&s) || s == "on" || s == "1")
}
