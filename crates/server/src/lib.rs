//! Wicket's HTTP front door: the JSON API, the web UI, bearer-token and cookie sign-in, and
//! the mapping of the engine's errors to HTTP statuses. It stands on `wicket-engine`, beside
//! the PostgreSQL gateway, never on it.

pub mod auth;
pub mod body;
pub mod error;
pub mod listen;
pub mod openapi;
pub mod paging;
pub mod params;
pub mod report;
pub mod routes;
pub mod scim;
pub mod serve;
pub mod signin;
pub mod slack;
pub mod tls;
pub mod ui;
pub mod unread;
pub mod view;

pub use serve::{Http, Running, ServeOptions, serve, spawn};
pub use wicket_engine::App;
