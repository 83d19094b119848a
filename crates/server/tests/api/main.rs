//! API tests: each spawns the real server on port 0 with a fresh SQLite file and talks HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod errors;
mod flow;
mod persistence;
