//! The schema of a decision (`POST /v1/check`): allowed or not, why, through which role and
//! grant, and, when denied, the roles the subject could request.

use utoipa::ToSchema;

use super::formats::Time;

/// Which role allowed a check, and through which grant if it was not standing.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Via {
    pub role: String,
    /// Set when a grant allowed it.
    pub grant_id: Option<String>,
    /// When the access ends (a grant, or a standing binding with an end).
    pub expires_at: Option<Time>,
}

/// A role the subject could request, and the policy that governs it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Requestable {
    pub role: String,
    pub policy: String,
}

/// A grant that would have allowed a denied check had it not been revoked before its end.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RevokedGrant)]
pub struct Revoked {
    pub grant_id: String,
    pub role: String,
    pub revoked_at: Time,
    /// Who revoked it (`wicket:monitor` for an anomaly rule with `revoke = true`).
    pub revoked_by: Option<String>,
    /// Why (an anomaly rule's revocation names the rule).
    pub reason: Option<String>,
}

/// The verdict on one check.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
    /// Set when allowed.
    pub via: Option<Via>,
    /// The guardrail that denied it, if one did.
    pub guardrail: Option<String>,
    /// When denied: the roles the subject may request to be allowed, smallest first.
    pub requestable: Vec<Requestable>,
    /// When denied: the grant that allowed this until it was revoked, while its window lasts.
    pub revoked: Option<Revoked>,
}
