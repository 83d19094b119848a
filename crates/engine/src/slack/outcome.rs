//! Keeping a request's Slack message current: a reader of the audit tail takes every review
//! and every end of a request (approved, denied, cancelled or expired; from Slack, the web UI,
//! the CLI, the API, a sweep or deprovisioning alike) and, when the request's message is
//! kept, rewrites it with the outcome (`chat.update`), buttons gone once decided. A failure is
//! logged and never touches the decision, which is committed already.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use wicket_core::audit::EventKind;
use wicket_core::{AuditEvent, Request, RequestState};

use super::{call, message};
use crate::app::App;
use crate::tail::TailReader;

/// The kinds of event after which a request's message says something new.
const NEWS: [EventKind; 5] = [
    EventKind::ReviewAdded,
    EventKind::RequestApproved,
    EventKind::RequestDenied,
    EventKind::RequestCancelled,
    EventKind::RequestExpired,
];

/// The requests that `events` bring news of, each once, in the order first seen.
fn touched(events: &[Arc<AuditEvent>]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    events
        .iter()
        .filter(|e| NEWS.iter().any(|k| k.as_str() == e.kind))
        .filter_map(|e| e.request_id.clone())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// Who ended `request`, from its reviews or, for a cancellation, from its event.
fn outcome(request: &Request, cancelled_by: Option<&str>) -> Option<String> {
    let last = request.reviews.last().map(|r| r.reviewer.as_str());
    Some(match request.state {
        RequestState::Approved => match last {
            Some(who) => format!("Approved; last review by {who}."),
            None => "Approved.".to_string(),
        },
        RequestState::Denied => format!("Denied by {}.", last.unwrap_or("a reviewer")),
        RequestState::Cancelled => format!("Cancelled by {}.", cancelled_by.unwrap_or("wicket")),
        RequestState::Expired => "Expired: no decision in time.".to_string(),
        RequestState::Pending => format!(
            "{} approved step {}; step {} waits.",
            last?,
            request.step,
            request.step + 1
        ),
    })
}

/// Rewrites `request`'s kept message with where it stands now. `cancelled_by` names who
/// cancelled it, when known.
async fn rewrite(app: &App, request: &Request, cancelled_by: Option<&str>) {
    let Some(slack) = app.config.slack.as_ref() else {
        return;
    };
    let kept = match app.store.slack_message(&request.id).await {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(request = %request.id, error = %e, "could not read the request's Slack message");
            return;
        }
    };
    let Some(said) = outcome(request, cancelled_by) else {
        return;
    };
    let (text, blocks) = message(app, request, Some(&said));
    let body = json!({"channel": kept.channel, "ts": kept.ts, "text": text, "blocks": blocks});
    if let Err(e) = call(slack, "chat.update", Some(&body), &[]).await {
        tracing::warn!(request = %request.id, error = %e, "could not update the Slack message");
    }
}

/// Rewrites `request`'s kept message, if it has one, with where it stands now.
pub async fn update(app: &App, request: &Request) {
    let cancelled_by = if request.state == RequestState::Cancelled {
        cancelled_by(app, &request.id).await
    } else {
        None
    };
    rewrite(app, request, cancelled_by.as_deref()).await;
}

/// Who cancelled request `id`, from its `request.cancelled` event.
async fn cancelled_by(app: &App, id: &str) -> Option<String> {
    let filter = wicket_store::AuditFilter {
        request_id: Some(id.to_string()),
        kind: Some(EventKind::RequestCancelled.as_str().to_string()),
        ..Default::default()
    };
    let events = app.store.list_events(&filter).await.ok()?;
    events.last().map(|e| e.actor.clone())
}

/// Starts following the audit tail from its head (before returning, so nothing committed
/// afterwards is missed) until `stop`, updating the messages of the requests it brings news
/// of. Nothing runs without `[slack]`.
pub async fn start(app: &App, stop: watch::Receiver<bool>) {
    if app.config.slack.is_none() {
        return;
    }
    match app.tail.reader_at_head(app.store.clone()).await {
        Ok(reader) => {
            tokio::spawn(run(app.clone(), reader, stop));
        }
        Err(e) => {
            tracing::error!(error = %e, "Slack messages will not be updated: the audit head could not be read");
        }
    }
}

async fn run(app: App, mut reader: TailReader, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            read = reader.next() => match read {
                Ok(page) => news(&app, &page).await,
                Err(e) => {
                    tracing::warn!(error = %e, "Slack message updates could not read the audit log");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
            _ = stop.changed() => break,
        }
    }
}

/// Updates the messages of the requests `page` brings news of.
async fn news(app: &App, page: &[Arc<AuditEvent>]) {
    for id in touched(page) {
        let cancelled = page.iter().rev().find(|e| {
            e.request_id.as_deref() == Some(id.as_str())
                && e.kind == EventKind::RequestCancelled.as_str()
        });
        match app.store.get_request(&id).await {
            Ok(Some(r)) => rewrite(app, &r, cancelled.map(|e| e.actor.as_str())).await,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(request = %id, error = %e, "could not read a request for its Slack message");
            }
        }
    }
}
