//! The SQL both backends run, written once: statements whose placeholders follow the
//! backend's style, models decoded from plain column values, the writes of a transition, a
//! sweep and an archive, and the one [`Store`](crate::Store) implementation, over two small
//! traits each backend implements: [`Conn`] for its connections, [`Backend`] for its pool
//! and transactions.
//!
//! What a backend keeps to itself lives under `sqlite/` or `postgres/`, with the reason:
//! its transactions and locks, its encodings, and SQLite's direct paths for speed.

mod anomalies;
mod archive;
mod backend;
pub(crate) mod chain;
mod columns;
mod commit;
mod conn;
mod dialect;
mod directory;
mod grants;
mod guarded;
pub(crate) mod migrations;
mod requests;
mod reviews;
mod slack;
mod statement;
mod store;
mod sweep;
mod tokens;
mod work;

pub(crate) use backend::Backend;
pub(crate) use columns::{Columns, columns_by};
pub(crate) use conn::{
    Conn, change_one, conflict_if_unique, fetch_all_decoded, fetch_optional_decoded, insert_new,
    insert_row,
};
pub(crate) use dialect::Dialect;
pub(crate) use guarded::Guarded;
pub(crate) use statement::{Statement, Value};
pub(crate) use work::Work;
