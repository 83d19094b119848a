//! How SQLite keeps the shared values: times as Unix milliseconds (`INTEGER`), booleans as
//! `0` and `1`, lists of names as JSON text. For sqlx's connections and for the direct
//! rusqlite ones alike.

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::Row;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use wicket_core::Time;
use wicket_core::time::from_millis;

use crate::StoreError;
use crate::sql::{Columns, Statement, Value, columns_by};

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments<'q>>;

/// A time as stored: whole milliseconds since the Unix epoch (sub-millisecond parts dropped,
/// as `wicket_core::time::truncate` does).
pub(super) fn millis(t: Time) -> i64 {
    t.timestamp_millis()
}

/// `st` as an sqlx query with its values bound.
pub(super) fn query<'q>(st: &'q Statement<'_>) -> Result<Query<'q>, StoreError> {
    let mut q = sqlx::query(st.sql());
    for value in st.values() {
        q = match value {
            Value::Int(n) => q.bind(*n),
            Value::Bool(b) => q.bind(*b),
            Value::Text(s) => q.bind(s.as_ref()),
            Value::OptText(s) => q.bind(*s),
            Value::Time(t) | Value::Bound(t) => q.bind(millis(*t)),
            Value::OptTime(t) => q.bind(t.map(millis)),
            Value::List(names) => q.bind(json(names)?),
        };
    }
    Ok(q)
}

fn json(names: &[&str]) -> Result<String, StoreError> {
    serde_json::to_string(names)
        .map_err(|e| StoreError::Corrupt(format!("names cannot be encoded as JSON: {e}")))
}

fn names(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("not a JSON list of names ({e})")))
}

impl Columns for SqliteRow {
    columns_by!(try_get);
    fn time(&self, i: usize) -> Result<Time, StoreError> {
        Ok(from_millis(self.try_get(i)?))
    }
    fn opt_time(&self, i: usize) -> Result<Option<Time>, StoreError> {
        Ok(self.try_get::<Option<i64>, _>(i)?.map(from_millis))
    }
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError> {
        names(self.try_get(i)?)
    }
}

/// The rows of the direct connections (`bulk`), read where SQLite keeps them.
impl Columns for rusqlite::Row<'_> {
    columns_by!(get);
    fn time(&self, i: usize) -> Result<Time, StoreError> {
        Ok(from_millis(self.get(i)?))
    }
    fn opt_time(&self, i: usize) -> Result<Option<Time>, StoreError> {
        Ok(self.get::<_, Option<i64>>(i)?.map(from_millis))
    }
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError> {
        names(&self.get::<_, String>(i)?)
    }
}

/// The values of the direct connections' statements, passed by reference where they can be.
impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(n) => ToSqlOutput::from(*n),
            Value::Bool(b) => ToSqlOutput::from(*b),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::OptText(s) => match s {
                Some(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                None => ToSqlOutput::Borrowed(ValueRef::Null),
            },
            Value::Time(t) | Value::Bound(t) => ToSqlOutput::from(millis(*t)),
            Value::OptTime(t) => match t {
                Some(t) => ToSqlOutput::from(millis(*t)),
                None => ToSqlOutput::Borrowed(ValueRef::Null),
            },
            Value::List(names) => ToSqlOutput::from(
                json(names).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            ),
        })
    }
}
