//! In-process decisions, side by side: ns per check for Wicket, Cedar and Casbin on one
//! workload at 100 to 100k roles (and Wicket's previous algorithm, the "before"); Wicket's
//! p50/p99 over 1M checks; the denied path with requestable roles; index rebuild and
//! incremental update; check latency with 1M grants.
//!
//! `WICKET_BENCH_ROLES=100,1000` picks the sizes; `WICKET_BENCH_CASBIN_MAX` the largest
//! size Casbin is run at (default 100000). Every size is cross-checked before it is timed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark setup fails loudly"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main,
};
use wicket_bench::crosscheck::{Engines, cross_check};
use wicket_bench::reference;
use wicket_bench::stats::{clock_overhead, time_each};
use wicket_bench::wicket::{self, ParsedCheck};
use wicket_bench::workload::{Spec, Workload};
use wicket_core::{Decision, Index, Time, decide, time};

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// How many checks Cedar and Casbin are cross-checked on at `roles`: both evaluate every
/// policy on every check, so at 10k roles and more one check takes them from tenths of a
/// second to seconds, and the cross-check samples fewer.
fn cross_limits(roles: usize) -> (usize, usize) {
    match roles {
        0..=100 => (10_000, 10_000),
        101..=1_000 => (2_000, 300),
        1_001..=10_000 => (100, 20),
        _ => (10, 3),
    }
}

fn engines(c: &mut Criterion) {
    let casbin_max = env_list("WICKET_BENCH_CASBIN_MAX", &[100_000])[0];
    for roles in env_list("WICKET_BENCH_ROLES", &[100, 1_000, 10_000, 100_000]) {
        let w = Workload::generate(Spec::with_roles(roles));
        let t = Instant::now();
        let e = Engines::new(&w).expect("building the engines");
        println!(
            "roles={roles}: {} users, {} grants; engines built in {:.1?}",
            w.users.len(),
            w.grants.len(),
            t.elapsed()
        );
        let (limit, casbin_limit) = cross_limits(roles);
        let casbin_limit = if roles <= casbin_max { casbin_limit } else { 0 };
        let t = Instant::now();
        let agreed = cross_check(&w, &e, limit, casbin_limit).expect("the engines disagree");
        println!(
            "roles={roles}: cross-check agreed on {} checks ({} allowed; casbin on the first {casbin_limit}) in {:.1?}",
            agreed.checks,
            agreed.allowed,
            t.elapsed()
        );

        let mut g = c.benchmark_group("check");
        g.sample_size(if roles >= 10_000 { 10 } else { 50 });
        if roles >= 10_000 {
            // Cedar and Casbin take up to seconds per check here: ten equal samples, not
            // Criterion's growing ones (55 iterations at least).
            g.sampling_mode(SamplingMode::Flat);
        }
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(3));
        let (index, checks, now) = (&e.wicket.index, &e.wicket.checks, e.wicket.now);
        let n = checks.len();
        let id = |engine| BenchmarkId::new(engine, roles);
        round_robin(&mut g, id("wicket"), n, |i| ours(index, &checks[i], now));
        round_robin(&mut g, id("wicket-before"), n, |i| {
            before(index, &checks[i], now)
        });
        round_robin(&mut g, id("cedar"), n, |i| {
            e.cedar.allowed(&e.cedar.requests[i])
        });
        if roles <= casbin_max {
            round_robin(&mut g, id("casbin"), n, |i| {
                e.casbin
                    .allowed(&e.casbin.requests[i])
                    .expect("casbin enforce")
            });
        }
        g.finish();
        denied(c, roles, index, checks, now);
        rebuild(c, roles, &w, index);
        percentiles(&format!("roles={roles}"), index, checks, now);
    }
}

/// Times `f` under `id`, one input a sample: `1, 2, …` modulo `n` in turn (the workload's
/// checks, cycled through).
fn round_robin<O>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    n: usize,
    mut f: impl FnMut(usize) -> O,
) {
    g.bench_function(id, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % n;
            black_box(f(i))
        })
    });
}

