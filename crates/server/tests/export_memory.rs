//! `GET /v1/audit?format=jsonl` over 100,000 events in flat memory. A test binary of its own,
//! so that no other test shares the process whose peak memory it measures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Only part of the API tests' helpers is needed here.
#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

// The helpers check every answer against the spec.
#[allow(dead_code)]
#[path = "api/conform.rs"]
mod conform;

use std::time::Instant;

use helpers::spawn_app;
use wicket_core::audit::EventBuilder;
use wicket_core::audit::EventKind;

const EVENTS: usize = 100_000;
/// Each event carries this much detail, so the whole export is far larger than the bound.
const PAD: usize = 1000;
const BATCH: usize = 5_000;

/// `VmRSS` or `VmHWM` (peak) of this process, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100k_event_export_streams_in_constant_memory() {
    let app = spawn_app().await;
    let root = app.token("root").await;
    let store = app.running.as_ref().unwrap().app.store.clone();
    let seeded = Instant::now();
    let pad = "x".repeat(PAD);
    for b in 0..EVENTS / BATCH {
        let events = (0..BATCH)
            .map(|i| {
                EventBuilder::new(
                    format!("ev_seed_{b}_{i}"),
                    wicket_engine::app::now(),
                    "loadgen",
                    EventKind::CheckDenied,
                )
                .subject("user:alice")
                .action("db:select")
                .resource("postgres/prod/orders/t")
                .decision("deny")
                .detail("pad", pad.as_str())
                .build()
            })
            .collect();
        store.append_events(events).await.unwrap();
    }
    eprintln!("seeded {EVENTS} events in {:?}", seeded.elapsed());

    // Reset the peak to what is resident now, then export.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kib("VmRSS:");
    let started = Instant::now();
    let mut resp = app
        .client
        .get(format!("{}/v1/audit?format=jsonl", app.addr))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (mut lines, mut bytes, mut last_seq) = (0usize, 0usize, 0i64);
    let mut partial: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        bytes += chunk.len();
        partial.extend_from_slice(&chunk);
        while let Some(end) = partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = partial.drain(..=end).collect();
            let e: serde_json::Value = serde_json::from_slice(&line).unwrap();
            let seq = e["seq"].as_i64().unwrap();
            assert_eq!(
                seq,
                last_seq + 1,
                "events come in chain order, none missing"
            );
            last_seq = seq;
            lines += 1;
        }
    }
    assert!(partial.is_empty());
    let peak = status_kib("VmHWM:");
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "exported {lines} events, {} MiB, in {:?}; peak memory grew {growth_mib} MiB",
        bytes >> 20,
        started.elapsed()
    );
    assert!(lines > EVENTS, "every seeded event and the server's own");
    assert!(bytes > 100 << 20, "the export is larger than 100 MiB");
    // Buffering the export would take well over 100 MiB; streaming keeps a few pages.
    assert!(growth_mib < 48, "peak memory grew {growth_mib} MiB");
}
