//! `[auth.oidc]`: signing people in through the company's OpenID Provider. The issuer's
//! discovery document, keys and tokens are the engine's business (`wicket_engine::oidc`); this
//! is only what the file says, checked.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Validator;
use super::gateway::PasswordSource;
use crate::duration::Duration;
use crate::subject::parse_name;

/// `[auth]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    pub oidc: Option<RawOidc>,
    pub scim: Option<super::scim::RawScim>,
}

/// `[auth.oidc]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidc {
    pub issuer: String,
    pub client_id: String,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<String>,
    pub redirect_uri: String,
    pub username_claim: Option<String>,
    pub groups_claim: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// What the sign-in button says after "Sign in with".
    pub display_name: Option<String>,
    /// How long a session or CLI token from a sign-in lasts, like `12h`.
    pub session_lifetime: Option<String>,
    /// IdP group name to wicket group name; when given, only mapped groups count.
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
}

/// A validated `[auth.oidc]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer exactly as the provider writes `iss` (no trailing-slash games).
    pub issuer: String,
    pub client_id: String,
    /// `None`: a public client (PKCE only).
    pub client_secret: Option<PasswordSource>,
    /// Where the provider sends the browser back: `https://WICKET/login/oidc/callback`.
    pub redirect_uri: String,
    pub username_claim: String,
    pub groups_claim: String,
    /// Requested beyond `openid`, `profile` and `email`.
    pub scopes: Vec<String>,
    pub display_name: String,
    pub session_lifetime: Duration,
    /// Empty: the IdP's group names are used as they are (those that are valid wicket names).
    pub groups: BTreeMap<String, String>,
}

/// The path the provider redirects browsers back to.
pub const CALLBACK_PATH: &str = "/login/oidc/callback";
/// The longest `session_lifetime` allowed.
pub const MAX_SESSION_SECS: i64 = 7 * 86_400;
/// `session_lifetime` when the file does not say.
pub const DEFAULT_SESSION_SECS: i64 = 12 * 3600;

