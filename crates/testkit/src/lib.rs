//! Test support shared by the workspace's suites: a PostgreSQL server for the tests, and a
//! fresh database on it for each test.
//!
//! The server is `WICKET_TEST_DATABASE_URL` when that is set; otherwise a throwaway cluster
//! that this process starts once (with `initdb` and `pg_ctl`, from the machine's PostgreSQL
//! binaries) in a temporary directory and that is stopped and removed when the process ends.
//! When neither is possible, [`database`] fails with a message saying how to install
//! PostgreSQL, unless `WICKET_SKIP_POSTGRES=1` asks to skip the PostgreSQL tests.

mod binaries;
mod cluster;
mod database;
pub mod http1;
mod own;
mod readme_setup;
mod run_as;
mod server;

pub use database::{TestDb, database};

/// How long the suites' HTTP clients keep an idle connection for reuse: well under the
/// server's idle timeout (10 s, `crates/server/src/listen.rs`), which ends a keep-alive
/// connection idle that long. A request sent on a connection just as the server ends it fails
/// (`IncompleteMessage`), as whole-suite runs saw when a test paused near 10 s between two
/// requests.
pub const HTTP_IDLE: std::time::Duration = std::time::Duration::from_secs(4);
pub use own::OwnCluster;

/// Why there is no PostgreSQL to test against.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    #[error(
        "no PostgreSQL for the tests: {0}\n\
         install PostgreSQL (Debian or Ubuntu: `apt-get install postgresql`; the binaries are \
         found with `pg_config --bindir`, on PATH, or in /usr/lib/postgresql/*/bin), \
         or point WICKET_TEST_DATABASE_URL at a server where the user may create databases, \
         or set WICKET_SKIP_POSTGRES=1 to skip the PostgreSQL tests"
    )]
    Unavailable(String),
    #[error("the test PostgreSQL failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// True when `WICKET_SKIP_POSTGRES=1`: the PostgreSQL tests return at once, and say so.
pub fn skip_postgres() -> bool {
    std::env::var("WICKET_SKIP_POSTGRES").is_ok_and(|v| v == "1")
}
