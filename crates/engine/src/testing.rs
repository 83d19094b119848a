//! Fixtures the engine's unit tests share.

use wicket_core::Grant;
use wicket_core::time::from_millis;

/// Alice's grant `id` of `role`, from `starts` to `ends` (seconds since the epoch), not
/// revoked.
pub(crate) fn grant(id: &str, role: &str, starts: i64, ends: i64) -> Grant {
    Grant {
        id: id.into(),
        user: "alice".into(),
        role: role.into(),
        request_id: "req".into(),
        starts_at: from_millis(starts * 1000),
        expires_at: from_millis(ends * 1000),
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
    }
}
