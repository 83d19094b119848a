//! The device authorization grant (RFC 8628) for `wicket login`, run by the server on the
//! CLI's behalf so the client secret never leaves it: the CLI starts a sign-in, shows the
//! person the provider's page and code, and polls with an opaque handle until the provider
//! says yes (or no). Handles are kept in memory, used once, and bound to the server that
//! issued them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Oidc;
use super::pending::{admit, locked};
use super::verify::{Refusal, Verified};
use crate::web_sessions::random_secret;

/// The longest wicket waits for a person, whatever the provider offers.
const LONGEST: Duration = Duration::from_secs(900);

struct Pending {
    device_code: String,
    interval: u64,
    expires: Instant,
}

#[derive(Default)]
pub(super) struct Devices {
    pending: Mutex<HashMap<String, Pending>>,
}

impl Devices {
    /// The sign-ins under way; a panic elsewhere while they were held leaves them usable.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        locked(&self.pending)
    }
}

/// What the person must do, and the handle the CLI polls with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeviceStart {
    pub handle: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    /// Seconds between polls.
    pub interval: u64,
    /// Seconds until the code expires.
    pub expires_in: u64,
}

/// One poll's outcome.
#[derive(Clone, Debug)]
pub enum Polled {
    /// Not yet; poll again after this many seconds.
    Pending(u64),
    Done(Verified),
}

#[derive(Deserialize)]
struct Authorization {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
}

impl Oidc {
    /// Starts a device sign-in at the provider.
    pub async fn device_start(&self) -> Result<DeviceStart, Refusal> {
        let d = self.discovery().await?;
        let Some(endpoint) = d.device_authorization_endpoint.clone() else {
            return Err(Refusal::new(
                "device_grant_unsupported",
                "the identity provider does not offer the device authorization grant (no `device_authorization_endpoint`)",
            ));
        };
        let mut form = vec![("scope", self.scope())];
        let req = self.inner.http.post(&endpoint);
        let req = self.authenticate(req, &mut form);
        let resp = req.form(&form).send().await.map_err(|e| {
            Refusal::new(
                "provider_unavailable",
                format!("the identity provider's device endpoint could not be reached: {e}"),
            )
        })?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            return Err(Refusal::new(
                "provider_error",
                format!(
                    "the identity provider refused to start a device sign-in (HTTP {status}): {}",
                    text.chars().take(300).collect::<String>()
                ),
            ));
        }
        let a: Authorization = resp.json().await.map_err(|e| {
            Refusal::new(
                "provider_error",
                format!("the identity provider's device answer could not be read: {e}"),
            )
        })?;
        let interval = a.interval.unwrap_or(5).clamp(1, 60);
        let expires_in = a.expires_in.unwrap_or(600).min(LONGEST.as_secs());
        let handle = random_secret();
        admit(
            &mut self.inner.devices.lock(),
            handle.clone(),
            Pending {
                device_code: a.device_code,
                interval,
                expires: Instant::now() + Duration::from_secs(expires_in),
            },
            |p| p.expires <= Instant::now(),
            |p| p.expires,
        );
        Ok(DeviceStart {
            handle,
            user_code: a.user_code,
            verification_uri: a.verification_uri,
            verification_uri_complete: a.verification_uri_complete,
            interval,
            expires_in,
        })
    }

    /// Asks the provider whether the person behind `handle` has signed in yet.
    pub async fn device_poll(&self, handle: &str) -> Result<Polled, Refusal> {
        let (device_code, interval) = {
            let pending = self.inner.devices.lock();
            match pending.get(handle) {
                Some(p) if p.expires > Instant::now() => (p.device_code.clone(), p.interval),
                Some(_) => {
                    return Err(Refusal::new(
                        "device_code_expired",
                        "the sign-in code expired; run `wicket login` again",
                    ));
                }
                None => {
                    return Err(Refusal::new(
                        "unknown_handle",
                        "this device sign-in is unknown or already finished; run `wicket login` again",
                    ));
                }
            }
        };
        let d = self.discovery().await?;
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:device_code".to_string(),
            ),
            ("device_code", device_code),
        ];
        let req = self.inner.http.post(&d.token_endpoint);
        let req = self.authenticate(req, &mut form);
        let result = self.token_call(req, &form).await;
        let id_token = {
            let mut pending = self.inner.devices.lock();
            match result {
                Err(r) if r.code == "authorization_pending" => {
                    return Ok(Polled::Pending(interval));
                }
                Err(r) if r.code == "slow_down" => {
                    let slower = interval + 5;
                    if let Some(p) = pending.get_mut(handle) {
                        p.interval = slower;
                    }
                    return Ok(Polled::Pending(slower));
                }
                Err(r) => {
                    pending.remove(handle);
                    return Err(r);
                }
                Ok(id_token) => {
                    pending.remove(handle);
                    id_token
                }
            }
        };
        Ok(Polled::Done(self.verify_id_token(&id_token, None).await?))
    }
}
