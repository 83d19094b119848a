//! Asking PagerDuty or Opsgenie whether a requester is on call now, for a step whose `oncall`
//! approves it then. Any failure (no token, no address, an error, a timeout, an answer not of
//! the documented shape) is reported and the step falls back to its human approvers: a lookup
//! never approves by failing.

mod opsgenie;
mod pagerduty;

use std::time::Duration;

use wicket_core::config::oncall::{OnCallStep, Provider, ProviderApi};
use wicket_core::workflow::{OnCallEvidence, oncall_approve, pending_oncall};
use wicket_core::{Config, Request};

use crate::app::App;

/// How long a provider may take when `[oncall] timeout` does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most steps one request passes by on-call lookups in a row.
const MAX_STEPS: usize = 8;

/// Why a lookup found nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no `[oncall.{0}]` section")]
    NotConfigured(&'static str),
    #[error("cannot read the {provider} token: {reason}")]
    Token {
        provider: &'static str,
        reason: String,
    },
    #[error(
        "`{0}` has no e-mail address for the on-call providers (set `[oncall] email_domain` or `emails`)"
    )]
    NoEmail(String),
    #[error("{provider} could not be asked: {reason}")]
    Unreachable {
        provider: &'static str,
        reason: String,
    },
    #[error("{provider} answered {status}: {body}")]
    Status {
        provider: &'static str,
        status: u16,
        body: String,
    },
    #[error("{provider}'s answer is not of the documented shape: {reason}")]
    Malformed {
        provider: &'static str,
        reason: String,
    },
}

/// One lookup: the client it asks with, the provider's API and token, the step and whom it
/// asks about.
struct Ask<'a> {
    http: reqwest::Client,
    api: &'a ProviderApi,
    token: String,
    step: &'a OnCallStep,
    email: &'a str,
}

impl Ask<'_> {
    /// The provider's answer is not of the shape its documentation gives, and why.
    fn malformed(&self, reason: impl Into<String>) -> LookupError {
        LookupError::Malformed {
            provider: self.step.provider.as_str(),
            reason: reason.into(),
        }
    }
}

/// The token of `api`, read now (from the environment or a file).
fn token(provider: Provider, api: &ProviderApi) -> Result<String, LookupError> {
    crate::secret::read(&api.token).map_err(|e| LookupError::Token {
        provider: provider.as_str(),
        reason: e.to_string(),
    })
}

/// Whether `email` is on call now for one of `step`'s schedules: the evidence if so.
pub async fn lookup(
    config: &Config,
    step: &OnCallStep,
    step_no: u32,
    email: &str,
) -> Result<Option<OnCallEvidence>, LookupError> {
    let api = config
        .oncall
        .api(step.provider)
        .ok_or(LookupError::NotConfigured(step.provider.as_str()))?;
    let token = token(step.provider, api)?;
    let timeout = config.oncall.timeout.map_or(DEFAULT_TIMEOUT, |d| {
        Duration::from_secs(d.as_secs().unsigned_abs())
    });
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| LookupError::Unreachable {
            provider: step.provider.as_str(),
            reason: e.to_string(),
        })?;
    let ask = Ask {
        http,
        api,
        token,
        step,
        email,
    };
    let found = match step.provider {
        Provider::PagerDuty => pagerduty::on_call(&ask).await?,
        Provider::Opsgenie => opsgenie::on_call(&ask).await?,
    };
    Ok(found.map(|mut e| {
        e.step = step_no;
        e
    }))
}

/// Reads a provider's answer: its JSON body on success, else what went wrong.
async fn answer(
    provider: Provider,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<serde_json::Value, LookupError> {
    let name = provider.as_str();
    let resp = sent.map_err(|e| LookupError::Unreachable {
        provider: name,
        reason: if e.is_timeout() {
            "timed out".to_string()
        } else {
            e.to_string()
        },
    })?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| LookupError::Unreachable {
        provider: name,
        reason: e.to_string(),
    })?;
    if !status.is_success() {
        let body: String = text.chars().take(200).collect();
        return Err(LookupError::Status {
            provider: name,
            status: status.as_u16(),
            body,
        });
    }
    serde_json::from_str(&text).map_err(|e| LookupError::Malformed {
        provider: name,
        reason: format!("not JSON: {e}"),
    })
}

/// Approves, one after another, the on-call steps of `request` whose schedule has its
/// requester on call now; returns the request as it stands afterwards. Failures are logged and
/// counted, and leave the request to its human approvers.
pub async fn settle(app: &App, mut request: Request) -> Request {
    let config = app.config.clone();
    for _ in 0..MAX_STEPS {
        let Some(step) = pending_oncall(&config, &request) else {
            return request;
        };
        let provider = step.provider.as_str();
        let found = match config.oncall.email_of(&request.requester) {
            None => Err(LookupError::NoEmail(request.requester.clone())),
            Some(email) => lookup(&config, step, request.step, &email).await,
        };
        let evidence = match found {
            Ok(Some(e)) => {
                app.metrics.oncall_lookup(provider, "on_call");
                e
            }
            Ok(None) => {
                app.metrics.oncall_lookup(provider, "not_on_call");
                return request;
            }
            Err(e) => {
                app.metrics.oncall_lookup(provider, "error");
                tracing::warn!(request = %request.id, error = %e, "on-call lookup failed; the step waits for its approvers");
                return request;
            }
        };
        let id = request.id.clone();
        let done = app
            .transition(&id, |r, grant, now, ids| {
                oncall_approve(&config, r, grant, &evidence, now, ids)
            })
            .await;
        match done {
            Ok(r) => request = r,
            Err(e) => {
                tracing::info!(request = %id, error = %e, "on-call approval not recorded");
                return request;
            }
        }
    }
    request
}
