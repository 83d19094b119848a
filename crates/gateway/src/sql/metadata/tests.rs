//! Session basics, `db:metadata` and the relations neither covers, on the SQL real clients
//! send.

#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::sql::tests::{self, kind};
use crate::sql::{Cache, SearchPath, Strings, catalog, resolve};

/// `action table` for each access of the one statement in `sql`, as a fresh session reads it,
/// each once.
fn acc(sql: &str) -> Vec<String> {
    let mut out = tests::acc(sql);
    out.dedup();
    out
}

#[test]
fn the_lists_are_sorted_and_never_overlap() {
    for list in [BASIC, METADATA, INFORMATION_SCHEMA] {
        assert!(list.windows(2).all(|w| w[0] < w[1]));
    }
    for (name, _) in NEVER {
        assert!(catalog::is_relation(name), "{name}");
        assert!(!BASIC.contains(name) && !METADATA.contains(name), "{name}");
    }
    for name in BASIC.iter().chain(METADATA) {
        assert!(catalog::is_relation(name), "{name}");
    }
    for name in NEVER_INFORMATION_SCHEMA {
        assert!(INFORMATION_SCHEMA.contains(name), "{name}");
    }
    let t = |schema: &str, name: &str| Table {
        schema: schema.into(),
        name: name.into(),
    };
    assert_eq!(tier(&t("pg_catalog", "pg_type")), Some(Tier::Basic));
    assert_eq!(tier(&t("pg_catalog", "pg_class")), Some(Tier::Metadata));
    assert_eq!(
        tier(&t("information_schema", "columns")),
        Some(Tier::Metadata)
    );
    assert_eq!(tier(&t("pg_catalog", "pg_stats")), None);
    assert_eq!(tier(&t("pg_catalog", "pg_stat_user_tables")), None);
    assert_eq!(tier(&t("public", "pg_class")), None);
    assert_eq!(tier(&t("information_schema", "user_mapping_options")), None);
    assert!(never_covered(&t("pg_catalog", "pg_authid")).is_some());
    assert!(never_covered(&t("public", "pg_authid")).is_none());
}

#[test]
fn session_basics_need_only_connect() {
    for sql in [
        "SELECT version()",
        "select pg_catalog.version()",
        "SELECT current_user",
        "select session_user, current_database(), current_schema(), pg_backend_pid()",
        "select current_schema",
        "select 1",
        "SHOW server_version",
        "show transaction isolation level",
        "show standard_conforming_strings",
        "SHOW TIME ZONE",
        "select current_setting('server_version_num')",
        "select current_setting('TimeZone', true)",
        "SELECT current_setting('jit') AS cur, set_config('jit', 'off', false) AS new",
        "SELECT set_config('jit', $1, false)",
        // psycopg's `TypeInfo.fetch`
        "SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype, \
         typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype($1) ORDER BY t.oid",
        // psycopg's `RangeInfo.fetch`
        "SELECT t.typname AS name, t.oid AS oid, t.typarray AS array_oid, \
         t.oid::regtype::text AS regtype, r.rngsubtype AS subtype_oid \
         FROM pg_type t JOIN pg_range r ON t.oid = r.rngtypid WHERE t.oid = to_regtype($1)",
        // pgjdbc's look-ups of a type by oid
        "SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, \
         pg_type.oid FROM pg_catalog.pg_type LEFT JOIN (select ns.oid as nspoid, ns.nspname, \
         r.r from pg_namespace as ns join ( select s.r, (current_schemas(false))[s.r] as \
         nspname from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) \
         as r using ( nspname ) ) as sp ON sp.nspoid = typnamespace WHERE pg_type.oid = $1 \
         ORDER BY sp.r, pg_type.oid DESC",
        "SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid \
         WHERE t.oid = $1",
        // asyncpg's look-up of a type by name
        "SELECT t.oid, t.typelem AS elemtype, t.typtype AS kind FROM pg_catalog.pg_type AS t \
         INNER JOIN pg_catalog.pg_namespace ns ON (ns.oid = t.typnamespace) \
         WHERE t.typname = $1 AND ns.nspname = $2",
    ] {
        assert_eq!(kind(sql), Action::Connect, "{sql}");
        assert!(acc(sql).iter().all(|a| a.starts_with("connect ")), "{sql}");
    }
}

