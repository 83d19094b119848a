//! Audit-log measurements against any `Store`: appends in transactions of a given size,
//! appends through the server's group-commit writer from many concurrent callers, and
//! verification of the whole chain.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use wicket_core::audit::EventKind;
use wicket_core::audit::{EventBuilder, Verifier};
use wicket_core::{NewEvent, time};
use wicket_engine::audit_writer::AuditWriter;
use wicket_engine::metrics::Metrics;
use wicket_store::{AuditFilter, Store};

/// An event shaped like a denied check's, unique by `n`.
pub fn event(tag: &str, n: usize) -> NewEvent {
    EventBuilder::new(
        format!("ev-{tag}-{n}"),
        time::from_millis(crate::workload::NOW_MS),
        "bench",
        EventKind::CheckDenied,
    )
    .subject(format!("user:u{}", n % 1000))
    .action("db:insert")
    .resource(format!("pg/prod/s{}/public/t{}", n % 250, n % 100))
    .decision("deny")
    .detail(
        "reason",
        format!(
            "no role of `u{}` allows `db:insert` on `pg/prod/s{}/public/t{}`",
            n % 1000,
            n % 250,
            n % 100
        ),
    )
    .build()
}

/// Appends `total` events in transactions of `batch`; returns events per second.
pub async fn append(store: &dyn Store, tag: &str, total: usize, batch: usize) -> Result<f64> {
    let batches: Vec<Vec<NewEvent>> = (0..total)
        .step_by(batch)
        .map(|s| (s..(s + batch).min(total)).map(|n| event(tag, n)).collect())
        .collect();
    let t = Instant::now();
    for b in batches {
        store.append_events(b).await?;
    }
    Ok(total as f64 / t.elapsed().as_secs_f64())
}

/// `callers` tasks each append `each` events one by one through the server's group-commit
/// writer, each waiting until its event is durable; returns events per second and the mean
/// number of events per commit.
pub async fn group_commit(
    store: Arc<dyn Store>,
    tag: &str,
    callers: usize,
    each: usize,
) -> Result<(f64, f64)> {
    let metrics = Arc::new(Metrics::default());
    let writer = AuditWriter::start(
        store,
        metrics.clone(),
        wicket_engine::tail::Tail::default(),
        Default::default(),
    );
    let t = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let (writer, tag) = (writer.clone(), tag.to_string());
            tokio::spawn(async move {
                for i in 0..each {
                    writer
                        .append(event(&tag, c * each + i))
                        .await
                        .map_err(anyhow::Error::msg)?;
                }
                Ok::<_, anyhow::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = t.elapsed();
    let rendered = metrics.render(&wicket_engine::metrics::Gauges::default());
    let commits = rendered
        .lines()
        .find(|l| l.starts_with("wicket_audit_batches_total "))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    let total = (callers * each) as f64;
    Ok((total / elapsed.as_secs_f64(), total / commits.max(1.0)))
}

/// What verifying the chain took, whole and by phase.
#[derive(Clone, Copy, Debug)]
pub struct Verified {
    pub events: u64,
    /// The server's `verify_chain`: stretches read and hashed at once, one per core.
    pub end_to_end: Duration,
    /// The whole chain as one stretch, read and hashed on one thread (`Store::verify_stretch`).
    pub one_thread: Duration,
    /// Reading every event into an `AuditEvent` (`Store::list_events`, pages of 1000).
    pub read_events: Duration,
    /// The canonical encoding only, over events already in memory.
    pub encode: Duration,
    /// Checking hashes and links only, over events already in memory.
    pub in_memory: Duration,
}

pub async fn verify(store: &dyn Store) -> Result<Verified> {
    let t = Instant::now();
    let report = wicket_engine::verify::verify_chain(store).await?;
    let end_to_end = t.elapsed();
    if !report.ok {
        bail!("the chain does not verify: {:?}", report.first_bad);
    }
    let head = report.head.map_or(0, |h| h.0);
    let t = Instant::now();
    let whole = store.verify_stretch(0, head).await?;
    let one_thread = t.elapsed();
    if whole.broken.is_some() || whole.events != report.events {
        bail!("the chain as one stretch does not verify: {whole:?}");
    }
    let t = Instant::now();
    let mut events = Vec::new();
    loop {
        let after = events.last().map(|e: &wicket_core::AuditEvent| e.seq);
        let page = store
            .list_events(&AuditFilter {
                after,
                limit: Some(1000),
                ..Default::default()
            })
            .await?;
        let done = page.len() < 1000;
        events.extend(page);
        if done {
            break;
        }
    }
    let read_events = t.elapsed();
    let t = Instant::now();
    let mut bytes = 0;
    for e in &events {
        bytes += std::hint::black_box(wicket_core::audit::encode(e.seq, &NewEvent::from(e))).len();
    }
    let encode = t.elapsed().saturating_sub(copy_time(&events));
    std::hint::black_box(bytes);
    let t = Instant::now();
    let mut v = Verifier::default();
    for e in &events {
        if let Err(b) = v.push(e) {
            bail!("event {} does not verify: {}", b.seq, b.reason);
        }
    }
    Ok(Verified {
        events: report.events,
        end_to_end,
        one_thread,
        read_events,
        encode,
        in_memory: t.elapsed(),
    })
}

/// What building those `NewEvent`s alone takes, taken off the encoding's time.
fn copy_time(events: &[wicket_core::AuditEvent]) -> Duration {
    let t = Instant::now();
    for e in events {
        std::hint::black_box(NewEvent::from(e));
    }
    t.elapsed()
}
