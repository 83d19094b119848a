//! The schemas of grants: a grant as the API returns it (with its subject and its status at
//! the time of the answer) and the enumeration of statuses, read from core.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use wicket_core::GrantStatus as CoreStatus;

use super::formats::Time;

/// Every grant status; a status added to core fails to compile in [`listed`] until named here.
pub const STATUSES: [CoreStatus; 4] = [
    CoreStatus::Scheduled,
    CoreStatus::Active,
    CoreStatus::Expired,
    CoreStatus::Revoked,
];

const fn listed(s: CoreStatus) -> bool {
    match s {
        CoreStatus::Scheduled | CoreStatus::Active | CoreStatus::Expired | CoreStatus::Revoked => {
            true
        }
    }
}

const _: () = assert!(listed(CoreStatus::Active));

/// A grant's status at the time of the answer.
pub struct GrantStatus;

impl PartialSchema for GrantStatus {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "revoked, else where now falls in `[starts_at, expires_at)`",
            ))
            .enum_values(Some(STATUSES.map(CoreStatus::as_str)))
            .into()
    }
}

impl ToSchema for GrantStatus {}

/// One role for one user over `[starts_at, expires_at)`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub id: String,
    /// The user name, without the `user:` prefix.
    pub user: String,
    /// `user:NAME`.
    pub subject: String,
    pub role: String,
    pub request_id: String,
    pub starts_at: Time,
    pub expires_at: Time,
    #[schema(required = true)]
    pub revoked_at: Option<Time>,
    #[schema(required = true)]
    pub revoked_by: Option<String>,
    #[schema(required = true)]
    pub revoke_reason: Option<String>,
    pub status: GrantStatus,
}

/// What the holder asks for when extending a grant.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExtension {
    /// How much longer, like `30m` or `1h`.
    pub by: super::formats::Duration,
    /// Why (required when the policy requires a reason).
    pub reason: Option<super::formats::Note>,
}
