//! OpenID Provider discovery: `ISSUER/.well-known/openid-configuration`, whose `issuer` must be
//! the configured one exactly (OpenID Connect Discovery 1.0, section 4.3).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::verify::Refusal;

/// What wicket uses of the discovery document.
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// RFC 8628: present when the provider offers the device authorization grant.
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
}

/// True for `https://`, or `http://` to a loopback host.
fn acceptable(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The JSON document at `url`, the provider's `what`; one that cannot be read is a
/// `provider_unavailable` refusal that names it.
pub(super) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    what: &str,
) -> Result<T, Refusal> {
    let unreachable = |e: String| {
        Refusal::new(
            "provider_unavailable",
            format!("the identity provider's {what} at {url} could not be read: {e}"),
        )
    };
    let resp = http
        .get(url)
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(unreachable(format!("HTTP {}", resp.status())));
    }
    resp.json().await.map_err(|e| unreachable(e.to_string()))
}

pub(super) async fn fetch(http: &reqwest::Client, issuer: &str) -> Result<Discovery, Refusal> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let d: Discovery = get_json(http, &url, "discovery document").await?;
    if d.issuer != issuer {
        return Err(Refusal::new(
            "issuer_mismatch",
            format!(
                "the discovery document names issuer `{}`, not the configured `{issuer}`",
                d.issuer
            ),
        ));
    }
    for (name, url) in [
        ("authorization_endpoint", Some(&d.authorization_endpoint)),
        ("token_endpoint", Some(&d.token_endpoint)),
        ("jwks_uri", Some(&d.jwks_uri)),
        (
            "device_authorization_endpoint",
            d.device_authorization_endpoint.as_ref(),
        ),
    ] {
        if let Some(u) = url
            && !acceptable(u)
        {
            return Err(Refusal::new(
                "provider_unavailable",
                format!("the discovery document's `{name}` `{u}` is not an https:// URL"),
            ));
        }
    }
    Ok(d)
}
