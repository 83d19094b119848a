//! A load phase driven by `wrk` (Debian's `wrk` package) instead of [`crate::load`]: the same
//! pool of raw requests, sent by the C load generator that HTTP servers are usually measured
//! with, so that a figure can be read without the cost of Wicket's own load generator, which
//! shares the machine's cores with the server it measures.
//!
//! The pool is written into a Lua script whose `request()` returns its requests in turn; `wrk`
//! runs once for the warm-up and once measured, on one thread (as `loadgen` does), and its
//! summary (`--latency`) is read back. Its CPU time is what the two runs cost this process's
//! waited-for children.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::load::{Outcome, Phase};
use crate::stats::{Percentiles, children_cpu_time};

/// The `wrk` binary: `$WRK`, else `wrk` on the `PATH`.
fn binary() -> String {
    std::env::var("WRK").unwrap_or_else(|_| "wrk".to_string())
}

/// `bytes` as a Lua string literal: printable ASCII as itself, everything else escaped.
fn lua_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 16);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            // Decimal escapes take up to three digits: always write three, so that a digit
            // after the escape is not read as part of it.
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// The Lua script that sends `pool`'s requests in turn.
pub fn script(pool: &[Vec<u8>]) -> String {
    let mut s = String::from("local requests = {\n");
    for r in pool {
        s.push_str("  ");
        s.push_str(&lua_string(r));
        s.push_str(",\n");
    }
    s.push_str(
        "}\nlocal n = #requests\nlocal i = 0\n\
         request = function()\n  i = i % n + 1\n  return requests[i]\nend\n",
    );
    s
}

/// What `wrk --latency` printed, read.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub requests: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Answers outside 2xx and 3xx.
    pub non_2xx: u64,
    /// "Socket errors: …", when wrk printed that line.
    pub socket_errors: Option<String>,
}

/// A figure with `wrk`'s unit (`us`, `ms`, `s`, `m`) as a duration.
fn duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// Reads `wrk --latency`'s summary.
pub fn parse(text: &str) -> Result<Summary> {
    let mut requests = None;
    let mut percentiles = BTreeMap::new();
    let mut max = None;
    let mut non_2xx = 0;
    let mut socket_errors = None;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            // "Latency   382.15us  120.02us   8.50ms   80.01%"
            ["Latency", _avg, _stdev, m, _] => max = duration(m),
            // "50%  370.00us"
            [p, v] if p.ends_with('%') => {
                percentiles.insert(p.to_string(), duration(v));
            }
            // "212345 requests in 5.00s, 40.12MB read"
            [n, "requests", "in", elapsed, ..] => {
                let elapsed = duration(elapsed.trim_end_matches(','));
                requests = Some((n.parse::<u64>().ok(), elapsed));
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => non_2xx = n.parse().unwrap_or(0),
            ["Socket", "errors:", ..] => socket_errors = Some(line.to_string()),
            _ => {}
        }
    }
    let Some((Some(requests), Some(elapsed))) = requests else {
        bail!("wrk printed no \"N requests in T\" line:\n{text}");
    };
    let percentile = |p: &str| {
        percentiles
            .get(p)
            .copied()
            .flatten()
            .with_context(|| format!("wrk printed no {p} latency:\n{text}"))
    };
    Ok(Summary {
        requests,
        elapsed,
        p50: percentile("50%")?,
        p99: percentile("99%")?,
        max: max.with_context(|| format!("wrk printed no latency statistics:\n{text}"))?,
        non_2xx,
        socket_errors,
    })
}

