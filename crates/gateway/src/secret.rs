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

    /// Reads the password a target's configuration points at (see
    /// [`wicket_engine::secret::read`]). Errors name the variable or file, never the value.
    pub fn load(source: &PasswordSource) -> Result<Secret, String> {
        wicket_engine::secret::read_setting(source, "password").map(Secret)
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
    fn a_file_loses_its_final_newline_and_may_not_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        let file = PasswordSource::File(path.display().to_string());
        std::fs::write(&path, "s3cret\n").unwrap();
        assert_eq!(Secret::load(&file).unwrap().expose(), "s3cret");
        std::fs::write(&path, "\n").unwrap();
        assert_eq!(
            Secret::load(&file).unwrap_err(),
            format!("`password_file`: the file `{}` is empty", path.display())
        );
        let e =
            Secret::load(&PasswordSource::Env("WICKET_GW_TEST_SURELY_UNSET".into())).unwrap_err();
        assert!(e.contains("WICKET_GW_TEST_SURELY_UNSET"));
    }
}
