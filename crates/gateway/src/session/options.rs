//! The `options` startup parameter (libpq's `PGOPTIONS`): split into words as the server
//! splits it (blanks separate, a backslash keeps the next character), each word a setting
//! (`-c name=value`, `-cname=value` or `--name=value`, a `-` in the name read as `_`).
//! Nothing in it is dropped: a setting is passed on, or the connection is refused.

use crate::protocol::error_response::code;

/// Why the `options` startup parameter is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error(
        "the `options` startup parameter may only hold settings (`-c name=value` or `--name=value`); `{0}` is not one"
    )]
    NotASetting(String),
    #[error("the `options` startup parameter gives `{0}` no value (write `-c {0}=value`)")]
    NoValue(String),
    #[error("`-c` ends the `options` startup parameter without a setting after it")]
    Dangling,
    #[error(
        "the `options` startup parameter sets `{0}`, which wicket lets no client set when it connects (only settings that need no more than `db:connect`); remove it from `options` (`PGOPTIONS`)"
    )]
    NotHarmless(String),
}

impl OptionsError {
    /// The SQLSTATE of the refusal, as PostgreSQL would choose it.
    pub fn code(&self) -> &'static str {
        match self {
            OptionsError::NotHarmless(_) => code::INSUFFICIENT_PRIVILEGE,
            _ => code::SYNTAX_ERROR,
        }
    }
}

/// The settings of `options` when each one is harmless ([`crate::sql::is_harmless_setting`]).
pub fn harmless(options: &str) -> Result<Vec<(String, String)>, OptionsError> {
    let settings = settings(options)?;
    match settings
        .iter()
        .find(|(name, _)| !crate::sql::is_harmless_setting(name))
    {
        Some((name, _)) => Err(OptionsError::NotHarmless(name.clone())),
        None => Ok(settings),
    }
}

/// The `(name, value)` settings of `options`, in order.
pub fn settings(options: &str) -> Result<Vec<(String, String)>, OptionsError> {
    let mut out = Vec::new();
    let mut words = split(options).into_iter();
    while let Some(word) = words.next() {
        let setting = if word == "-c" {
            words.next().ok_or(OptionsError::Dangling)?
        } else if let Some(rest) = word.strip_prefix("--").filter(|r| !r.is_empty()) {
            rest.to_string()
        } else if let Some(rest) = word.strip_prefix("-c").filter(|r| !r.is_empty()) {
            rest.to_string()
        } else {
            return Err(OptionsError::NotASetting(word));
        };
        let Some((name, value)) = setting.split_once('=') else {
            return Err(OptionsError::NoValue(setting));
        };
        out.push((name.replace('-', "_"), value.to_string()));
    }
    Ok(out)
}

/// The words of `options`, as PostgreSQL's `pg_split_opts` makes them.
fn split(options: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut escaped = false;
    for c in options.chars() {
        if escaped {
            word.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
            in_word = true;
        } else if c.is_ascii_whitespace() || c == '\u{0b}' {
            if in_word {
                out.push(std::mem::take(&mut word));
                in_word = false;
            }
        } else {
            word.push(c);
            in_word = true;
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(options: &str) -> Vec<(String, String)> {
        settings(options).unwrap()
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_string(), value.to_string())
    }

    #[test]
    fn settings_are_read_as_the_server_reads_them() {
        assert_eq!(
            pairs("-c intervalstyle=postgres_verbose"),
            [pair("intervalstyle", "postgres_verbose")]
        );
        assert_eq!(
            pairs("  --statement-timeout=5s\t-cwork_mem=64kB "),
            [pair("statement_timeout", "5s"), pair("work_mem", "64kB")]
        );
        assert_eq!(
            pairs(r"-c datestyle=ISO,\ DMY -c application_name=a\\b"),
            [
                pair("datestyle", "ISO, DMY"),
                pair("application_name", r"a\b")
            ]
        );
        assert_eq!(pairs(""), []);
    }

    #[test]
    fn anything_else_is_an_error_naming_it() {
        assert_eq!(settings("-e"), Err(OptionsError::NotASetting("-e".into())));
        assert_eq!(settings("-c jit"), Err(OptionsError::NoValue("jit".into())));
        assert_eq!(settings("-c"), Err(OptionsError::Dangling));
        assert_eq!(
            harmless("-c intervalstyle=iso_8601 -c role=postgres"),
            Err(OptionsError::NotHarmless("role".into()))
        );
        assert_eq!(
            harmless("--enable-seqscan=off").unwrap(),
            [pair("enable_seqscan", "off")]
        );
        assert_eq!(
            settings("work_mem=1MB"),
            Err(OptionsError::NotASetting("work_mem=1MB".into()))
        );
    }
}
