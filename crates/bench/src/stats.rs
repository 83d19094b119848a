//! Latency percentiles and resident memory: the small measurements every bench shares.

use std::time::Instant;

/// Percentiles of a set of latencies, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    pub count: usize,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Percentiles {
    /// Sorts `samples` (nanoseconds) and reads the percentiles off them (nearest rank).
    pub fn of(samples: &mut [u64]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Percentiles {
            count: samples.len(),
            mean: samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len() as f64,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: samples[samples.len() - 1],
        }
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "n={} mean={:.0}ns p50={}ns p90={}ns p99={}ns p99.9={}ns max={}ns",
            self.count, self.mean, self.p50, self.p90, self.p99, self.p999, self.max
        )
    }
}

/// Times `n` calls of `f` one by one (each between two clock reads) and returns the
/// percentiles; the clock reads themselves are included, see [`clock_overhead`].
pub fn time_each(n: usize, mut f: impl FnMut(usize)) -> Percentiles {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i);
        samples.push(t.elapsed().as_nanos() as u64);
    }
    Percentiles::of(&mut samples)
}

/// What timing nothing costs with [`time_each`], to read its figures against.
pub fn clock_overhead(n: usize) -> Percentiles {
    time_each(n, |i| {
        std::hint::black_box(i);
    })
}

/// A process's resident set (`VmRSS`) and its peak (`VmHWM`), in bytes, from `/proc`.
pub fn memory(pid: Option<u32>) -> Option<(u64, u64)> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU time (user + system) a process has used, from `/proc/PID/stat` (in clock ticks of
/// 1/100 s, the Linux default `CLK_TCK`).
pub fn cpu_time(pid: Option<u32>) -> Option<std::time::Duration> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// CPU time (user + system) this process's children have used, those it has waited for
/// (`cutime` and `cstime` of `/proc/self/stat`, in the same ticks as [`cpu_time`]).
pub fn children_cpu_time() -> Option<std::time::Duration> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    use super::Percentiles;

    #[test]
    fn nearest_rank() {
        let mut s: Vec<u64> = (1..=100).rev().collect();
        let p = Percentiles::of(&mut s);
        assert_eq!((p.p50, p.p99, p.max, p.count), (50, 99, 100, 100));
    }

    #[test]
    fn reads_own_cpu_time() {
        // Spin until the process has used 10 ms of CPU by its own count: on a loaded machine
        // a wall-clock spin can get much less. The deadline only ends a reading that never
        // moves.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let used = || super::cpu_time(None).map_or(0, |t| t.as_millis());
        while used() < 10 && std::time::Instant::now() < deadline {}
        assert!(used() >= 10, "the process's CPU time never reached 10 ms");
    }
}
