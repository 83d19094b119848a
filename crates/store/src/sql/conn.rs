//! The connection every shared statement runs on: what a backend implements, in a few lines,
//! for the shared reads and writes to run on it.

use std::future::Future;

use wicket_core::AuditEvent;

use super::{Columns, Dialect, Statement, Value};
use crate::StoreError;

/// A backend's connection (or the connection of its open transaction).
pub(crate) trait Conn: Send {
    /// How statements for this connection are written.
    const DIALECT: Dialect;
    /// Rows per `INSERT` into the audit chain (see [`Conn::insert_events`]).
    const EVENTS_PER_INSERT: usize;
    type Row: Columns + Send;

    /// Runs `st` and returns how many rows it changed.
    fn execute(
        &mut self,
        st: &Statement<'_>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    fn fetch_all(
        &mut self,
        st: &Statement<'_>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, StoreError>> + Send;

    fn fetch_optional(
        &mut self,
        st: &Statement<'_>,
    ) -> impl Future<Output = Result<Option<Self::Row>, StoreError>> + Send;

    /// Inside a write transaction, before the chain's head is read: whatever makes that head
    /// stay the head until commit (see `chain::append`).
    fn lock_chain(&mut self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Inserts up to [`Conn::EVENTS_PER_INSERT`] sealed events; an id already stored is a
    /// [`StoreError::Conflict`] that names it, and nothing is inserted.
    fn insert_events(
        &mut self,
        events: &[AuditEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The rows `st` selects, each read by `decode`.
pub(crate) async fn fetch_all_decoded<C: Conn, T>(
    conn: &mut C,
    st: &Statement<'_>,
    decode: impl Fn(&C::Row) -> Result<T, StoreError> + Send,
) -> Result<Vec<T>, StoreError> {
    conn.fetch_all(st).await?.iter().map(decode).collect()
}

/// The row `st` selects, if any, read by `decode`.
pub(crate) async fn fetch_optional_decoded<C: Conn, T>(
    conn: &mut C,
    st: &Statement<'_>,
    decode: impl Fn(&C::Row) -> Result<T, StoreError> + Send,
) -> Result<Option<T>, StoreError> {
    conn.fetch_optional(st)
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}

/// Runs `st`, which changes one row or none; none is a [`StoreError::Conflict`] saying
/// `message()` (the row is missing, or no longer as the statement's condition requires).
pub(crate) async fn change_one<C: Conn>(
    conn: &mut C,
    st: &Statement<'_>,
    message: impl FnOnce() -> String + Send,
) -> Result<(), StoreError> {
    if conn.execute(st).await? == 0 {
        return Err(StoreError::Conflict(message()));
    }
    Ok(())
}

/// `Conflict(message())` if `err` is a unique violation; otherwise `err` itself.
pub(crate) fn conflict_if_unique(err: StoreError, message: impl FnOnce() -> String) -> StoreError {
    match &err {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict(message())
        }
        _ => err,
    }
}

/// Inserts one row of `values` into `columns` of `table`; a unique violation is a
/// [`StoreError::Conflict`] saying `taken()`, and nothing is inserted.
pub(crate) async fn insert_row<'a, C: Conn>(
    conn: &mut C,
    table: &str,
    columns: &str,
    values: impl IntoIterator<Item = Value<'a>>,
    taken: impl FnOnce() -> String + Send,
) -> Result<(), StoreError> {
    let mut st = Statement::insert_into(C::DIALECT, table, columns);
    st.bind_row(values);
    conn.execute(&st)
        .await
        .map_err(|e| conflict_if_unique(e, taken))?;
    Ok(())
}

/// [`insert_row`] of a new record, `what` (such as "grant") with id `id`: an id already
/// taken is a conflict saying "{what} `{id}` already exists".
pub(crate) async fn insert_new<'a, C: Conn>(
    conn: &mut C,
    table: &str,
    columns: &str,
    values: impl IntoIterator<Item = Value<'a>>,
    what: &str,
    id: &str,
) -> Result<(), StoreError> {
    insert_row(conn, table, columns, values, || {
        format!("{what} `{id}` already exists")
    })
    .await
}
