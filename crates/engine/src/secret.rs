//! Secrets the configuration points at (`*_env` or `*_file`): one reader for every one of
//! them, whose errors name the variable or file and never the value.

use std::env::VarError;

use wicket_core::config::PasswordSource;

/// Why a secret could not be read. Each caller puts the setting that pointed here in front
/// (see [`PasswordSource::setting`]).
// INVARIANT: no variant holds the secret or any part of it.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the environment variable `{0}` is not set")]
    Unset(String),
    #[error("the environment variable `{0}` does not hold UTF-8 text")]
    NotUnicode(String),
    #[error("cannot read `{path}`: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the environment variable `{0}` is empty")]
    EmptyVariable(String),
    #[error("the file `{0}` is empty")]
    EmptyFile(String),
}

/// Reads the secret `source` points at, now. Trailing line endings (`\n`, `\r\n`) are
/// dropped, as `echo secret > file` and Kubernetes secrets leave them; nothing else is
/// trimmed. What is left must not be empty.
pub fn read(source: &PasswordSource) -> Result<String, SecretError> {
    read_with(source, |name| std::env::var(name))
}

/// [`read`], its error naming the setting that chose `source` (`stem` less `_env`/`_file`,
/// as `auth.scim.token`): "`auth.scim.token_file`: cannot read `…`: …".
pub fn read_setting(source: &PasswordSource, stem: &str) -> Result<String, String> {
    read(source).map_err(|e| format!("`{}`: {e}", source.setting(stem)))
}

/// [`read`], with the environment looked up through `var`.
fn read_with(
    source: &PasswordSource,
    var: impl FnOnce(&str) -> Result<String, VarError>,
) -> Result<String, SecretError> {
    let text = match source {
        PasswordSource::Env(name) => var(name).map_err(|e| match e {
            VarError::NotPresent => SecretError::Unset(name.clone()),
            VarError::NotUnicode(_) => SecretError::NotUnicode(name.clone()),
        })?,
        PasswordSource::File(path) => {
            std::fs::read_to_string(path).map_err(|source| SecretError::Unreadable {
                path: path.clone(),
                source,
            })?
        }
    };
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(match source {
            PasswordSource::Env(name) => SecretError::EmptyVariable(name.clone()),
            PasswordSource::File(path) => SecretError::EmptyFile(path.clone()),
        });
    }
    Ok(secret.to_string())
}

#[cfg(test)]
mod tests;
