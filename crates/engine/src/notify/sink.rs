//! One webhook sink: its bounded queue (the oldest is dropped when full, never blocking the
//! dispatcher) and its worker, which posts each notification with a timeout and retries with
//! exponential backoff.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use tokio::sync::{Notify, watch};
use wicket_core::config::notify::Webhook;

use super::body::{self, SIGNATURE_HEADER};
use super::message::Notification;

/// Notifications one sink holds at most while it is slow or down.
pub const QUEUE_CAP: usize = 1000;
/// How long one delivery attempt may take.
pub const ATTEMPT_TIMEOUT: StdDuration = StdDuration::from_secs(5);
/// Attempts per notification before it is given up.
pub const MAX_ATTEMPTS: u32 = 4;
/// The wait before the first retry; it doubles after each.
pub const FIRST_BACKOFF: StdDuration = StdDuration::from_millis(500);

/// A sink as the dispatcher sees it.
pub struct Sink {
    pub hook: Webhook,
    /// Read at start from the configured source; never logged.
    secret: Option<Vec<u8>>,
    queue: Mutex<VecDeque<Notification>>,
    ready: Notify,
}

/// How a notification ended.
#[derive(Debug)]
pub enum Outcome {
    Delivered,
    /// Given up: how many attempts, and the last error (no url, no secret in it).
    Failed {
        attempts: u32,
        error: String,
    },
}

impl Sink {
    pub fn new(hook: Webhook, secret: Option<Vec<u8>>) -> Sink {
        Sink {
            hook,
            secret,
            queue: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
        }
    }

    /// Queues `n`; when the queue is full the oldest notification is dropped. True when one
    /// was dropped (the caller counts it in the metrics).
    pub fn push(&self, n: Notification) -> bool {
        let mut dropped = false;
        {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            if q.len() >= QUEUE_CAP
                && let Some(old) = q.pop_front()
            {
                dropped = true;
                tracing::warn!(
                    sink = %self.hook.name,
                    kind = %old.kind,
                    delivery = %old.delivery_id,
                    "webhook queue full; dropped the oldest notification"
                );
            }
            q.push_back(n);
        }
        self.ready.notify_one();
        dropped
    }

    /// The next queued notification, waiting for one; `None` once `stop` turns true.
    pub async fn next(&self, stop: &mut watch::Receiver<bool>) -> Option<Notification> {
        loop {
            if *stop.borrow() {
                return None;
            }
            if let Some(n) = self
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front()
            {
                return Some(n);
            }
            tokio::select! {
                _ = self.ready.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Posts `n` until it is accepted, a permanent error, or [`MAX_ATTEMPTS`]; each failed
    /// attempt is reported to `failed_attempt`. `None` when `stop` interrupted the waits.
    pub async fn deliver(
        &self,
        client: &reqwest::Client,
        n: &Notification,
        stop: &mut watch::Receiver<bool>,
        failed_attempt: impl Fn(),
    ) -> Option<Outcome> {
        let body = body::body(self.hook.format, n);
        let signature = self.secret.as_deref().map(|s| body::signature(s, &body));
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = client
                .post(&self.hook.url)
                .timeout(ATTEMPT_TIMEOUT)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("x-wicket-event", n.kind.as_str())
                .header("x-wicket-delivery", n.delivery_id.as_str())
                .body(body.clone());
            if let Some(sig) = &signature {
                request = request.header(SIGNATURE_HEADER, sig.as_str());
            }
            let (error, permanent) = match request.send().await {
                Ok(resp) if resp.status().is_success() => return Some(Outcome::Delivered),
                Ok(resp) => {
                    let status = resp.status();
                    let permanent = status.is_client_error()
                        && status != StatusCode::REQUEST_TIMEOUT
                        && status != StatusCode::TOO_MANY_REQUESTS;
                    (format!("the sink answered {status}"), permanent)
                }
                Err(e) => (describe(&e), false),
            };
            failed_attempt();
            tracing::warn!(sink = %self.hook.name, kind = %n.kind, attempt, %error, "webhook delivery failed");
            if permanent || attempt >= MAX_ATTEMPTS {
                return Some(Outcome::Failed {
                    attempts: attempt,
                    error,
                });
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return None,
            }
            backoff *= 2;
        }
    }
}

/// A transport error in words, without the url (a Slack url carries its token).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs());
    }
    if e.is_connect() {
        return "could not connect".into();
    }
    let mut deepest: &dyn std::error::Error = e;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    if let Some(io) = deepest.downcast_ref::<std::io::Error>() {
        return format!("request failed: {}", io.kind());
    }
    "request failed".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use wicket_core::config::notify::WebhookFormat;

    fn numbered(n: usize) -> Notification {
        Notification {
            kind: "request.created".into(),
            delivery_id: format!("ev{n}"),
            at: wicket_core::time::from_millis(0),
            summary: String::new(),
            recipients: Vec::new(),
            subject: None,
            request_id: None,
            grant_id: None,
            event: None,
            details: Value::Null,
        }
    }

    #[tokio::test]
    async fn a_full_queue_drops_its_oldest_and_keeps_the_newest_in_order() {
        let sink = Sink::new(
            Webhook {
                name: "slow".into(),
                url: "http://127.0.0.1:9/hook".into(),
                events: vec!["*".into()],
                subjects: Vec::new(),
                secret: None,
                format: WebhookFormat::Json,
            },
            None,
        );
        for n in 0..QUEUE_CAP {
            assert!(!sink.push(numbered(n)), "dropped at {n} of {QUEUE_CAP}");
        }
        // Two more: each pushes out the oldest still queued.
        assert!(sink.push(numbered(QUEUE_CAP)));
        assert!(sink.push(numbered(QUEUE_CAP + 1)));

        let (_tx, mut stop) = watch::channel(false);
        let mut order = Vec::new();
        while !sink.queue.lock().unwrap().is_empty() {
            order.push(sink.next(&mut stop).await.unwrap().delivery_id);
        }
        let expected: Vec<String> = (2..QUEUE_CAP + 2).map(|n| format!("ev{n}")).collect();
        assert_eq!(order, expected);
    }
}
