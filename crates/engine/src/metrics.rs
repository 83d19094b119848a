//! What `/metrics` exposes, in the Prometheus text format: checks by decision with a latency
//! histogram, requests by state, live grants, reviews, revocations, anomalies by rule and
//! severity, webhook deliveries, audit appends with a latency histogram, and the gateway's
//! sessions and statements.
//!
//! Counters of things this server does (checks, commits) count its own work. Anomalies and
//! gateway activity are counted from the audit log as this server reads it, so with replicas
//! every server reports the whole log since it started (take the `max`, not the `sum`).

mod histogram;
mod provision;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

pub use histogram::{Histogram, LATENCY_BUCKETS};

#[derive(Debug)]
pub struct Metrics {
    checks_allowed: AtomicU64,
    checks_denied: AtomicU64,
    check_latency: Histogram,
    requests_created: AtomicU64,
    reviews: AtomicU64,
    revocations: AtomicU64,
    extensions_requested: AtomicU64,
    grants_extended: AtomicU64,
    /// Access review decisions by reviewers: certified, revoked.
    review_certified: AtomicU64,
    review_revoked: AtomicU64,
    audit_events: AtomicU64,
    audit_batches: AtomicU64,
    audit_append: Histogram,
    expiries_recorded: AtomicU64,
    /// Webhook deliveries by sink name: (delivered, failed, dropped from a full queue).
    webhooks: Mutex<BTreeMap<String, (u64, u64, u64)>>,
    /// Anomalies flagged, by (rule, severity).
    anomalies: PairCounts,
    /// On-call lookups, by (provider, outcome).
    oncall: PairCounts,
    gateway_sessions_started: AtomicU64,
    gateway_sessions_ended: AtomicU64,
    gateway_statements_allowed: AtomicU64,
    gateway_statements_denied: AtomicU64,
    provision: provision::ProvisionMetrics,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            checks_allowed: AtomicU64::new(0),
            checks_denied: AtomicU64::new(0),
            check_latency: Histogram::latency(),
            requests_created: AtomicU64::new(0),
            reviews: AtomicU64::new(0),
            revocations: AtomicU64::new(0),
            extensions_requested: AtomicU64::new(0),
            grants_extended: AtomicU64::new(0),
            review_certified: AtomicU64::new(0),
            review_revoked: AtomicU64::new(0),
            audit_events: AtomicU64::new(0),
            audit_batches: AtomicU64::new(0),
            audit_append: Histogram::latency(),
            expiries_recorded: AtomicU64::new(0),
            webhooks: Mutex::default(),
            anomalies: Mutex::default(),
            oncall: Mutex::default(),
            gateway_sessions_started: AtomicU64::new(0),
            gateway_sessions_ended: AtomicU64::new(0),
            gateway_statements_allowed: AtomicU64::new(0),
            gateway_statements_denied: AtomicU64::new(0),
            provision: provision::ProvisionMetrics::default(),
        }
    }
}

/// Values read at render time rather than counted.
#[derive(Debug, Default)]
pub struct Gauges {
    /// Grants in the decision index (scheduled or active).
    pub live_grants: usize,
    /// Stored requests by state; `None` when the store could not be read.
    pub requests_by_state: Option<Vec<(String, i64)>>,
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Relaxed);
}

