//! A walk over a whole parse tree (as JSON, so that no field can be skipped by omission)
//! collecting every table reference with the action it needs.
//!
//! INVARIANT: every `RangeVar` anywhere in the tree is either recorded or is a reference to a
//! common table expression in scope; a query or data-modifying statement nested anywhere is
//! classified by its own rules; every function, operator and type named anywhere is either
//! PostgreSQL's own or marks the statement as running the database's own code.

use serde_json::{Map, Value};

use super::builtins;
use super::functions;
use super::kinds;
use super::{Access, Action, SqlError, Table, search_path, settings};

pub(super) struct Walk {
    pub(super) accesses: Vec<Access>,
    /// Names of the common table expressions visible here, innermost last.
    scope: Vec<String>,
    /// What a table reference outside any query means (the statement's own action).
    mode: Action,
    pub(super) error: Option<SqlError>,
    /// A `set_config` in the tree would make the session read-write.
    pub(super) read_write: bool,
    /// The tree calls `set_config` or `current_setting`, or casts to an object-identifier
    /// type, whose classification depends on their literal arguments.
    pub(super) reads_literals: bool,
    /// The tree names a function, operator or type that is not PostgreSQL's own.
    pub(super) user_code: bool,
    /// A `set_config` of `search_path`: the schemas, or `None` when its value is computed.
    pub(super) search_path: Option<Option<Vec<String>>>,
    /// The prepared statement an `EXECUTE` in the tree runs.
    pub(super) executes: Option<String>,
}

impl Walk {
    pub(super) fn new(mode: Action) -> Walk {
        Walk {
            accesses: Vec::new(),
            scope: Vec::new(),
            mode,
            error: None,
            read_write: false,
            reads_literals: false,
            user_code: false,
            search_path: None,
            executes: None,
        }
    }

    pub(super) fn push(&mut self, action: Action, table: Option<Table>) {
        let access = Access { action, table };
        if !self.accesses.contains(&access) {
            self.accesses.push(access);
        }
    }

    pub(super) fn fail(&mut self, what: String) {
        self.error.get_or_insert(SqlError::Unclassified(what));
    }

