//! The SQL both backends run, written once: statements whose placeholders follow the
//! backend's style, models decoded from plain column values, and the writes of a transition,
//! a sweep and an archive, over the small [`Conn`] trait each backend implements.
//!
//! What a backend keeps to itself lives under `sqlite/` or `postgres/`, with the reason:
//! its transactions and locks, its encodings, and SQLite's direct paths for speed.

pub(crate) mod anomalies;
pub(crate) mod archive;
pub(crate) mod chain;
mod columns;
mod commit;
mod conn;
mod dialect;
pub(crate) mod grants;
pub(crate) mod migrations;
pub(crate) mod requests;
mod statement;
pub(crate) mod sweep;
pub(crate) mod tokens;
mod work;

pub(crate) use columns::Columns;
pub(crate) use conn::{Conn, conflict_if_unique};
pub(crate) use dialect::Dialect;
pub(crate) use statement::{Statement, Value};
pub(crate) use work::Work;
