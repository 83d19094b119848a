//! Fixtures the engine's unit tests share.

use wicket_core::Grant;
use wicket_core::time::from_millis;

/// Alice's grant `id` of `role`, from `starts` to `ends` (seconds since the epoch), not
/// revoked.
pub(crate) fn grant(id: &str, role: &str, starts: i64, ends: i64) -> Grant {
    Grant::new(
        id,
        "alice",
        role,
        "req",
        (from_millis(starts * 1000), from_millis(ends * 1000)),
    )
}
