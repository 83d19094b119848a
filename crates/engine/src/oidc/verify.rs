//! Verifying an ID token (OpenID Connect Core 1.0, section 3.1.3.7): an asymmetric signature
//! by one of the provider's published keys (never `alg: none`, never an HMAC keyed with a
//! public key), `iss`, `aud`, `azp`, `exp`, `nbf`, `iat` and `nonce`; then the username and
//! groups claims as configured. Every refusal says what was wrong, never the token itself.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use wicket_core::Time;
use wicket_core::config::OidcConfig;
use wicket_core::subject::parse_name;

/// Clock skew tolerated between wicket and the provider.
const LEEWAY_SECS: u64 = 60;

/// Why a sign-in was refused: a short code for the audit log and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// A person the provider vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The wicket user name (the username claim).
    pub user: String,
    /// Wicket groups, after `[auth.oidc.groups]` mapping.
    pub groups: Vec<String>,
    /// The provider's `sub`.
    pub subject: String,
    /// The ID token's `exp`.
    pub expires_at: Option<Time>,
}

/// The parts of a JOSE header wicket reads.
pub(super) struct Header {
    pub alg: Algorithm,
    pub kid: Option<String>,
}

fn malformed(what: &str) -> Refusal {
    Refusal::new(
        "malformed_token",
        format!("the ID token is not a signed JWT: {what}"),
    )
}

/// Reads the header, refusing unsigned and symmetric-key tokens before any key is looked up.
pub(super) fn header(token: &str) -> Result<Header, Refusal> {
    let mut parts = token.split('.');
    let (Some(head), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("it does not have three parts"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(head)
        .map_err(|_| malformed("the header is not base64url"))?;
    let json: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| malformed("the header is not a JSON object"))?;
    let alg = json.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg = match alg {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        a if a.eq_ignore_ascii_case("none") || a.is_empty() => {
            return Err(Refusal::new(
                "unsigned_token",
                "the ID token is unsigned (`alg: none`); wicket accepts only tokens signed by the provider's keys",
            ));
        }
        a if a.starts_with("HS") => {
            return Err(Refusal::new(
                "symmetric_token",
                format!(
                    "the ID token is signed with `{a}`, a shared-secret algorithm; wicket accepts only the provider's public-key signatures"
                ),
            ));
        }
        a => {
            return Err(Refusal::new(
                "unsupported_algorithm",
                format!("the ID token's algorithm `{a}` is not supported"),
            ));
        }
    };
    let kid = json.get("kid").and_then(Value::as_str).map(str::to_string);
    Ok(Header { alg, kid })
}

fn algorithm_name(alg: Algorithm) -> String {
    format!("{alg:?}")
}

/// Verifies `token` with `key` (the one its header names) against `config`; `nonce` is the
/// one this sign-in sent (`None` for the device grant, which has none).
pub(super) fn verify(
    token: &str,
    header: &Header,
    key: &Jwk,
    config: &OidcConfig,
    nonce: Option<&str>,
) -> Result<Verified, Refusal> {
    if let Some(ka) = key.common.key_algorithm
        && format!("{ka:?}") != algorithm_name(header.alg)
    {
        return Err(Refusal::new(
            "algorithm_mismatch",
            format!(
                "the ID token says `{}` but its key is for `{ka:?}`",
                algorithm_name(header.alg)
            ),
        ));
    }
    let decoding = DecodingKey::from_jwk(key).map_err(|e| {
        Refusal::new(
            "unusable_key",
            format!("the identity provider's key cannot be used: {e}"),
        )
    })?;
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[&config.issuer]);
    v.set_audience(&[&config.client_id]);
    v.leeway = LEEWAY_SECS;
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &decoding, &v)
        .map_err(|e| refusal(e.kind(), config))?
        .claims;
    check_iat(&claims)?;
    check_azp(&claims, &config.client_id)?;
    if let Some(expected) = nonce {
        let got = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if got.is_empty() || !bool::from(got.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(Refusal::new(
                "nonce_mismatch",
                "the ID token's `nonce` is not the one this sign-in sent (a replayed or injected token)",
            ));
        }
    }
    let user = username(&claims, &config.username_claim)?;
    let groups = groups(&claims, config)?;
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let expires_at = claims
        .get("exp")
        .and_then(Value::as_i64)
        .and_then(|e| chrono::DateTime::from_timestamp(e, 0));
    Ok(Verified {
        user,
        groups,
        subject,
        expires_at,
    })
}

