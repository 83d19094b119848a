//! `[oncall]`: where wicket reads who is on call (PagerDuty, Opsgenie), how a wicket user is
//! known there (an e-mail address), and the `oncall` of an approval step, which approves the
//! step when the requester is on call now for one of its schedules.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Validator;
use super::gateway::PasswordSource;
use crate::duration::Duration;

/// PagerDuty's REST API when `base_url` is left out.
pub const PAGERDUTY_URL: &str = "https://api.pagerduty.com";
/// Opsgenie's API when `base_url` is left out.
pub const OPSGENIE_URL: &str = "https://api.opsgenie.com";

/// An on-call provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Provider {
    PagerDuty,
    Opsgenie,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::PagerDuty => "pagerduty",
            Provider::Opsgenie => "opsgenie",
        }
    }
}

/// A step's `oncall`: approved by `wicket:oncall` when the requester is on call now for one
/// of `schedules` (at one of `escalation_levels`, for PagerDuty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnCallStep {
    pub provider: Provider,
    pub schedules: Vec<String>,
    /// PagerDuty escalation levels that count (default `[1]`); empty for Opsgenie.
    pub escalation_levels: Vec<u32>,
}

/// One provider's API: its base URL and where its token is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderApi {
    pub base_url: String,
    pub token: PasswordSource,
}

/// `[oncall]` as validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OnCallConfig {
    pub pagerduty: Option<ProviderApi>,
    pub opsgenie: Option<ProviderApi>,
    /// A user `NAME` is `NAME@DOMAIN` at the providers, unless `emails` says otherwise.
    pub email_domain: Option<String>,
    pub emails: BTreeMap<String, String>,
    /// How long a provider may take to answer before the step falls back to its approvers
    /// (the engine's default when `None`).
    pub timeout: Option<Duration>,
}

impl OnCallConfig {
    pub fn api(&self, provider: Provider) -> Option<&ProviderApi> {
        match provider {
            Provider::PagerDuty => self.pagerduty.as_ref(),
            Provider::Opsgenie => self.opsgenie.as_ref(),
        }
    }

    /// The e-mail address `user` has at the providers: the explicit one, a name that is an
    /// address already, or the name at `email_domain`.
    pub fn email_of(&self, user: &str) -> Option<String> {
        if let Some(e) = self.emails.get(user) {
            return Some(e.clone());
        }
        if user.contains('@') {
            return Some(user.to_string());
        }
        self.email_domain.as_ref().map(|d| format!("{user}@{d}"))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOnCall {
    pub email_domain: Option<String>,
    #[serde(default)]
    pub emails: BTreeMap<String, String>,
    pub timeout: Option<String>,
    pub pagerduty: Option<RawProviderApi>,
    pub opsgenie: Option<RawProviderApi>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProviderApi {
    pub base_url: Option<String>,
    pub token_env: Option<String>,
    pub token_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOnCallStep {
    pub provider: String,
    #[serde(default)]
    pub schedules: Vec<String>,
    pub escalation_levels: Option<Vec<u32>>,
}

impl Validator<'_> {
    /// `[oncall]`.
    pub(super) fn oncall(&mut self, raw: Option<RawOnCall>) -> OnCallConfig {
        let Some(raw) = raw else {
            return OnCallConfig::default();
        };
        let api = |me: &mut Self, name: &str, raw: Option<RawProviderApi>, default: &str| {
            let raw = raw?;
            let key = format!("oncall.{name}");
            let base_url = raw.base_url.unwrap_or_else(|| default.to_string());
            if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                me.err(
                    format!("{key}.base_url"),
                    format!("`{base_url}` is not an http(s) URL"),
                );
            }
            let token = match (raw.token_env, raw.token_file) {
                (Some(_), Some(_)) => {
                    me.err(
                        format!("{key}.token_file"),
                        "give `token_env` or `token_file`, not both".into(),
                    );
                    None
                }
                (Some(env), None) if env.is_empty() || env.contains('=') => {
                    me.err(
                        format!("{key}.token_env"),
                        format!("`{env}` is not an environment variable name"),
                    );
                    None
                }
                (Some(env), None) => Some(PasswordSource::Env(env)),
                (None, Some(file)) if !file.is_empty() => Some(PasswordSource::File(file)),
                _ => {
                    me.err(
                        key.clone(),
                        "needs its API token from `token_env` or `token_file`".into(),
                    );
                    None
                }
            };
            Some(ProviderApi {
                base_url: base_url.trim_end_matches('/').to_string(),
                token: token?,
            })
        };
        let pagerduty = api(self, "pagerduty", raw.pagerduty, PAGERDUTY_URL);
        let opsgenie = api(self, "opsgenie", raw.opsgenie, OPSGENIE_URL);
        let timeout = self.duration("oncall.timeout".into(), raw.timeout.as_deref());
        for (user, email) in &raw.emails {
            if !email.contains('@') {
                self.err(
                    format!("oncall.emails.{user}"),
                    format!("`{email}` is not an e-mail address"),
                );
            }
        }
        OnCallConfig {
            pagerduty,
            opsgenie,
            email_domain: raw.email_domain,
            emails: raw.emails,
            timeout,
        }
    }

    /// A step's `oncall` under `key`.
    pub(super) fn oncall_step(&mut self, key: &str, raw: &RawOnCallStep) -> Option<OnCallStep> {
        let provider = match raw.provider.as_str() {
            "pagerduty" => Provider::PagerDuty,
            "opsgenie" => Provider::Opsgenie,
            other => {
                self.err(
                    format!("{key}.provider"),
                    format!("unknown on-call provider `{other}`; use `pagerduty` or `opsgenie`"),
                );
                return None;
            }
        };
        if raw.schedules.is_empty() || raw.schedules.iter().any(|s| s.trim().is_empty()) {
            self.err(
                format!("{key}.schedules"),
                "must list at least one schedule id, none empty".into(),
            );
            return None;
        }
        let escalation_levels = match (provider, &raw.escalation_levels) {
            (Provider::PagerDuty, None) => vec![1],
            (Provider::PagerDuty, Some(levels)) if levels.is_empty() || levels.contains(&0) => {
                self.err(
                    format!("{key}.escalation_levels"),
                    "must list levels counted from 1".into(),
                );
                return None;
            }
            (Provider::PagerDuty, Some(levels)) => levels.clone(),
            (Provider::Opsgenie, None) => Vec::new(),
            (Provider::Opsgenie, Some(_)) => {
                self.err(
                    format!("{key}.escalation_levels"),
                    "Opsgenie schedules have no escalation levels; leave it out".into(),
                );
                return None;
            }
        };
        Some(OnCallStep {
            provider,
            schedules: raw.schedules.clone(),
            escalation_levels,
        })
    }
}

#[cfg(test)]
mod tests;
