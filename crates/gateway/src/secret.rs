//! The upstream password: read once when the gateway starts, never printed.

use std::fmt;

use wicket_core::config::PasswordSource;

/// A secret string whose `Debug` says nothing about it.
// INVARIANT: no `Display`, no `Serialize`; the only way out is `expose`, at the one place
// that writes it to the upstream server.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads the password a target's configuration points at. Errors name the variable or
    /// file, never the value.
    pub fn load(source: &PasswordSource) -> Result<Secret, String> {
        match source {
            PasswordSource::Env(name) => std::env::var(name)
                .map(Secret)
                .map_err(|_| format!("environment variable `{name}` (password_env) is not set")),
            PasswordSource::File(path) => std::fs::read_to_string(path)
                .map(|s| Secret(s.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| format!("cannot read password_file `{path}`: {e}")),
        }
    }

    #[cfg(test)]
    pub fn new(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(..)");
    }

    #[test]
    fn a_file_loses_its_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\n").unwrap();
        let s = Secret::load(&PasswordSource::File(path.display().to_string())).unwrap();
        assert_eq!(s.expose(), "s3cret");
        let e =
            Secret::load(&PasswordSource::Env("WICKET_GW_TEST_SURELY_UNSET".into())).unwrap_err();
        assert!(e.contains("WICKET_GW_TEST_SURELY_UNSET"));
    }
}
