//! Load and soak: mixed traffic (checks allowed and denied, batch checks, requests with their
//! approvals, lists) from 8 keep-alive connections, as fast as a `wicket serve` process on
//! loopback answers, for `WICKET_SOAK_SECS` (default 60) seconds. The server's resident
//! memory is sampled every second. No answer may be an error, and memory may grow by at most
//! [`RSS_GROWTH_MAX_MIB`] after the warm-up; the rate and the p50/p99 latency are printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/process.rs"]
mod process;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use wicket_testkit::http1::{self, Conn};

use process::Server;

/// The configuration the server runs with: the API tests' own.
const CONFIG: &str = include_str!("api/config.toml");

const CONNECTIONS: usize = 8;
/// How much the server's RSS may grow between the end of the warm-up and the end.
const RSS_GROWTH_MAX_MIB: u64 = 64;

/// The body of the server process the soak test starts; not a test.
#[test]
#[ignore = "the body of the server process the soak test starts; not a test"]
fn serve_process() {
    process::serve_body();
}

struct Tokens {
    alice: String,
    erin: String,
    root: String,
    approvers: Vec<String>,
}

/// What one connection saw: latencies in microseconds, and every error.
#[derive(Default)]
struct Tally {
    latencies: Vec<u64>,
    errors: Vec<String>,
}

async fn timed(conn: &mut Conn, request: &[u8], want: u16, tally: &mut Tally) -> Option<Value> {
    let t = Instant::now();
    match conn.round_trip(request).await {
        Ok((status, body)) => {
            tally.latencies.push(t.elapsed().as_micros() as u64);
            if status != want {
                let body = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                tally
                    .errors
                    .push(format!("{status} where {want} was due: {body}"));
                return None;
            }
            serde_json::from_slice(body).ok()
        }
        Err(e) => {
            tally.errors.push(e.to_string());
            None
        }
    }
}

/// One connection's loop: ten kinds of call in turn until `stop`.
async fn connection(
    addr: std::net::SocketAddr,
    n: usize,
    t: Arc<Tokens>,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut conn = Conn::connect(addr).await.unwrap();
    let mut tally = Tally::default();
    let allowed = http1::post(
        "/v1/check",
        &t.root,
        r#"{"action":"wicket:audit.read","resource":"wicket"}"#,
    );
    let denied = http1::post(
        "/v1/check",
        &t.alice,
        r#"{"action":"cache:flush","resource":"cache/prod/eu"}"#,
    );
    let checks: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"action":"logs:view","resource":"logs/prod/svc{i}"}}"#))
        .collect();
    let batch = http1::post(
        "/v1/check/batch",
        &t.root,
        &format!(r#"{{"checks":[{}]}}"#, checks.join(",")),
    );
    let self_service = http1::post(
        "/v1/requests",
        &t.alice,
        r#"{"roles":["logs-read"],"duration":"2s"}"#,
    );
    let crowd = http1::post(
        "/v1/requests",
        &t.erin,
        r#"{"roles":["orders-db-read"],"duration":"2s","policy":"crowd"}"#,
    );
    let list = http1::get("/v1/requests?limit=20&mine=true", &t.alice);
    let grants = http1::get("/v1/grants?status=active&limit=20", &t.alice);
    let approver = &t.approvers[n % t.approvers.len()];
    let mut i = n;
    while !stop.load(Ordering::Relaxed) {
        match i % 10 {
            0..=3 => {
                timed(&mut conn, &allowed, 200, &mut tally).await;
            }
            4 => {
                timed(&mut conn, &denied, 200, &mut tally).await;
            }
            5 => {
                timed(&mut conn, &batch, 200, &mut tally).await;
            }
            6 => {
                timed(&mut conn, &self_service, 201, &mut tally).await;
            }
            7 => {
                if let Some(r) = timed(&mut conn, &crowd, 201, &mut tally).await {
                    let id = r["id"].as_str().unwrap_or_default();
                    let approve =
                        http1::post(&format!("/v1/requests/{id}/approve"), approver, "{}");
                    timed(&mut conn, &approve, 200, &mut tally).await;
                }
            }
            8 => {
                timed(&mut conn, &list, 200, &mut tally).await;
            }
            _ => {
                timed(&mut conn, &grants, 200, &mut tally).await;
            }
        }
        i += 1;
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_traffic_holds_without_errors_or_memory_growth() {
    let secs: u64 = std::env::var("WICKET_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let warmup = Duration::from_secs((secs / 6).max(1));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wicket.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let db = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let server = tokio::task::block_in_place(|| Server::start(&config, &db));
    let token = |user: &'static str| {
        let (config, db) = (config.clone(), db.clone());
        async move {
            wicket_engine::admin::create_token(&config, Some(&db), user, Some("2h"))
                .await
                .unwrap()
        }
    };
    let mut approvers = Vec::new();
    for a in ["a1", "a2", "a3", "a4"] {
        approvers.push(token(a).await);
    }
    let tokens = Arc::new(Tokens {
        alice: token("alice").await,
        erin: token("erin").await,
        root: token("root").await,
        approvers,
    });
    let addr: std::net::SocketAddr = server.addr.trim_start_matches("http://").parse().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|n| tokio::spawn(connection(addr, n, tokens.clone(), stop.clone())))
        .collect();
    // Resident memory every second: at the end of the warm-up, at its highest after, at the end.
    let mut samples = Vec::new();
    let mut after_warmup = None;
    while started.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = server.rss_kib().expect("the server's /proc status");
        if after_warmup.is_none() && started.elapsed() >= warmup {
            after_warmup = Some(rss);
        }
        samples.push(rss);
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for w in workers {
        let tally = w.await.unwrap();
        latencies.extend(tally.latencies);
        errors.extend(tally.errors);
    }
    latencies.sort_unstable();
    let base = after_warmup.unwrap();
    let warm_samples = &samples[(warmup.as_secs() as usize).min(samples.len() - 1)..];
    let peak = warm_samples.iter().copied().max().unwrap();
    let growth_mib = peak.saturating_sub(base) / 1024;
    eprintln!(
        "soak: {} calls in {elapsed:.1?} over {CONNECTIONS} connections = {:.0}/s; p50 {} µs, p99 {} µs, max {} µs; \
         RSS {} MiB after {warmup:?} warm-up, peak {} MiB, end {} MiB (growth {growth_mib} MiB, bound {RSS_GROWTH_MAX_MIB} MiB); {} errors",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0),
        base / 1024,
        peak / 1024,
        samples.last().unwrap() / 1024,
        errors.len(),
    );
    assert!(
        errors.is_empty(),
        "{} errors, the first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(
        latencies.len() as u64 >= secs * 50,
        "only {} calls in {secs}s",
        latencies.len()
    );
    assert!(
        growth_mib <= RSS_GROWTH_MAX_MIB,
        "RSS grew by {growth_mib} MiB after the warm-up (from {} MiB to {} MiB)",
        base / 1024,
        peak / 1024
    );
    server.kill();
}
