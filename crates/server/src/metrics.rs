//! Counters exposed at `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
pub struct Metrics {
    checks_allowed: AtomicU64,
    checks_denied: AtomicU64,
    requests_created: AtomicU64,
    reviews: AtomicU64,
    revocations: AtomicU64,
    audit_events: AtomicU64,
    audit_batches: AtomicU64,
    expiries_recorded: AtomicU64,
    /// Webhook deliveries by sink name: (delivered, failed).
    webhooks: std::sync::Mutex<std::collections::BTreeMap<String, (u64, u64)>>,
}

impl Metrics {
    pub fn check(&self, allowed: bool) {
        if allowed {
            &self.checks_allowed
        } else {
            &self.checks_denied
        }
        .fetch_add(1, Relaxed);
    }
    pub fn request_created(&self) {
        self.requests_created.fetch_add(1, Relaxed);
    }
    pub fn review(&self) {
        self.reviews.fetch_add(1, Relaxed);
    }
    pub fn revocation(&self) {
        self.revocations.fetch_add(1, Relaxed);
    }
    pub fn audit_events(&self, n: usize) {
        self.audit_events.fetch_add(n as u64, Relaxed);
    }
    pub fn audit_batch(&self) {
        self.audit_batches.fetch_add(1, Relaxed);
    }
    pub fn expiries(&self, n: usize) {
        self.expiries_recorded.fetch_add(n as u64, Relaxed);
    }
    /// One webhook delivery to `sink` succeeded.
    pub fn webhook_delivered(&self, sink: &str) {
        self.webhook(sink, true);
    }
    /// One webhook delivery attempt to `sink` failed.
    pub fn webhook_failed(&self, sink: &str) {
        self.webhook(sink, false);
    }
    fn webhook(&self, sink: &str, ok: bool) {
        let mut map = self.webhooks.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(sink.to_string()).or_default();
        if ok {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }

    /// The Prometheus text exposition; `active_grants` is read from the index by the caller.
    pub fn render(&self, active_grants: usize) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        counter(
            "wicket_checks_total",
            "Authorization checks by decision.",
            &[
                ("{decision=\"allow\"}", self.checks_allowed.load(Relaxed)),
                ("{decision=\"deny\"}", self.checks_denied.load(Relaxed)),
            ],
        );
        counter(
            "wicket_requests_created_total",
            "Access requests created.",
            &[("", self.requests_created.load(Relaxed))],
        );
        counter(
            "wicket_reviews_total",
            "Reviews recorded.",
            &[("", self.reviews.load(Relaxed))],
        );
        counter(
            "wicket_revocations_total",
            "Grants revoked.",
            &[("", self.revocations.load(Relaxed))],
        );
        counter(
            "wicket_audit_events_total",
            "Audit events appended.",
            &[("", self.audit_events.load(Relaxed))],
        );
        counter(
            "wicket_audit_batches_total",
            "Group commits of check events.",
            &[("", self.audit_batches.load(Relaxed))],
        );
        counter(
            "wicket_grant_expiries_recorded_total",
            "Grant expiries recorded.",
            &[("", self.expiries_recorded.load(Relaxed))],
        );
        let _ = writeln!(
            out,
            "# HELP wicket_grants_live Grants in the decision index (scheduled or active).\n# TYPE wicket_grants_live gauge\nwicket_grants_live {active_grants}"
        );
        out
    }
}
