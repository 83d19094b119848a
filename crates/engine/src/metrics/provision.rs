//! Provisioning's metrics: how long an apply that changed a target took, and failures by
//! target (unreachable, refused, not granted).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{Histogram, Metrics, escape, series};

/// Seconds, from a few milliseconds (one role) to a minute (a large reconcile).
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

#[derive(Debug)]
pub struct ProvisionMetrics {
    latency: Histogram,
    failures: Mutex<BTreeMap<String, u64>>,
}

impl Default for ProvisionMetrics {
    fn default() -> ProvisionMetrics {
        ProvisionMetrics {
            latency: Histogram::new(BUCKETS),
            failures: Mutex::default(),
        }
    }
}

impl ProvisionMetrics {
    pub(super) fn render(&self, out: &mut String) {
        self.latency.render(
            out,
            "wicket_provision_apply_duration_seconds",
            "Time to bring one user's role in a provisioning target in line, when it changed something.",
        );
        let failures: Vec<(String, u64)> = self
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(t, n)| (format!("target=\"{}\"", escape(t)), *n))
            .collect();
        series(
            out,
            "wicket_provision_failures_total",
            "counter",
            "Provisioning failures by target (unreachable, refused, or a privilege not granted).",
            &failures,
        );
    }
}

impl Metrics {
    pub fn provision_latency(&self, d: Duration) {
        self.provision.latency.observe(d);
    }

    pub fn provision_failure(&self, target: &str) {
        *self
            .provision
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(target.to_string())
            .or_insert(0) += 1;
    }
}
