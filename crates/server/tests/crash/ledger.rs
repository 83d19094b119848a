//! What the client saw acknowledged: the only facts a crash may not take back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// One acknowledged request: its state when last acknowledged, the reviewers whose review was
/// acknowledged, and its grants once it was acknowledged approved.
#[derive(Clone, Debug, Default)]
pub struct Acked {
    pub approved: bool,
    pub reviewers: BTreeSet<String>,
    pub grants: Vec<String>,
}

#[derive(Default)]
pub struct Ledger {
    requests: Mutex<BTreeMap<String, Acked>>,
    revoked: Mutex<BTreeSet<String>>,
    /// Grants acknowledged approved and not yet revoked: candidates for a revocation.
    revocable: Mutex<Vec<String>>,
}

impl Ledger {
    pub fn created(&self, id: &str) {
        self.requests
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default();
    }

    pub fn reviewed(&self, id: &str, reviewer: &str) {
        self.requests
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default()
            .reviewers
            .insert(reviewer.to_string());
    }

    /// `revocable` grants are offered to the revoking client.
    pub fn approved(&self, id: &str, grants: Vec<String>, revocable: bool) {
        if revocable {
            self.revocable
                .lock()
                .unwrap()
                .extend(grants.iter().cloned());
        }
        let mut requests = self.requests.lock().unwrap();
        let acked = requests.entry(id.to_string()).or_default();
        acked.approved = true;
        acked.grants = grants;
    }

    /// A grant to revoke, taken off the list (a revocation lost in a crash is not retried).
    pub fn take_revocable(&self) -> Option<String> {
        self.revocable.lock().unwrap().pop()
    }

    pub fn revoked(&self, grant: &str) {
        self.revoked.lock().unwrap().insert(grant.to_string());
    }

    pub fn requests(&self) -> BTreeMap<String, Acked> {
        self.requests.lock().unwrap().clone()
    }

    pub fn revocations(&self) -> BTreeSet<String> {
        self.revoked.lock().unwrap().clone()
    }

    /// How many writes were acknowledged: creations, reviews, approvals and revocations.
    pub fn writes(&self) -> usize {
        let requests = self.requests.lock().unwrap();
        requests
            .values()
            .map(|a| 1 + a.reviewers.len() + usize::from(a.approved))
            .sum::<usize>()
            + self.revoked.lock().unwrap().len()
    }
}
