//! A gateway target as it runs: its configuration, the upstream password and the masking
//! rules' keys, loaded once.

use wicket_core::config::PgTarget;

use crate::mask::Masking;
use crate::resources::Resources;
use crate::secret::Secret;

#[derive(Debug)]
pub struct Target {
    pub config: PgTarget,
    pub password: Option<Secret>,
    /// `None` when the target has no masking rules: its results pass as they are.
    pub masking: Option<Masking>,
    /// The resources of the tables its statements read, named once.
    pub resources: Resources,
}

impl Target {
    /// Loads the target's password and masking keys; the error names the variable or file.
    pub fn load(config: PgTarget) -> Result<Target, String> {
        let password = config.password.as_ref().map(Secret::load).transpose()?;
        let masking = Masking::load(config.masking.clone())?;
        Ok(Target {
            resources: Resources::new(config.resource.clone()),
            config,
            password,
            masking,
        })
    }
}
