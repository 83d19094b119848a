//! Work that one write transaction does, written once: each backend opens its own kind of
//! transaction, runs the work on its connection and commits, or rolls back on error.

use std::future::Future;

use super::Conn;
use crate::StoreError;

/// What a write transaction does: a transition's changes, an append, a sweep, an archive.
pub(crate) trait Work: Send {
    type Done: Send;

    /// What the work returns when it has nothing to write, so that no transaction (and, in
    /// SQLite, no write lock) is taken for it.
    fn nothing_to_do(&self) -> Option<Self::Done> {
        None
    }

    /// Does the work inside the caller's transaction; on an error the caller rolls it back.
    fn run<C: Conn>(
        self,
        conn: &mut C,
    ) -> impl Future<Output = Result<Self::Done, StoreError>> + Send;
}
