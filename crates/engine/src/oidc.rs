//! Signing in through the company's OpenID Provider (`[auth.oidc]`): discovery, the
//! provider's signing keys, ID-token verification, the browser's authorization code flow
//! (PKCE, `state`, `nonce`) and the CLI's device authorization grant, or its loopback
//! redirect when the provider offers no device grant. What comes out is a
//! [`Verified`] person, whom [`crate::identity`] turns into a wicket token.

mod device;
mod discovery;
mod flow;
mod keys;
mod loopback;
mod pending;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use wicket_core::config::{OidcConfig, PasswordSource};

use crate::error::EngineError;

pub use device::{DeviceStart, Polled};
pub use discovery::Discovery;
pub use flow::{Begun, challenge};
pub use keys::REFETCH_AFTER;
pub use loopback::{LOOPBACK_PORTS, LoopbackFlow, LoopbackStart};
pub use verify::{Refusal, Verified};

/// How long one call to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The configured provider, its discovery document and keys once fetched, and the sign-ins
/// under way. Cheap to clone.
#[derive(Clone)]
pub struct Oidc {
    inner: Arc<Inner>,
}

struct Inner {
    config: OidcConfig,
    secret: Option<String>,
    http: reqwest::Client,
    discovery: tokio::sync::RwLock<Option<Arc<Discovery>>>,
    keys: keys::KeySet,
    flows: flow::Flows,
    devices: device::Devices,
    loopbacks: loopback::Loopbacks,
}

/// Reads the client secret from where the configuration says.
fn read_secret(source: &PasswordSource) -> Result<String, EngineError> {
    crate::secret::read_setting(source, "auth.oidc.client_secret").map_err(EngineError::Setup)
}

impl Oidc {
    /// Sets up sign-in for `config`, reading the client secret now so a missing one stops
    /// the server at start. The provider itself is asked nothing until the first sign-in.
    pub fn new(config: &OidcConfig) -> Result<Oidc, EngineError> {
        let secret = config.client_secret.as_ref().map(read_secret).transpose()?;
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| EngineError::Setup(format!("`auth.oidc`: {e}")))?;
        Ok(Oidc {
            inner: Arc::new(Inner {
                config: config.clone(),
                secret,
                http,
                discovery: tokio::sync::RwLock::new(None),
                keys: keys::KeySet::default(),
                flows: flow::Flows::default(),
                devices: device::Devices::default(),
                loopbacks: loopback::Loopbacks::default(),
            }),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.inner.config
    }

    /// The provider's discovery document, fetched once.
    pub async fn discovery(&self) -> Result<Arc<Discovery>, Refusal> {
        if let Some(d) = self.inner.discovery.read().await.clone() {
            return Ok(d);
        }
        let mut slot = self.inner.discovery.write().await;
        if let Some(d) = slot.clone() {
            return Ok(d);
        }
        let d = Arc::new(discovery::fetch(&self.inner.http, &self.inner.config.issuer).await?);
        *slot = Some(d.clone());
        Ok(d)
    }

    /// Verifies an ID token as [`verify::verify`] does, with the provider's current keys.
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<Verified, Refusal> {
        let d = self.discovery().await?;
        let header = verify::header(token)?;
        let key = self
            .inner
            .keys
            .key_for(&self.inner.http, &d.jwks_uri, header.kid.as_deref())
            .await?;
        verify::verify(token, &header, &key, &self.inner.config, nonce)
    }

    /// Client authentication for the token endpoint: HTTP Basic with the secret, or the
    /// client id alone for a public client.
    fn authenticate(
        &self,
        req: reqwest::RequestBuilder,
        form: &mut Vec<(&str, String)>,
    ) -> reqwest::RequestBuilder {
        let c = &self.inner.config;
        match &self.inner.secret {
            Some(secret) => {
                let enc =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                req.basic_auth(enc(&c.client_id), Some(enc(secret)))
            }
            None => {
                form.push(("client_id", c.client_id.clone()));
                req
            }
        }
    }
}