    /// Walks any part of the tree.
    pub(super) fn any(&mut self, v: &Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("relpersistence") {
                    return self.range_var(v, self.mode);
                }
                // A `TypeName` is a field of its parent (`TypeCast`, `ColumnDef`), not a node.
                if map.contains_key("pct_type") && map.contains_key("names") {
                    self.user_code |= !builtins::is_type(&builtins::parts(map.get("names")));
                }
                if map.len() == 1
                    && let Some((kind, fields)) = map.iter().next()
                    && kind.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    return self.variant(kind, fields);
                }
                self.fields(map, &[]);
            }
            Value::Array(items) => items.iter().for_each(|i| self.any(i)),
            _ => {}
        }
    }

    /// Walks every field of `map` but those in `skip`.
    fn fields(&mut self, map: &Map<String, Value>, skip: &[&str]) {
        for (k, v) in map {
            if !skip.contains(&k.as_str()) {
                self.any(v);
            }
        }
    }

    /// Walks `v` with table references meaning `mode`.
    pub(super) fn in_mode(&mut self, mode: Action, v: &Value) {
        let saved = std::mem::replace(&mut self.mode, mode);
        self.any(v);
        self.mode = saved;
    }

    fn variant(&mut self, kind: &str, f: &Value) {
        match kind {
            "RangeVar" => self.range_var(f, self.mode),
            "SelectStmt" => self.select(f),
            "InsertStmt" | "UpdateStmt" | "DeleteStmt" | "MergeStmt" => self.modify(kind, f),
            "FuncCall" => {
                if let Some((name, value)) = functions::set_config(f) {
                    self.set_config(name, value);
                } else if functions::is_admin(f) {
                    self.push(Action::Admin, None);
                } else if let Some(action) = functions::data_access(f) {
                    self.push(action, None);
                } else if functions::reads_settings(f) || functions::reads_catalog(f) {
                    self.push(Action::Metadata, None);
                }
                self.reads_literals |= functions::names_setting(f);
                self.user_code |= !functions::is_builtin(f);
                self.any(f);
            }
            "TypeCast" => {
                let names = f.get("type_name").and_then(|t| t.get("names"));
                // `'pg_catalog.array_in'::regproc` (pgjdbc's type look-up) names only what
                // every database has.
                let builtin = f
                    .get("arg")
                    .and_then(settings::const_text)
                    .is_some_and(|v| v.starts_with("pg_catalog."));
                if functions::is_catalog_type(&builtins::parts(names)) {
                    // What it needs depends on the literal: never memoized by shape.
                    self.reads_literals = true;
                    if !builtin {
                        self.push(Action::Metadata, None);
                    }
                }
                self.any(f);
            }
            "AExpr" => {
                self.operator(f.get("name"));
                self.any(f);
            }
            "SubLink" => {
                self.operator(f.get("oper_name"));
                self.any(f);
            }
            "SortBy" => {
                self.operator(f.get("use_op"));
                self.any(f);
            }
            "ExecuteStmt" => {
                // `EXECUTE q`, alone or in `EXPLAIN` or `CREATE TABLE ... AS`: it needs what
                // `q` needs, and what its parameters read.
                let name = f.get("name").and_then(Value::as_str).unwrap_or("");
                match super::names::own(name.to_string()) {
                    Ok(name) => {
                        if self.executes.replace(name).is_some() {
                            self.fail("several `EXECUTE`s in one statement".into());
                        }
                    }
                    Err(e) => {
                        self.error.get_or_insert(e);
                    }
                }
                self.any(f);
            }
            "PrepareStmt" => self.fail("`PREPARE` inside another statement".into()),
            _ => match kinds::utility(kind) {
                // A statement nested in another (`CREATE SCHEMA ... GRANT ...`) counts as itself.
                Some(action) if action > self.mode => {
                    self.push(action, None);
                    self.in_mode(action, f);
                }
                _ => self.any(f),
            },
        }
    }

    /// An operator named by `name` (absent or empty: none) that is not PostgreSQL's own.
    fn operator(&mut self, name: Option<&Value>) {
        let parts = builtins::parts(name);
        if !parts.is_empty() && !builtins::is_operator(&parts) {
            self.user_code = true;
        }
    }

    /// `set_config(name, value, local)` needs what `SET name = value` needs; a name that is
    /// not a constant could be any setting, so it is `db:admin` and leaves the path unknown.
    fn set_config(&mut self, name: Option<String>, value: Option<String>) {
        self.reads_literals = true;
        let Some(name) = name else {
            self.push(Action::Admin, None);
            self.search_path = Some(None);
            return;
        };
        let (action, read_write) = settings::setting(&name, value.as_deref());
        self.push(action, None);
        self.read_write |= read_write;
        if name.eq_ignore_ascii_case("search_path") {
            let path = value.as_deref().and_then(search_path::split);
            self.search_path = match (self.search_path.take(), path) {
                (None, Some(p)) => Some(Some(p)),
                (Some(Some(mut before)), Some(p)) => {
                    before.extend(p);
                    Some(Some(before))
                }
                _ => Some(None),
            };
        }
    }

    /// Records a table reference, unless it names a common table expression in scope.
    fn range_var(&mut self, f: &Value, action: Action) {
        match table_of(f) {
            Some(t) if t.schema.is_empty() && self.scope.contains(&t.name) => {}
            Some(t) => self.push(action, Some(qualified(t, f))),
            None => self.fail("a table reference without a name".into()),
        }
    }

    /// A `SELECT` (also each side of a `UNION`): its tables are read.
    fn select(&mut self, f: &Value) {
        let Some(map) = f.as_object() else { return };
        self.with_scope(map, |w| {
            let saved = std::mem::replace(&mut w.mode, Action::Select);
            let before = w.accesses.len();
            w.fields(map, &["with_clause", "larg", "rarg", "into_clause"]);
            for side in ["larg", "rarg"] {
                if let Some(s) = map.get(side).filter(|s| s.is_object()) {
                    w.select(s);
                }
            }
            // `SELECT ... INTO t` creates `t`.
            if let Some(rel) = map
                .get("into_clause")
                .and_then(|i| i.get("rel"))
                .filter(|r| r.is_object())
            {
                w.target(rel, Action::Ddl);
            }
            // `FOR UPDATE` and `FOR SHARE` lock rows, which PostgreSQL lets only writers do.
            if map
                .get("locking_clause")
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
            {
                let read: Vec<Option<Table>> = w.accesses[before..]
                    .iter()
                    .filter(|a| a.action == Action::Select)
                    .map(|a| a.table.clone())
                    .collect();
                for t in read {
                    w.push(Action::Update, t);
                }
            }
            w.mode = saved;
        });
    }

    /// `INSERT`, `UPDATE`, `DELETE`, `MERGE`: the target needs the write; everything else is read.
    fn modify(&mut self, kind: &str, f: &Value) {
        let Some(map) = f.as_object() else { return };
        self.with_scope(map, |w| {
            let Some(rel) = map.get("relation").filter(|r| r.is_object()) else {
                return w.fail(format!("a `{kind}` without a target table"));
            };
            let mut actions = match kind {
                "InsertStmt" => vec![Action::Insert],
                "UpdateStmt" => vec![Action::Update],
                "DeleteStmt" => vec![Action::Delete],
                _ => merge_actions(map),
            };
            let conflict = map
                .get("on_conflict_clause")
                .and_then(|c| c.get("action"))
                .and_then(Value::as_i64);
            if conflict == Some(pg_query::protobuf::OnConflictAction::OnconflictUpdate as i64) {
                actions.push(Action::Update);
            }
            let returning = map
                .get("returning_clause")
                .and_then(|r| r.get("exprs"))
                .and_then(Value::as_array)
                .is_some_and(|e| !e.is_empty());
            if returning || kind == "MergeStmt" {
                actions.push(Action::Select);
            }
            for action in actions {
                w.target(rel, action);
            }
            let saved = std::mem::replace(&mut w.mode, Action::Select);
            w.fields(map, &["with_clause", "relation"]);
            w.mode = saved;
        });
    }

    /// A statement's target table: never a common table expression.
    fn target(&mut self, rel: &Value, action: Action) {
        match table_of(rel) {
            Some(t) => self.push(action, Some(qualified(t, rel))),
            None => self.fail("a target table without a name".into()),
        }
    }

    /// Runs `body` with the statement's common table expressions in scope. Without
    /// `RECURSIVE`, each one's query sees only those before it; with it, all of them.
    fn with_scope(&mut self, stmt: &Map<String, Value>, body: impl FnOnce(&mut Walk)) {
        let before = self.scope.len();
        if let Some(with) = stmt.get("with_clause").filter(|w| w.is_object()) {
            let recursive = with
                .get("recursive")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let ctes: Vec<(String, Option<&Value>)> = with
                .get("ctes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| super::node(c))
                .map(|(_, f)| {
                    (
                        f.get("ctename")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        f.get("ctequery"),
                    )
                })
                .collect();
            if recursive {
                self.scope.extend(ctes.iter().map(|(n, _)| n.clone()));
            }
            for (name, query) in ctes {
                if let Some(q) = query {
                    self.in_mode(Action::Select, q);
                }
                if !recursive {
                    self.scope.push(name);
                }
            }
        }
        body(self);
        self.scope.truncate(before);
    }
}

