//! The records wicket keeps: requests, reviews, grants, anomalies, tokens, audit events.

use serde::{Deserialize, Serialize};

use crate::duration::Duration;
use crate::named::named_enum;
use crate::time::Time;

named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum RequestState(RequestState, "request state") {
        Pending = "pending",
        Approved = "approved",
        Denied = "denied",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

impl RequestState {
    pub fn is_terminal(self) -> bool {
        self != RequestState::Pending
    }
}

named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Verdict(Verdict, "review decision") {
        Approve = "approve",
        Deny = "deny",
    }
}

/// One reviewer's verdict on one step of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub request_id: String,
    pub reviewer: String,
    pub step: u32,
    pub decision: Verdict,
    pub comment: Option<String>,
    pub at: Time,
}

/// An access request and everything decided about it so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub requester: String,
    pub roles: Vec<String>,
    pub policy: String,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub duration: Duration,
    pub start_at: Option<Time>,
    pub break_glass: bool,
    /// Set for resource-based requests: the action and resource the requester asked for.
    pub action: Option<String>,
    pub resource: Option<String>,
    pub state: RequestState,
    /// Index of the approval step now deciding (equal to the step count once approved).
    pub step: u32,
    pub created_at: Time,
    /// A pending request not decided by then expires.
    pub pending_until: Time,
    pub decided_at: Option<Time>,
    /// Set for an extension: the grant whose end moves by `duration` once approved.
    #[serde(default)]
    pub extends: Option<String>,
    pub reviews: Vec<Review>,
    /// Bumped by every transition; a store writes a transition only over the version it read.
    pub version: i64,
}

named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum GrantStatus(GrantStatus, "grant status") {
        Scheduled = "scheduled",
        Active = "active",
        Expired = "expired",
        Revoked = "revoked",
    }
}

/// One role for one user over `[starts_at, expires_at)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    /// The user name (without the `user:` prefix).
    pub user: String,
    pub role: String,
    pub request_id: String,
    pub starts_at: Time,
    pub expires_at: Time,
    pub revoked_at: Option<Time>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

impl Grant {
    /// Grant `id` of `role` to `user` over `[starts_at, expires_at)`, from request
    /// `request_id`, not revoked.
    pub fn new(
        id: impl Into<String>,
        user: impl Into<String>,
        role: impl Into<String>,
        request_id: impl Into<String>,
        (starts_at, expires_at): (Time, Time),
    ) -> Grant {
        Grant {
            id: id.into(),
            user: user.into(),
            role: role.into(),
            request_id: request_id.into(),
            starts_at,
            expires_at,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
        }
    }

    /// The status at `now`; revocation wins, then the window decides.
    pub fn status(&self, now: Time) -> GrantStatus {
        if self.revoked_at.is_some_and(|r| r <= now) {
            GrantStatus::Revoked
        } else if now < self.starts_at {
            GrantStatus::Scheduled
        } else if now < self.expires_at {
            GrantStatus::Active
        } else {
            GrantStatus::Expired
        }
    }

    pub fn is_active(&self, now: Time) -> bool {
        self.status(now) == GrantStatus::Active
    }
}

named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Severity(Severity, "severity") {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

/// Something unusual that happened during an access window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub id: String,
    pub at: Time,
    pub rule: String,
    pub severity: Severity,
    pub subject: String,
    pub request_id: Option<String>,
    pub grant_id: Option<String>,
    pub summary: String,
}

/// A bearer token as stored: only its SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub user: String,
    pub hash: String,
    pub created_at: Time,
    pub expires_at: Option<Time>,
    pub created_by: String,
    pub revoked_at: Option<Time>,
}

impl TokenRecord {
    /// Whether the token's lifetime has ended at `now` (it is refused from its expiry on).
    pub fn is_expired(&self, now: Time) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// `revoked`, `expired` or `active` at `now`.
    pub fn status(&self, now: Time) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.is_expired(now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// An audit event before the store gives it a place in the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewEvent {
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
    /// Canonical JSON text (object keys sorted, no whitespace).
    pub details: String,
}

/// An event in the chain: `hash` = SHA-256(`prev_hash` ‖ canonical encoding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
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
    /// Canonical JSON text; serialized as the JSON value it holds.
    #[serde(serialize_with = "details_as_json")]
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&AuditEvent> for NewEvent {
    /// The event's hashed fields: what `audit::encode` and `audit::seal` take, so a stored
    /// event can be encoded again or re-sealed.
    fn from(e: &AuditEvent) -> NewEvent {
        NewEvent {
            id: e.id.clone(),
            at: e.at,
            actor: e.actor.clone(),
            kind: e.kind.clone(),
            subject: e.subject.clone(),
            action: e.action.clone(),
            resource: e.resource.clone(),
            decision: e.decision.clone(),
            request_id: e.request_id.clone(),
            grant_id: e.grant_id.clone(),
            details: e.details.clone(),
        }
    }
}

/// Writes stored details as JSON, not as a string holding JSON (a string if it is not JSON).
fn details_as_json<S: serde::Serializer>(details: &str, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<serde_json::Value>(details) {
        Ok(v) => v.serialize(s),
        Err(_) => s.serialize_str(details),
    }
}
