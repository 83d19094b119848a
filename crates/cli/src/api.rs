//! The server's JSON answers as the human output reads them. Every field defaults, so a
//! newer server with more fields (or fewer) still prints; `--output json` bypasses these.

use anyhow::{Context, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads `value` as a `T`.
pub fn decode<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T> {
    T::deserialize(value).with_context(|| format!("the server's answer is not a valid {what}"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Request {
    pub id: String,
    pub state: String,
    pub requester: String,
    pub roles: Vec<String>,
    pub policy: String,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub duration: String,
    pub start_at: Option<String>,
    pub break_glass: bool,
    pub action: Option<String>,
    pub resource: Option<String>,
    /// The step now deciding, counted from 1 (once decided, the last reached; 0 without steps).
    pub step: u32,
    /// How many steps the policy has.
    pub steps: u32,
    pub created_at: String,
    pub pending_until: String,
    pub decided_at: Option<String>,
    /// For an extension: the grant whose end it moves.
    pub extends: Option<String>,
    pub reviews: Vec<Review>,
    pub grants: Vec<Grant>,
}

impl Request {
    pub fn is_pending(&self) -> bool {
        self.state == "pending"
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Review {
    pub reviewer: String,
    pub step: u32,
    pub decision: String,
    pub comment: Option<String>,
    pub at: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Grant {
    pub id: String,
    pub user: String,
    pub role: String,
    pub request_id: String,
    pub starts_at: String,
    pub expires_at: String,
    pub status: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

/// A token that is not revoked (`GET /v1/tokens`); never the token itself.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Token {
    pub id: String,
    pub user: String,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: Option<String>,
    pub status: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Standing {
    pub role: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WhoAmI {
    pub user: String,
    pub groups: Vec<String>,
    pub standing: Vec<Standing>,
    pub grants: Vec<Grant>,
    pub powers: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Check {
    pub allowed: bool,
    pub reason: String,
    pub via: Option<Via>,
    pub guardrail: Option<String>,
    pub requestable: Vec<Requestable>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Via {
    pub role: String,
    pub grant_id: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Requestable {
    pub role: String,
    pub policy: String,
}

/// A role as `GET /v1/roles` lists it (what `wicket check` needs to spot an unknown action).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Role {
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Permission {
    pub actions: Vec<String>,
}

/// What `wicket check` needs of a policy to suggest a complete `request create` line.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Policy {
    pub name: String,
    pub require_reason: bool,
    pub ticket_pattern: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub subject: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub decision: Option<String>,
    pub request_id: Option<String>,
    pub grant_id: Option<String>,
    pub details: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditPage {
    pub items: Vec<Value>,
    pub next_after: Option<i64>,
    /// The newest event's seq.
    pub head: Option<i64>,
}