impl Metrics {
    pub fn check(&self, allowed: bool) {
        bump(if allowed {
            &self.checks_allowed
        } else {
            &self.checks_denied
        });
    }
    /// How long one check took to answer (decision and audit).
    pub fn check_latency(&self, d: Duration) {
        self.check_latency.observe(d);
    }
    /// `n` checks that took `d` together (a batch).
    pub fn checks_latency(&self, d: Duration, n: usize) {
        self.check_latency.observe_n(d, n as u64);
    }
    pub fn request_created(&self) {
        bump(&self.requests_created);
    }
    pub fn review(&self) {
        bump(&self.reviews);
    }
    pub fn revocation(&self) {
        bump(&self.revocations);
    }
    /// One on-call lookup of `provider`: `on_call`, `not_on_call` or `error`.
    pub fn oncall_lookup(&self, provider: &str, outcome: &str) {
        bump_pair(&self.oncall, provider, outcome);
    }
    /// A holder asked to extend a grant.
    pub fn extension_requested(&self) {
        bump(&self.extensions_requested);
    }
    /// An approved extension moved a grant's end.
    pub fn grant_extended(&self) {
        bump(&self.grants_extended);
    }
    /// A reviewer decided an item of an access review (`certified` or `revoked`).
    pub fn review_decision(&self, decision: &str) {
        match decision {
            "revoked" => bump(&self.review_revoked),
            _ => bump(&self.review_certified),
        }
    }
    pub fn audit_events(&self, n: usize) {
        self.audit_events.fetch_add(n as u64, Relaxed);
    }
    pub fn audit_batch(&self) {
        bump(&self.audit_batches);
    }
    /// How long one transaction appending audit events took.
    pub fn audit_append(&self, d: Duration) {
        self.audit_append.observe(d);
    }
    pub fn expiries(&self, n: usize) {
        self.expiries_recorded.fetch_add(n as u64, Relaxed);
    }
    /// One webhook delivery to `sink` succeeded.
    pub fn webhook_delivered(&self, sink: &str) {
        self.webhook(sink, |counts| counts.0 += 1);
    }
    /// One webhook delivery attempt to `sink` failed.
    pub fn webhook_failed(&self, sink: &str) {
        self.webhook(sink, |counts| counts.1 += 1);
    }
    /// One notification for `sink` dropped because its queue was full.
    pub fn webhook_dropped(&self, sink: &str) {
        self.webhook(sink, |counts| counts.2 += 1);
    }
    fn webhook(&self, sink: &str, count: impl FnOnce(&mut (u64, u64, u64))) {
        let mut map = self.webhooks.lock().unwrap_or_else(|e| e.into_inner());
        count(map.entry(sink.to_string()).or_default());
    }
    /// One `anomaly.flagged` event read from the log.
    pub fn anomaly(&self, rule: &str, severity: &str) {
        bump_pair(&self.anomalies, rule, severity);
    }
    /// A `gateway.session.started` (`true`) or `.ended` event read from the log.
    pub fn gateway_session(&self, started: bool) {
        bump(if started {
            &self.gateway_sessions_started
        } else {
            &self.gateway_sessions_ended
        });
    }
    /// A `gateway.statement` event read from the log.
    pub fn gateway_statement(&self, allowed: bool) {
        bump(if allowed {
            &self.gateway_statements_allowed
        } else {
            &self.gateway_statements_denied
        });
    }

