//! The grants the engine knows of (holder, role, request), learned from `grant.*` events or
//! told by the caller, so that scopes by role apply to the grant's uses.

use std::collections::HashMap;

use serde_json::Value;

use super::MAX_KEYS;
use crate::audit::EventKind;
use crate::model::AuditEvent;
use crate::time::{self, Time};

/// Grants kept at most; ten times what one detector keeps, as every live grant may be used.
const MAX_GRANTS: usize = MAX_KEYS * 10;

#[derive(Clone, Debug)]
pub(super) struct Known {
    pub role: String,
    pub request_id: String,
    /// When it ends; `None` if not known.
    pub expires_at: Option<Time>,
}

#[derive(Default)]
pub(super) struct GrantBook {
    grants: HashMap<String, Known>,
}

impl GrantBook {
    pub fn get(&self, id: &str) -> Option<&Known> {
        self.grants.get(id)
    }

    pub fn learn(&mut self, id: &str, role: &str, request_id: &str, expires_at: Option<Time>) {
        if self.grants.len() >= MAX_GRANTS && !self.grants.contains_key(id) {
            self.evict();
        }
        self.grants.insert(
            id.to_string(),
            Known {
                role: role.to_string(),
                request_id: request_id.to_string(),
                expires_at,
            },
        );
    }

    /// Learns the grant a `grant.activated` event names, and the new end a `grant.extended`
    /// event gives a grant it knows.
    pub fn note(&mut self, e: &AuditEvent) {
        if e.kind == EventKind::GrantExtended {
            let details: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
            let end = details
                .get("expires_at")
                .and_then(Value::as_str)
                .and_then(|t| time::parse(t).ok());
            if let (Some(id), Some(end)) = (e.grant_id.as_deref(), end)
                && let Some(known) = self.grants.get_mut(id)
            {
                known.expires_at = Some(end);
            }
            return;
        }
        if e.kind != EventKind::GrantActivated {
            return;
        }
        let Some(id) = e.grant_id.as_deref() else {
            return;
        };
        let details: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
        let role = details.get("role").and_then(Value::as_str).unwrap_or("");
        let expires_at = details
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(|t| time::parse(t).ok());
        self.learn(id, role, e.request_id.as_deref().unwrap_or(""), expires_at);
    }

    /// Forgets a grant once its end has been seen by every rule.
    pub fn after(&mut self, e: &AuditEvent) {
        if matches!(
            EventKind::parse(&e.kind),
            Some(EventKind::GrantExpired | EventKind::GrantRevoked)
        ) && let Some(id) = &e.grant_id
        {
            self.grants.remove(id);
        }
    }

    /// Forgets grants that ended over an hour before `now`.
    pub fn prune(&mut self, now: Time) {
        let horizon = now - chrono::Duration::hours(1);
        self.grants
            .retain(|_, k| k.expires_at.is_none_or(|t| t > horizon));
    }

    /// Makes room: drops the grants ending first (unknown ends count as ending first).
    fn evict(&mut self) {
        let mut ends: Vec<(Option<Time>, String)> = self
            .grants
            .iter()
            .map(|(id, k)| (k.expires_at, id.clone()))
            .collect();
        ends.sort();
        for (_, id) in ends.into_iter().take(MAX_GRANTS / 10) {
            self.grants.remove(&id);
        }
    }
}