/// Wicket's decision on `c`.
fn ours(index: &Index, c: &ParsedCheck, now: Time) -> Decision {
    decide(index, &c.user, &c.action, &c.resource, now)
}

/// The reference ("before") decision on `c`.
fn before(index: &Index, c: &ParsedCheck, now: Time) -> Decision {
    reference::decide(index, &c.user, &c.action, &c.resource, now)
}

/// Checks that are denied with roles to request: the path that looks up policies.
fn denied(c: &mut Criterion, roles: usize, index: &Index, checks: &[ParsedCheck], now: Time) {
    let denied: Vec<&ParsedCheck> = checks
        .iter()
        .filter(|c| {
            let d = decide(index, &c.user, &c.action, &c.resource, now);
            !d.allowed && !d.requestable.is_empty()
        })
        .collect();
    println!(
        "roles={roles}: {} of {} checks are denied with requestable roles",
        denied.len(),
        checks.len()
    );
    if denied.is_empty() {
        return;
    }
    let mut g = c.benchmark_group("denied-requestable");
    g.sample_size(if roles >= 10_000 { 10 } else { 50 });
    g.measurement_time(Duration::from_secs(3));
    let n = denied.len();
    round_robin(&mut g, BenchmarkId::new("wicket", roles), n, |i| {
        ours(index, denied[i], now)
    });
    round_robin(&mut g, BenchmarkId::new("wicket-before", roles), n, |i| {
        before(index, denied[i], now)
    });
    g.finish();
}

/// A full rebuild (what a restart or policy reload does) and one grant in and out.
fn rebuild(c: &mut Criterion, roles: usize, w: &Workload, index: &Index) {
    let config = index.config().clone();
    let grants = wicket::grants(w);
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function(BenchmarkId::new("rebuild", roles), |b| {
        b.iter(|| {
            let mut index = Index::new(Arc::clone(&config));
            for grant in &grants {
                index.upsert_grant(grant);
            }
            black_box(index)
        })
    });
    let mut index = index.clone();
    let mut grant = grants.first().cloned().expect("a workload has grants");
    g.bench_function(BenchmarkId::new("upsert-one-grant", roles), |b| {
        b.iter_custom(|iters| {
            let ids: Vec<String> = (0..iters).map(|i| format!("new-{i}")).collect();
            let start = Instant::now();
            for id in &ids {
                grant.id.clone_from(id);
                index.upsert_grant(&grant);
            }
            let took = start.elapsed();
            for id in &ids {
                index.remove_grant(id);
            }
            took
        })
    });
    g.finish();
}

/// Each of 1M checks timed on its own (clock reads included; their cost is printed too).
fn percentiles(label: &str, index: &Index, checks: &[ParsedCheck], now: Time) {
    let n = checks.len();
    let p = time_each(1_000_000, |i| {
        let c = &checks[i % n];
        black_box(decide(index, &c.user, &c.action, &c.resource, now));
    });
    println!("{label}: wicket over 1M checks: {p}");
    println!("{label}: clock reads alone: {}", clock_overhead(1_000_000));
}

/// Check latency with 1M grants (100k users, 1k roles) against the same workload without.
fn many_grants(c: &mut Criterion) {
    if env_list("WICKET_BENCH_GRANTS", &[1]).first() == Some(&0) {
        return;
    }
    let mut g = c.benchmark_group("grants");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(3));
    for grants in [0, 1_000_000] {
        let w = Workload::generate(
            Spec::with_roles(1_000)
                .users(100_000)
                .grants(grants)
                .checks(10_000),
        );
        let t = Instant::now();
        let e = wicket::Engine::new(&w).expect("building the index");
        println!(
            "grants={grants}: index with {} live grants built in {:.1?}",
            e.index.grant_count(),
            t.elapsed()
        );
        let (index, checks, now) = (&e.index, &e.checks, time::from_millis(w.now));
        let n = checks.len();
        round_robin(&mut g, BenchmarkId::new("wicket", grants), n, |i| {
            ours(index, &checks[i], now)
        });
        percentiles(&format!("grants={grants}"), index, checks, now);
    }
    g.finish();
}

criterion_group!(benches, engines, many_grants);
criterion_main!(benches);
