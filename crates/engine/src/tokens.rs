//! Wicket's bearer tokens: verifying one as presented (well-formed, known, not revoked, not
//! expired, its user still configured), through a cache of tokens already read from the store.
//! Every front door signs its callers in with this one check.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;
use wicket_core::TokenRecord;

use crate::app::{App, now};
use crate::error::EngineError;
use crate::ids::token_hash;

/// Tokens already read from the store, by hash. Revocation through this server evicts at once;
/// through another server, as soon as its change reaches this one (`crate::replicate`); written
/// straight into the database (`wicket token revoke --offline`, which no feed announces on
/// SQLite), once the entry is older than [`FRESH`], since an entry that old is read again.
#[derive(Clone, Default)]
pub struct TokenCache {
    inner: Arc<RwLock<HashMap<String, (TokenRecord, Instant)>>>,
    /// Bumped by every eviction: a record read from the store before one is not cached, as it
    /// may be the very token just revoked.
    evictions: Arc<AtomicU64>,
}

/// Entries beyond this are dropped wholesale; the store is the source of truth.
const CACHE_MAX: usize = 100_000;

/// How long a cached token is trusted before the store is asked again: the longest a
/// revocation the server was not told about (an offline one) takes to bite. One indexed read
/// per token per second costs nothing next to the requests it serves.
pub const FRESH: Duration = Duration::from_secs(1);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<TokenRecord> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(hash)
            .filter(|(_, read)| read.elapsed() < FRESH)
            .map(|(r, _)| r.clone())
    }
    /// The eviction count to pass to [`TokenCache::put`]; read it before reading the store.
    fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::SeqCst)
    }
    /// Caches `record`, read from the store at `read`, unless an eviction happened since
    /// `evictions` was read.
    fn put(&self, record: TokenRecord, evictions: u64, read: Instant) {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if self.evictions() != evictions {
            return;
        }
        if map.len() >= CACHE_MAX {
            map.clear();
        }
        map.insert(record.hash.clone(), (record, read));
    }
    /// Forgets token `id` (after a revocation).
    pub fn evict(&self, id: &str) {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.evictions.fetch_add(1, Ordering::SeqCst);
        map.retain(|_, (r, _)| r.id != id);
    }
    /// Forgets every token (after changes may have been missed).
    pub fn clear(&self) {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.evictions.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }
}

/// Verifies a bearer token as presented: well-formed, known, not revoked, not expired, and
/// its user still in the configuration. The web UI signs in with the same check.
pub async fn verify_token(app: &App, token: &str) -> Result<TokenRecord, EngineError> {
    if !token.starts_with("wkt_") || token.len() > 128 {
        return Err(invalid_token());
    }
    verify_hash(app, &token_hash(token)).await
}

/// [`verify_token`] for a token known by its hash (a web session keeps only the hash).
pub async fn verify_hash(app: &App, hash: &str) -> Result<TokenRecord, EngineError> {
    let record = match app.tokens.get(hash) {
        Some(r) => r,
        None => {
            if let Some(why) = app.health.down() {
                // Fail closed, at once: a token that cannot be read again is not trusted.
                return Err(EngineError::Unavailable(why));
            }
            let evictions = app.tokens.evictions();
            // Stamped before the read: the entry is never trusted past `FRESH` from it.
            let read = Instant::now();
            let r = app
                .store
                .find_token(hash)
                .await
                .inspect_err(|e| app.health.failed(e))?
                .ok_or_else(invalid_token)?;
            app.tokens.put(r.clone(), evictions, read);
            r
        }
    };
    // The lookup is by hash; compare again in constant time so no path depends on timing.
    if !bool::from(record.hash.as_bytes().ct_eq(hash.as_bytes())) {
        return Err(invalid_token());
    }
    let now = now();
    if record.revoked_at.is_some_and(|t| t <= now) {
        return Err(EngineError::unauthenticated(
            "token_revoked",
            "the token has been revoked",
        ));
    }
    if record.is_expired(now) {
        return Err(EngineError::unauthenticated(
            "token_expired",
            "the token has expired; create a new one with `wicket token create USER`",
        ));
    }
    if !app.knows_user(&record.user) {
        let message = if app.identities.deactivated(&record.user) {
            format!(
                "the token belongs to `{}`, whom the identity provider deactivated",
                record.user
            )
        } else if record.created_by.starts_with("oidc") {
            format!(
                "the token belongs to `{}`, who is no longer in the directory the identity provider keeps; sign in again",
                record.user
            )
        } else {
            format!(
                "the token belongs to `{}`, who is no longer in the configuration",
                record.user
            )
        };
        return Err(EngineError::unauthenticated("unknown_user", message));
    }
    Ok(record)
}

fn invalid_token() -> EngineError {
    EngineError::unauthenticated("invalid_token", "the token is not valid")
}
