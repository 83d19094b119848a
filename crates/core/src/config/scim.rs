//! `[auth.scim]`: the identity provider pushes users and groups to `/scim/v2`, authenticated
//! by one bearer token that the file names the source of (an environment variable or a file),
//! never the token itself.

use serde::Deserialize;

use super::Validator;
use super::gateway::PasswordSource;

/// `[auth.scim]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScim {
    pub token_env: Option<String>,
    pub token_file: Option<String>,
}

/// A validated `[auth.scim]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimConfig {
    /// Where the bearer token the provider sends is read from.
    pub token: PasswordSource,
}

impl Validator<'_> {
    /// `[auth.scim]`, when present.
    pub(super) fn scim(&mut self, raw: Option<RawScim>) -> Option<ScimConfig> {
        let raw = raw?;
        let key = "auth.scim";
        let token = match (raw.token_env, raw.token_file) {
            (Some(_), Some(_)) => {
                self.err(
                    format!("{key}.token_file"),
                    "give `token_env` or `token_file`, not both".into(),
                );
                return None;
            }
            (Some(env), None) if !env.trim().is_empty() => PasswordSource::Env(env),
            (None, Some(file)) if !file.trim().is_empty() => PasswordSource::File(file),
            (Some(_), None) => {
                self.err(
                    format!("{key}.token_env"),
                    "the variable name is empty".into(),
                );
                return None;
            }
            (None, Some(_)) => {
                self.err(format!("{key}.token_file"), "the file name is empty".into());
                return None;
            }
            (None, None) => {
                self.err(
                    key.into(),
                    "give `token_env` or `token_file`: where the bearer token the identity provider sends is read from".into(),
                );
                return None;
            }
        };
        Some(ScimConfig { token })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, PasswordSource};

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse("wicket.toml", text).map_err(|e| e.to_string())
    }

    #[test]
    fn scim_names_where_its_token_comes_from() {
        let c = parse("[auth.scim]\ntoken_env = \"SCIM_TOKEN\"\n").unwrap();
        assert_eq!(
            c.scim.unwrap().token,
            PasswordSource::Env("SCIM_TOKEN".into())
        );
        let c = parse("[auth.scim]\ntoken_file = \"/run/scim\"\n").unwrap();
        assert_eq!(
            c.scim.unwrap().token,
            PasswordSource::File("/run/scim".into())
        );
        assert!(parse("").unwrap().scim.is_none());
    }

    #[test]
    fn bad_scim_settings_name_their_key() {
        for (text, needle) in [
            (
                "[auth.scim]\n",
                "`auth.scim`: give `token_env` or `token_file`",
            ),
            (
                "[auth.scim]\ntoken_env = \"A\"\ntoken_file = \"f\"\n",
                "`auth.scim.token_file`: give `token_env` or `token_file`, not both",
            ),
            ("[auth.scim]\ntoken_env = \" \"\n", "`auth.scim.token_env`"),
            ("[auth.scim]\ntoken = \"x\"\n", "token"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn with_scim_bindings_may_name_pushed_groups() {
        let text = "[auth.scim]\ntoken_env = \"T\"\n[[roles]]\nname = \"r\"\n\
                    [[roles.permissions]]\nactions = [\"db:read\"]\nresources = [\"db/**\"]\n\
                    [[bindings]]\nsubjects = [\"group:sre\"]\nroles = [\"r\"]\n";
        assert_eq!(parse(text).unwrap().bindings.len(), 1);
    }
}
