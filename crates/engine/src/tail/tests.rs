//! The tail against a real SQLite file: events the audit writer committed are read from
//! memory, and anything the memory cannot give without a gap comes from the store.

use std::sync::Arc;

use wicket_core::AuditEvent;
use wicket_core::audit::{EventBuilder, EventKind, seal};
use wicket_core::time::from_millis;
use wicket_store::Store;
use wicket_store::sqlite::SqliteStore;

use super::*;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn new_event(i: usize) -> wicket_core::NewEvent {
    EventBuilder::new(
        format!("ev_{i}"),
        from_millis(1_700_000_000_000 + i as i64),
        "alice",
        EventKind::CheckDenied,
    )
    .detail("n", i as u64)
    .build()
}

/// Sealed events `seqs`, as a commit would return them (not in any store).
fn sealed(seqs: std::ops::RangeInclusive<i64>) -> Vec<AuditEvent> {
    seqs.map(|seq| seal(seq - 1, "prev", new_event(seq as usize)))
        .collect()
}

async fn store()
-> Result<(tempfile::TempDir, Arc<dyn Store>), Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await?);
    Ok((dir, store))
}

fn seqs<E: std::ops::Deref<Target = AuditEvent>>(events: &[E]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn committed_events_are_read_from_memory() -> TestResult {
    // The store is empty: what the reader returns can only come from memory.
    let (_dir, store) = store().await?;
    let tail = Tail::default();
    let mut reader = tail.reader(store, 0);
    tail.committed(sealed(1..=3));
    let events = reader.next().await?;
    assert_eq!(seqs(&events), [1, 2, 3]);
    assert_eq!(events[1].id, "ev_2");
    assert_eq!(reader.position(), 3);
    tail.committed(sealed(4..=5));
    assert_eq!(seqs(&reader.next().await?), [4, 5]);
    Ok(())
}

#[tokio::test]
async fn a_gap_in_memory_sends_the_reader_to_the_store() -> TestResult {
    let (_dir, store) = store().await?;
    let written = store
        .append_events((1..=6).map(new_event).collect())
        .await?;
    let tail = Tail::default();
    // Memory holds 5 and 6 only (4 was committed by another write path): the reader after 3
    // reads 4, 5 and 6 from the store, as they were written.
    tail.committed(written[4..].to_vec());
    let mut reader = tail.reader(store.clone(), 3);
    let events = reader.next().await?;
    assert_eq!(seqs(&events), [4, 5, 6]);
    assert!(events.iter().map(|e| &**e).eq(&written[3..]));
    // Behind everything memory holds, it reads the store too.
    let mut early = tail.reader(store, 0);
    assert_eq!(seqs(&early.next().await?), [1, 2, 3, 4, 5, 6]);
    Ok(())
}

#[test]
fn memory_keeps_the_last_events_in_order() {
    let tail = Tail::default();
    tail.committed(sealed(1..=(RECENT as i64 + 10)));
    let recent = lock(&tail.recent);
    assert_eq!(recent.len(), RECENT);
    assert_eq!(recent.front().map(|e| e.seq), Some(11));
    assert!(
        following(&recent, 5, 10).is_empty(),
        "seq 6 is no longer held"
    );
    assert_eq!(seqs(&following(&recent, 10, 3)), [11, 12, 13]);
    drop(recent);
    // Events older than what is held start memory over rather than break its order.
    tail.committed(sealed(3..=4));
    let recent = lock(&tail.recent);
    assert_eq!(seqs(&recent.iter().cloned().collect::<Vec<_>>()), [3, 4]);
}

#[test]
fn following_stops_at_a_gap() {
    let mut recent: Recent = sealed(1..=3).into_iter().map(Arc::new).collect();
    recent.extend(sealed(5..=6).into_iter().map(Arc::new));
    assert_eq!(seqs(&following(&recent, 0, 10)), [1, 2, 3]);
    assert_eq!(seqs(&following(&recent, 4, 10)), [5, 6]);
    assert!(following(&recent, 3, 10).is_empty());
    assert!(following(&recent, 6, 10).is_empty());
}