    /// The Prometheus text exposition.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        let o = &mut out;
        let v = |a: &AtomicU64| a.load(Relaxed);
        series(
            o,
            "wicket_checks_total",
            "counter",
            "Authorization checks by decision.",
            &[
                ("decision=\"allow\"".into(), v(&self.checks_allowed)),
                ("decision=\"deny\"".into(), v(&self.checks_denied)),
            ],
        );
        self.check_latency.render(
            o,
            "wicket_check_duration_seconds",
            "Time to answer one check, its audit event included.",
        );
        counter(
            o,
            "wicket_requests_created_total",
            "Access requests created.",
            v(&self.requests_created),
        );
        if let Some(states) = &gauges.requests_by_state {
            let mut samples: Vec<(String, u64)> =
                ["pending", "approved", "denied", "cancelled", "expired"]
                    .iter()
                    .map(|s| (format!("state=\"{s}\""), 0))
                    .collect();
            for (state, n) in states {
                let label = format!("state=\"{}\"", escape(state));
                let n = u64::try_from(*n).unwrap_or(0);
                match samples.iter_mut().find(|(l, _)| *l == label) {
                    Some(entry) => entry.1 = n,
                    None => samples.push((label, n)),
                }
            }
            series(
                o,
                "wicket_requests",
                "gauge",
                "Stored access requests by state.",
                &samples,
            );
        }
        gauge(
            o,
            "wicket_grants_live",
            "Grants in the decision index (scheduled or active).",
            gauges.live_grants as u64,
        );
        counter(
            o,
            "wicket_reviews_total",
            "Reviews recorded.",
            v(&self.reviews),
        );
        counter(
            o,
            "wicket_revocations_total",
            "Grants revoked.",
            v(&self.revocations),
        );
        series(
            o,
            "wicket_grant_extensions_total",
            "counter",
            "Grant extensions asked for, and those approved (the grant's end moved).",
            &[
                (
                    "outcome=\"requested\"".into(),
                    v(&self.extensions_requested),
                ),
                ("outcome=\"extended\"".into(), v(&self.grants_extended)),
            ],
        );
        series(
            o,
            "wicket_access_review_decisions_total",
            "counter",
            "Access review items decided by reviewers.",
            &[
                ("decision=\"certified\"".into(), v(&self.review_certified)),
                ("decision=\"revoked\"".into(), v(&self.review_revoked)),
            ],
        );
        let oncall = pair_samples(&self.oncall, "provider", "outcome");
        series(
            o,
            "wicket_oncall_lookups_total",
            "counter",
            "On-call lookups by provider and outcome (on_call, not_on_call, error).",
            &oncall,
        );
        counter(
            o,
            "wicket_grant_expiries_recorded_total",
            "Grant expiries recorded.",
            v(&self.expiries_recorded),
        );
        let anomalies = pair_samples(&self.anomalies, "rule", "severity");
        series(
            o,
            "wicket_anomalies_total",
            "counter",
            "Anomalies flagged in the audit log since this server started, by rule and severity.",
            &anomalies,
        );
        // Webhook deliveries: counted by the notifier through `webhook_delivered|failed`.
        let webhooks: Vec<(String, u64)> = self
            .webhooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|(sink, (ok, failed, dropped))| {
                let sink = escape(sink);
                [
                    (format!("sink=\"{sink}\",outcome=\"delivered\""), *ok),
                    (format!("sink=\"{sink}\",outcome=\"failed\""), *failed),
                    (format!("sink=\"{sink}\",outcome=\"dropped\""), *dropped),
                ]
            })
            .collect();
        series(
            o,
            "wicket_webhook_deliveries_total",
            "counter",
            "Webhook delivery attempts by sink and outcome (dropped: the sink's queue was full).",
            &webhooks,
        );
        counter(
            o,
            "wicket_audit_events_total",
            "Audit events appended.",
            v(&self.audit_events),
        );
        counter(
            o,
            "wicket_audit_batches_total",
            "Group commits of check events.",
            v(&self.audit_batches),
        );
        self.audit_append.render(
            o,
            "wicket_audit_append_duration_seconds",
            "Time of one transaction appending audit events (a group commit or a state change).",
        );
        let (started, ended) = (
            v(&self.gateway_sessions_started),
            v(&self.gateway_sessions_ended),
        );
        counter(
            o,
            "wicket_gateway_sessions_total",
            "Gateway sessions started, from the audit log.",
            started,
        );
        gauge(
            o,
            "wicket_gateway_sessions_open",
            "Gateway sessions started and not yet ended since this server started.",
            started.saturating_sub(ended),
        );
        series(
            o,
            "wicket_gateway_statements_total",
            "counter",
            "Gateway statements by decision, from the audit log.",
            &[
                (
                    "decision=\"allow\"".into(),
                    v(&self.gateway_statements_allowed),
                ),
                (
                    "decision=\"deny\"".into(),
                    v(&self.gateway_statements_denied),
                ),
            ],
        );
        self.provision.render(o);
        out
    }
}

/// Counts by two labels' values.
type PairCounts = Mutex<BTreeMap<(String, String), u64>>;

/// One more of `(first, second)` in `counts`.
fn bump_pair(counts: &PairCounts, first: &str, second: &str) {
    let mut map = counts.lock().unwrap_or_else(|e| e.into_inner());
    *map.entry((first.to_string(), second.to_string()))
        .or_default() += 1;
}

/// The samples of `counts`, its two labels named `first` and `second`.
fn pair_samples(counts: &PairCounts, first: &str, second: &str) -> Vec<(String, u64)> {
    counts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|((a, b), n)| {
            let labels = format!("{first}=\"{}\",{second}=\"{}\"", escape(a), escape(b));
            (labels, *n)
        })
        .collect()
}

/// A counter without labels.
fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    series(out, name, "counter", help, &[(String::new(), value)]);
}

/// A gauge without labels.
fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    series(out, name, "gauge", help, &[(String::new(), value)]);
}

/// One metric family: its HELP and TYPE lines and a sample per label set.
fn series(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, v) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {v}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.check_latency(Duration::from_micros(3));
        m.check_latency(Duration::from_micros(80));
        m.check_latency(Duration::from_secs(2));
        let text = m.render(&Gauges::default());
        assert!(
            text.contains("wicket_check_duration_seconds_bucket{le=\"0.000005\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("wicket_check_duration_seconds_bucket{le=\"0.0001\"} 2\n"));
        assert!(text.contains("wicket_check_duration_seconds_bucket{le=\"1\"} 2\n"));
        assert!(text.contains("wicket_check_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("wicket_check_duration_seconds_count 3\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::default();
        m.anomaly("a\"b", "high");
        let text = m.render(&Gauges::default());
        assert!(
            text.contains("wicket_anomalies_total{rule=\"a\\\"b\",severity=\"high\"} 1"),
            "{text}"
        );
    }
}
