//! The gateway against a throwaway PostgreSQL, with real clients (`tokio-postgres`, `psql`,
//! and in `clients` psycopg 3, asyncpg, SQLAlchemy, node-postgres, pgx, pgjdbc and pgbench):
//! each test spawns the real server and gateway on free ports over a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod audit;
mod basics;
mod clients;
mod copy_cancel;
mod expiry;
mod extended;
mod extension;
mod fastpath;
mod fuzz;
mod garbage;
mod grammar;
mod holes;
mod hostile;
mod introspection;
mod masking;
mod metrics;
mod monitoring;
mod portals;
mod protocol_names;
mod readonly;
mod reuse;
mod tables;
mod tls;
mod upstream_auth;
mod wire;
