//! How PostgreSQL keeps the shared values: times as `timestamptz` (whole milliseconds, as
//! every backend keeps them), booleans as `boolean`, lists of names as `text[]`.

use sqlx::Row;
use sqlx::postgres::{PgArguments, PgRow};
use wicket_core::Time;
use wicket_core::time::truncate;

use crate::StoreError;
use crate::sql::{Columns, Statement, Value, columns_by};

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

/// `st` as an sqlx query with its values bound.
///
/// A time is stored in whole milliseconds (`timestamptz` itself would keep microseconds, and
/// a record would not read back as it was written elsewhere).
pub(super) fn query<'q>(st: &'q Statement<'_>) -> Query<'q> {
    let mut q = sqlx::query(st.sql());
    for value in st.values() {
        q = match value {
            Value::Int(n) => q.bind(*n),
            Value::Bool(b) => q.bind(*b),
            Value::Text(s) => q.bind(s.as_ref()),
            Value::OptText(s) => q.bind(*s),
            Value::Time(t) => q.bind(truncate(*t)),
            Value::OptTime(t) => q.bind(t.map(truncate)),
            Value::Bound(t) => q.bind(*t),
            Value::List(names) => q.bind(names.as_slice()),
        };
    }
    q
}

impl Columns for PgRow {
    columns_by!(try_get, all);
}
