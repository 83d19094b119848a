//! What the sign-ins under way share: maps kept in memory by a secret, bounded (a full map
//! pushes out its oldest entry), and usable after a panic elsewhere while they were held.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a person has to sign in at the provider.
pub(super) const PENDING_FOR: Duration = Duration::from_secs(600);
/// Sign-ins (or codes) under way beyond this push out the oldest.
pub(super) const MAX_PENDING: usize = 10_000;

/// `map`'s guard; a panic elsewhere while it was held leaves it usable.
pub(super) fn locked<T>(map: &Mutex<T>) -> MutexGuard<'_, T> {
    map.lock().unwrap_or_else(|e| e.into_inner())
}

/// Inserts `value` under `key`, keeping `map` within its bound: first drops what `stale`
/// says, then, if it is still full, the oldest by `age`.
pub(super) fn admit<V>(
    map: &mut HashMap<String, V>,
    key: String,
    value: V,
    stale: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> Instant,
) {
    map.retain(|_, v| !stale(v));
    if map.len() >= MAX_PENDING
        && let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| age(v))
            .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
    map.insert(key, value);
}
