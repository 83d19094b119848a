//! `loadgen`: HTTP load against `wicket serve` (release build, loopback, SQLite, auditing on).
//!
//! Sets up a generated workload (1k roles by default) plus two users of its own, mints
//! tokens, starts the server, gets one of the users a grant through the API, then measures
//! `/v1/check` at each connection count for three kinds of check: allowed by a standing role
//! (not audited), denied (audited, with requestable roles), allowed by a grant (audited);
//! and `/v1/check/batch`. Prints Markdown tables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use wicket_bench::http1::{self, Conn};
use wicket_bench::load::{self, Driver, Outcome, Phase};
use wicket_bench::server::{Server, wicket_binary};
use wicket_bench::stats::cpu_time;
use wicket_bench::workload::{Spec, Workload};

#[derive(Debug, Parser)]
#[command(about = "HTTP load against wicket serve")]
struct Args {
    /// The wicket binary (default: `wicket` next to this one)
    #[arg(long)]
    wicket: Option<PathBuf>,
    /// Seconds measured per phase
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of warm-up before each phase is measured
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Connection counts, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    connections: Vec<usize>,
    /// Scenarios: allowed, denied, grant, batch, batch-mixed
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "allowed,denied,grant,batch,batch-mixed"
    )]
    scenarios: Vec<String>,
    /// Checks per batch request
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// Roles in the generated configuration
    #[arg(long, default_value_t = 1000)]
    roles: usize,
    /// Worker threads of the load generator (the server has its own process)
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Who sends the requests: this crate's load generator, or `wrk` (one thread)
    #[arg(long, value_enum, default_value_t = Driver::Builtin)]
    driver: Driver,
}

