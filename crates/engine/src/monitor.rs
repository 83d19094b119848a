//! The monitor: reads committed audit events from the tail, feeds them to the anomaly rules
//! (`wicket_core::anomaly`), records each anomaly (`anomaly.flagged` and its row, in one
//! transaction) and, for rules with `revoke = true`, revokes the grant at once through the
//! same path as `POST /v1/grants/{id}/revoke`, so the index updates and gateway sessions end.
//!
//! With replicas every server reads the same log and runs the same rules. Anomaly ids are
//! deterministic (rule, key, completing event), so the second server's insert is a conflict
//! and writes nothing; a second revocation of one grant is a conflict too.

use std::time::Duration as StdDuration;

use serde_json::Value;
use tokio::sync::watch;
use wicket_core::anomaly::{Flag, MONITOR_ACTOR, Monitor, Revoke};
use wicket_core::audit::EventBuilder;
use wicket_core::workflow::Changes;
use wicket_core::{AuditEvent, GrantStatus};
use wicket_store::{GrantFilter, StoreError};

use crate::app::{App, now};
use crate::ids::new_id;
use crate::ops;
use wicket_core::audit::EventKind;

/// How often windows are closed and memory released.
pub const TICK_EVERY: StdDuration = StdDuration::from_secs(1);
/// How long to wait after the store failed before reading again.
const RETRY_AFTER: StdDuration = StdDuration::from_secs(1);
/// Revocation reasons are cut to this many bytes.
const MAX_REASON: usize = 1000;

