//! Wicket's domain model and rules: parsed types, the decision function, the request
//! state machine and the audit chain. Pure: no I/O, no clock, no async.

pub mod action;
pub mod anomaly;
pub mod audit;
pub mod config;
pub mod decide;
pub mod duration;
pub mod error;
pub mod index;
pub mod model;
pub mod named;
pub mod powers;
pub mod resource;
pub mod review;
pub mod subject;
pub mod suggest;
#[cfg(test)]
pub(crate) mod testkit;
pub mod time;
pub mod workflow;

pub use action::{Action, ActionPattern};
pub use config::Config;
pub use decide::{Decision, Requestable, Revoked, Via, decide};
pub use duration::Duration;
pub use error::{ErrorKind, WicketError};
pub use index::Index;
pub use model::*;
pub use powers::Power;
pub use resource::{Resource, ResourcePattern};
pub use subject::{Subject, UserName};
pub use time::Time;
