//! Query filters for listing requests, grants, audit events and anomalies.

use wicket_core::{RequestState, Severity, Time};

/// The largest page any list returns.
pub const MAX_LIMIT: i64 = 1000;

#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    pub state: Option<RequestState>,
    pub requester: Option<String>,
    /// Default and ceiling: [`MAX_LIMIT`].
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct GrantFilter {
    pub user: Option<String>,
    pub request_id: Option<String>,
    /// Only grants not revoked and with `expires_at` after this time.
    pub live_at: Option<Time>,
    /// Only grants revoked before their end, with `expires_at` after this time.
    pub revoked_live_at: Option<Time>,
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only events with `seq` greater than this.
    pub after: Option<i64>,
    pub limit: Option<i64>,
    pub request_id: Option<String>,
    pub grant_id: Option<String>,
    pub actor: Option<String>,
    /// An exact kind, or a prefix ending in `*` such as `request.*`.
    pub kind: Option<String>,
    /// Only events at or after this time.
    pub since: Option<Time>,
    /// Only events before this time.
    pub until: Option<Time>,
    /// Only events with `seq` less than this.
    pub before: Option<i64>,
    /// Newest first (`seq` descending) instead of oldest first.
    pub newest_first: bool,
}

#[derive(Clone, Debug, Default)]
pub struct AnomalyFilter {
    pub severity: Option<Severity>,
    pub subject: Option<String>,
    pub grant_id: Option<String>,
    pub since: Option<Time>,
    pub limit: Option<i64>,
}

/// The effective page size: at least 1, at most [`MAX_LIMIT`].
pub fn limit(l: Option<i64>) -> i64 {
    l.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT)
}
