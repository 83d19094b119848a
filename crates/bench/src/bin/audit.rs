//! `audit`: audit-log appends and verification on SQLite (a fresh file, `synchronous =
//! FULL`) and, with `--postgres`, on a throwaway PostgreSQL database. Prints a Markdown table.

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use wicket_bench::audit;
use wicket_store::Store;
use wicket_store::postgres::PgStore;
use wicket_store::sqlite::SqliteStore;

/// The allocator of the `wicket` binary, whose `audit verify` this measures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "audit log appends and verification")]
struct Args {
    /// Events appended in the large-batch run (the chain verified afterwards holds a few more)
    #[arg(long, default_value_t = 200_000)]
    events: usize,
    /// Also measure PostgreSQL (WICKET_TEST_DATABASE_URL, or a throwaway local cluster)
    #[arg(long)]
    postgres: bool,
}

async fn measure(name: &str, store: Arc<dyn Store>, events: usize) -> Result<()> {
    let one = audit::append(store.as_ref(), "one", 2_000.min(events), 1).await?;
    println!("| {name} | append, 1 event per transaction | {one:.0} events/s |");
    for batch in [64, 1024] {
        let rate = audit::append(store.as_ref(), &format!("b{batch}"), events, batch).await?;
        println!("| {name} | append, {batch} events per transaction | {rate:.0} events/s |");
    }
    for callers in [1, 64, 1024] {
        let (rate, per_commit) = audit::group_commit(
            store.clone(),
            &format!("g{callers}"),
            callers,
            (events / callers).max(200),
        )
        .await?;
        println!(
            "| {name} | group commit, {callers} concurrent callers each waiting for durability | {rate:.0} events/s ({per_commit:.1} events per commit) |"
        );
    }
    let v = audit::verify(store.as_ref()).await?;
    let rate = |d: std::time::Duration| v.events as f64 / d.as_secs_f64();
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / v.events as f64;
    println!(
        "| {name} | verify {} events, reading from the store (`verify_chain`) | {:.0} events/s |",
        v.events,
        rate(v.end_to_end)
    );
    for (what, d) in [
        (
            "as one stretch on one thread (`verify_stretch`): read and hash",
            v.one_thread,
        ),
        (
            "phase: read into events (`list_events`, pages of 1000)",
            v.read_events,
        ),
        ("phase: canonical encoding only (in memory)", v.encode),
        ("hashes only (in memory)", v.in_memory),
    ] {
        println!(
            "| {name} | verify {} events, {what} | {:.0} events/s ({:.2} µs per event) |",
            v.events,
            rate(d),
            per(d)
        );
    }
    Ok(())
}

async fn run(args: Args) -> Result<()> {
    println!("| store | what | rate |\n| --- | --- | --- |");
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await?);
    measure("SQLite", store, args.events).await?;
    if args.postgres {
        let db = wicket_testkit::database()
            .await?
            .context("WICKET_SKIP_POSTGRES is set")?;
        let store: Arc<dyn Store> = Arc::new(PgStore::open(&db.url).await?);
        measure("PostgreSQL", store, args.events).await?;
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    wicket_bench::finish(body())
}

fn body() -> Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}
