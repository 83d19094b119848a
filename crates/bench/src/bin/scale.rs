//! `scale`: a million live grants. Starts `wicket serve` (release, SQLite) on 1k roles and
//! 100k users with no grants and again with `--grants` live grants, and reports the start
//! time (store opened, grants loaded into the index, port bound), resident memory per grant,
//! and `/v1/check` latency both ways; then stores `--expiries` grants that have just ended and
//! times the expiry sweep recording them (`grant.expired` events, as the server's job does).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::Utc;
use clap::Parser;
use wicket_bench::load::{self, Phase};
use wicket_bench::server::{Server, wicket_binary};
use wicket_bench::stats::memory;
use wicket_bench::workload::{Spec, Workload};
use wicket_bench::{http1, seed};
use wicket_core::time;
use wicket_store::Store;
use wicket_store::sqlite::SqliteStore;

#[derive(Debug, Parser)]
#[command(about = "a million live grants: start time, memory, check latency, expiry sweep")]
struct Args {
    #[arg(long)]
    wicket: Option<PathBuf>,
    #[arg(long, default_value_t = 1_000_000)]
    grants: usize,
    #[arg(long, default_value_t = 100_000)]
    expiries: usize,
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    #[arg(long, default_value_t = 1_000)]
    roles: usize,
}

/// Starts the server, reports start time, memory and check latency, and stops it.
async fn serve(
    wicket: &Path,
    config: &Path,
    database: &str,
    token: &str,
    label: &str,
) -> Result<u64> {
    let server = Server::start(wicket, config, database)?;
    // Let the first sweep (which finds nothing to record) and the allocator settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss, peak) = memory(Some(server.pid())).unwrap_or_default();
    println!(
        "{label}: up in {:.2?}; resident {:.1} MiB (peak {:.1} MiB)",
        server.startup,
        rss as f64 / 1048576.0,
        peak as f64 / 1048576.0
    );
    let body = r#"{"action":"db:select","resource":"pg/prod/s0/public/t1"}"#;
    let pool = Arc::new(vec![http1::post("/v1/check", token, body)]);
    for connections in [1, 16] {
        let phase = Phase {
            connections,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
        };
        let o = load::run(server.addr, pool.clone(), phase).await?;
        println!(
            "{label}: /v1/check at {connections} connections: {:.0} req/s, p50 {:.1} µs, p99 {:.1} µs ({:?})",
            o.per_second(),
            o.latency.p50 as f64 / 1000.0,
            o.latency.p99 as f64 / 1000.0,
            o.statuses
        );
    }
    server.stop()?;
    Ok(rss)
}

async fn run(args: Args) -> Result<()> {
    let wicket = wicket_binary(args.wicket.clone())?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("wicket.toml");
    let database = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let mut w = Workload::generate(
        Spec::with_roles(args.roles)
            .users(args.users)
            .grants(0)
            .checks(0),
    );
    w.add_bench_users();
    std::fs::write(&config, wicket_bench::wicket::config_text(&w))?;
    let token =
        wicket_engine::admin::create_token(&config, Some(&database), "bench", Some("1d")).await?;
    println!("{} roles, {} users", w.roles.len(), w.users.len());

    let empty = serve(&wicket, &config, &database, &token, "0 grants").await?;

    let store = SqliteStore::open(&database).await?;
    let now = time::truncate(Utc::now());
    let t = Instant::now();
    seed::grants(
        &store,
        &w,
        "live",
        args.grants,
        now - chrono::Duration::hours(1),
        now + chrono::Duration::days(2),
    )
    .await?;
    println!("stored {} live grants in {:.1?}", args.grants, t.elapsed());
    store.close().await;

    let full = serve(
        &wicket,
        &config,
        &database,
        &token,
        &format!("{} grants", args.grants),
    )
    .await?;
    println!(
        "resident memory per live grant: {:.0} bytes",
        full.saturating_sub(empty) as f64 / args.grants.max(1) as f64
    );

    let store = SqliteStore::open(&database).await?;
    let now = time::truncate(Utc::now());
    let ended = now - chrono::Duration::minutes(1);
    seed::grants(
        &store,
        &w,
        "ended",
        args.expiries,
        ended - chrono::Duration::hours(1),
        ended,
    )
    .await?;
    let t = Instant::now();
    let mut recorded = 0;
    loop {
        let done = store.record_expiries(now, 1000).await?.len();
        recorded += done;
        if done < 1000 {
            break;
        }
    }
    let took = t.elapsed();
    println!(
        "expiry sweep: recorded {recorded} expiries in {took:.2?} ({:.0}/s)",
        recorded as f64 / took.as_secs_f64()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    wicket_bench::finish(body())
}

fn body() -> Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(run(args))
}
