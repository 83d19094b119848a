//! Several `wicket serve` processes on one throwaway PostgreSQL database, as behind a load
//! balancer: writes on one replica reach the others within a second, contended writes stay
//! correct, background work is not duplicated, the audit chain stays one, and a replica killed
//! mid-stream loses nothing it acknowledged.
//!
//! Each replica is a process of its own, killed with `SIGKILL` where a test says so. It runs
//! `wicket_server::serve`, the code of `wicket serve`: either the `wicket` binary named by
//! `WICKET_BIN`, or this test binary started again on its one ignored test, [`replica_process`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod background;
mod consistency;
mod contention;
mod drift;
mod extension;
mod failover;
mod harness;

/// The body of a replica process: `wicket serve` on the configuration and database named by
/// `WICKET_REPLICA_SERVE` (`CONFIG_PATH` and `DATABASE_URL` on two lines). Not a test.
#[test]
#[ignore = "the body of a replica process that the replica tests start; not a test"]
fn replica_process() {
    let Ok(spec) = std::env::var(harness::SERVE_ENV) else {
        return;
    };
    let (config, database) = spec.split_once('\n').expect("config path and database url");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(wicket_server::serve(wicket_server::ServeOptions {
            config_path: config.into(),
            listen: Some("127.0.0.1:0".to_string()),
            database: Some(database.to_string()),
        }))
        .unwrap();
}
