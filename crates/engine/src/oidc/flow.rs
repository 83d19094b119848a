//! The authorization code flow with PKCE (RFC 7636), `state` and `nonce`, for browsers. Each
//! sign-in under way is kept in memory by its `state`, bound to the browser that began it (a
//! cookie secret whose hash it keeps), and used once: a replayed or forged callback finds
//! nothing. The provider's answer must come back to the server that began the sign-in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::pending::{PENDING_FOR, admit, locked};
use super::verify::{Refusal, Verified};
use super::{Discovery, Oidc};
use crate::web_sessions::random_secret;

struct Pending {
    nonce: String,
    verifier: String,
    next: String,
    binding: String,
    began: Instant,
}

#[derive(Default)]
pub(super) struct Flows {
    pending: Mutex<HashMap<String, Pending>>,
}

/// A sign-in begun: send the browser to `url`, with `binding` in a cookie.
#[derive(Clone, Debug)]
pub struct Begun {
    pub url: String,
    pub binding: String,
}

fn hash(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The S256 code challenge of `verifier` (RFC 7636): base64url of its SHA-256, unpadded.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `base` with `params` added to its query.
pub(super) fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", q.finish())
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Oidc {
    /// The scopes asked for: `openid profile email` and the configured extras.
    pub(super) fn scope(&self) -> String {
        let mut s = String::from("openid profile email");
        for extra in &self.inner.config.scopes {
            s.push(' ');
            s.push_str(extra);
        }
        s
    }

    /// The provider's authorization URL for a code flow with PKCE (S256), `state` and `nonce`,
    /// answering to the configured `redirect_uri`.
    pub(super) fn authorize_url(
        &self,
        d: &Discovery,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> String {
        let c = &self.inner.config;
        with_query(
            &d.authorization_endpoint,
            &[
                ("response_type", "code"),
                ("client_id", &c.client_id),
                ("redirect_uri", &c.redirect_uri),
                ("scope", &self.scope()),
                ("state", state),
                ("nonce", nonce),
                ("code_challenge", &challenge(verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
    }

    /// Begins a browser sign-in that returns to `next` (a local path).
    pub async fn begin(&self, next: &str) -> Result<Begun, Refusal> {
        let d = self.discovery().await?;
        let (state, nonce, verifier, binding) = (
            random_secret(),
            random_secret(),
            random_secret(),
            random_secret(),
        );
        let url = self.authorize_url(&d, &state, &nonce, &verifier);
        admit(
            &mut locked(&self.inner.flows.pending),
            state,
            Pending {
                nonce,
                verifier,
                next: next.to_string(),
                binding: hash(&binding),
                began: Instant::now(),
            },
            |p| p.began.elapsed() >= PENDING_FOR,
            |p| p.began,
        );
        Ok(Begun { url, binding })
    }

    /// Finishes the sign-in `state` names with the provider's `code`, for the browser holding
    /// `binding`; returns who signed in and where they were going.
    pub async fn finish(
        &self,
        state: &str,
        code: &str,
        binding: &str,
    ) -> Result<(Verified, String), Refusal> {
        let pending = locked(&self.inner.flows.pending).remove(state);
        let Some(p) = pending else {
            return Err(Refusal::new(
                "state_mismatch",
                "this sign-in's `state` is unknown or was already used; sign in again",
            ));
        };
        if !bool::from(hash(binding).as_bytes().ct_eq(p.binding.as_bytes())) {
            return Err(Refusal::new(
                "state_mismatch",
                "this sign-in was begun in another browser; sign in again",
            ));
        }
        let who = self
            .complete(p.began, code, &p.verifier, &p.nonce, "sign in again")
            .await?;
        Ok((who, p.next))
    }

    /// Completes a sign-in begun at `began` with the provider's `code`: refused once it took
    /// longer than [`PENDING_FOR`] (the refusal ends with `again`, what to do next); else the
    /// code is redeemed with `verifier`, and the ID token verified with `nonce`.
    pub(super) async fn complete(
        &self,
        began: Instant,
        code: &str,
        verifier: &str,
        nonce: &str,
        again: &str,
    ) -> Result<Verified, Refusal> {
        if began.elapsed() >= PENDING_FOR {
            return Err(Refusal::new(
                "sign_in_expired",
                format!("the sign-in took longer than 10 minutes; {again}"),
            ));
        }
        let d = self.discovery().await?;
        let id_token = self.redeem_code(&d, code, verifier).await?;
        self.verify_id_token(&id_token, Some(nonce)).await
    }

    /// Trades an authorization code for an ID token at the token endpoint.
    async fn redeem_code(
        &self,
        d: &Discovery,
        code: &str,
        verifier: &str,
    ) -> Result<String, Refusal> {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", self.inner.config.redirect_uri.clone()),
            ("code_verifier", verifier.to_string()),
        ];
        let req = self.inner.http.post(&d.token_endpoint);
        let req = self.authenticate(req, &mut form);
        self.token_call(req, &form).await
    }

    /// Posts `form` to the token endpoint and returns the ID token of a success.
    pub(super) async fn token_call(
        &self,
        req: reqwest::RequestBuilder,
        form: &[(&str, String)],
    ) -> Result<String, Refusal> {
        let resp = req.form(form).send().await.map_err(|e| {
            Refusal::new(
                "provider_unavailable",
                format!("the identity provider's token endpoint could not be reached: {e}"),
            )
        })?;
        let status = resp.status();
        let body: TokenResponse = resp.json().await.map_err(|e| {
            Refusal::new(
                "provider_error",
                format!("the identity provider's token endpoint answered HTTP {status} that is not JSON: {e}"),
            )
        })?;
        if let Some(error) = body.error {
            let mut m = format!("the identity provider refused: {error}");
            if let Some(d) = body.error_description {
                m.push_str(&format!(" ({d})"));
            }
            return Err(Refusal::new("code_refused", m).with_error(&error));
        }
        body.id_token.ok_or_else(|| {
            Refusal::new(
                "provider_error",
                "the identity provider's answer has no `id_token`; is the `openid` scope allowed for this client?",
            )
        })
    }
}

impl Refusal {
    /// Keeps the OAuth error code (`authorization_pending`, `slow_down`, ...) where the
    /// device grant's poller can see it.
    fn with_error(mut self, error: &str) -> Refusal {
        self.code = match error {
            "authorization_pending" => "authorization_pending",
            "slow_down" => "slow_down",
            "expired_token" => "device_code_expired",
            "access_denied" => "access_denied",
            _ => self.code,
        };
        self
    }
}
