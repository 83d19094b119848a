//! A notification: what happened, to whom it is addressed, and the event it comes from.

use serde_json::{Value, json};
use wicket_core::{AuditEvent, Time, time};

/// One thing worth telling people about.
#[derive(Clone, Debug)]
pub struct Notification {
    /// The notification kind (see `wicket_core::config::notify::NOTIFICATION_KINDS`).
    pub kind: String,
    /// Stable across retries and replicas, so a receiver can drop duplicates.
    pub delivery_id: String,
    pub at: Time,
    /// One line a person can read.
    pub summary: String,
    /// The users it is addressed to (approvers, the requester, the grant's holder).
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub request_id: Option<String>,
    pub grant_id: Option<String>,
    /// The audit event it comes from, when there is one.
    pub event: Option<(i64, String)>,
    /// The event's details, or the facts of a timer notification.
    pub details: Value,
}

impl Notification {
    /// A notification about `event`, addressed to `recipients`.
    pub fn of_event(
        event: &AuditEvent,
        kind: &str,
        summary: String,
        recipients: Vec<String>,
    ) -> Notification {
        Notification {
            kind: kind.to_string(),
            delivery_id: event.id.clone(),
            at: event.at,
            summary,
            recipients,
            subject: event.subject.clone(),
            request_id: event.request_id.clone(),
            grant_id: event.grant_id.clone(),
            event: Some((event.seq, event.id.clone())),
            details: serde_json::from_str(&event.details).unwrap_or(Value::Null),
        }
    }

    /// The JSON body of the `json` format.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind,
            "delivery_id": self.delivery_id,
            "at": time::format(self.at),
            "summary": self.summary,
            "recipients": self.recipients,
            "subject": self.subject,
            "request_id": self.request_id,
            "grant_id": self.grant_id,
            "event": self.event.as_ref().map(|(seq, id)| json!({"seq": seq, "id": id})),
            "details": self.details,
        })
    }
}
