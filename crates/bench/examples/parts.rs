//! Native cost of the pieces of one `/v1/check` request outside HTTP (scratch measurement).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "scratch")]
use std::hint::black_box;
use std::time::Instant;
use wicket_bench::wicket::Engine;
use wicket_bench::workload::{Spec, Workload};
use wicket_core::{Action, Resource, decide};

fn time(name: &str, n: u32, mut f: impl FnMut()) {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    println!("{name}: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CheckBody {
    subject: Option<String>,
    action: String,
    resource: String,
}

fn main() {
    let mut w = Workload::generate(Spec::with_roles(1000).checks(10));
    w.add_bench_users();
    let e = Engine::new(&w).unwrap();
    let token = "wkt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    time("token_hash", 200_000, || {
        black_box(wicket_engine::ids::token_hash(black_box(token)));
    });
    let body = br#"{"action":"db:select","resource":"pg/prod/s0/public/t1"}"#;
    time("json parse", 200_000, || {
        let de = &mut serde_json::Deserializer::from_slice(black_box(body));
        black_box(serde_path_to_error::deserialize::<_, CheckBody>(de).unwrap());
    });
    time("action+resource parse", 200_000, || {
        black_box((
            Action::parse("db:select").unwrap(),
            Resource::parse("pg/prod/s0/public/t1").unwrap(),
        ));
    });
    let (a, r) = (
        Action::parse("db:select").unwrap(),
        Resource::parse("pg/prod/s0/public/t1").unwrap(),
    );
    time("decide", 200_000, || {
        black_box(decide(&e.index, "bench", &a, &r, e.now));
    });
    let d = decide(&e.index, "bench", &a, &r, e.now);
    time("serialize", 200_000, || {
        black_box(serde_json::to_vec(black_box(&d)).unwrap());
    });
    time("now", 200_000, || {
        black_box(wicket_engine::app::now());
    });
}
