//! The three engines agree on every check of a small workload (so CI proves the translations
//! to Cedar and Casbin say what Wicket's configuration says).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use wicket_bench::crosscheck::{Engines, cross_check};
use wicket_bench::workload::{Spec, Workload};

#[test]
fn wicket_cedar_and_casbin_agree_on_a_small_workload() {
    let w = Workload::generate(Spec::with_roles(100).checks(400));
    let e = Engines::new(&w).unwrap();
    let seen = cross_check(&w, &e, w.checks.len(), w.checks.len()).unwrap();
    assert_eq!(seen.checks, 400);
    // The mix exercises both answers, not just one.
    assert!(seen.allowed > 40 && seen.allowed < 360, "{seen:?}");
}

#[test]
fn the_workload_is_the_same_for_the_same_seed() {
    let a = Workload::generate(Spec::with_roles(200).checks(50));
    let b = Workload::generate(Spec::with_roles(200).checks(50));
    let text = |w: &Workload| format!("{:?}{:?}{:?}", w.checks, w.grants, w.bindings);
    assert_eq!(text(&a), text(&b));
    let c = Workload::generate(Spec {
        seed: 7,
        ..Spec::with_roles(200).checks(50)
    });
    assert_ne!(text(&a), text(&c));
}
