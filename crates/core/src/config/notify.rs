//! `[notify]` and `[[notify.webhook]]`: where notifications go, which of them, how they are
//! signed and shaped. The secret is only named here; the server reads it at start.

use std::fmt;

use super::Validator;
use super::raw::{RawNotify, RawWebhook};
use crate::audit::EventKind;
use crate::duration::Duration;
use crate::subject::Subject;

/// Every notification kind wicket sends; sink `events` patterns are matched against these.
pub const NOTIFICATION_KINDS: &[EventKind] = &[
    EventKind::RequestCreated,
    EventKind::RequestApproved,
    EventKind::RequestDenied,
    EventKind::RequestExpired,
    EventKind::GrantExpiring,
    EventKind::GrantExpired,
    EventKind::AnomalyFlagged,
    EventKind::ReviewStarted,
    EventKind::ReviewDue,
    EventKind::NotifyFailed,
];

/// The notification kinds as a list for messages.
fn kind_list() -> String {
    NOTIFICATION_KINDS
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How long before a grant ends `grant.expiring` is sent, unless the file says.
pub const DEFAULT_EXPIRING_LEAD: Duration = Duration::HOUR;

/// Every notification sink, and when "expiring soon" begins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyConfig {
    pub webhooks: Vec<Webhook>,
    /// `grant.expiring` is sent once per grant, this long before it ends; `review.due` once per
    /// open campaign, this long before its deadline (and no earlier than halfway).
    pub expiring_lead: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            webhooks: Vec::new(),
            expiring_lead: DEFAULT_EXPIRING_LEAD,
        }
    }
}

/// The body a sink receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookFormat {
    /// Wicket's own JSON object.
    Json,
    /// A Slack incoming-webhook payload: `{"text": ...}`.
    Slack,
}

/// Where a sink's signing secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    Inline(String),
    Env(String),
    File(String),
}

impl fmt::Debug for SecretSource {
    // The inline value never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Inline(_) => f.write_str("Inline(<redacted>)"),
            SecretSource::Env(name) => write!(f, "Env({name:?})"),
            SecretSource::File(path) => write!(f, "File({path:?})"),
        }
    }
}

/// One `[[notify.webhook]]` sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// Names the sink in logs and metrics (never the url, which may carry a token).
    pub name: String,
    pub url: String,
    /// Kind patterns: an exact kind, `prefix.*`, or `*`.
    pub events: Vec<String>,
    /// When set, only notifications addressed to one of these subjects.
    pub subjects: Vec<Subject>,
    pub secret: Option<SecretSource>,
    pub format: WebhookFormat,
}

impl Webhook {
    /// True when this sink wants notifications of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|p| kind_matches(p, kind))
    }
}

/// `*` matches every kind, `request.*` every kind starting `request.`, anything else itself.
pub fn kind_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

/// A url wicket can post to: `http://` or `https://`, a host, no spaces.
fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "the url must start with `http://` or `https://`".to_string())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err("the url names no host".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the url contains spaces or control characters".into());
    }
    Ok(())
}