/// The schema and name of a `RangeVar`, the schema empty when not written.
pub(super) fn table_of(f: &Value) -> Option<Table> {
    let name = f
        .get("relname")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())?;
    let schema = f.get("schemaname").and_then(Value::as_str).unwrap_or("");
    Some(Table {
        schema: schema.to_string(),
        name: name.to_string(),
    })
}

/// A temporary table is in `pg_temp`; any other unqualified name is left for the session's
/// [`super::SearchPath`] to resolve.
fn qualified(mut t: Table, f: &Value) -> Table {
    if t.schema.is_empty() && f.get("relpersistence").and_then(Value::as_str) == Some("t") {
        t.schema = "pg_temp".to_string();
    }
    t
}

/// The writes a `MERGE` can make, from its `WHEN` clauses.
fn merge_actions(map: &Map<String, Value>) -> Vec<Action> {
    use pg_query::protobuf::CmdType;
    let mut out = Vec::new();
    for clause in map
        .get("merge_when_clauses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some((_, f)) = super::node(clause) else {
            continue;
        };
        let cmd = f.get("command_type").and_then(Value::as_i64).unwrap_or(0);
        let action = if cmd == CmdType::CmdInsert as i64 {
            Action::Insert
        } else if cmd == CmdType::CmdUpdate as i64 {
            Action::Update
        } else if cmd == CmdType::CmdDelete as i64 {
            Action::Delete
        } else if cmd == CmdType::CmdNothing as i64 {
            continue;
        } else {
            // A clause this classifier does not know needs the strongest action.
            Action::Admin
        };
        if !out.contains(&action) {
            out.push(action);
        }
    }
    out
}
