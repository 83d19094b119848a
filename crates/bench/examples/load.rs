//! Where starting with many grants spends its time and memory: reading them from SQLite,
//! then building the index (`load GRANTS DBFILE`; the file is seeded on first use).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a profiling harness fails loudly"
)]

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use wicket_bench::stats::memory;
use wicket_bench::workload::{Spec, Workload};
use wicket_bench::{seed, wicket};
use wicket_core::{Index, time};
use wicket_store::Store;
use wicket_store::sqlite::SqliteStore;

fn mib() -> String {
    let (rss, peak) = memory(None).unwrap_or_default();
    format!(
        "rss {:.0} MiB, peak {:.0} MiB",
        rss as f64 / 1048576.0,
        peak as f64 / 1048576.0
    )
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let path = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "/tmp/load.db".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let w = Workload::generate(Spec::with_roles(1_000).users(100_000).grants(0).checks(0));
        let config = Arc::new(wicket::config(&w).unwrap());
        let store = SqliteStore::open(&format!("sqlite://{path}"))
            .await
            .unwrap();
        let now = time::truncate(Utc::now());
        if store.live_grants(now).await.unwrap().is_empty() {
            seed::grants(
                &store,
                &w,
                "live",
                n,
                now - chrono::Duration::hours(1),
                now + chrono::Duration::days(30),
            )
            .await
            .unwrap();
        }
        println!("start: {}", mib());
        let t = Instant::now();
        let grants = store.live_grants(now).await.unwrap();
        println!(
            "live_grants: {} in {:.2?}; {}",
            grants.len(),
            t.elapsed(),
            mib()
        );
        let t = Instant::now();
        let mut index = Index::new(config);
        for g in &grants {
            index.upsert_grant(g);
        }
        println!(
            "index: {} grants in {:.2?}; {}",
            index.grant_count(),
            t.elapsed(),
            mib()
        );
        drop(grants);
        println!("after dropping the loaded grants: {}", mib());
        std::hint::black_box(&index);
    });
}
