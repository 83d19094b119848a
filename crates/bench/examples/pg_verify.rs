//! Verifies the audit chain of a PostgreSQL database and says where the CPU went: this process
//! (reading the `COPY` and hashing) and PostgreSQL's processes (scanning and sending the rows).
//! `pg_verify URL [EVENTS]` appends events first until the chain holds `EVENTS` (default 1M).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a profiling harness fails loudly"
)]

use std::time::{Duration, Instant};

use wicket_bench::stats::cpu_time;
use wicket_store::Store;
use wicket_store::postgres::PgStore;

/// CPU time of every `postgres` process on the machine.
fn postgres_cpu() -> Duration {
    let mut total = Duration::ZERO;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            total += cpu_time(Some(pid)).unwrap_or_default();
        }
    }
    total
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("a postgres:// URL");
    let want: usize = args.next().map_or(1_000_000, |s| s.parse().unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = PgStore::open(&url).await.unwrap();
        let have = store.audit_head().await.unwrap().map_or(0, |h| h.0) as usize;
        if have < want {
            wicket_bench::audit::append(&store, "v", want - have, 1024)
                .await
                .unwrap();
        }
        let last = store.audit_head().await.unwrap().unwrap().0;
        for round in 0..3 {
            let (me, pg, t) = (cpu_time(None).unwrap(), postgres_cpu(), Instant::now());
            let report = wicket_engine::verify::verify_chain(&store as &dyn Store)
                .await
                .unwrap();
            let wall = t.elapsed();
            let (me, pg) = (cpu_time(None).unwrap() - me, postgres_cpu() - pg);
            assert!(report.ok);
            let n = last as f64;
            println!(
                "round {round}: verify_chain {n} events in {wall:.2?}: {:.0} events/s; CPU per event: verifier {:.2} µs, postgres {:.2} µs",
                n / wall.as_secs_f64(),
                me.as_secs_f64() * 1e6 / n,
                pg.as_secs_f64() * 1e6 / n
            );
            let (me, pg, t) = (cpu_time(None).unwrap(), postgres_cpu(), Instant::now());
            let stretch = store.verify_stretch(0, last).await.unwrap();
            let wall = t.elapsed();
            let (me, pg) = (cpu_time(None).unwrap() - me, postgres_cpu() - pg);
            assert!(stretch.broken.is_none(), "{:?}", stretch.broken);
            println!(
                "round {round}: one stretch on one thread in {wall:.2?}: {:.0} events/s; CPU per event: verifier {:.2} µs, postgres {:.2} µs",
                n / wall.as_secs_f64(),
                me.as_secs_f64() * 1e6 / n,
                pg.as_secs_f64() * 1e6 / n
            );
        }
    });
}
