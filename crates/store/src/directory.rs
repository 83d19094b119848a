//! The user directory as stored: people and groups the identity provider pushed (SCIM) or
//! vouched for at sign-in (OIDC), and the write that changes them with its audit events.

use wicket_core::{NewEvent, Time};

/// A person from the identity provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirUser {
    /// Opaque and stable (the SCIM `id`).
    pub id: String,
    /// The unique name (SCIM `userName`, or the sign-in's username claim).
    pub name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    /// False once deprovisioned: such a user takes no part in decisions and cannot sign in.
    pub active: bool,
    /// The rest of the SCIM resource, as a JSON object's text (`{}` when none).
    pub attributes: String,
    /// The wicket groups the last sign-in's groups claim gave.
    pub claim_groups: Vec<String>,
    pub created_at: Time,
    pub updated_at: Time,
    /// 1 at creation, one more at every change (the SCIM `ETag`).
    pub version: i64,
}

/// A group from the identity provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirGroup {
    pub id: String,
    /// The unique name (SCIM `displayName`).
    pub name: String,
    pub external_id: Option<String>,
    /// Ids of member users, sorted.
    pub members: Vec<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub version: i64,
}

/// The whole directory, sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    pub users: Vec<DirUser>,
    pub groups: Vec<DirGroup>,
}

impl Directory {
    pub fn user(&self, id: &str) -> Option<&DirUser> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn user_named(&self, name: &str) -> Option<&DirUser> {
        self.users.iter().find(|u| u.name == name)
    }

    pub fn group(&self, id: &str) -> Option<&DirGroup> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The groups `user_id` is a member of.
    pub fn groups_of(&self, user_id: &str) -> impl Iterator<Item = &DirGroup> {
        self.groups
            .iter()
            .filter(move |g| g.members.iter().any(|m| m == user_id))
    }
}

/// The end of the conflict message of a write over a version that changed meanwhile.
pub const STALE: &str = "changed meanwhile; read it again";

/// One change to the directory, applied in one transaction with its events.
#[derive(Clone, Debug, Default)]
pub struct DirectoryWrite {
    /// Inserted (version 1), or replacing the user of the same id whose version is one
    /// less; a name another user has, or a stored version that moved meanwhile, is a
    /// [`crate::StoreError::Conflict`] (the latter's message ends with [`STALE`]).
    pub put_users: Vec<DirUser>,
    /// Ids; their memberships go with them.
    pub delete_users: Vec<String>,
    /// Inserted, or replacing the group of the same id, members included, as for users. A
    /// member id that names no user is a [`crate::StoreError::Conflict`].
    pub put_groups: Vec<DirGroup>,
    pub delete_groups: Vec<String>,
    pub events: Vec<NewEvent>,
}
