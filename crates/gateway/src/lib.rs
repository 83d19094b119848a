//! Wicket's PostgreSQL gateway: clients connect with their wicket identity, the gateway holds
//! the real credentials, authorizes and audits every statement, and ends the session when
//! the grant ends.

pub mod authorize;
pub mod cancel;
pub mod error;
pub mod gateway;
pub mod listener;
pub mod mask;
pub mod pool;
pub mod protocol;
pub mod readonly;
pub mod resources;
pub mod secret;
pub mod session;
pub mod sql;
pub mod stream;
pub mod target;
pub mod tls;

pub use gateway::{Gateway, start};
