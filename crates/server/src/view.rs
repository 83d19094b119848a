//! The JSON shapes of the API: requests with their grants, grants with their status.

use serde::Serialize;
use utoipa::ToSchema;
use wicket_core::{Grant, GrantStatus, Request, Time};

#[derive(Serialize)]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: Grant,
    pub subject: String,
    pub status: GrantStatus,
}

impl GrantView {
    pub fn new(grant: Grant, now: Time) -> GrantView {
        GrantView {
            subject: format!("user:{}", grant.user),
            status: grant.status(now),
            grant,
        }
    }
}

#[derive(Serialize)]
pub struct RequestView {
    #[serde(flatten)]
    pub request: Request,
    /// How many approval steps its policy has.
    pub steps: usize,
    pub grants: Vec<GrantView>,
}

/// `{"items": [...]}`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Items<T> {
    pub items: Vec<T>,
}
