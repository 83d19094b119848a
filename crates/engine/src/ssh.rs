//! SSH certificates bound to grants: the user certificate authority's key, certificates whose
//! principals are the logins a user's grants allow, and the key revocation list for `sshd`.

pub mod ca;
pub mod issue;
pub mod krl;
pub mod recordings;

pub use issue::{Issued, issue};

use wicket_core::Action;

use crate::error::{EngineError, EngineResult};

/// `ssh:login`: logging in as `LOGIN` on `ssh/ENV/HOST/LOGIN`.
pub const LOGIN: &str = "ssh:login";
/// `ssh:forward`: port forwarding for a login.
pub const FORWARD: &str = "ssh:forward";

/// One of the actions above, parsed.
pub fn action(name: &str) -> EngineResult<Action> {
    Action::parse(name).map_err(|e| EngineError::Internal(format!("action `{name}`: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_actions_parse() {
        assert!(super::action(super::LOGIN).is_ok());
        assert!(super::action(super::FORWARD).is_ok());
    }
}