/// Runs `wrk` once against `addr` for `seconds`, with `connections` and the script at `script`.
fn wrk(addr: SocketAddr, script: &Path, connections: usize, seconds: u64) -> Result<Summary> {
    let wrk = binary();
    let output = Command::new(&wrk)
        .args(["--threads", "1", "--latency", "--timeout", "10s"])
        .arg(format!("--connections={connections}"))
        .arg(format!("--duration={seconds}s"))
        .arg("--script")
        .arg(script)
        // The script's requests carry their own paths; wrk's URL names the server.
        .arg(format!("http://{addr}/"))
        .output()
        .with_context(|| {
            format!("starting `{wrk}` (Debian's `wrk` package; or set WRK to its path)")
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "`{wrk}` failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse(&stdout)
}

/// Runs `phase` against `addr` with `wrk`, cycling through `pool`; also returns the CPU time
/// `wrk` used, warm-up included (as the load generator's own is counted).
pub fn run(addr: SocketAddr, pool: &[Vec<u8>], phase: Phase) -> Result<(Outcome, Duration)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("pool.lua");
    std::fs::write(&path, script(pool))?;
    let before = children_cpu_time().context("reading this process's children's CPU time")?;
    if !phase.warmup.is_zero() {
        wrk(
            addr,
            &path,
            phase.connections,
            phase.warmup.as_secs().max(1),
        )?;
    }
    let s = wrk(
        addr,
        &path,
        phase.connections,
        phase.duration.as_secs().max(1),
    )?;
    let after = children_cpu_time().context("reading this process's children's CPU time")?;
    if let Some(errors) = &s.socket_errors {
        bail!("wrk: {errors}");
    }
    let nanos = |d: Duration| d.as_nanos() as u64;
    let mut statuses = BTreeMap::new();
    let mut samples = BTreeMap::new();
    // wrk counts answers, not statuses: 2xx and 3xx together, the rest together. The API
    // answers no 3xx, so the first are counted as 200 and the rest under 0.
    statuses.insert(200, s.requests - s.non_2xx);
    if s.non_2xx > 0 {
        statuses.insert(0, s.non_2xx);
        samples.insert(0, format!("wrk: {} answers outside 2xx and 3xx", s.non_2xx));
    }
    let outcome = Outcome {
        requests: s.requests,
        elapsed: s.elapsed,
        latency: Percentiles {
            count: s.requests as usize,
            mean: f64::NAN,
            p50: nanos(s.p50),
            p90: 0,
            p99: nanos(s.p99),
            p999: 0,
            max: nanos(s.max),
        },
        statuses,
        samples,
    };
    Ok((outcome, after.saturating_sub(before)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `wrk 4.1.0 --latency` printed against `wicket serve` (Debian's package).
    const PRINTED: &str = "Running 5s test @ http://127.0.0.1:39577/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   382.15us  120.02us   8.50ms   80.01%
    Req/Sec    42.47k     1.20k   44.00k    70.00%
  Latency Distribution
     50%  370.00us
     75%  420.00us
     90%  500.00us
     99%    1.20ms
  212345 requests in 5.00s, 40.12MB read
  Non-2xx or 3xx responses: 12
Requests/sec:  42469.00
Transfer/sec:      8.02MB
";

    #[test]
    fn reads_the_summary() {
        let s = parse(PRINTED).unwrap();
        assert_eq!(s.requests, 212_345);
        assert_eq!(s.elapsed, Duration::from_secs(5));
        assert_eq!(s.p50, Duration::from_micros(370));
        assert_eq!(s.p99, Duration::from_micros(1200));
        assert_eq!(s.max, Duration::from_micros(8500));
        assert_eq!(s.non_2xx, 12);
        assert_eq!(s.socket_errors, None);
    }

    #[test]
    fn a_summary_without_its_counts_is_an_error_that_shows_it() {
        let cut = PRINTED.replace("212345 requests in 5.00s", "");
        let e = parse(&cut).unwrap_err().to_string();
        assert!(e.contains("requests in T") && e.contains("Latency"), "{e}");
        let cut = PRINTED.replace("     99%    1.20ms\n", "");
        assert!(parse(&cut).unwrap_err().to_string().contains("99%"));
    }

    #[test]
    fn socket_errors_are_kept() {
        let text = PRINTED.replace(
            "  Non-2xx",
            "  Socket errors: connect 0, read 3, write 0, timeout 0\n  Non-2xx",
        );
        let s = parse(&text).unwrap();
        assert_eq!(
            s.socket_errors.as_deref(),
            Some("Socket errors: connect 0, read 3, write 0, timeout 0")
        );
    }

    #[test]
    fn requests_become_lua_strings_byte_for_byte() {
        let raw = b"POST /v1/check HTTP/1.1\r\nA: \"q\"\\\r\n\r\n{\"x\":1}\x01\xff9".to_vec();
        let s = lua_string(&raw);
        assert_eq!(
            s,
            "\"POST /v1/check HTTP/1.1\\013\\010A: \\\"q\\\"\\\\\\013\\010\\013\\010{\\\"x\\\":1}\\001\\2559\""
        );
        let script = script(&[raw.clone(), raw]);
        assert_eq!(script.matches("\"POST").count(), 2);
        assert!(script.contains("request = function()"));
    }
}
