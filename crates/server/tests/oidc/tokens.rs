//! Hostile ID tokens, forged with the provider's own signing key where that is the point (so
//! only the claim at fault is wrong), each verified against the live provider's published
//! keys and refused with its reason.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use wicket_engine::oidc::Oidc;

use crate::harness::world;
use crate::provider::CLIENT_ID;

fn sign(claims: &Value, kid: &str, pem: &str) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_string());
    jsonwebtoken::encode(
        &h,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// An RSA key the provider never heard of (`openssl genpkey`).
fn stranger_key() -> String {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("`openssl` runs (it makes a key the provider does not know)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_id_token_is_refused_with_its_reason() {
    let w = world().await;
    let oidc: Oidc = w.wicket.app.oidc.clone().unwrap();
    let (kid, pem) = w.provider.keys()[0].clone();
    let iss = w.provider.issuer.clone();
    let now = chrono::Utc::now().timestamp();
    let good = json!({
        "iss": iss, "aud": CLIENT_ID, "sub": "ann-sub", "iat": now, "exp": now + 300,
        "nonce": "n1", "preferred_username": "ann", "groups": ["sre"],
    });
    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };

    // The well-formed one passes: the forgeries below differ from it in one thing each.
    let who = oidc
        .verify_id_token(&sign(&good, &kid, &pem), Some("n1"))
        .await
        .unwrap();
    assert_eq!(
        (who.user.as_str(), who.groups.clone()),
        ("ann", vec!["sre".to_string()])
    );

    let stranger = stranger_key();
    let public_jwk = reqwest::get(format!("{iss}/jwks"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let hs256 = jsonwebtoken::encode(
        &Header {
            kid: Some(kid.clone()),
            ..Header::new(Algorithm::HS256)
        },
        &good,
        &EncodingKey::from_secret(public_jwk.as_bytes()),
    )
    .unwrap();
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": kid})),
        b64(&good)
    );
    let tampered = {
        let t = sign(&good, &kid, &pem);
        let parts: Vec<&str> = t.split('.').collect();
        format!(
            "{}.{}.{}",
            parts[0],
            b64(&with(json!({"preferred_username": "alice"}))),
            parts[2]
        )
    };

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong issuer",
            sign(&with(json!({"iss": "https://evil.example"})), &kid, &pem),
            "wrong_issuer",
        ),
        (
            "wrong audience",
            sign(&with(json!({"aud": "another-client"})), &kid, &pem),
            "wrong_audience",
        ),
        (
            "another party's azp",
            sign(&with(json!({"azp": "another-client"})), &kid, &pem),
            "wrong_audience",
        ),
        (
            "several audiences, no azp",
            sign(&with(json!({"aud": [CLIENT_ID, "other"]})), &kid, &pem),
            "wrong_audience",
        ),
        (
            "expired",
            sign(
                &with(json!({"exp": now - 3600, "iat": now - 7200})),
                &kid,
                &pem,
            ),
            "token_expired",
        ),
        (
            "not yet valid",
            sign(&with(json!({"nbf": now + 3600})), &kid, &pem),
            "token_not_yet_valid",
        ),
        (
            "issued in the future",
            sign(&with(json!({"iat": now + 3600})), &kid, &pem),
            "token_not_yet_valid",
        ),
        (
            "no iat",
            sign(&with(json!({"iat": null})), &kid, &pem),
            "missing_claim",
        ),
        (
            "bad signature",
            sign(&good, &kid, &stranger),
            "bad_signature",
        ),
        ("changed after signing", tampered, "bad_signature"),
        (
            "unknown kid",
            sign(&good, "not-a-provider-key", &stranger),
            "unknown_key",
        ),
        ("alg none", unsigned, "unsigned_token"),
        ("HS256 keyed with the public key", hs256, "symmetric_token"),
        (
            "wrong nonce",
            sign(&with(json!({"nonce": "other"})), &kid, &pem),
            "nonce_mismatch",
        ),
        (
            "no nonce",
            sign(&with(json!({"nonce": null})), &kid, &pem),
            "nonce_mismatch",
        ),
        (
            "no username claim",
            sign(&with(json!({"preferred_username": null})), &kid, &pem),
            "missing_username",
        ),
        (
            "username of the wrong type",
            sign(&with(json!({"preferred_username": 7})), &kid, &pem),
            "invalid_username",
        ),
        (
            "groups of the wrong type",
            sign(&with(json!({"groups": "sre"})), &kid, &pem),
            "invalid_groups",
        ),
        (
            "groups holding a number",
            sign(&with(json!({"groups": ["sre", 1]})), &kid, &pem),
            "invalid_groups",
        ),
        ("not a JWT", "not.a-jwt".to_string(), "malformed_token"),
    ];
    for (what, token, code) in cases {
        let refusal = oidc
            .verify_id_token(&token, Some("n1"))
            .await
            .expect_err(what);
        assert_eq!(refusal.code, code, "{what}: {}", refusal.message);
        assert!(
            !refusal.message.contains(&token),
            "{what}: the message repeats the token"
        );
    }
}
