//! SCIM 2.0 at `/scim/v2`: users and groups pushed by the identity provider, their effect on
//! decisions, deprovisioning, and the compliance checker `scim2-tester`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
#[path = "../common/call.rs"]
mod call;
mod compliance;
mod deprovision;
mod harness;
