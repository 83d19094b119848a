//! One top-level statement: its kind decides what a table it names means (`DROP TABLE t` is
//! `db:ddl` on `t`, `TRUNCATE t` is `db:delete`), and anything unknown is an error.

use serde_json::Value;

use super::copy_out::Direction;
use super::drop::drop;
use super::kinds::utility;
use super::names::own;
use super::walk::Walk;
use super::{Access, Action, Effect, Fetch, Shape, SqlError, Statement, settings};
use pg_query::LockMode;
use pg_query::protobuf::DiscardMode;

/// `DECLARE ... WITH HOLD` (PostgreSQL's `CURSOR_OPT_HOLD`).
const CURSOR_OPT_HOLD: i64 = 0x0020;

/// Classifies the statement `node` (its variant and fields) whose text is `text`.
pub(super) fn classify(
    text: String,
    span: std::ops::Range<usize>,
    node: Option<(&str, &Value)>,
) -> Result<Statement, SqlError> {
    let Some((kind, f)) = node else {
        return Err(SqlError::Unclassified("an empty statement node".into()));
    };
    let mut st = Statement {
        text,
        span,
        kind: Action::Connect,
        accesses: Vec::new(),
        executes: None,
        fetch: None,
        read_write: false,
        copy_in: false,
        copy_out: None,
        effect: Effect::None,
        search_path: None,
        reads_literals: false,
        user_code: false,
        shape: Shape {
            command: command(kind),
            unfiltered: matches!(kind, "DeleteStmt" | "UpdateStmt")
                && f.get("where_clause").is_none_or(Value::is_null),
        },
    };
    let mut w = Walk::new(Action::Select);
    let base = match kind {
        "SelectStmt" | "InsertStmt" | "UpdateStmt" | "DeleteStmt" | "MergeStmt" => {
            w.any(&wrap(kind, f));
            Action::Select
        }
        "ExplainStmt" => {
            w.any(f);
            // `EXPLAIN EXECUTE q` needs what `EXECUTE q` needs.
            if w.executes.is_some() {
                Action::Connect
            } else {
                Action::Select
            }
        }
        "DeclareCursorStmt" => {
            let options = f.get("options").and_then(Value::as_i64).unwrap_or(0);
            st.effect = Effect::Declare {
                name: own(text_of(f, "portalname"))?,
                hold: options & CURSOR_OPT_HOLD != 0,
            };
            w.any(f);
            Action::Select
        }
        "PrepareStmt" => {
            st.effect = Effect::Prepare(own(text_of(f, "name"))?);
            w.any(f);
            Action::Select
        }
        "ExecuteStmt" => {
            w.any(&wrap(kind, f));
            Action::Connect
        }
        "CopyStmt" => {
            let action = copy(&mut w, f);
            st.copy_in = action == Action::Insert;
            st.copy_out = super::copy_out::copy_out(f);
            action
        }
        "CreateTableAsStmt" => {
            if let Some(rel) = f
                .get("into")
                .and_then(|i| i.get("rel"))
                .filter(|r| r.is_object())
            {
                w.in_mode(Action::Ddl, rel);
            }
            w.any(f.get("query").unwrap_or(&Value::Null));
            Action::Ddl
        }
        "TruncateStmt" => {
            w.in_mode(Action::Delete, f);
            Action::Delete
        }
        "LockStmt" => {
            let mode = f.get("mode").and_then(Value::as_i64).unwrap_or(0);
            let action = if mode == LockMode::AccessShareLock as i64 {
                Action::Select
            } else {
                Action::Update
            };
            w.in_mode(action, f);
            action
        }
        "DropStmt" => drop(&mut w, f),
        "CreateSchemaStmt" => {
            // Its elements name tables of the new schema without saying so: the database decides.
            w.push(Action::Ddl, None);
            w.in_mode(Action::Ddl, f);
            Action::Ddl
        }
        "TransactionStmt" => {
            let (action, rw) = settings::transaction(f);
            st.read_write = rw;
            action
        }
        "VariableSetStmt" => {
            let (action, rw) = settings::set(f);
            st.read_write = rw;
            st.search_path = settings::search_path(f);
            action
        }
        "DeallocateStmt" => {
            let name = text_of(f, "name");
            let all = f.get("isall").and_then(Value::as_bool).unwrap_or(false) || name.is_empty();
            st.effect = Effect::Deallocate(if all { None } else { Some(own(name)?) });
            Action::Connect
        }
        "ClosePortalStmt" => {
            // `CLOSE ALL` has no name.
            let name = text_of(f, "portalname");
            st.effect = Effect::Close(if name.is_empty() {
                None
            } else {
                Some(own(name)?)
            });
            Action::Connect
        }
        "FetchStmt" => {
            st.fetch = Some(Fetch::of(f, own(text_of(f, "portalname"))?));
            Action::Connect
        }
        "DiscardStmt" => {
            if f.get("target").and_then(Value::as_i64) == Some(DiscardMode::DiscardAll as i64) {
                st.effect = Effect::DiscardAll;
            }
            Action::Connect
        }
        "VariableShowStmt" => settings::show(f),
        "ListenStmt" | "NotifyStmt" | "UnlistenStmt" | "ConstraintsSetStmt" => Action::Connect,
        _ => match utility(kind) {
            Some(action) => {
                w.in_mode(action, f);
                action
            }
            None => {
                return Err(SqlError::Unclassified(format!(
                    "`{}` statements",
                    kind.trim_end_matches("Stmt")
                )));
            }
        },
    };
    if let Some(e) = w.error {
        return Err(e);
    }
    st.read_write |= w.read_write;
    st.reads_literals = w.reads_literals;
    st.user_code = w.user_code;
    st.executes = w.executes;
    if w.search_path.is_some() {
        st.search_path = w.search_path;
    }
    st.accesses = w.accesses;
    if !st.accesses.iter().any(|a| a.table.is_some()) {
        // Session basics: a query of no table that runs only PostgreSQL's own code
        // (`SELECT version()`, `SELECT current_user`) reads nothing of the database's.
        let action = if base == Action::Select && !st.user_code {
            Action::Connect
        } else {
            base
        };
        // Unless the statement already needs it, or needs something else of the database,
        // which a session holds `db:connect` for.
        let database: Vec<Action> = st
            .accesses
            .iter()
            .filter(|a| a.table.is_none())
            .map(|a| a.action)
            .collect();
        let implied = action == Action::Connect && !database.is_empty();
        if !database.contains(&action) && !implied {
            st.accesses.push(Access {
                action,
                table: None,
            });
        }
    }
    st.kind = st.accesses.iter().map(|a| a.action).max().unwrap_or(base);
    if st.accesses.iter().any(|a| a.table.is_some()) {
        st.kind = st.kind.max(base);
    }
    Ok(st)
}

