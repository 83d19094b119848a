//! A statement written once for both backends: its SQL text, each parameter's placeholder in
//! the backend's style, and the plain values bound to them, which each backend encodes its
//! own way (`sqlite::values`, `postgres::values`).

use std::borrow::Cow;

use wicket_core::Time;

use super::Dialect;
use crate::filter;

/// A value bound to a statement, before the backend encodes it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Int(i64),
    Bool(bool),
    Text(Cow<'a, str>),
    OptText(Option<&'a str>),
    /// A time as stored: whole milliseconds, the rest dropped (`wicket_core::time::truncate`).
    Time(Time),
    OptTime(Option<Time>),
    /// A time that a filter compares stored times with, bound as each backend always has:
    /// SQLite compares its whole milliseconds (the rest dropped), PostgreSQL the instant as
    /// given. The two differ only for a bound inside a millisecond.
    Bound(Time),
    /// A list of names: JSON text in SQLite, a `text[]` in PostgreSQL.
    List(Vec<&'a str>),
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Text(Cow::Owned(s))
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(s: Option<&'a str>) -> Self {
        Value::OptText(s)
    }
}

impl From<Time> for Value<'_> {
    fn from(t: Time) -> Self {
        Value::Time(t)
    }
}

impl From<Option<Time>> for Value<'_> {
    fn from(t: Option<Time>) -> Self {
        Value::OptTime(t)
    }
}

/// SQL text and the values its placeholders stand for, in order.
#[derive(Debug)]
pub(crate) struct Statement<'a> {
    dialect: Dialect,
    sql: String,
    values: Vec<Value<'a>>,
}

impl<'a> Statement<'a> {
    pub(crate) fn new(dialect: Dialect, sql: impl Into<String>) -> Statement<'a> {
        Statement {
            dialect,
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// `SELECT {columns} FROM {rest}`: `rest` names the table and begins what follows it.
    pub(crate) fn select(dialect: Dialect, columns: &str, rest: &str) -> Statement<'a> {
        Statement::new(dialect, format!("SELECT {columns} FROM {rest}"))
    }

    /// `INSERT INTO {table} ({columns}) VALUES `, for [`Statement::bind_row`] to follow.
    pub(crate) fn insert_into(dialect: Dialect, table: &str, columns: &str) -> Statement<'a> {
        Statement::new(dialect, format!("INSERT INTO {table} ({columns}) VALUES "))
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`: `?` in SQLite, `$n` in PostgreSQL.
    pub(crate) fn bind(&mut self, value: impl Into<Value<'a>>) -> &mut Self {
        self.values.push(value.into());
        match self.dialect {
            Dialect::Sqlite => self.sql.push('?'),
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.values.len().to_string());
            }
        }
        self
    }

    /// Appends `condition` and a placeholder for `value`, when there is a value: one optional
    /// condition of a filter, such as `" AND subject = "`.
    pub(crate) fn and_if<V: Into<Value<'a>>>(
        &mut self,
        condition: &str,
        value: Option<V>,
    ) -> &mut Self {
        if let Some(value) = value {
            self.push(condition).bind(value);
        }
        self
    }

    /// Appends a listing's end: newest `column` first, rows of one instant in reverse
    /// insertion order, at most [`filter::limit`]`(limit)` of them.
    pub(crate) fn newest_first(&mut self, column: &str, limit: Option<i64>) -> &mut Self {
        let order = self.dialect.insertion_order();
        self.push(" ORDER BY ")
            .push(column)
            .push(" DESC, ")
            .push(order)
            .push(" DESC LIMIT ")
            .bind(filter::limit(limit))
    }

    /// Appends `(p1, p2, ...)`, a row of placeholders for `values`.
    pub(crate) fn bind_row(&mut self, values: impl IntoIterator<Item = Value<'a>>) -> &mut Self {
        self.sql.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(value);
        }
        self.sql.push(')');
        self
    }

    /// Appends "`column` is one of `items`": `column IN (?, ?, ...)` in SQLite;
    /// `column = ANY($n)` in PostgreSQL, one array parameter, so that one prepared statement
    /// serves any number of items.
    pub(crate) fn any_of(&mut self, column: &str, items: Vec<&'a str>) -> &mut Self {
        self.sql.push_str(column);
        match self.dialect {
            Dialect::Sqlite => {
                self.sql.push_str(" IN ");
                self.bind_row(items.into_iter().map(Value::from))
            }
            Dialect::Postgres => {
                self.sql.push_str(" = ANY(");
                self.bind(Value::List(items)).push(")")
            }
        }
    }

    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    pub(crate) fn values(&self) -> &[Value<'a>] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        for (dialect, expected) in [
            (
                Dialect::Sqlite,
                "SELECT x FROM t WHERE a = ? AND b IN (?, ?) AND (c, d) = (?, ?)",
            ),
            (
                Dialect::Postgres,
                "SELECT x FROM t WHERE a = $1 AND b = ANY($2) AND (c, d) = ($3, $4)",
            ),
        ] {
            let mut st = Statement::new(dialect, "SELECT x FROM t WHERE a = ");
            st.bind(1_i64)
                .push(" AND ")
                .any_of("b", vec!["p", "q"])
                .push(" AND (c, d) = ")
                .bind_row([Value::from("r"), Value::from(true)]);
            assert_eq!(st.sql(), expected);
            let list_len = if dialect == Dialect::Sqlite { 2 } else { 1 };
            assert_eq!(st.values().len(), 3 + list_len);
        }
    }
}
