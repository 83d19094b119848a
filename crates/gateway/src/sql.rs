//! What a piece of SQL does, as PostgreSQL's own grammar (`pg_query`) reads it: each
//! statement's kind and every `(action, table)` it needs. Pure: no I/O, no decisions.
//!
//! Anything the classifier cannot read with certainty is an error, and an error is a denial.

mod builtins;
mod cache;
mod catalog;
mod copy_out;
mod drop;
mod fetch;
mod functions;
mod kinds;
mod metadata;
mod names;
mod redact;
mod search_path;
mod settings;
mod statement;
mod syntax;
mod walk;

pub use copy_out::{CopyFormat, CopyOut};

use std::fmt;

use serde_json::Value;

pub use cache::Cache;
pub use fetch::{Fetch, quoted};
pub use metadata::{Tier, never_covered, tier};
pub use names::RESERVED_PREFIX;
pub use redact::redact;
pub use search_path::SearchPath;
pub use syntax::SyntaxError;

/// A `db:*` action a statement needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Connect,
    /// Reading what the database holds (names, columns, types, settings), never its rows.
    Metadata,
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
            Action::Metadata => "db:metadata",
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

/// A table. As the classifier reads it, `schema` is empty when the statement does not name
/// one (a temporary table being created is in `pg_temp`); [`SearchPath::resolve`] then puts
/// in every schema PostgreSQL may find it in.
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
///
/// A read of a catalog relation that session basics or `db:metadata` cover (see [`tier`]) is `db:connect` or `db:metadata` *with* its table: it needs that
/// action on the target's resource, or else `db:select` on the relation itself.
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
    /// `DECLARE name CURSOR ... FOR query`: a portal the client may describe, execute and
    /// close under `name`; `hold` (`WITH HOLD`) when it outlives its transaction.
    Declare {
        name: String,
        hold: bool,
    },
    /// `CLOSE name`; `None` for `CLOSE ALL`.
    Close(Option<String>),
    /// `DISCARD ALL`: every prepared statement and cursor is gone.
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
    /// Where `text` is in the query string, in bytes: what a rewrite of it replaces.
    pub span: std::ops::Range<usize>,
    /// The strongest action it needs: what the audit log calls its classification.
    pub kind: Action,
    /// Every permission it needs, without duplicates, in order.
    pub accesses: Vec<Access>,
    /// `EXECUTE name`: it also needs what the prepared statement `name` needs.
    pub executes: Option<String>,
    /// `FETCH` or `MOVE`: the cursor (or protocol portal) it reads.
    pub fetch: Option<Fetch>,
    /// It would make the session or transaction read-write.
    pub read_write: bool,
    /// `COPY ... FROM STDIN`: the client sends data next.
    pub copy_in: bool,
    /// `COPY ... TO STDOUT`: what it sends.
    pub copy_out: Option<CopyOut>,
    pub effect: Effect,
    pub shape: Shape,
    /// It calls `set_config` or `current_setting`, or casts to an object-identifier type,
    /// whose classification depends on their literal arguments.
    pub reads_literals: bool,
    /// It runs code the gateway does not know as PostgreSQL's own (a function, operator or
    /// type of the database's): reading only the catalog does not vouch for it.
    pub user_code: bool,
    /// It changes `search_path`: the schemas it names, or `None` when it sets a value the
    /// gateway cannot read (`set_config('search_path', $1, false)`).
    pub search_path: Option<Option<Vec<String>>>,
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
    Syntax(SyntaxError),
    #[error("the gateway cannot classify {0}; it is denied")]
    Unclassified(String),
    /// A prepared statement or cursor named with the prefix of the gateway's own names.
    #[error(
        "`{0}` begins with `{RESERVED_PREFIX}`, which the gateway reserves for its own prepared statements and portals; choose another name"
    )]
    Reserved(String),
}

/// How the server reads a `'...'` literal: `standard_conforming_strings` on (a backslash is
/// a character) or off (a backslash escapes the next one, so `'a\''` is one literal).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strings {
    #[default]
    Conforming,
    Escaping,
}

impl Strings {
    fn other(self) -> Strings {
        match self {
            Strings::Conforming => Strings::Escaping,
            Strings::Escaping => Strings::Conforming,
        }
    }

