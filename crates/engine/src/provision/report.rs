//! What provisioning writes to the audit log: `provision.granted|revoked|drift|failed` events
//! (with the SQL that ran, never a secret) and the anomalies a failure or an unrepaired drift
//! raises, each committed like any other state change.

use wicket_core::audit::{EventBuilder, EventKind};
use wicket_core::workflow::Changes;
use wicket_core::{Anomaly, NewEvent, Severity};

use crate::app::{App, now};
use crate::ids::new_id;

/// The actor of provisioning events.
pub const ACTOR: &str = "wicket";
/// The anomaly rule provisioning problems are flagged under.
pub const RULE: &str = "provision";

/// An event of `kind` about `user` (when there is one) on `target`.
pub fn event(kind: EventKind, target: &str, user: Option<&str>) -> EventBuilder {
    let mut e = EventBuilder::new(new_id("ev"), now(), ACTOR, kind).detail("target", target);
    if let Some(u) = user {
        e = e.subject(format!("user:{u}"));
    }
    e
}

/// An anomaly and its `anomaly.flagged` event.
pub fn anomaly(
    target: &str,
    user: Option<&str>,
    severity: Severity,
    summary: String,
) -> (Anomaly, NewEvent) {
    let at = now();
    let subject = user.map_or_else(|| format!("provision:{target}"), |u| format!("user:{u}"));
    let anomaly = Anomaly {
        id: new_id("an"),
        at,
        rule: RULE.into(),
        severity,
        subject: subject.clone(),
        request_id: None,
        grant_id: None,
        summary,
    };
    let event = EventBuilder::new(new_id("ev"), at, ACTOR, EventKind::AnomalyFlagged)
        .subject(subject)
        .detail("anomaly_id", anomaly.id.clone())
        .detail("rule", RULE)
        .detail("severity", severity.as_str())
        .detail("summary", anomaly.summary.clone())
        .detail("target", target)
        .build();
    (anomaly, event)
}

/// Commits events and anomalies; a failure is logged (the next reconcile reports again).
pub async fn record(app: &App, events: Vec<NewEvent>, anomalies: Vec<Anomaly>) {
    if events.is_empty() && anomalies.is_empty() {
        return;
    }
    let changes = Changes {
        events,
        anomalies,
        ..Changes::default()
    };
    if let Err(e) = app.commit(changes).await {
        tracing::error!(error = %e, "recording provisioning events failed");
    }
}

/// `provision.failed` and an anomaly, once until `problem` is cleared.
pub async fn failure(
    app: &App,
    target: &super::target::Target,
    user: Option<&str>,
    problem: &str,
    message: String,
) {
    app.metrics.provision_failure(&target.config.name);
    if !target.first_report(problem) {
        tracing::debug!(target = %target.config.name, "{message}");
        return;
    }
    tracing::error!(target = %target.config.name, "provisioning failed: {message}");
    let event = event(EventKind::ProvisionFailed, &target.config.name, user)
        .detail("reason", message.clone())
        .build();
    let (anomaly, flagged) = anomaly(
        &target.config.name,
        user,
        Severity::High,
        format!("provisioning target `{}`: {message}", target.config.name),
    );
    record(app, vec![event, flagged], vec![anomaly]).await;
}
