//! A gateway target as it runs: its configuration and the upstream password, loaded once.

use wicket_core::config::PgTarget;

use crate::secret::Secret;

#[derive(Debug)]
pub struct Target {
    pub config: PgTarget,
    pub password: Option<Secret>,
}

impl Target {
    /// Loads the target's password; the error names the variable or file.
    pub fn load(config: PgTarget) -> Result<Target, String> {
        let password = config.password.as_ref().map(Secret::load).transpose()?;
        Ok(Target { config, password })
    }
}
