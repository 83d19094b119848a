//! `cedar_http`: Wicket's `/v1/check` against `cedar-agent`'s `/v1/is_authorized`, side by
//! side: the same generated workload (the one the in-process Cedar benchmark uses, without
//! grants so that both hold exactly the standing roles), the same 10,000 checks, the same
//! load generator, one server at a time on this machine.
//!
//! Before anything is timed, both servers answer a sample of the checks and must agree on
//! every one. Two pools are measured: every check (about 40 % allowed; Wicket writes each
//! denial to its audit log and answers once it is durable, cedar-agent keeps no record), and
//! the allowed checks alone (no audit on either side).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};
use wicket_bench::cedar_agent::{self, Agent};
use wicket_bench::http1::{self, Conn};
use wicket_bench::load::{self, Driver, Outcome, Phase};
use wicket_bench::server::{Server, wicket_binary};
use wicket_bench::stats::cpu_time;
use wicket_bench::workload::{Spec, Workload};

#[derive(Debug, Parser)]
#[command(about = "wicket serve's /v1/check against cedar-agent, same workload and load")]
struct Args {
    /// The wicket binary (default: `wicket` next to this one)
    #[arg(long)]
    wicket: Option<PathBuf>,
    /// The cedar-agent binary (default: $CEDAR_AGENT, else target-bench/cedar-agent/bin)
    #[arg(long)]
    cedar_agent: Option<PathBuf>,
    /// Role counts, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    roles: Vec<usize>,
    /// Connection counts, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "16")]
    connections: Vec<usize>,
    /// Seconds measured per phase
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of warm-up before each phase is measured
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Checks both servers must agree on before timing
    #[arg(long, default_value_t = 500)]
    sample: usize,
    /// Who sends the requests, to both servers: this crate's load generator, or `wrk`
    #[arg(long, value_enum, default_value_t = Driver::Builtin)]
    driver: Driver,
}

/// The bench user may ask about anyone, as a service calling `/v1/check` does.
const CHECKER: &str = r#"
[[roles]]
name = "bench-checker"
permissions = [{ actions = ["wicket:check.others"], resources = ["wicket"] }]

[[bindings]]
subjects = ["user:bench"]
roles = ["bench-checker"]
"#;

fn wicket_request(w: &Workload, token: &str, i: usize) -> Vec<u8> {
    let c = &w.checks[i];
    let body = json!({
        "subject": format!("user:{}", w.users[c.user].name),
        "action": c.action,
        "resource": c.resource,
    });
    http1::post("/v1/check", token, &body.to_string())
}

fn wicket_allowed(body: &[u8]) -> Result<bool> {
    let v: Value = serde_json::from_slice(body).context("a Wicket answer that is not JSON")?;
    v["allowed"]
        .as_bool()
        .with_context(|| format!("a Wicket answer without `allowed`: {v}"))
}

/// Asks Wicket every check and cedar-agent the first `n`, which must agree with Wicket on each.
/// Returns which checks were allowed.
async fn agree(
    w: &Workload,
    token: &str,
    wicket: &mut Conn,
    agent: &mut Conn,
    n: usize,
) -> Result<Vec<usize>> {
    let mut allowed = Vec::new();
    for i in 0..w.checks.len() {
        let (s1, b1) = wicket.round_trip(&wicket_request(w, token, i)).await?;
        if s1 != 200 {
            bail!("Wicket answered {s1}: {}", String::from_utf8_lossy(b1));
        }
        let ours = wicket_allowed(b1)?;
        if ours {
            allowed.push(i);
        }
        if i >= n {
            continue;
        }
        let (s2, b2) = agent.round_trip(&cedar_agent::request(w, i)).await?;
        if s2 != 200 {
            bail!("cedar-agent answered {s2}: {}", String::from_utf8_lossy(b2));
        }
        let theirs = cedar_agent::allowed(b2)?;
        if ours != theirs {
            bail!(
                "check {i} ({:?}): Wicket says {ours}, cedar-agent {theirs}",
                w.checks[i]
            );
        }
    }
    Ok(allowed)
}

