//! What a piece of SQL does, as PostgreSQL's own grammar (`pg_query`) reads it: each
//! statement's kind and every `(action, table)` it needs. Pure: no I/O, no decisions.
//!
//! Anything the classifier cannot read with certainty is an error, and an error is a denial.

mod cache;
mod drop;
mod functions;
mod kinds;
mod settings;
mod statement;
mod walk;

use std::fmt;

use serde_json::Value;

pub use cache::Cache;

/// A `db:*` action a statement needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Connect,
    Select,
    Insert,
    Update,
    Delete,
    Ddl,
    Admin,
}

impl Action {
    pub const WRITES: [Action; 5] = [
        Action::Insert,
        Action::Update,
        Action::Delete,
        Action::Ddl,
        Action::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Connect => "db:connect",
            Action::Select => "db:select",
            Action::Insert => "db:insert",
            Action::Update => "db:update",
            Action::Delete => "db:delete",
            Action::Ddl => "db:ddl",
            Action::Admin => "db:admin",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A table as written, its schema defaulted to `public` (temporary tables: `pg_temp`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Table {
    pub schema: String,
    pub name: String,
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// One permission a statement needs: an action on a table, or on the database as a whole.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Access {
    pub action: Action,
    /// `None`: the target's own resource.
    pub table: Option<Table>,
}

/// Session state a statement changes once it succeeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    /// `PREPARE name AS ...`: remember what `EXECUTE name` will need.
    Prepare(String),
    /// `DEALLOCATE name`; `None` for `DEALLOCATE ALL`.
    Deallocate(Option<String>),
    /// `DISCARD ALL`: every prepared statement is gone.
    DiscardAll,
}

/// What the audit log says of a statement beyond its action: its SQL command (`DELETE`,
/// `TRUNCATE`, `DROP`, `ALTER TABLE`, ...) and whether a `DELETE` or `UPDATE` has no `WHERE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub command: String,
    pub unfiltered: bool,
}

/// One classified statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// This statement's own text within the query string.
    pub text: String,
    /// The strongest action it needs: what the audit log calls its classification.
    pub kind: Action,
    /// Every permission it needs, without duplicates, in order.
    pub accesses: Vec<Access>,
    /// `EXECUTE name`: it also needs what the prepared statement `name` needs.
    pub executes: Option<String>,
    /// It would make the session or transaction read-write.
    pub read_write: bool,
    /// `COPY ... FROM STDIN`: the client sends data next.
    pub copy_in: bool,
    pub effect: Effect,
    pub shape: Shape,
}

impl Statement {
    /// Every table it touches, once each.
    pub fn tables(&self) -> Vec<&Table> {
        let mut out: Vec<&Table> = Vec::new();
        for t in self.accesses.iter().filter_map(|a| a.table.as_ref()) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }
}

/// Why SQL could not be classified; the statement is denied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    #[error("the statement does not parse: {0}")]
    Syntax(String),
    #[error("the gateway cannot classify {0}; it is denied")]
    Unclassified(String),
}

/// Classifies every statement of `sql`; an empty string has none.
pub fn classify(sql: &str) -> Result<Vec<Statement>, SqlError> {
    let parsed = pg_query::parse(sql, pg_query::ParserOptions::DEFAULT).map_err(|e| match e {
        pg_query::Error::Parse(m) => SqlError::Syntax(m),
        // The decoder's recursion limit bounds how deep a tree the gateway walks.
        pg_query::Error::Decode(_) => {
            SqlError::Unclassified("a statement nested this deeply".into())
        }
        other => SqlError::Unclassified(format!("the statement ({other})")),
    })?;
    let mut out = Vec::with_capacity(parsed.protobuf.stmts.len());
    for raw in &parsed.protobuf.stmts {
        let Some(stmt) = &raw.stmt else { continue };
        let tree =
            serde_json::to_value(stmt).map_err(|_| SqlError::Unclassified("a statement".into()))?;
        let text = slice(sql, raw.stmt_location, raw.stmt_len);
        out.push(statement::classify(text, node(&tree))?);
    }
    Ok(out)
}

/// True for a setting a client may set (at startup or with `SET`) with `db:connect` alone.
pub fn is_harmless_setting(name: &str) -> bool {
    settings::is_harmless(name)
}

/// The `(variant, fields)` of a serialized `Node` (`{"node": {"SelectStmt": {...}}}`).
pub(crate) fn node(v: &Value) -> Option<(&str, &Value)> {
    let inner = v.get("node").unwrap_or(v);
    let map = inner.as_object()?;
    if map.len() != 1 {
        return None;
    }
    map.iter().next().map(|(k, v)| (k.as_str(), v))
}

fn slice(sql: &str, location: i32, len: i32) -> String {
    let start = usize::try_from(location).unwrap_or(0);
    let end = if len <= 0 {
        sql.len()
    } else {
        start.saturating_add(len as usize)
    };
    sql.get(start..end.min(sql.len()))
        .unwrap_or(sql)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests;