impl OidcConfig {
    /// The wicket groups of an IdP user whose groups claim lists `idp` (sorted, deduplicated).
    pub fn map_groups<'a>(&self, idp: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = idp
            .into_iter()
            .filter_map(|g| {
                if self.groups.is_empty() {
                    parse_name("group", g).ok()
                } else {
                    self.groups.get(g).cloned()
                }
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// True for `http://` on a loopback host (allowed for tests and local providers).
fn loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// `https://...`, or `http://` to a loopback host.
fn web_url(url: &str) -> Result<(), String> {
    if url.contains(char::is_whitespace) || url.contains('#') {
        return Err(format!("`{url}` is not a URL without spaces or a fragment"));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| loopback_http(url).then(|| &url[7..]));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(()),
        Some(_) => Err(format!("`{url}` has no host")),
        None => Err(format!(
            "`{url}` must be an https:// URL (http:// only to localhost or 127.0.0.1)"
        )),
    }
}

fn claim_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && !s.chars().any(|c| c.is_control() || c == ' ')
}

impl Validator<'_> {
    /// `[auth.oidc]`, when present.
    pub(super) fn oidc(&mut self, raw: Option<RawOidc>) -> Option<OidcConfig> {
        let raw = raw?;
        let key = "auth.oidc";
        let errors = self.errors.len();
        if let Err(e) = web_url(&raw.issuer) {
            self.err(format!("{key}.issuer"), e);
        } else if raw.issuer.contains('?') {
            self.err(
                format!("{key}.issuer"),
                "an issuer has no query; give the URL discovery hangs off".into(),
            );
        }
        if raw.client_id.trim().is_empty() {
            self.err(format!("{key}.client_id"), "the client id is empty".into());
        }
        let client_secret = match (raw.client_secret_env, raw.client_secret_file) {
            (Some(_), Some(_)) => {
                self.err(
                    format!("{key}.client_secret_file"),
                    "give `client_secret_env` or `client_secret_file`, not both".into(),
                );
                None
            }
            (Some(env), None) if env.trim().is_empty() => {
                self.err(
                    format!("{key}.client_secret_env"),
                    "the variable name is empty".into(),
                );
                None
            }
            (Some(env), None) => Some(PasswordSource::Env(env)),
            (None, Some(file)) if file.trim().is_empty() => {
                self.err(
                    format!("{key}.client_secret_file"),
                    "the file name is empty".into(),
                );
                None
            }
            (None, Some(file)) => Some(PasswordSource::File(file)),
            (None, None) => None,
        };
        match web_url(&raw.redirect_uri) {
            Err(e) => self.err(format!("{key}.redirect_uri"), e),
            Ok(()) => {
                let path = raw.redirect_uri.split('?').next().unwrap_or_default();
                if !path.ends_with(CALLBACK_PATH) {
                    self.err(
                        format!("{key}.redirect_uri"),
                        format!(
                            "`{}` must end with `{CALLBACK_PATH}`, where wicket receives the provider's answer",
                            raw.redirect_uri
                        ),
                    );
                }
            }
        }
        let username_claim = raw
            .username_claim
            .unwrap_or_else(|| "preferred_username".into());
        let groups_claim = raw.groups_claim.unwrap_or_else(|| "groups".into());
        for (k, v) in [
            ("username_claim", &username_claim),
            ("groups_claim", &groups_claim),
        ] {
            if !claim_name(v) {
                self.err(format!("{key}.{k}"), format!("`{v}` is not a claim name"));
            }
        }
        for (i, s) in raw.scopes.iter().enumerate() {
            if !claim_name(s) || s.contains('"') || s.contains('\\') {
                self.err(
                    format!("{key}.scopes[{i}]"),
                    format!("`{s}` is not a scope"),
                );
            }
        }
        let mut scopes: Vec<String> = Vec::new();
        for s in raw.scopes {
            if !["openid", "profile", "email"].contains(&s.as_str()) && !scopes.contains(&s) {
                scopes.push(s);
            }
        }
        let display_name = raw.display_name.unwrap_or_else(|| "single sign-on".into());
        if display_name.trim().is_empty() || display_name.len() > 64 {
            self.err(
                format!("{key}.display_name"),
                "give 1 to 64 characters, like `Okta`".into(),
            );
        }
        let session_lifetime = match raw.session_lifetime.as_deref().map(Duration::parse) {
            None => Duration::from_secs(DEFAULT_SESSION_SECS),
            Some(Ok(d)) if d.as_secs() <= MAX_SESSION_SECS && d.as_secs() >= 60 => Some(d),
            Some(Ok(_)) => {
                self.err(
                    format!("{key}.session_lifetime"),
                    "must be between `1m` and `7d`".into(),
                );
                None
            }
            Some(Err(e)) => {
                self.err(format!("{key}.session_lifetime"), e.into());
                None
            }
        };
        for (idp, ours) in &raw.groups {
            if idp.is_empty() {
                self.err(format!("{key}.groups"), "an IdP group name is empty".into());
            }
            if let Err(e) = parse_name("group", ours) {
                self.err(format!("{key}.groups.\"{idp}\""), e);
            }
        }
        if self.errors.len() > errors {
            return None;
        }
        Some(OidcConfig {
            issuer: raw.issuer,
            client_id: raw.client_id,
            client_secret,
            redirect_uri: raw.redirect_uri,
            username_claim,
            groups_claim,
            scopes,
            display_name,
            session_lifetime: session_lifetime?,
            groups: raw.groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, PasswordSource};

    const BASE: &str = "[auth.oidc]\nissuer = \"https://idp.example.com/realms/acme\"\n\
                        client_id = \"wicket\"\n\
                        redirect_uri = \"https://wicket.example.com/login/oidc/callback\"\n";

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse("wicket.toml", text).map_err(|e| e.to_string())
    }

    #[test]
    fn oidc_parses_with_defaults() {
        let c = parse(BASE).unwrap();
        let o = c.oidc.unwrap();
        assert_eq!(o.issuer, "https://idp.example.com/realms/acme");
        assert_eq!(o.username_claim, "preferred_username");
        assert_eq!(o.groups_claim, "groups");
        assert_eq!(o.session_lifetime.as_secs(), 12 * 3600);
        assert_eq!(o.client_secret, None);
        assert!(o.scopes.is_empty());
        assert!(parse("").unwrap().oidc.is_none());
    }

    #[test]
    fn oidc_reads_every_setting_and_maps_groups() {
        let c = parse(&format!(
            "{BASE}client_secret_env = \"OIDC_SECRET\"\nusername_claim = \"email\"\n\
             groups_claim = \"roles\"\nscopes = [\"groups\", \"openid\", \"groups\"]\n\
             display_name = \"Okta\"\nsession_lifetime = \"8h\"\n\
             [auth.oidc.groups]\n\"/eng/sre\" = \"sre\"\n\"Admins\" = \"admins\"\n"
        ))
        .unwrap();
        let o = c.oidc.unwrap();
        assert_eq!(
            o.client_secret,
            Some(PasswordSource::Env("OIDC_SECRET".into()))
        );
        assert_eq!(o.username_claim, "email");
        assert_eq!(o.scopes, vec!["groups".to_string()]);
        assert_eq!(o.session_lifetime.as_secs(), 8 * 3600);
        assert_eq!(
            o.map_groups(["/eng/sre", "other", "Admins", "/eng/sre"]),
            vec!["admins".to_string(), "sre".to_string()]
        );
        let plain = parse(BASE).unwrap().oidc.unwrap();
        assert_eq!(
            plain.map_groups(["sre", "/eng/sre", "dba"]),
            vec!["dba".to_string(), "sre".to_string()]
        );
    }

    #[test]
    fn bindings_may_name_idp_users_and_groups_only_with_oidc() {
        let rest = "[[roles]]\nname = \"r\"\n[[roles.permissions]]\nactions = [\"db:read\"]\n\
                    resources = [\"db/**\"]\n[[bindings]]\nsubjects = [\"group:sre\", \"user:ann\"]\n\
                    roles = [\"r\"]\n";
        let err = parse(rest).unwrap_err();
        assert!(err.contains("unknown group `sre`"), "{err}");
        let c = parse(&format!("{rest}{BASE}")).unwrap();
        assert_eq!(c.bindings.len(), 1);
    }

    #[test]
    fn approvers_from_the_provider_are_not_linted_as_missing() {
        let text = "[[users]]\nname = \"ann\"\ngroups = [\"sre\"]\n\
            [[roles]]\nname = \"r\"\n[[roles.permissions]]\nactions = [\"db:read\"]\nresources = [\"db/**\"]\n\
            [[policies]]\nname = \"p\"\nrequesters = [\"group:sre\"]\nroles = [\"r\"]\nmax_duration = \"1h\"\n\
            steps = [{ approvers = [\"group:leads\"], min_approvals = 1 }]\n";
        // Without a provider the file must name the approvers (here, `group:leads` is unknown).
        assert!(parse(text).unwrap_err().contains("unknown group `leads`"));
        let c = parse(&format!("{text}{BASE}")).unwrap();
        let lints = crate::config::lint::lint(&c);
        assert!(
            lints
                .iter()
                .all(|l| !l.message.contains("cannot be satisfied")),
            "{lints:?}"
        );
    }

    #[test]
    fn bad_oidc_settings_name_their_key() {
        for (extra, needle) in [
            (
                "client_secret_env = \"A\"\nclient_secret_file = \"f\"\n",
                "`auth.oidc.client_secret_file`: give `client_secret_env` or `client_secret_file`, not both",
            ),
            (
                "client_secret_env = \"\"\n",
                "`auth.oidc.client_secret_env`",
            ),
            ("username_claim = \"a b\"\n", "`auth.oidc.username_claim`"),
            ("scopes = [\"\"]\n", "`auth.oidc.scopes[0]`"),
            ("session_lifetime = \"30d\"\n", "between `1m` and `7d`"),
            (
                "session_lifetime = \"soon\"\n",
                "`auth.oidc.session_lifetime`",
            ),
            ("display_name = \" \"\n", "`auth.oidc.display_name`"),
            (
                "[auth.oidc.groups]\nx = \"bad name\"\n",
                "group name `bad name` is invalid",
            ),
            ("colour = 1\n", "colour"),
        ] {
            let err = parse(&format!("{BASE}{extra}")).unwrap_err();
            assert!(err.contains(needle), "{extra}: {err}");
        }
        for (text, needle) in [
            (
                BASE.replace(
                    "https://idp.example.com/realms/acme",
                    "http://idp.example.com",
                ),
                "`auth.oidc.issuer`: `http://idp.example.com` must be an https:// URL",
            ),
            (
                BASE.replace("/login/oidc/callback", "/cb"),
                "must end with `/login/oidc/callback`",
            ),
            (
                BASE.replace("client_id = \"wicket\"", "client_id = \" \""),
                "`auth.oidc.client_id`: the client id is empty",
            ),
            ("[auth.oidc]\nclient_id = \"x\"\n".to_string(), "issuer"),
        ] {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
        let local = BASE
            .replace(
                "https://idp.example.com/realms/acme",
                "http://127.0.0.1:9999",
            )
            .replace("https://wicket.example.com", "http://localhost:7070");
        assert!(parse(&local).is_ok());
    }
}
