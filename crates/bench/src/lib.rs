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
