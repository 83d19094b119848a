//! API tests: each spawns the real server on port 0 with a fresh SQLite file and talks HTTP.
//! `tests/api_postgres.rs` runs the same tests on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod conform;
pub mod helpers;
mod receiver;

pub mod anomalies;
mod checkpoints;
mod errors;
mod extend;
mod flow;
mod hostile;
mod matrix;
mod notify;
mod notify_delivery;
mod oncall;
mod overview;
mod persistence;
mod races;
mod retention;
pub mod reviews;
mod reviews_notify;
mod rules;
mod slack;
mod spec;
mod tls;
mod tokens;
mod visibility;
