//! The provider's signing keys (its JWKS), fetched when first needed and again when a token
//! names a key id not seen yet (the provider rotated its keys), at most once per
//! [`REFETCH_AFTER`], so tokens with made-up key ids cannot make wicket hammer the provider.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use serde::Deserialize;

use super::discovery::get_json;
use super::verify::Refusal;

/// The shortest time between two fetches of the key set.
pub const REFETCH_AFTER: Duration = Duration::from_secs(5);

#[derive(Default)]
pub(super) struct KeySet {
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: Vec<Jwk>,
    fetched: Option<Instant>,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

/// The signing keys at `uri`; keys of a type wicket cannot use are left out.
async fn fetch(http: &reqwest::Client, uri: &str) -> Result<Vec<Jwk>, Refusal> {
    let raw: RawSet = get_json(http, uri, "keys").await?;
    Ok(raw
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .collect())
}

fn find(keys: &[Jwk], kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .cloned(),
        // Without a key id, only an unambiguous key will do.
        None if keys.len() == 1 => keys.first().cloned(),
        None => None,
    }
}

impl KeySet {
    /// The key `kid` names, fetching the set again if it is unknown and the last fetch is
    /// older than [`REFETCH_AFTER`].
    pub(super) async fn key_for(
        &self,
        http: &reqwest::Client,
        uri: &str,
        kid: Option<&str>,
    ) -> Result<Jwk, Refusal> {
        let mut state = self.state.lock().await;
        if let Some(k) = find(&state.keys, kid) {
            return Ok(k);
        }
        let stale = state.fetched.is_none_or(|t| t.elapsed() >= REFETCH_AFTER);
        if stale {
            state.keys = fetch(http, uri).await?;
            state.fetched = Some(Instant::now());
            if let Some(k) = find(&state.keys, kid) {
                return Ok(k);
            }
        }
        let message = match kid {
            Some(kid) if stale => format!(
                "the ID token is signed with key `{kid}`, which the identity provider does not publish"
            ),
            Some(kid) => format!(
                "the ID token is signed with key `{kid}`, which the identity provider did not publish when its keys were fetched moments ago"
            ),
            None => "the ID token names no key (`kid`) and the identity provider publishes several"
                .to_string(),
        };
        Err(Refusal::new("unknown_key", message))
    }
}
