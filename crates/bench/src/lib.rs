//! Wicket's benchmarks: one seeded workload expressed for Wicket, Cedar and Casbin, the
//! cross-check that they agree, and the helpers the benches and binaries share.

pub mod audit;
pub mod casbin;
pub mod cedar;
pub mod cedar_agent;
pub mod chart;
pub mod crosscheck;
pub use wicket_testkit::http1;
pub mod load;
pub mod reference;
pub mod rng;
pub mod seed;
pub mod server;
pub mod stats;
pub mod wicket;
pub mod workload;
pub mod wrk;

/// How a benchmark tool ends: on an error, the error and its causes on one line and exit
/// status 1, never the backtrace `anyhow` prints from `main` when `RUST_BACKTRACE` is set.
pub fn finish(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
