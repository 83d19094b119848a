//! Wicket's engine: the running system, transport-neutral. It owns the shared state (config,
//! decision index, store, audit writer, clock, ids, tokens, web sign-ins, the replication
//! listener), every operation that changes state, the background jobs, and one error type.
//! The front doors (`wicket-server` for HTTP, `wicket-gateway` for PostgreSQL) stand on it
//! side by side; `core` decides, the store persists, the engine carries.

pub mod access;
pub mod admin;
pub mod app;
pub mod audit_writer;
pub mod checkpoint;
pub mod door;
pub mod error;
pub mod health;
pub mod identity;
pub mod ids;
pub mod jobs;
pub mod limits;
pub mod metrics;
pub mod monitor;
mod new_file;
pub mod notify;
pub mod of_kind;
pub mod oidc;
pub mod oncall;
pub mod open;
pub mod ops;
pub mod provision;
pub mod replicate;
pub mod retention;
pub mod reviews;
pub mod run;
pub mod secret;
pub mod slack;
pub mod ssh;
pub mod tail;
#[cfg(test)]
mod testing;
mod ticker;
pub mod tls;
pub mod tokens;
pub mod verify;
pub mod web_sessions;

pub use app::{App, now};
pub use error::{EngineError, EngineResult};
pub use run::Engine;
