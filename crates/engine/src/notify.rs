//! Notifications: a dispatcher reads the audit tail, turns news into notifications (see
//! [`events`]) plus a timer for grants about to end and review campaigns about to close, and hands them to each `[[notify.webhook]]`
//! sink that wants them. Each sink has its own bounded queue and worker, so a slow or dead
//! sink never holds up a decision, the dispatcher or the other sinks. Deliveries are counted
//! in the metrics; a notification given up for good is recorded as a `notify.failed` event.

mod body;
mod due;
mod events;
mod expiring;
mod message;
mod sink;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::error::{Context, EngineError, EngineResult as Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wicket_core::audit::EventBuilder;
use wicket_core::config::PasswordSource;
use wicket_core::config::notify::{SecretSource, Webhook};

use crate::app::{App, now};
use crate::ids::new_id;
use crate::tail::TailReader;

pub use body::{SIGNATURE_HEADER, signature};
pub use message::Notification;
pub use sink::{ATTEMPT_TIMEOUT, FIRST_BACKOFF, MAX_ATTEMPTS, QUEUE_CAP};

use self::due::Due;
use self::expiring::Expiring;
use self::sink::{Outcome, Sink};
use wicket_core::audit::EventKind;

/// How often live grants are checked for "expiring soon" and open campaigns for "due".
const EXPIRING_EVERY: StdDuration = StdDuration::from_secs(2);

/// Reads every sink's secret, takes a tail reader at the current head, and starts the
/// dispatcher and one worker per sink. Nothing runs when no sink is configured.
pub async fn start(app: App, stop: watch::Receiver<bool>) -> Result<JoinHandle<()>> {
    let mut sinks = Vec::new();
    for hook in &app.config.notify.webhooks {
        let secret = read_secret(hook)?;
        sinks.push(Arc::new(Sink::new(hook.clone(), secret)));
    }
    if sinks.is_empty() {
        return Ok(tokio::spawn(async {}));
    }
    let reader = app
        .tail
        .reader_at_head(app.store.clone())
        .await
        .context("reading the audit head for notifications")?;
    let client = reqwest::Client::builder()
        .connect_timeout(sink::ATTEMPT_TIMEOUT)
        .user_agent(concat!("wicket/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the webhook client")?;
    Ok(tokio::spawn(run(app, sinks, client, reader, stop)))
}

/// A sink's secret from the file, the environment or the configuration itself.
fn read_secret(hook: &Webhook) -> Result<Option<Vec<u8>>> {
    let source = match &hook.secret {
        None => return Ok(None),
        // The configuration refuses an empty inline secret.
        Some(SecretSource::Inline(s)) => return Ok(Some(s.clone().into_bytes())),
        Some(SecretSource::Env(name)) => PasswordSource::Env(name.clone()),
        Some(SecretSource::File(path)) => PasswordSource::File(path.clone()),
    };
    let text = crate::secret::read_setting(&source, "secret")
        .map_err(|e| EngineError::Setup(format!("webhook `{}`: {e}", hook.name)))?;
    Ok(Some(text.into_bytes()))
}

async fn run(
    app: App,
    sinks: Vec<Arc<Sink>>,
    client: reqwest::Client,
    mut reader: TailReader,
    mut stop: watch::Receiver<bool>,
) {
    let workers: Vec<JoinHandle<()>> = sinks
        .iter()
        .map(|s| tokio::spawn(work(app.clone(), s.clone(), client.clone(), stop.clone())))
        .collect();
    let wants_expiring = sinks
        .iter()
        .any(|s| s.hook.wants(EventKind::GrantExpiring.as_str()));
    let wants_due = sinks
        .iter()
        .any(|s| s.hook.wants(EventKind::ReviewDue.as_str()));
    let mut expiring = Expiring::default();
    let mut due = Due::default();
    let mut tick = crate::ticker::every(EXPIRING_EVERY);
    loop {
        tokio::select! {
            read = reader.next() => match read {
                Ok(page) => {
                    for event in &page {
                        if let Some(n) = events::notification(&app.config, event) {
                            dispatch(&app, &sinks, n);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notifications could not read the audit log");
                    tokio::time::sleep(StdDuration::from_secs(1)).await;
                }
            },
            _ = tick.tick(), if wants_expiring || wants_due => {
                let at = now();
                let lead = app.config.notify.expiring_lead;
                if wants_expiring {
                    match app.store.live_grants(at).await {
                        Ok(live) => {
                            for n in expiring.due(&live, lead, at) {
                                dispatch(&app, &sinks, n);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "notifications could not read live grants"),
                    }
                }
                if wants_due && !app.config.reviews.is_empty() {
                    match app.store.list_campaigns(true).await {
                        Ok(open) => {
                            for n in due.due(&app.config, &open, lead, at) {
                                dispatch(&app, &sinks, n);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "notifications could not read open campaigns"),
                    }
                }
            }
            _ = stop.changed() => break,
        }
    }
    for w in workers {
        let _ = w.await;
    }
}

/// Queues `n` on every sink that wants its kind and, when the sink names subjects, is
/// addressed to one of them.
fn dispatch(app: &App, sinks: &[Arc<Sink>], n: Notification) {
    for s in sinks {
        if !s.hook.wants(&n.kind) {
            continue;
        }
        let addressed = s.hook.subjects.is_empty()
            || n.recipients.iter().any(|user| {
                let groups = &app.groups_of(user);
                s.hook.subjects.iter().any(|subj| subj.covers(user, groups))
            });
        if addressed && s.push(n.clone()) {
            app.metrics.webhook_dropped(&s.hook.name);
        }
    }
}

/// One sink's worker: delivers its queue in order until `stop`.
async fn work(app: App, sink: Arc<Sink>, client: reqwest::Client, mut stop: watch::Receiver<bool>) {
    while let Some(n) = sink.next(&mut stop).await {
        let failed = || app.metrics.webhook_failed(&sink.hook.name);
        match sink.deliver(&client, &n, &mut stop, failed).await {
            None => return,
            Some(Outcome::Delivered) => app.metrics.webhook_delivered(&sink.hook.name),
            Some(Outcome::Failed { attempts, error }) => {
                // A failure to tell about a failure is not recorded again: no loop.
                if n.kind != EventKind::NotifyFailed {
                    record_failure(&app, &sink.hook.name, &n, attempts, &error).await;
                }
            }
        }
    }
}

/// Appends `notify.failed` for a notification given up.
async fn record_failure(app: &App, sink: &str, n: &Notification, attempts: u32, error: &str) {
    let mut e = EventBuilder::new(new_id("ev"), now(), "wicket", EventKind::NotifyFailed)
        .detail("sink", sink)
        .detail("notification", n.kind.clone())
        .detail("delivery_id", n.delivery_id.clone())
        .detail("attempts", attempts)
        .detail("error", error);
    if let Some(s) = &n.subject {
        e = e.subject(s.clone());
    }
    if let Some(r) = &n.request_id {
        e = e.request(r.clone());
    }
    if let Some(g) = &n.grant_id {
        e = e.grant(g.clone());
    }
    match app.store.append_events(vec![e.build()]).await {
        Ok(events) => {
            app.metrics.audit_events(events.len());
            app.tail.wake();
        }
        Err(err) => tracing::error!(error = %err, sink, "recording notify.failed failed"),
    }
}