fn refusal(kind: &ErrorKind, config: &OidcConfig) -> Refusal {
    match kind {
        ErrorKind::InvalidSignature => Refusal::new(
            "bad_signature",
            "the ID token's signature does not verify with the identity provider's key",
        ),
        ErrorKind::ExpiredSignature => Refusal::new("token_expired", "the ID token has expired"),
        ErrorKind::ImmatureSignature => Refusal::new(
            "token_not_yet_valid",
            "the ID token is not valid yet (`nbf` is in the future)",
        ),
        ErrorKind::InvalidIssuer => Refusal::new(
            "wrong_issuer",
            format!(
                "the ID token was not issued by the configured issuer `{}`",
                config.issuer
            ),
        ),
        ErrorKind::InvalidAudience => Refusal::new(
            "wrong_audience",
            format!(
                "the ID token is not meant for this client (`aud` does not include `{}`)",
                config.client_id
            ),
        ),
        ErrorKind::InvalidAlgorithm => Refusal::new(
            "algorithm_mismatch",
            "the ID token's algorithm does not match the identity provider's key",
        ),
        ErrorKind::MissingRequiredClaim(c) => Refusal::new(
            "missing_claim",
            format!("the ID token lacks the `{c}` claim"),
        ),
        other => Refusal::new(
            "malformed_token",
            format!("the ID token could not be read: {other:?}"),
        ),
    }
}

fn check_iat(claims: &Map<String, Value>) -> Result<(), Refusal> {
    let Some(iat) = claims.get("iat").and_then(Value::as_i64) else {
        return Err(Refusal::new(
            "missing_claim",
            "the ID token lacks the `iat` claim",
        ));
    };
    let now = chrono::Utc::now().timestamp();
    if iat > now + LEEWAY_SECS as i64 {
        return Err(Refusal::new(
            "token_not_yet_valid",
            "the ID token was issued in the future (`iat`); check the clocks",
        ));
    }
    Ok(())
}

fn check_azp(claims: &Map<String, Value>, client_id: &str) -> Result<(), Refusal> {
    let several = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == client_id => Ok(()),
        Some(_) => Err(Refusal::new(
            "wrong_audience",
            format!("the ID token was issued to another party (`azp` is not `{client_id}`)"),
        )),
        None if several => Err(Refusal::new(
            "wrong_audience",
            "the ID token has several audiences and no `azp`",
        )),
        None => Ok(()),
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn username(claims: &Map<String, Value>, claim: &str) -> Result<String, Refusal> {
    match claims.get(claim) {
        Some(Value::String(s)) => parse_name("user", s).map_err(|e| {
            Refusal::new(
                "invalid_username",
                format!("the `{claim}` claim is not a usable wicket user name: {e}"),
            )
        }),
        None | Some(Value::Null) => Err(Refusal::new(
            "missing_username",
            format!(
                "the ID token has no `{claim}` claim (set `auth.oidc.username_claim` to a claim the provider sends, and the scope that brings it)"
            ),
        )),
        Some(v) => Err(Refusal::new(
            "invalid_username",
            format!("the `{claim}` claim is {}, not a string", type_of(v)),
        )),
    }
}

fn groups(claims: &Map<String, Value>, config: &OidcConfig) -> Result<Vec<String>, Refusal> {
    let claim = &config.groups_claim;
    let wrong = |what: &str| {
        Refusal::new(
            "invalid_groups",
            format!("the `{claim}` claim is {what}, not a list of strings"),
        )
    };
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => names.push(s.as_str()),
                    other => return Err(wrong(&format!("a list holding {}", type_of(other)))),
                }
            }
            Ok(config.map_groups(names))
        }
        Some(v) => Err(wrong(type_of(v))),
    }
}
