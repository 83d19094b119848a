//! Appends events to a fresh SQLite store, then verifies the chain: a harness for
//! `valgrind --tool=callgrind --toggle-collect=...` (`verify EVENTS [DBFILE]`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a profiling harness fails loudly"
)]

use wicket_store::Store;
use wicket_store::sqlite::SqliteStore;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::args()
            .nth(2)
            .map_or_else(|| dir.path().join("a.db"), std::path::PathBuf::from);
        let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        wicket_bench::audit::append(&store, "p", n, 1024)
            .await
            .unwrap();
        let report = wicket_engine::verify::verify_chain(&store as &dyn Store)
            .await
            .unwrap();
        assert!(report.ok);
    });
}