/// Runs the rules over the log from its current head until `stop` turns true.
pub async fn run(app: App, mut stop: watch::Receiver<bool>) {
    let mut monitor = Monitor::new(&app.config.anomalies);
    let mut reader = loop {
        match app.tail.reader_at_head(app.store.clone()).await {
            Ok(r) => break r,
            Err(e) => {
                tracing::warn!(error = %e, "the monitor cannot read the audit log yet");
                tokio::select! {
                    _ = tokio::time::sleep(RETRY_AFTER) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    // Grants are learnt from their `grant.activated` events, and a grant that was live before
    // the monitor started is read from the store at its first use (`learn`): loading every
    // live grant here read a million rows at each start to keep at most a tenth of them.
    let has_rules = monitor.rules().next().is_some();
    let mut tick = crate::ticker::every(TICK_EVERY);
    loop {
        tokio::select! {
            // Cancel-safe: the reader's cursor moves only when a page is returned.
            page = reader.next() => match page {
                Ok(events) => {
                    for e in &events {
                        count(&app, e);
                        if has_rules {
                            learn(&app, &mut monitor, e).await;
                        }
                        let flags = monitor.observe(e, now());
                        act(&app, flags).await;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the monitor could not read the audit log");
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            },
            _ = tick.tick() => {
                let flags = monitor.tick(now());
                act(&app, flags).await;
            }
            _ = stop.changed() => return,
        }
    }
}

/// Counts what `/metrics` reports from the log: anomalies and gateway activity.
fn count(app: &App, e: &AuditEvent) {
    match EventKind::parse(&e.kind) {
        Some(EventKind::AnomalyFlagged) => {
            let d: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
            let field = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("unknown");
            app.metrics.anomaly(field("rule"), field("severity"));
        }
        Some(EventKind::GatewaySessionStarted) => app.metrics.gateway_session(true),
        Some(EventKind::GatewaySessionEnded) => app.metrics.gateway_session(false),
        Some(EventKind::GatewayStatement) => app
            .metrics
            .gateway_statement(e.decision.as_deref() == Some("allow")),
        _ => {}
    }
}

/// Looks up a used grant the engine does not know, so that role scopes apply to it.
async fn learn(app: &App, monitor: &mut Monitor, e: &AuditEvent) {
    let Some(id) = e.grant_id.as_deref() else {
        return;
    };
    if monitor.knows_grant(id)
        || !matches!(
            EventKind::parse(&e.kind),
            Some(EventKind::CheckAllowed | EventKind::GatewayStatement)
        )
    {
        return;
    }
    match app.store.get_grant(id).await {
        Ok(Some(g)) => monitor.learn_grant(&g),
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, grant = id, "the monitor could not load a grant"),
    }
}

/// Records each flag and carries out its revocation.
async fn act(app: &App, flags: Vec<Flag>) {
    for flag in flags {
        if !flag.recorded {
            match record(app, &flag).await {
                Ok(()) => {
                    tracing::warn!(rule = %flag.rule, severity = flag.severity.as_str(), subject = %flag.subject, "anomaly: {}", flag.summary);
                }
                // Another server reading the same log recorded it (and acts on it).
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => {
                    tracing::error!(error = %e, rule = %flag.rule, "recording an anomaly failed");
                    continue;
                }
            }
        }
        if let Some(target) = &flag.revoke {
            revoke(app, &flag, target).await;
        }
    }
}

/// `anomaly.flagged` and the anomaly row, in one transaction.
async fn record(app: &App, flag: &Flag) -> Result<(), StoreError> {
    let anomaly = flag.anomaly();
    let mut event = EventBuilder::new(
        new_id("ev"),
        now(),
        MONITOR_ACTOR,
        EventKind::AnomalyFlagged,
    )
    .subject(flag.subject.clone())
    .detail("anomaly_id", anomaly.id.clone())
    .detail("rule", flag.rule.clone())
    .detail("severity", flag.severity.as_str())
    .detail("summary", flag.summary.clone())
    .detail("triggers", flag.triggers.clone())
    .detail("revoke", flag.revoke.is_some());
    if let Some(g) = &flag.grant_id {
        event = event.grant(g.clone());
    }
    if let Some(r) = &flag.request_id {
        event = event.request(r.clone());
    }
    app.commit(Changes {
        anomalies: vec![anomaly],
        events: vec![event.build()],
        ..Changes::default()
    })
    .await
}

/// The reason a `revoke = true` rule gives its revocations: the rule and the anomaly's
/// summary (so an anomaly and the grants it revoked can be matched).
pub fn revoke_reason(rule: &str, summary: &str) -> String {
    let mut reason = format!("anomaly rule `{rule}`: {summary}");
    if reason.len() > MAX_REASON {
        let mut end = MAX_REASON;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

/// Revokes what a `revoke = true` rule names; grants already ended are left alone.
async fn revoke(app: &App, flag: &Flag, target: &Revoke) {
    let reason = revoke_reason(&flag.rule, &flag.summary);
    let at = now();
    let grants = match target {
        Revoke::Grant(id) => app
            .store
            .get_grant(id)
            .await
            .map(|g| g.into_iter().collect()),
        Revoke::Holder { user, roles } => app
            .store
            .list_grants(&GrantFilter {
                user: Some(user.clone()),
                live_at: Some(at),
                ..GrantFilter::default()
            })
            .await
            .map(|gs: Vec<_>| {
                gs.into_iter()
                    .filter(|g| roles.is_empty() || roles.contains(&g.role))
                    .collect()
            }),
    };
    let grants: Vec<wicket_core::Grant> = match grants {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(error = %e, rule = %flag.rule, "loading grants to revoke failed");
            return;
        }
    };
    for grant in grants {
        if !matches!(
            grant.status(at),
            GrantStatus::Active | GrantStatus::Scheduled
        ) {
            continue;
        }
        let id = grant.id.clone();
        match ops::revoke_as(app, MONITOR_ACTOR, grant, Some(reason.clone())).await {
            Ok(_) => tracing::warn!(grant = %id, rule = %flag.rule, "grant revoked by the monitor"),
            Err(e) if e.kind() == Some(wicket_core::ErrorKind::Conflict) => {}
            Err(e) => {
                tracing::error!(grant = %id, error = %e, "the monitor could not revoke a grant");
            }
        }
    }
}
