//! Reading a row as plain values, by position: each backend implements [`Columns`] for its
//! rows in a few lines (SQLite keeps times as Unix milliseconds and lists as JSON text,
//! PostgreSQL as `timestamptz` and arrays), and every model is decoded once from them.

use wicket_core::Time;

use crate::StoreError;

/// The columns of one row, read by their position in the `SELECT` list.
pub(crate) trait Columns {
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    fn flag(&self, i: usize) -> Result<bool, StoreError>;
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn time(&self, i: usize) -> Result<Time, StoreError>;
    fn opt_time(&self, i: usize) -> Result<Option<Time>, StoreError>;
    /// A list of names. A stored value that is none is [`StoreError::Corrupt`] with what it
    /// is not, such as "not a JSON list of names (...)".
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError>;
}

/// The methods of [`Columns`] that read a column as the row's own decoder does, by `$get`
/// (sqlx's `try_get`, rusqlite's `get`): `int`, `flag`, `text` and `opt_text` in every
/// backend; with `all`, also `time`, `opt_time` and `list`, for a backend whose decoder reads
/// those as the models keep them.
macro_rules! columns_by {
    ($get:ident) => {
        fn int(&self, i: usize) -> Result<i64, StoreError> {
            Ok(self.$get(i)?)
        }
        fn flag(&self, i: usize) -> Result<bool, StoreError> {
            Ok(self.$get(i)?)
        }
        fn text(&self, i: usize) -> Result<String, StoreError> {
            Ok(self.$get(i)?)
        }
        fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
            Ok(self.$get(i)?)
        }
    };
    ($get:ident, all) => {
        $crate::sql::columns_by!($get);
        fn time(&self, i: usize) -> Result<Time, StoreError> {
            Ok(self.$get(i)?)
        }
        fn opt_time(&self, i: usize) -> Result<Option<Time>, StoreError> {
            Ok(self.$get(i)?)
        }
        fn list(&self, i: usize) -> Result<Vec<String>, StoreError> {
            Ok(self.$get(i)?)
        }
    };
}
pub(crate) use columns_by;

/// A step number as stored, back into the `u32` the model uses; `what` names the record.
pub(crate) fn step(n: i64, what: impl FnOnce() -> String) -> Result<u32, StoreError> {
    u32::try_from(n)
        .map_err(|_| StoreError::Corrupt(format!("{} has step {n}, out of range", what())))
}
