//! Gateway activity in the engine's metrics (what `/metrics` shows): sessions started and
//! open, statements allowed and denied, counted from the audit log as the engine reads it.

use std::time::{Duration, Instant};

use wicket_engine::metrics::Gauges;

use crate::helpers::{Env, env};

/// The value of one series of the engine's metrics text.
fn sample(env: &Env, series: &str) -> u64 {
    let text = env.app().metrics.render(&Gauges {
        live_grants: 0,
        requests_by_state: None,
    });
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{series}` in\n{text}"))
}

/// Waits (up to 30 s) until the gateway series read `want`: sessions started, sessions open,
/// statements allowed, statements denied.
async fn wait_for(env: &Env, want: [u64; 4]) {
    let read = || {
        [
            sample(env, "wicket_gateway_sessions_total"),
            sample(env, "wicket_gateway_sessions_open"),
            sample(env, "wicket_gateway_statements_total{decision=\"allow\"}"),
            sample(env, "wicket_gateway_statements_total{decision=\"deny\"}"),
        ]
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while read() != want {
        assert!(
            Instant::now() < deadline,
            "the gateway metrics read {:?}, not {want:?}, after 30 s",
            read()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn gateway_sessions_and_statements_move_the_metrics() {
    let Some(env) = env().await else { return };
    wait_for(&env, [0, 0, 0, 0]).await;
    let (c, conn) = env.session("alice", "db-read", "10m").await;
    c.simple_query("SELECT name FROM customers").await.unwrap();
    c.simple_query("SELECT amount FROM payments").await.unwrap();
    c.simple_query("DELETE FROM payments").await.unwrap_err();
    wait_for(&env, [1, 1, 2, 1]).await;
    drop(c);
    conn.await.unwrap().unwrap();
    wait_for(&env, [1, 0, 2, 1]).await;
}
