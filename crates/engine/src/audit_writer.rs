//! Group commit for audit events that belong to no other write (checks): callers wait until
//! their event is durable, and concurrent events share one transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, mpsc, oneshot};
use wicket_core::NewEvent;
use wicket_store::Store;

use crate::health::Health;
use crate::metrics::Metrics;
use crate::tail::Tail;

/// The longest a caller waits for its event's commit: about a connection wait. Past it the
/// caller is told the log could not be written, whatever is queued ahead of it.
pub const APPEND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// Events waiting beyond this are refused rather than queued without bound.
const QUEUE: usize = 65_536;
/// The most events one transaction carries.
const BATCH: usize = 1024;

type Ack = oneshot::Sender<Result<(), String>>;
/// An event and, when someone waits for its commit, where to say it is done.
type Item = (NewEvent, Option<Ack>);

/// True when nobody waits for the commit of `item`.
fn unawaited(item: &Item) -> bool {
    item.1.as_ref().is_none_or(|ack| ack.is_closed())
}

/// How long a batch nobody waits for gathers more events before it is committed.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// Lets a batch of events nobody waits for (the gateway's statements) gather more for up to
/// [`LINGER`], so a busy gateway makes fewer, larger commits; a waiter ends the wait at once
/// (through `urgent`).
///
/// The channel is not watched meanwhile: every send to a watched channel wakes the writer
/// task (often on the other worker thread), and at thousands of statements a second those
/// wake-ups cost more than the commits. What arrived is taken once the wait ends.
async fn linger(rx: &mut mpsc::Receiver<Item>, batch: &mut Vec<Item>, urgent: &Notify) {
    if batch.iter().all(unawaited) {
        tokio::select! {
            _ = tokio::time::sleep(LINGER) => {}
            _ = urgent.notified() => {}
        }
    }
    while batch.len() < BATCH {
        match rx.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Item>,
    health: Arc<Health>,
    /// Set while the last append failed; callers that do not wait (the gateway) check it.
    failing: Arc<AtomicBool>,
    /// Ends a linger: someone is waiting for their event.
    urgent: Arc<Notify>,
}

impl AuditWriter {
    pub fn start(
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        tail: Tail,
        health: Arc<Health>,
    ) -> AuditWriter {
        let (tx, mut rx) = mpsc::channel::<Item>(QUEUE);
        let failing = Arc::new(AtomicBool::new(false));
        let flag = failing.clone();
        let urgent = Arc::new(Notify::new());
        let hurry = urgent.clone();
        let known = health.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                linger(&mut rx, &mut batch, &hurry).await;
                let (events, acks): (Vec<NewEvent>, Vec<Option<Ack>>) = batch.drain(..).unzip();
                let n = events.len();
                let started = std::time::Instant::now();
                // A store known to be down is not waited for: the batch fails at once.
                let result = match known.down() {
                    Some(why) => Err(format!("the audit log cannot be written: {why}")),
                    None => store.append_events(events).await.map_err(|e| {
                        tracing::error!(error = %e, events = n, "audit append failed");
                        known.failed(&e);
                        match known.down() {
                            Some(why) => format!("the audit log cannot be written: {why}"),
                            None => "the audit log could not be written".to_string(),
                        }
                    }),
                };
                flag.store(result.is_err(), Ordering::Relaxed);
                let result = result.map(|sealed| {
                    metrics.audit_append(started.elapsed());
                    metrics.audit_events(n);
                    metrics.audit_batch();
                    tail.committed(sealed);
                });
                for ack in acks.into_iter().flatten() {
                    let _ = ack.send(result.clone());
                }
            }
        });
        AuditWriter {
            tx,
            health,
            failing,
            urgent,
        }
    }

    /// True while the audit log cannot be written (the last group commit failed, or the store
    /// is known to be down).
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed) || self.health.down().is_some()
    }

    /// Fails at once while the store is known to be down.
    fn refuse_if_down(&self) -> Result<(), String> {
        match self.health.down() {
            Some(why) => Err(format!("the audit log cannot be written: {why}")),
            None => Ok(()),
        }
    }

    /// Waits for a commit's answer, at most [`APPEND_DEADLINE`].
    async fn answer(done: oneshot::Receiver<Result<(), String>>) -> Result<(), String> {
        match tokio::time::timeout(APPEND_DEADLINE, done).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("the audit writer has stopped".to_string()),
            Err(_) => Err(format!(
                "the audit log could not be written within {} s",
                APPEND_DEADLINE.as_secs()
            )),
        }
    }

    /// Queues `event` without waiting for its commit (it joins the next group commit); waits
    /// only while the queue is full. Callers check [`AuditWriter::is_failing`] to fail closed.
    pub async fn submit(&self, event: NewEvent) -> Result<(), String> {
        self.tx
            .send((event, None))
            .await
            .map_err(|_| "the audit writer has stopped".to_string())
    }

    /// Appends `event` and waits until it is committed.
    pub async fn append(&self, event: NewEvent) -> Result<(), String> {
        self.refuse_if_down()?;
        let (ack, done) = oneshot::channel();
        self.tx
            .send((event, Some(ack)))
            .await
            .map_err(|_| "the audit writer has stopped".to_string())?;
        self.urgent.notify_one();
        Self::answer(done).await
    }

    /// Appends `events` and waits until all are committed; they share group commits.
    pub async fn append_all(&self, events: Vec<NewEvent>) -> Result<(), String> {
        self.refuse_if_down()?;
        let mut waits = Vec::with_capacity(events.len());
        for event in events {
            let (ack, done) = oneshot::channel();
            self.tx
                .send((event, Some(ack)))
                .await
                .map_err(|_| "the audit writer has stopped".to_string())?;
            waits.push(done);
        }
        self.urgent.notify_one();
        // One deadline for the whole set: they share group commits.
        let all = async {
            for done in waits {
                done.await
                    .map_err(|_| "the audit writer has stopped".to_string())??;
            }
            Ok(())
        };
        match tokio::time::timeout(APPEND_DEADLINE, all).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the audit log could not be written within {} s",
                APPEND_DEADLINE.as_secs()
            )),
        }
    }
}
