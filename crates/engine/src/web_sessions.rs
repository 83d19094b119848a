//! Web sign-in sessions: a random id (which the web UI keeps in an `HttpOnly;
//! SameSite=Strict` cookie) mapped in memory to the user, the token they signed in with, a CSRF secret and an expiry no later
//! than the token's. Kept in memory: a restart signs everyone out, and replicas behind a load
//! balancer need sticky sessions until sessions move to the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use wicket_core::{Time, TokenRecord};

/// The longest a session lasts, whatever the token's lifetime.
pub const MAX_SESSION: chrono::Duration = chrono::Duration::hours(12);
/// Sessions beyond this evict the ones closest to expiry.
const MAX_SESSIONS: usize = 100_000;

/// A one-shot message shown on the next page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

/// One signed-in browser.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub token_id: String,
    /// SHA-256 of the token: each request re-verifies it, so a revoked token ends the session.
    pub token_hash: String,
    /// The synchronizer token every form of this session carries.
    pub csrf: String,
    pub expires_at: Time,
    pub flash: Option<Flash>,
}

/// Every live session, by the SHA-256 of its id (the id itself is only in the cookie).
#[derive(Clone, Default)]
pub struct Sessions {
    inner: Arc<RwLock<HashMap<String, Session>>>,
    secure: bool,
}

/// 256 random bits, hex.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    hex::encode(bytes)
}

fn key(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Constant-time equality for secrets from the wire.
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    /// `secure` marks every cookie `Secure`; turn it on when wicket is served over TLS.
    pub fn new(secure: bool) -> Sessions {
        Sessions {
            inner: Arc::default(),
            secure,
        }
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Starts a session for the holder of `token`; returns the new session id.
    pub fn start(&self, token: &TokenRecord, now: Time) -> (String, Session) {
        let cap = now + MAX_SESSION;
        let session = Session {
            user: token.user.clone(),
            token_id: token.id.clone(),
            token_hash: token.hash.clone(),
            csrf: random_secret(),
            // INVARIANT: a session never outlives the token it was opened with.
            expires_at: token.expires_at.map_or(cap, |t| t.min(cap)),
            flash: None,
        };
        let id = random_secret();
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.expires_at > now);
        }
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires_at)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(key(&id), session.clone());
        (id, session)
    }

    /// The live session `id` names; an expired one is dropped.
    pub fn get(&self, id: &str, now: Time) -> Option<Session> {
        let k = key(id);
        let found = self
            .inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&k)
            .cloned();
        match found {
            Some(s) if s.expires_at > now => Some(s),
            Some(_) => {
                self.end(id);
                None
            }
            None => None,
        }
    }

    pub fn end(&self, id: &str) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key(id));
    }

    /// Ends every session of `user`.
    pub fn end_user(&self, user: &str) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, s| s.user != user);
    }

    pub fn set_flash(&self, id: &str, flash: Flash) {
        if let Some(s) = self
            .inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&key(id))
        {
            s.flash = Some(flash);
        }
    }

    pub fn take_flash(&self, id: &str) -> Option<Flash> {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&key(id))
            .and_then(|s| s.flash.take())
    }

    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::time;

    fn token(expires_at: Option<Time>) -> TokenRecord {
        TokenRecord {
            id: "tok_1".into(),
            user: "alice".into(),
            hash: "h".into(),
            created_at: time::from_millis(0),
            expires_at,
            created_by: "wicket".into(),
            revoked_at: None,
        }
    }

    #[test]
    fn a_session_never_outlives_its_token_nor_twelve_hours() {
        let now = time::from_millis(1_000_000);
        let sessions = Sessions::default();
        let short = now + chrono::Duration::minutes(5);
        let (_, s) = sessions.start(&token(Some(short)), now);
        assert_eq!(s.expires_at, short);
        let (_, s) = sessions.start(&token(None), now);
        assert_eq!(s.expires_at, now + MAX_SESSION);
    }

    #[test]
    fn expired_and_ended_sessions_are_gone() {
        let now = time::from_millis(1_000_000);
        let sessions = Sessions::default();
        let (id, s) = sessions.start(&token(Some(now + chrono::Duration::seconds(1))), now);
        assert_eq!(sessions.get(&id, now).map(|x| x.csrf), Some(s.csrf));
        assert!(
            sessions
                .get(&id, now + chrono::Duration::seconds(1))
                .is_none()
        );
        assert!(sessions.is_empty());
        let (id, _) = sessions.start(&token(None), now);
        sessions.end(&id);
        assert!(sessions.get(&id, now).is_none());
    }

    #[test]
    fn flash_is_shown_once() {
        let now = time::from_millis(0);
        let sessions = Sessions::default();
        let (id, _) = sessions.start(&token(None), now);
        sessions.set_flash(
            &id,
            Flash {
                ok: true,
                text: "done".into(),
            },
        );
        assert_eq!(
            sessions.take_flash(&id).map(|f| f.text),
            Some("done".into())
        );
        assert_eq!(sessions.take_flash(&id), None);
    }

    #[test]
    fn secrets_compare_in_full() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", ""));
    }
}
