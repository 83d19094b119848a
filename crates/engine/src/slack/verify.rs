//! Slack's request signature: `v0=` HMAC-SHA256 with the app's signing secret over
//! `v0:TIMESTAMP:BODY`; a timestamp more than five minutes from now is refused, and so is a
//! signature seen before (a replay within those five minutes).

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::EngineError;

/// How far a request's timestamp may be from now, in seconds.
pub const MAX_SKEW: i64 = 300;

fn refused(code: &'static str, message: impl Into<String>) -> EngineError {
    EngineError::Unauthenticated {
        code,
        message: message.into(),
    }
}

/// The `v0=...` signature Slack sends for `body` at `timestamp`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length; were it ever refused, no signature would match.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Signatures accepted in the last [`MAX_SKEW`] seconds, to refuse them a second time.
#[derive(Debug, Default)]
pub struct Replays {
    seen: Mutex<HashMap<String, i64>>,
}

impl Replays {
    /// Checks the timestamp (against `now`, Unix seconds) and the signature of `body`, and
    /// that this signature was not accepted before.
    pub fn verify(
        &self,
        secret: &str,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), EngineError> {
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err(refused(
                "unsigned",
                "missing `X-Slack-Request-Timestamp` or `X-Slack-Signature`",
            ));
        };
        let at: i64 = timestamp.parse().map_err(|_| {
            refused(
                "bad_timestamp",
                format!("timestamp `{timestamp}` is not a number"),
            )
        })?;
        if (now - at).abs() > MAX_SKEW {
            return Err(refused(
                "stale_request",
                format!("the request was signed at {at}, more than five minutes from now ({now})"),
            ));
        }
        let expected = sign(secret, timestamp, body);
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(refused(
                "bad_signature",
                "the signature does not match the body and the signing secret",
            ));
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, t| (now - *t).abs() <= MAX_SKEW);
        if seen.insert(signature.to_string(), at).is_some() {
            return Err(refused(
                "replayed",
                "this signed request was received before",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// The example of Slack's "Verifying requests from Slack".
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn code(r: Result<(), EngineError>) -> &'static str {
        match r {
            Err(EngineError::Unauthenticated { code, .. }) => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn slacks_own_example_verifies_once() {
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), SIG);
        let r = Replays::default();
        let now = 1_531_420_618 + 10;
        r.verify(SECRET, Some(TS), Some(SIG), BODY.as_bytes(), now)
            .unwrap();
        assert_eq!(
            code(r.verify(SECRET, Some(TS), Some(SIG), BODY.as_bytes(), now)),
            "replayed"
        );
    }

    #[test]
    fn forged_stale_and_unsigned_requests_are_refused() {
        let r = Replays::default();
        let now = 1_531_420_618;
        let tampered = BODY.replace("roadrunner", "coyote");
        assert_eq!(
            code(r.verify(SECRET, Some(TS), Some(SIG), tampered.as_bytes(), now)),
            "bad_signature"
        );
        assert_eq!(
            code(r.verify("another-secret", Some(TS), Some(SIG), BODY.as_bytes(), now)),
            "bad_signature"
        );
        assert_eq!(
            code(r.verify(SECRET, Some(TS), Some(SIG), BODY.as_bytes(), now + 301)),
            "stale_request"
        );
        assert_eq!(
            code(r.verify(SECRET, Some(TS), Some(SIG), BODY.as_bytes(), now - 301)),
            "stale_request"
        );
        assert_eq!(
            code(r.verify(SECRET, Some("soon"), Some(SIG), BODY.as_bytes(), now)),
            "bad_timestamp"
        );
        assert_eq!(
            code(r.verify(SECRET, None, Some(SIG), BODY.as_bytes(), now)),
            "unsigned"
        );
        // None of the refusals counts as seen: the genuine request still verifies.
        r.verify(SECRET, Some(TS), Some(SIG), BODY.as_bytes(), now)
            .unwrap();
    }
}