    fn options(self) -> pg_query::ParserOptions {
        match self {
            Strings::Conforming => pg_query::ParserOptions::DEFAULT,
            Strings::Escaping => pg_query::ParserOptions::DISABLE_STANDARD_CONFORMING_STRINGS,
        }
    }
}

/// Classifies every statement of `sql` as the server reads it with `strings`; an empty string
/// has none.
///
/// The setting the gateway last saw may have changed by the time the server reads `sql` (a
/// `SET standard_conforming_strings` sent just before it, or one inside a function), so SQL
/// whose reading depends on it (it holds a backslash) is read both ways: each statement
/// needs what it needs under either reading, and SQL that splits into other statements
/// under the other reading is refused. Without a backslash the two readings are the same.
pub fn classify(sql: &str, strings: Strings) -> Result<Vec<Statement>, SqlError> {
    let mut stmts = read(sql, strings)?;
    if !sql.contains('\\') {
        return Ok(stmts);
    }
    // A reading the server would reject cannot run, so it needs nothing.
    let Ok(other) = read(sql, strings.other()) else {
        return Ok(stmts);
    };
    let split = || {
        SqlError::Unclassified(
            "SQL that reads as other statements with `standard_conforming_strings` on and off \
             (use `E'...'` for a backslash escape, or no backslash)"
                .into(),
        )
    };
    if other.len() != stmts.len() {
        return Err(split());
    }
    for (st, alt) in stmts.iter_mut().zip(other) {
        if st.copy_in != alt.copy_in
            || st.span != alt.span
            || st.executes != alt.executes
            || st.fetch != alt.fetch
            || st.effect != alt.effect
            || st.search_path.is_some() != alt.search_path.is_some()
        {
            return Err(split());
        }
        // Options that read otherwise with the other setting: masking will not guess.
        if st.copy_out != alt.copy_out
            && let Some(c) = &mut st.copy_out
        {
            c.unsupported = Some(
                "an option that reads otherwise with standard_conforming_strings on and off".into(),
            );
        }
        for a in alt.accesses {
            if !st.accesses.contains(&a) {
                st.accesses.push(a);
            }
        }
        st.kind = st.kind.max(alt.kind);
        st.read_write |= alt.read_write;
        if st.search_path != alt.search_path {
            // Two readings of a path: the gateway cannot tell which one the server takes.
            st.search_path = Some(None);
        }
    }
    Ok(stmts)
}

/// One reading of `sql`.
fn read(sql: &str, strings: Strings) -> Result<Vec<Statement>, SqlError> {
    let parsed = pg_query::parse(sql, strings.options()).map_err(|e| match e {
        pg_query::Error::Parse(m) => SqlError::Syntax(syntax::locate(sql, m, strings.options())),
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
        let span = span(sql, raw.stmt_location, raw.stmt_len);
        let text = sql.get(span.clone()).unwrap_or_default().to_string();
        out.push(statement::classify(text, span, node(&tree))?);
    }
    Ok(out)
}

/// Puts in every schema each unqualified table of `stmts` may be in, as `path` (which takes
/// in their path changes) resolves it, then what each catalog relation they read needs.
pub fn resolve(path: &mut SearchPath, stmts: &mut [Statement]) -> Result<(), SqlError> {
    path.resolve(stmts)?;
    stmts.iter_mut().for_each(metadata::settle);
    Ok(())
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

/// Where a statement's text is: the bytes from `location` (`len` of them, or to the end when
/// `len` is 0, as libpg_query reports the last one), without surrounding blanks.
fn span(sql: &str, location: i32, len: i32) -> std::ops::Range<usize> {
    let start = usize::try_from(location).unwrap_or(0).min(sql.len());
    let end = match usize::try_from(len) {
        Ok(len) if len > 0 => start.saturating_add(len).min(sql.len()),
        _ => sql.len(),
    };
    let Some(raw) = sql.get(start..end) else {
        return without_blanks(sql, 0..sql.len());
    };
    without_blanks(raw, start..end)
}

/// `range` (holding `text`) without the blanks around `text`.
fn without_blanks(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = range.start + (text.len() - text.trim_start().len());
    start..start + text.trim().len()
}

#[cfg(test)]
mod tests;
