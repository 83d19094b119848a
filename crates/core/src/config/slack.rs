//! `[slack]`: approvals from Slack. A new request is posted with Approve and Deny buttons to
//! its policy's `slack_channel` (Web API, a bot token); clicks come back signed with the app's
//! signing secret; a Slack user is a wicket user through `users`, or by e-mail.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Validator;
use super::gateway::PasswordSource;

/// Slack's Web API when `base_url` is left out.
pub const SLACK_API: &str = "https://slack.com/api";

/// `[slack]` as validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackConfig {
    pub base_url: String,
    pub bot_token: PasswordSource,
    pub signing_secret: PasswordSource,
    /// Slack user id → wicket user name, before any e-mail lookup.
    pub users: BTreeMap<String, String>,
    /// A Slack address `NAME@DOMAIN` is wicket user `NAME`.
    pub email_domain: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlack {
    pub base_url: Option<String>,
    pub bot_token_env: Option<String>,
    pub bot_token_file: Option<String>,
    pub signing_secret_env: Option<String>,
    pub signing_secret_file: Option<String>,
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    pub email_domain: Option<String>,
}

impl Validator<'_> {
    fn slack_secret(
        &mut self,
        name: &str,
        env: Option<String>,
        file: Option<String>,
    ) -> Option<PasswordSource> {
        match (env, file) {
            (Some(_), Some(_)) => {
                self.err(
                    format!("slack.{name}_file"),
                    format!("give `{name}_env` or `{name}_file`, not both"),
                );
                None
            }
            (Some(env), None) if !env.is_empty() && !env.contains('=') => {
                Some(PasswordSource::Env(env))
            }
            (None, Some(file)) if !file.is_empty() => Some(PasswordSource::File(file)),
            _ => {
                self.err(
                    "slack".into(),
                    format!("needs `{name}_env` or `{name}_file`"),
                );
                None
            }
        }
    }

    /// `[slack]`.
    pub(super) fn slack(&mut self, raw: Option<RawSlack>) -> Option<SlackConfig> {
        let raw = raw?;
        let base_url = raw.base_url.unwrap_or_else(|| SLACK_API.to_string());
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            self.err(
                "slack.base_url".into(),
                format!("`{base_url}` is not an http(s) URL"),
            );
        }
        let bot_token = self.slack_secret("bot_token", raw.bot_token_env, raw.bot_token_file);
        let signing_secret = self.slack_secret(
            "signing_secret",
            raw.signing_secret_env,
            raw.signing_secret_file,
        );
        Some(SlackConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            bot_token: bot_token?,
            signing_secret: signing_secret?,
            users: raw.users,
            email_domain: raw.email_domain,
        })
    }
}
