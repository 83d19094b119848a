//! A fixed loop of decisions to run under `valgrind --tool=callgrind` (instruction counts do
//! not care how busy the machine is) or `perf record`: `profile ROLES ROUNDS [before]`. Prints
//! the mean time per decision of the loop.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a profiling harness fails loudly"
)]

use std::hint::black_box;

use wicket_bench::reference;
use wicket_bench::wicket::Engine;
use wicket_bench::workload::{Spec, Workload};
use wicket_core::decide;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let roles = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let rounds = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let before = args.get(3).is_some_and(|s| s == "before");
    let w = Workload::generate(Spec::with_roles(roles));
    let e = Engine::new(&w).expect("engine");
    let n = e.checks.len();
    let started = std::time::Instant::now();
    for i in 0..rounds {
        let c = &e.checks[i % n];
        if before {
            black_box(reference::decide(
                &e.index,
                &c.user,
                &c.action,
                &c.resource,
                e.now,
            ));
        } else {
            black_box(decide(&e.index, &c.user, &c.action, &c.resource, e.now));
        }
    }
    println!(
        "{rounds} decisions at {roles} roles: {:.0} ns each on average",
        started.elapsed().as_nanos() as f64 / rounds.max(1) as f64
    );
}