#[test]
fn catalog_reads_need_metadata_and_user_tables_their_own() {
    assert_eq!(
        acc(
            "SELECT c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') \
             AND pg_catalog.pg_table_is_visible(c.oid)"
        ),
        [
            "connect pg_catalog.pg_namespace",
            "metadata -",
            "metadata pg_catalog.pg_class"
        ]
    );
    // SQLAlchemy's reflection names the setting with a parameter.
    let sqlalchemy = "SELECT pg_catalog.pg_class.relname, CASE WHEN \
        (pg_catalog.pg_am.amname != current_setting($1::VARCHAR)) THEN pg_catalog.pg_am.amname \
        END FROM pg_catalog.pg_class LEFT OUTER JOIN pg_catalog.pg_am \
        ON pg_catalog.pg_class.relam = pg_catalog.pg_am.oid";
    assert_eq!(
        acc(sqlalchemy),
        [
            "metadata -",
            "metadata pg_catalog.pg_am",
            "metadata pg_catalog.pg_class"
        ]
    );
    assert_eq!(kind(sqlalchemy), Action::Metadata);
    assert_eq!(
        acc("select table_name from information_schema.tables"),
        ["metadata information_schema.tables"]
    );
    assert_eq!(
        acc("select * from pg_enum join customers on true"),
        ["metadata pg_catalog.pg_enum", "select public.customers"]
    );
    for sql in [
        "SHOW ALL",
        "show shared_buffers",
        "select current_setting('app.jwt_secret')",
    ] {
        assert_eq!(acc(sql), ["metadata -"], "{sql}");
    }
    assert_eq!(
        acc("select name from customers where name = current_setting('app.jwt_secret')"),
        ["metadata -", "select public.customers"]
    );
}

#[test]
fn secrets_and_row_data_stay_tables_of_their_own() {
    for name in [
        "pg_authid",
        "pg_shadow",
        "pg_statistic",
        "pg_stats",
        "pg_user_mappings",
    ] {
        assert_eq!(
            acc(&format!("select * from {name}")),
            [format!("select pg_catalog.{name}")]
        );
    }
    assert_eq!(
        acc("select * from information_schema.user_mapping_options"),
        ["select information_schema.user_mapping_options"]
    );
    // Another schema's relation of a catalog name is a table like any other.
    assert_eq!(
        acc("select * from public.pg_class"),
        ["select public.pg_class"]
    );
    // A catalog name of a newer server may be a table of the path too.
    assert_eq!(
        acc("select * from pg_future_view"),
        [
            "select pg_catalog.pg_future_view",
            "select public.pg_future_view"
        ]
    );
}

#[test]
fn the_catalog_never_vouches_for_the_database_s_own_code() {
    // A query of no table calling a function of the database's needs `db:select` on the
    // target, as it always did; reading a covered catalog relation changes nothing.
    assert_eq!(acc("select get_salaries()"), ["select -"]);
    assert_eq!(
        acc("select get_salaries() from pg_type limit 1"),
        ["connect pg_catalog.pg_type", "select -"]
    );
    assert_eq!(
        acc("select * from pg_class where relname = any (select public.names())"),
        ["metadata pg_catalog.pg_class", "select -"]
    );
    for sql in [
        "select 1::mood",
        "select cast('x' as public.mood)",
        "select 1 <<<>>> 2",
        "select 1 operator(public.=) 1",
        "select * from generate_series(1, 3) order by 1 using operator(public.<)",
        "select nextval('orders_id_seq')",
        "select * from my_rows()",
    ] {
        assert_eq!(acc(sql), ["select -"], "{sql}");
    }
    // Functions that read data no table check covers need `db:select` on the target,
    // wherever they appear.
    assert_eq!(
        acc("select lo_get(l.oid) from pg_largeobject_metadata l"),
        ["metadata pg_catalog.pg_largeobject_metadata", "select -"]
    );
    assert_eq!(
        acc("select lo_get(16400) from customers"),
        ["select -", "select public.customers"]
    );
    assert_eq!(
        acc("select pg_stat_get_backend_activity(s) from pg_stat_get_backend_idset() s"),
        ["metadata -", "select -"]
    );
    // With a table of its own, a function call is the table's business, as before.
    assert_eq!(
        acc("select my_format(name) from customers"),
        ["select public.customers"]
    );
}

