//! The schemas of access reviews: a campaign with its items, and an item with its decision.

use utoipa::ToSchema;

use super::formats::{Id, Note, Time};

/// Where an item stands: `pending`; `certified` or `revoked` by a reviewer; `revoked` or
/// `kept` by the deadline (`decided_by` is `wicket`), as the review's `on_missed` says.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemDecision {
    Pending,
    Certified,
    Revoked,
    Kept,
}

/// What an item reviews: a standing `binding` of one role to one subject, or a `grant`.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Binding,
    Grant,
}

/// One thing a campaign asks its reviewers about, as snapshotted at the campaign's start.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewItem {
    pub id: Id,
    pub campaign_id: Id,
    pub kind: ItemKind,
    /// Whose access: `user:NAME` or `group:NAME`.
    pub subject: String,
    pub role: String,
    /// For a grant item.
    #[schema(required = true)]
    pub grant_id: Option<Id>,
    /// For a grant item: when the grant ends.
    #[schema(required = true)]
    pub expires_at: Option<Time>,
    /// The subjects who may decide it.
    pub reviewers: Vec<String>,
    pub decision: ItemDecision,
    #[schema(required = true)]
    pub decided_by: Option<String>,
    #[schema(required = true)]
    pub decided_at: Option<Time>,
    #[schema(required = true)]
    pub comment: Option<Note>,
}

/// One run of a `[[reviews]]`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub id: Id,
    /// The `[[reviews]]` name.
    pub review: String,
    pub started_at: Time,
    /// Who started it: `wicket` on schedule, else the user.
    pub started_by: String,
    /// Decisions are taken until then.
    pub deadline: Time,
    #[schema(required = true)]
    pub closed_at: Option<Time>,
    pub items: Vec<ReviewItem>,
}
