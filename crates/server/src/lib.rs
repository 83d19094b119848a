//! Wicket's server: the HTTP API, the web UI, authentication, the decision index kept current
//! from the store, and background jobs.

pub mod access;
pub mod admin;
pub mod app;
pub mod audit_writer;
pub mod auth;
pub mod body;
pub mod checkpoint;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod metrics;
pub mod monitor;
pub mod notify;
pub mod open;
pub mod ops;
pub mod replicate;
pub mod report;
pub mod retention;
pub mod routes;
pub mod serve;
pub mod tail;
pub mod tls;
pub mod ui;
pub mod view;

pub use app::App;
pub use serve::{Running, ServeOptions, serve, spawn};