fn row(server: &str, roles: usize, pool: &str, connections: usize, o: &Outcome, cpu: f64) {
    let ok = o.statuses.get(&200).copied().unwrap_or(0);
    println!(
        "| {server} | {roles} | {pool} | {connections} | {:.0} | {:.0} | {:.0} | {cpu:.0} | {ok}/{} |",
        o.per_second(),
        o.latency.p50 as f64 / 1000.0,
        o.latency.p99 as f64 / 1000.0,
        o.requests,
    );
    for (status, body) in o.samples.iter().filter(|(s, _)| **s != 200) {
        println!("  status {status}: {body}");
    }
}

/// One phase against `addr`, with the server's CPU per request.
async fn measure(
    driver: Driver,
    addr: std::net::SocketAddr,
    pid: u32,
    pool: Arc<Vec<Vec<u8>>>,
    phase: Phase,
) -> Result<(Outcome, f64)> {
    let before = cpu_time(Some(pid));
    let (outcome, _) = load::drive(driver, addr, pool, phase).await?;
    let after = cpu_time(Some(pid));
    let sent = outcome.per_second() * (phase.warmup + phase.duration).as_secs_f64();
    let cpu = match (after, before) {
        (Some(a), Some(b)) => a.saturating_sub(b).as_secs_f64() * 1e6 / sent.max(1.0),
        _ => f64::NAN,
    };
    Ok((outcome, cpu))
}

async fn run(args: Args) -> Result<()> {
    let wicket = wicket_binary(args.wicket.clone())?;
    let agent_binary = cedar_agent::binary(args.cedar_agent.clone())?;
    println!(
        "\n| server | roles | checks | connections | checks/s | p50 µs | p99 µs | server CPU µs/check | 200s |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &roles in &args.roles {
        let dir = tempfile::tempdir()?;
        let mut w = Workload::generate(Spec::with_roles(roles).grants(0));
        w.add_bench_users();
        // The server decides at the real time, so Cedar's memberships are taken then too
        // (the workload's bindings expire relative to its own fixed `now`).
        w.now = chrono::Utc::now().timestamp_millis();
        let config = dir.path().join("wicket.toml");
        let database = format!("sqlite://{}", dir.path().join("wicket.db").display());
        std::fs::write(
            &config,
            format!("{}{CHECKER}", wicket_bench::wicket::config_text(&w)),
        )?;
        let token =
            wicket_engine::admin::create_token(&config, Some(&database), "bench", Some("1d"))
                .await?;
        let server = Server::start(&wicket, &config, &database)?;
        let agent = Agent::start(&agent_binary, &w, dir.path(), Duration::from_secs(120)).await?;

        let allowed = agree(
            &w,
            &token,
            &mut Conn::connect(server.addr).await?,
            &mut Conn::connect(agent.addr).await?,
            args.sample,
        )
        .await?;
        eprintln!(
            "{roles} roles: both servers agree on the first {} checks; {} of {} allowed",
            args.sample.min(w.checks.len()),
            allowed.len(),
            w.checks.len()
        );
        let every: Vec<usize> = (0..w.checks.len()).collect();
        for (name, picks) in [("every", &every), ("allowed", &allowed)] {
            let ours = Arc::new(
                picks
                    .iter()
                    .map(|&i| wicket_request(&w, &token, i))
                    .collect(),
            );
            let theirs = Arc::new(picks.iter().map(|&i| cedar_agent::request(&w, i)).collect());
            for &connections in &args.connections {
                let phase = Phase {
                    connections,
                    warmup: Duration::from_secs(args.warmup),
                    duration: Duration::from_secs(args.duration),
                };
                let (o, cpu) = measure(
                    args.driver,
                    server.addr,
                    server.pid(),
                    Arc::clone(&ours),
                    phase,
                )
                .await?;
                row("Wicket", roles, name, connections, &o, cpu);
                let (o, cpu) = measure(
                    args.driver,
                    agent.addr,
                    agent.pid(),
                    Arc::clone(&theirs),
                    phase,
                )
                .await?;
                row("cedar-agent", roles, name, connections, &o, cpu);
            }
        }
        drop(agent);
        server.stop()?;
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    wicket_bench::finish(body())
}

fn body() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}