/// The SQL command of a statement variant: `DeleteStmt` is `DELETE`, `AlterTableStmt` is
/// `ALTER TABLE`, `CreateStmt` is `CREATE TABLE`.
fn command(kind: &str) -> String {
    let named = match kind {
        "CreateStmt" => "CREATE TABLE",
        "IndexStmt" => "CREATE INDEX",
        "ViewStmt" => "CREATE VIEW",
        "VariableSetStmt" => "SET",
        "VariableShowStmt" => "SHOW",
        _ => "",
    };
    if !named.is_empty() {
        return named.to_string();
    }
    let mut out = String::new();
    for (i, c) in kind.trim_end_matches("Stmt").char_indices() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// `{kind: fields}`, so that the walk dispatches on the statement's own variant.
fn wrap(kind: &str, f: &Value) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(kind.to_string(), f.clone());
    Value::Object(map)
}

fn text_of(f: &Value, key: &str) -> String {
    f.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// `COPY`: to or from the client is a read or an insert; a server file or program is admin.
fn copy(w: &mut Walk, f: &Value) -> Action {
    let action = match super::copy_out::direction(f) {
        Direction::Server => Action::Admin,
        Direction::FromClient => Action::Insert,
        Direction::ToClient => Action::Select,
    };
    if let Some(rel) = f.get("relation").filter(|r| r.is_object()) {
        w.in_mode(action, rel);
    }
    if action == Action::Admin {
        w.push(Action::Admin, None);
    }
    for key in ["query", "where_clause"] {
        if let Some(v) = f.get(key) {
            w.any(v);
        }
    }
    action
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::sql::{Shape, classify};

    fn shape(sql: &str) -> Shape {
        classify(sql, crate::sql::Strings::Conforming)
            .unwrap()
            .remove(0)
            .shape
    }

    #[test]
    fn shapes_name_the_command_and_a_missing_where() {
        let cases = [
            ("DELETE FROM orders", "DELETE", true),
            ("delete from orders where id = 1", "DELETE", false),
            ("UPDATE orders SET total = 0", "UPDATE", true),
            ("update orders set total = 0 where id = 7", "UPDATE", false),
            ("TRUNCATE orders", "TRUNCATE", false),
            ("DROP TABLE orders", "DROP", false),
            (
                "ALTER TABLE orders ADD COLUMN note text",
                "ALTER TABLE",
                false,
            ),
            ("CREATE TABLE t (id int)", "CREATE TABLE", false),
            ("SELECT * FROM orders", "SELECT", false),
        ];
        for (sql, command, unfiltered) in cases {
            let s = shape(sql);
            assert_eq!(
                (s.command.as_str(), s.unfiltered),
                (command, unfiltered),
                "{sql}"
            );
        }
    }
}