#[test]
fn a_setting_s_name_is_never_memoized() {
    let cache = Cache::default();
    let read = |sql: &str| {
        let mut stmts = cache.classify(sql, Strings::Conforming).unwrap();
        resolve(&mut SearchPath::pinned("wicket_gw"), &mut stmts).unwrap();
        stmts.remove(0).accesses.len()
    };
    assert_eq!(
        read("select name from customers where current_setting('timezone') = 'x'"),
        1
    );
    assert_eq!(
        read("select name from customers where current_setting('app.secret') = 'x'"),
        2
    );
    assert_eq!(
        read("select name from customers where 'pg_catalog.lower'::regproc is not null"),
        1
    );
    assert_eq!(
        read("select name from customers where 'public.secret_fn'::regproc is not null"),
        2
    );
}

#[test]
fn an_admin_function_does_not_stand_in_for_reading_the_database() {
    assert_eq!(acc("select pg_read_file('/etc/passwd')"), ["admin -"]);
    assert_eq!(
        acc("select pg_read_file('/etc/passwd'), get_salaries()"),
        ["admin -", "select -"]
    );
}

#[test]
fn functions_and_casts_that_read_the_catalog_need_metadata_wherever_they_are() {
    for sql in [
        "select pg_get_viewdef('secret_view')",
        "select pg_get_functiondef(16384)",
        "select 'payroll'::regclass",
        "select cast(16384 as regclass)::text",
        "select 'public.secret_fn'::regproc",
        "select has_table_privilege('payroll', 'select')",
        "select pg_relation_size('payroll')",
        "select obj_description(16384)",
        "select to_regclass('payroll')",
        "select information_schema._pg_expandarray(array[1])",
    ] {
        assert_eq!(acc(sql), ["metadata -"], "{sql}");
    }
    assert_eq!(
        acc("select pg_get_viewdef('secret_view') from customers"),
        ["metadata -", "select public.customers"]
    );
    // Types and schemas are what drivers look up: session basics.
    for sql in [
        "select 'int4'::regtype",
        "select format_type(23, -1), to_regtype('int4'), 'public'::regnamespace",
        "select pg_typeof(1), pg_advisory_lock(1), pg_try_advisory_lock(2)",
        "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;",
    ] {
        let stmts = tests::classify(sql).unwrap();
        assert!(
            stmts.iter().all(|s| s.kind == Action::Connect),
            "{sql}: {stmts:?}"
        );
    }
}

#[test]
fn large_objects_and_maintenance_are_never_session_basics() {
    assert_eq!(acc("select lo_unlink(16400)"), ["update -"]);
    assert_eq!(acc("select lo_from_bytea(0, 'x')"), ["update -"]);
    assert_eq!(
        acc("select lo_unlink(16400) from customers"),
        ["select public.customers", "update -"]
    );
    assert_eq!(
        acc("select loread(lo_open(16400, 262144), 10)"),
        ["select -"]
    );
    for sql in [
        "select brin_summarize_new_values(16400)",
        "select binary_upgrade_set_next_pg_authid_oid(1)",
        "select pg_import_system_collations(11)",
    ] {
        assert_eq!(kind(sql), Action::Admin, "{sql}");
    }
}
