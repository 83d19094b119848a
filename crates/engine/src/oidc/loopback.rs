//! The loopback redirect (RFC 8252) for `wicket login` when the provider offers no device
//! grant. The CLI listens on `127.0.0.1:PORT` and keeps a verifier; the server runs the code
//! flow (PKCE, `state`, `nonce`) with its own client secret and its registered redirect URI,
//! and once the ID token is verified sends the browser to the CLI's listener with a one-time
//! code. That code is worth a wicket token only with the verifier whose S256 challenge the CLI
//! gave at the start: it is used once (right or wrong), lives two minutes, and is kept in the
//! memory of the server that issued it.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Oidc;
use super::flow::{challenge, with_query};
use super::pending::{PENDING_FOR, admit, locked};
use super::verify::{Refusal, Verified};
use crate::web_sessions::random_secret;

/// How long the CLI has to redeem the one-time code.
const CODE_FOR: Duration = Duration::from_secs(120);
/// The ports a CLI may listen on: unprivileged ones.
pub const LOOPBACK_PORTS: RangeInclusive<i64> = 1024..=65535;

struct Pending {
    nonce: String,
    verifier: String,
    port: u16,
    challenge: String,
    began: Instant,
}

struct Issued {
    who: Verified,
    challenge: String,
    issued: Instant,
}

#[derive(Default)]
pub(super) struct Loopbacks {
    pending: Mutex<HashMap<String, Pending>>,
    /// By the SHA-256 of the one-time code.
    issued: Mutex<HashMap<String, Issued>>,
}

/// A loopback sign-in begun: the page the person's browser opens.
#[derive(Clone, Debug, Serialize)]
pub struct LoopbackStart {
    pub authorize_url: String,
    /// Seconds the person has to sign in.
    pub expires_in: u64,
}

/// A loopback sign-in the provider answered, taken out of those under way.
pub struct LoopbackFlow {
    pending: Pending,
}

fn hash(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// True for an S256 code challenge: 43 characters of unpadded base64url.
fn is_challenge(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl LoopbackFlow {
    /// The CLI's listener, with `params` in the query.
    // INVARIANT: the browser is only ever sent to 127.0.0.1, on the port validated at the
    // start; nothing the provider or the browser sends can change the host or the port.
    fn back(&self, params: &[(&str, &str)]) -> String {
        with_query(
            &format!("http://127.0.0.1:{}/callback", self.pending.port),
            params,
        )
    }

    /// Where to send the browser when the sign-in was refused: the CLI's listener, told why,
    /// so the command stops waiting.
    pub fn refused_url(&self, refusal: &Refusal) -> String {
        self.back(&[
            ("error", refusal.code),
            ("error_description", &refusal.message),
        ])
    }
}

impl Oidc {
    /// Begins a loopback sign-in for a CLI listening on `port` of 127.0.0.1 and holding the
    /// verifier of `code_challenge`.
    pub async fn loopback_begin(
        &self,
        port: i64,
        code_challenge: &str,
    ) -> Result<LoopbackStart, Refusal> {
        if !LOOPBACK_PORTS.contains(&port) {
            return Err(Refusal::new(
                "invalid_port",
                format!(
                    "`port` must be between {} and {} (the CLI's listener on 127.0.0.1), not `{port}`",
                    LOOPBACK_PORTS.start(),
                    LOOPBACK_PORTS.end()
                ),
            ));
        }
        let port = u16::try_from(port)
            .map_err(|_| Refusal::new("invalid_port", format!("`{port}` is not a port")))?;
        if !is_challenge(code_challenge) {
            return Err(Refusal::new(
                "invalid_challenge",
                "`challenge` must be an S256 code challenge: 43 characters of unpadded base64url",
            ));
        }
        let d = self.discovery().await?;
        let (state, nonce, verifier) = (random_secret(), random_secret(), random_secret());
        let authorize_url = self.authorize_url(&d, &state, &nonce, &verifier);
        admit(
            &mut locked(&self.inner.loopbacks.pending),
            state,
            Pending {
                nonce,
                verifier,
                port,
                challenge: code_challenge.to_string(),
                began: Instant::now(),
            },
            |p| p.began.elapsed() >= PENDING_FOR,
            |p| p.began,
        );
        Ok(LoopbackStart {
            authorize_url,
            expires_in: PENDING_FOR.as_secs(),
        })
    }

    /// Takes the loopback sign-in `state` names out of those under way, if it is one: the
    /// provider's answer for it comes once.
    pub fn loopback_take(&self, state: &str) -> Option<LoopbackFlow> {
        locked(&self.inner.loopbacks.pending)
            .remove(state)
            .map(|pending| LoopbackFlow { pending })
    }

    /// Finishes `flow` with the provider's `code`: verifies the ID token and answers where to
    /// send the browser, the CLI's listener with a one-time code.
    pub async fn loopback_finish(
        &self,
        flow: &LoopbackFlow,
        code: &str,
    ) -> Result<String, Refusal> {
        let p = &flow.pending;
        let who = self
            .complete(
                p.began,
                code,
                &p.verifier,
                &p.nonce,
                "run `wicket login` again",
            )
            .await?;
        let one_time = random_secret();
        admit(
            &mut locked(&self.inner.loopbacks.issued),
            hash(&one_time),
            Issued {
                who,
                challenge: p.challenge.clone(),
                issued: Instant::now(),
            },
            |i| i.issued.elapsed() >= CODE_FOR,
            |i| i.issued,
        );
        Ok(flow.back(&[("code", &one_time)]))
    }

    /// Trades the one-time `code` and the CLI's `verifier` for the person the provider
    /// vouched for. The code is spent by any attempt, right or wrong.
    pub fn loopback_redeem(&self, code: &str, verifier: &str) -> Result<Verified, Refusal> {
        let issued = locked(&self.inner.loopbacks.issued).remove(&hash(code));
        let Some(i) = issued else {
            return Err(Refusal::new(
                "unknown_code",
                "this sign-in code is unknown or was already used; run `wicket login` again",
            ));
        };
        if i.issued.elapsed() >= CODE_FOR {
            return Err(Refusal::new(
                "code_expired",
                "this sign-in code expired before it was redeemed; run `wicket login` again",
            ));
        }
        if !bool::from(challenge(verifier).as_bytes().ct_eq(i.challenge.as_bytes())) {
            return Err(Refusal::new(
                "verifier_mismatch",
                "the verifier does not match the challenge this sign-in began with; the code is spent, run `wicket login` again",
            ));
        }
        Ok(i.who)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_43_base64url_characters() {
        assert!(is_challenge(&challenge("a-verifier")));
        assert!(!is_challenge(""));
        assert!(!is_challenge(&"a".repeat(44)));
        assert!(!is_challenge(&format!("{}=", "a".repeat(42))));
    }
}
