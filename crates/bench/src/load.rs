//! One load phase: `connections` keep-alive connections, each sending the next request of a
//! pool as soon as the previous answer arrived, for a fixed time after a warm-up; every
//! answer timed. Sent by this crate's own load generator, or by `wrk` ([`Driver`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::http1::Conn;
use crate::stats::{Percentiles, cpu_time};

#[derive(Clone, Copy, Debug)]
pub struct Phase {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What a phase measured.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub requests: u64,
    pub elapsed: Duration,
    /// Latency of every answer in the measured window, in nanoseconds.
    pub latency: Percentiles,
    pub statuses: BTreeMap<u16, u64>,
    /// One body per status, to show what went wrong if anything did.
    pub samples: BTreeMap<u16, String>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

struct Tally {
    latencies: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    samples: BTreeMap<u16, String>,
}

async fn connection(
    addr: SocketAddr,
    pool: Arc<Vec<Vec<u8>>>,
    offset: usize,
    start: Instant,
    phase: Phase,
) -> Result<Tally> {
    let mut conn = Conn::connect(addr).await?;
    let (measure_from, end) = (start + phase.warmup, start + phase.warmup + phase.duration);
    let mut tally = Tally {
        latencies: Vec::with_capacity(1 << 16),
        statuses: BTreeMap::new(),
        samples: BTreeMap::new(),
    };
    let mut i = offset;
    loop {
        let t = Instant::now();
        if t >= end {
            return Ok(tally);
        }
        let request = &pool[i % pool.len()];
        i += 1;
        let (status, body) = conn.round_trip(request).await?;
        if t >= measure_from {
            tally.latencies.push(t.elapsed().as_nanos() as u64);
            *tally.statuses.entry(status).or_default() += 1;
            tally.samples.entry(status).or_insert_with(|| {
                String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
            });
        }
    }
}

/// Runs `phase` against `addr`, cycling through `pool` (each connection from its own offset).
pub async fn run(addr: SocketAddr, pool: Arc<Vec<Vec<u8>>>, phase: Phase) -> Result<Outcome> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..phase.connections)
        .map(|c| tokio::spawn(connection(addr, pool.clone(), c * 7919, start, phase)))
        .collect();
    let mut all = Vec::new();
    let mut out = Outcome {
        elapsed: phase.duration,
        ..Outcome::default()
    };
    for t in tasks {
        let tally = t.await??;
        all.extend(tally.latencies);
        for (s, n) in tally.statuses {
            *out.statuses.entry(s).or_default() += n;
        }
        for (s, body) in tally.samples {
            out.samples.entry(s).or_insert(body);
        }
    }
    out.requests = all.len() as u64;
    out.latency = Percentiles::of(&mut all);
    Ok(out)
}

/// Who sends a phase's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Driver {
    /// This crate's load generator ([`run`]), in this process.
    Builtin,
    /// `wrk`, the C load generator ([`crate::wrk`]), as a child process.
    Wrk,
}

/// Runs `phase` against `addr` with `driver`, cycling through `pool`; also returns the CPU
/// time the driver used over the phase, warm-up included.
pub async fn drive(
    driver: Driver,
    addr: SocketAddr,
    pool: Arc<Vec<Vec<u8>>>,
    phase: Phase,
) -> Result<(Outcome, Option<Duration>)> {
    match driver {
        Driver::Builtin => {
            let before = cpu_time(None);
            let outcome = run(addr, pool, phase).await?;
            let used = cpu_time(None)
                .zip(before)
                .map(|(after, before)| after.saturating_sub(before));
            Ok((outcome, used))
        }
        Driver::Wrk => {
            let (outcome, used) =
                tokio::task::spawn_blocking(move || crate::wrk::run(addr, &pool, phase)).await??;
            Ok((outcome, Some(used)))
        }
    }
}