fn check(action: &str, resource: &str) -> String {
    format!(r#"{{"action":"{action}","resource":"{resource}"}}"#)
}

/// The request pool of a scenario: single checks, or batches of `size`.
fn pool(scenario: &str, tokens: &Tokens, size: usize) -> Result<Vec<Vec<u8>>> {
    let read = |k: usize| check("db:select", &format!("pg/prod/s0/public/t{k}"));
    let write = |k: usize| check("db:insert", &format!("pg/prod/s0/public/t{k}"));
    let batch = |f: &dyn Fn(usize) -> String| {
        (0..10)
            .map(|b| {
                let checks: Vec<String> = (0..size).map(|k| f(b * size + k)).collect();
                http1::post(
                    "/v1/check/batch",
                    &tokens.bench,
                    &format!(r#"{{"checks":[{}]}}"#, checks.join(",")),
                )
            })
            .collect()
    };
    Ok(match scenario {
        "allowed" => (0..100)
            .map(|k| http1::post("/v1/check", &tokens.bench, &read(k)))
            .collect(),
        "denied" => (0..100)
            .map(|k| http1::post("/v1/check", &tokens.bench, &write(k)))
            .collect(),
        "grant" => (0..100)
            .map(|k| http1::post("/v1/check", &tokens.granted, &write(k)))
            .collect(),
        "batch" => batch(&|k| read(k % 100)),
        // One check in ten denied, so audited.
        "batch-mixed" => batch(&|k| {
            if k % 10 == 0 {
                write(k % 100)
            } else {
                read(k % 100)
            }
        }),
        other => bail!("unknown scenario `{other}`"),
    })
}

struct Tokens {
    bench: String,
    granted: String,
}

/// Reads one counter of `/metrics` on a connection of its own: a connection kept idle through a
/// phase longer than the server's idle limit (10 s) would find itself closed.
async fn metric(addr: SocketAddr, token: &str, name: &str) -> Result<u64> {
    let mut conn = Conn::connect(addr).await?;
    let (_, body) = conn.round_trip(&http1::get("/metrics", token)).await?;
    let text = String::from_utf8_lossy(body);
    Ok(text
        .lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

fn row(
    scenario: &str,
    connections: usize,
    batch: usize,
    o: &Outcome,
    audit: Option<(u64, u64)>,
    cpu: (f64, f64),
) {
    let ok = o.statuses.get(&200).copied().unwrap_or(0);
    let audit = audit.map_or("-".to_string(), |(events, batches)| {
        format!(
            "{events} events in {batches} commits ({:.1}/commit)",
            events as f64 / batches.max(1) as f64
        )
    });
    println!(
        "| {scenario} | {connections} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} / {:.1} | {ok}/{} | {audit} |",
        o.per_second(),
        o.per_second() * batch as f64,
        o.latency.p50 as f64 / 1000.0,
        o.latency.p99 as f64 / 1000.0,
        o.latency.max as f64 / 1000.0,
        cpu.0,
        cpu.1,
        o.requests,
    );
    for (status, body) in o.samples.iter().filter(|(s, _)| **s != 200) {
        println!("  status {status}: {body}");
    }
}

async fn run(args: Args) -> Result<()> {
    let wicket = wicket_binary(args.wicket.clone())?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("wicket.toml");
    let database = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let mut w = Workload::generate(Spec::with_roles(args.roles).checks(0));
    w.add_bench_users();
    std::fs::write(&config, wicket_bench::wicket::config_text(&w))?;
    let token = |user: &'static str| {
        let (config, database) = (config.clone(), database.clone());
        async move {
            wicket_engine::admin::create_token(&config, Some(&database), user, Some("1d")).await
        }
    };
    let tokens = Tokens {
        bench: token("bench").await?,
        granted: token("bench-granted").await?,
    };
    let server = Server::start(&wicket, &config, &database)?;
    println!(
        "wicket serve on {} (pid {}), up in {:.0?}; {} roles; requests sent by {:?}",
        server.addr,
        server.pid(),
        server.startup,
        args.roles,
        args.driver
    );

    let mut admin = Conn::connect(server.addr).await?;
    let request = r#"{"roles":["s0-write"],"duration":"8h","reason":"load test"}"#;
    let (status, body) = admin
        .round_trip(&http1::post("/v1/requests", &tokens.granted, request))
        .await?;
    if status != 201 {
        bail!(
            "requesting the grant answered {status}: {}",
            String::from_utf8_lossy(body)
        );
    }

    println!(
        "\n| scenario | connections | req/s | checks/s | p50 µs | p99 µs | max µs | CPU µs/request (server / load generator) | 200s | audit |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for scenario in &args.scenarios {
        let size = if scenario.starts_with("batch") {
            args.batch_size
        } else {
            1
        };
        let pool = Arc::new(pool(scenario, &tokens, size)?);
        for &connections in &args.connections {
            let phase = Phase {
                connections,
                warmup: Duration::from_secs(args.warmup),
                duration: Duration::from_secs(args.duration),
            };
            let before = (
                metric(server.addr, &tokens.bench, "wicket_audit_events_total").await?,
                metric(server.addr, &tokens.bench, "wicket_audit_batches_total").await?,
            );
            let server_before = cpu_time(Some(server.pid()));
            let (outcome, driver_cpu) = load::drive(args.driver, server.addr, pool.clone(), phase)
                .await
                .with_context(|| format!("{scenario} at {connections}"))?;
            let server_after = cpu_time(Some(server.pid()));
            // CPU per request over the whole phase (warm-up included) at the measured rate.
            let sent = outcome.per_second() * (phase.warmup + phase.duration).as_secs_f64();
            let per = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
                (Some(a), Some(b)) => a.saturating_sub(b).as_secs_f64() * 1e6 / sent.max(1.0),
                _ => f64::NAN,
            };
            let cpu = (
                per(server_after, server_before),
                per(driver_cpu, Some(Duration::ZERO)),
            );
            let after = (
                metric(server.addr, &tokens.bench, "wicket_audit_events_total").await?,
                metric(server.addr, &tokens.bench, "wicket_audit_batches_total").await?,
            );
            let audit = (after.0 > before.0).then(|| (after.0 - before.0, after.1 - before.1));
            row(scenario, connections, size, &outcome, audit, cpu);
        }
    }
    server.stop()
}

fn main() -> std::process::ExitCode {
    wicket_bench::finish(body())
}

fn body() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}
