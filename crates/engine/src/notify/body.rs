//! What goes on the wire: the body in a sink's format, and its HMAC-SHA256 signature.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use wicket_core::config::notify::WebhookFormat;

use super::message::Notification;

/// The header that carries the signature: `sha256=` and the hex HMAC of the body.
pub const SIGNATURE_HEADER: &str = "x-wicket-signature";

/// The exact bytes posted to a sink.
pub fn body(format: WebhookFormat, n: &Notification) -> Vec<u8> {
    let value = match format {
        WebhookFormat::Json => n.to_json(),
        WebhookFormat::Slack => json!({ "text": slack_text(n) }),
    };
    value.to_string().into_bytes()
}

/// One Slack message: the kind in bold, the summary, and the ids to look up.
fn slack_text(n: &Notification) -> String {
    let mut text = format!("*wicket {}*: {}", n.kind, n.summary);
    for (label, id) in [("request", &n.request_id), ("grant", &n.grant_id)] {
        if let Some(id) = id {
            text.push_str(&format!(" ({label} `{id}`)"));
        }
    }
    text
}

/// `sha256=HEX`: the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231, test case 2.
        let sig = signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
