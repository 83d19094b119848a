//! Wicket's own powers: ordinary permissions on the resource `wicket`, as one enum so that
//! every check names a power the compiler knows.

use std::fmt;

use crate::action::Action;
use crate::resource::Resource;

/// The resource every wicket power is checked on.
pub const RESOURCE: &str = "wicket";

/// A power over wicket itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Power {
    /// Read the whole audit log.
    AuditRead,
    /// See every request, not only one's own and those one approves.
    RequestsRead,
    /// Revoke other users' grants.
    GrantsRevoke,
    /// Ask `/v1/check` about other subjects.
    CheckOthers,
    /// Mint tokens for other users.
    TokensCreate,
    /// Change the policy.
    PolicyWrite,
    /// Start access review campaigns and read every campaign's report.
    ReviewsManage,
}

impl Power {
    /// Every power, for documentation, `whoami` and tests.
    pub const ALL: [Power; 7] = [
        Power::AuditRead,
        Power::RequestsRead,
        Power::GrantsRevoke,
        Power::CheckOthers,
        Power::TokensCreate,
        Power::PolicyWrite,
        Power::ReviewsManage,
    ];

    /// The action that grants it, as written in roles: `wicket:audit.read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Power::AuditRead => "wicket:audit.read",
            Power::RequestsRead => "wicket:requests.read",
            Power::GrantsRevoke => "wicket:grants.revoke",
            Power::CheckOthers => "wicket:check.others",
            Power::TokensCreate => "wicket:tokens.create",
            Power::PolicyWrite => "wicket:policy.write",
            Power::ReviewsManage => "wicket:reviews.manage",
        }
    }

    /// The action and resource a decision checks for this power.
    pub fn check(self) -> (Action, Resource) {
        // INVARIANT: every name above parses; the unit test below proves it.
        (Action::known(self.as_str()), Resource::known(RESOURCE))
    }
}

impl fmt::Display for Power {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_power_is_a_wicket_action_on_the_wicket_resource() {
        for p in Power::ALL {
            assert_eq!(Action::parse(p.as_str()).as_ref(), Ok(&p.check().0), "{p}");
            assert_eq!(Resource::parse(RESOURCE).as_ref(), Ok(&p.check().1));
            assert!(p.as_str().starts_with("wicket:"));
            assert_eq!(p.check().1.as_str(), RESOURCE);
        }
    }
}
