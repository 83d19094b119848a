//! The JSON shapes of the API: requests with their grants, grants with their status, events.

use serde::Serialize;
use serde_json::Value;
use wicket_core::{AuditEvent, Grant, GrantStatus, Request, Time};

#[derive(Serialize)]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: Grant,
    pub subject: String,
    pub status: GrantStatus,
}

impl GrantView {
    pub fn new(grant: Grant, now: Time) -> GrantView {
        GrantView { subject: format!("user:{}", grant.user), status: grant.status(now), grant }
    }
}

#[derive(Serialize)]
pub struct RequestView {
    #[serde(flatten)]
    pub request: Request,
    /// How many approval steps its policy has.
    pub steps: usize,
    pub grants: Vec<GrantView>,
}

#[derive(Serialize)]
pub struct EventView {
    pub seq: i64,
    pub id: String,
    pub at: Time,
    pub actor: String,
    pub kind: String,
    pub subject: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub decision: Option<String>,
    pub request_id: Option<String>,
    pub grant_id: Option<String>,
    pub details: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditEvent> for EventView {
    fn from(e: AuditEvent) -> EventView {
        let details = serde_json::from_str(&e.details).unwrap_or(Value::String(e.details));
        EventView {
            seq: e.seq,
            id: e.id,
            at: e.at,
            actor: e.actor,
            kind: e.kind,
            subject: e.subject,
            action: e.action,
            resource: e.resource,
            decision: e.decision,
            request_id: e.request_id,
            grant_id: e.grant_id,
            details,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// `{"items": [...]}`.
#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}
