//! What the two backends write differently in one statement, beside placeholders (see
//! [`Statement::bind`](super::Statement::bind)).

/// The SQL dialect of a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Placeholders `?`.
    Sqlite,
    /// Placeholders `$1`, `$2`, ...
    Postgres,
}

impl Dialect {
    /// The column that keeps insertion order, for rows stored at the same instant: SQLite's
    /// `rowid`, PostgreSQL's `pos` identity column.
    pub(crate) fn insertion_order(self) -> &'static str {
        match self {
            Dialect::Sqlite => "rowid",
            Dialect::Postgres => "pos",
        }
    }

    /// The end of a sweep's `SELECT`. PostgreSQL locks each row it returns until the
    /// transaction ends and skips rows another server holds, so that servers sweeping at once
    /// claim different rows. SQLite needs nothing: writers take turns, and the sweep's
    /// transaction holds the write lock from `BEGIN IMMEDIATE`.
    pub(crate) fn claim(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The condition "`flag` is not set", written as the schema's partial indexes write it
    /// (`flag = 0` in SQLite, whose planner uses a partial index only for a query whose
    /// condition implies the index's own, `NOT flag` in PostgreSQL).
    pub(crate) fn unset(self, flag: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{flag} = 0"),
            Dialect::Postgres => format!("NOT {flag}"),
        }
    }

    /// The literal a flag is set to: SQLite keeps booleans as `0` and `1`.
    pub(crate) fn true_literal(self) -> &'static str {
        match self {
            Dialect::Sqlite => "1",
            Dialect::Postgres => "true",
        }
    }
}