fn valid_sink_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Validator<'_> {
    pub(super) fn notify(
        &mut self,
        raw: RawNotify,
        users: &std::collections::HashMap<String, usize>,
        groups: &std::collections::BTreeSet<String>,
    ) -> NotifyConfig {
        let expiring_lead = self
            .duration("notify.expiring_lead".into(), raw.expiring_lead.as_deref())
            .unwrap_or(DEFAULT_EXPIRING_LEAD);
        let mut webhooks: Vec<Webhook> = Vec::new();
        for (i, w) in raw.webhook.into_iter().enumerate() {
            let key = format!("notify.webhook[{i}]");
            if let Some(hook) = self.webhook(&key, i, w, users, groups) {
                if webhooks.iter().any(|h| h.name == hook.name) {
                    self.err(
                        format!("{key}.name"),
                        format!("duplicate webhook name `{}`", hook.name),
                    );
                    continue;
                }
                webhooks.push(hook);
            }
        }
        NotifyConfig {
            webhooks,
            expiring_lead,
        }
    }

    fn webhook(
        &mut self,
        key: &str,
        i: usize,
        w: RawWebhook,
        users: &std::collections::HashMap<String, usize>,
        groups: &std::collections::BTreeSet<String>,
    ) -> Option<Webhook> {
        let errors = self.errors.len();
        let name = w.name.unwrap_or_else(|| format!("webhook-{}", i + 1));
        if !valid_sink_name(&name) {
            self.err(
                format!("{key}.name"),
                format!(
                    "`{name}` is not a sink name; use 1 to 64 of letters, digits, `_`, `-`, `.`"
                ),
            );
        }
        if let Err(e) = check_url(&w.url) {
            // The url itself is not repeated: it may hold a token (Slack's do).
            self.err(format!("{key}.url"), e);
        }
        if w.events.is_empty() {
            self.err(
                format!("{key}.events"),
                format!(
                    "must list at least one notification kind, like `request.*`; kinds are {}",
                    kind_list()
                ),
            );
        }
        for (j, p) in w.events.iter().enumerate() {
            let star = p.find('*');
            if star.is_some_and(|at| at + 1 != p.len()) {
                self.err(
                    format!("{key}.events[{j}]"),
                    format!("`{p}`: `*` may only end a pattern, like `request.*`"),
                );
            } else if !NOTIFICATION_KINDS
                .iter()
                .any(|k| kind_matches(p, k.as_str()))
            {
                self.err(
                    format!("{key}.events[{j}]"),
                    format!("`{p}` matches no notification; kinds are {}", kind_list()),
                );
            }
        }
        let subjects = self.subjects(&format!("{key}.subjects"), &w.subjects, users, groups);
        let secret = match (w.secret, w.secret_env, w.secret_file) {
            (None, None, None) => None,
            (Some(s), None, None) if s.is_empty() => {
                self.err(format!("{key}.secret"), "the secret is empty".into());
                None
            }
            (Some(s), None, None) => Some(SecretSource::Inline(s)),
            (None, Some(env), None) if env.is_empty() => {
                self.err(
                    format!("{key}.secret_env"),
                    "the variable name is empty".into(),
                );
                None
            }
            (None, Some(env), None) => Some(SecretSource::Env(env)),
            (None, None, Some(file)) if file.is_empty() => {
                self.err(
                    format!("{key}.secret_file"),
                    "the file name is empty".into(),
                );
                None
            }
            (None, None, Some(file)) => Some(SecretSource::File(file)),
            _ => {
                self.err(
                    format!("{key}.secret"),
                    "give at most one of `secret`, `secret_env` and `secret_file`".into(),
                );
                None
            }
        };
        let format = match w.format.as_deref() {
            None | Some("json") => WebhookFormat::Json,
            Some("slack") => WebhookFormat::Slack,
            Some(other) => {
                self.err(
                    format!("{key}.format"),
                    format!("unknown format `{other}`; use `json` or `slack`"),
                );
                WebhookFormat::Json
            }
        };
        (self.errors.len() == errors).then_some(Webhook {
            name,
            url: w.url,
            events: w.events,
            subjects,
            secret,
            format,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const BASE: &str = "[[users]]\nname = \"alice\"\ngroups = [\"sre\"]\n";

    fn parse(extra: &str) -> Result<Config, String> {
        Config::parse("w.toml", &format!("{BASE}{extra}")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_sink_parses() {
        let c = parse(
            "[notify]\nexpiring_lead = \"10m\"\n[[notify.webhook]]\nname = \"ops\"\n\
             url = \"https://hooks.example.com/x\"\nevents = [\"request.*\", \"grant.expired\"]\n\
             subjects = [\"group:sre\"]\nsecret_env = \"HOOK_SECRET\"\nformat = \"slack\"\n",
        )
        .unwrap();
        let n = &c.notify;
        assert_eq!(n.expiring_lead.as_secs(), 600);
        let w = &n.webhooks[0];
        assert_eq!(w.name, "ops");
        assert!(w.wants("request.denied"));
        assert!(w.wants("grant.expired"));
        assert!(!w.wants("grant.expiring"));
        assert_eq!(w.format, super::WebhookFormat::Slack);
        assert_eq!(
            w.secret,
            Some(super::SecretSource::Env("HOOK_SECRET".into()))
        );
    }

    #[test]
    fn bad_sinks_name_file_and_key() {
        let cases = [
            (
                "url = \"ftp://x\"\nevents = [\"*\"]",
                "notify.webhook[0].url",
                "http",
            ),
            (
                "url = \"http://\"\nevents = [\"*\"]",
                "notify.webhook[0].url",
                "no host",
            ),
            (
                "url = \"http://h\"\nevents = []",
                "notify.webhook[0].events",
                "at least one",
            ),
            (
                "url = \"http://h\"\nevents = [\"req*.x\"]",
                "notify.webhook[0].events[0]",
                "only end",
            ),
            (
                "url = \"http://h\"\nevents = [\"check.*\"]",
                "notify.webhook[0].events[0]",
                "matches no",
            ),
            (
                "url = \"http://h\"\nevents = [\"*\"]\nformat = \"xml\"",
                "notify.webhook[0].format",
                "unknown format",
            ),
            (
                "url = \"http://h\"\nevents = [\"*\"]\nsecret = \"a\"\nsecret_env = \"B\"",
                "notify.webhook[0].secret",
                "at most one",
            ),
            (
                "url = \"http://h\"\nevents = [\"*\"]\nsubjects = [\"group:nobody\"]",
                "notify.webhook[0].subjects[0]",
                "unknown group",
            ),
            (
                "url = \"http://h\"\nevents = [\"*\"]\nname = \"a b\"",
                "notify.webhook[0].name",
                "sink name",
            ),
            (
                "url = \"http://h\"\nevents = [\"*\"]\nsurprise = 1",
                "",
                "unknown field",
            ),
        ];
        for (body, key, words) in cases {
            let err = parse(&format!("[[notify.webhook]]\n{body}\n")).unwrap_err();
            assert!(err.starts_with("w.toml"), "{err}");
            assert!(err.contains(key), "{body}: {err}");
            assert!(err.contains(words), "{body}: {err}");
        }
        let err = parse("[notify]\nexpiring_lead = \"soon\"\n").unwrap_err();
        assert!(err.contains("notify.expiring_lead"), "{err}");
    }

    #[test]
    fn an_inline_secret_never_shows_in_debug_output() {
        let c = parse(
            "[[notify.webhook]]\nurl = \"http://h\"\nevents = [\"*\"]\nsecret = \"hunter2-very-secret\"\n",
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2-very-secret"));
        assert_eq!(c.notify.webhooks[0].name, "webhook-1");
    }
}
