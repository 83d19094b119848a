//! Several `wicket serve` processes on one throwaway PostgreSQL database, as behind a load
//! balancer: writes on one replica reach the others within a second, contended writes stay
//! correct, background work is not duplicated, the audit chain stays one, and a replica killed
//! mid-stream loses nothing it acknowledged.
//!
//! Each replica is a process of its own, killed with `SIGKILL` where a test says so. It runs
//! `wicket_server::serve`, the code of `wicket serve`: either the `wicket` binary named by
//! `WICKET_BIN`, or this test binary started again on its one ignored test, [`serve_process`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod background;
#[path = "../common/call.rs"]
mod call;
mod consistency;
mod contention;
mod drift;
mod extension;
mod failover;
#[path = "../common/grants.rs"]
mod grants;
mod harness;
#[expect(
    dead_code,
    reason = "the soak test measures the process; the replica tests only start and kill it"
)]
#[path = "../common/process.rs"]
mod process;

/// The body of a replica process: `wicket serve` on the configuration and database the
/// replica tests name. Not a test.
#[test]
#[ignore = "the body of a replica process that the replica tests start; not a test"]
fn serve_process() {
    process::serve_body();
}
