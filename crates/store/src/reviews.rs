//! Access reviews as stored: campaigns with their items, the standing bindings a review
//! suspended, and the write that changes them with its audit events.

use wicket_core::review::{Campaign, ReviewItem};
use wicket_core::workflow::Revocation;
use wicket_core::{NewEvent, Time};

/// A standing binding of `role` to `subject` (`user:NAME` or `group:NAME`) that a review
/// revoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suspension {
    pub subject: String,
    pub role: String,
    pub campaign_id: String,
    pub item_id: String,
    pub at: Time,
    pub by: String,
}

/// One change to the reviews, applied in one transaction with its events.
#[derive(Clone, Debug, Default)]
pub struct ReviewWrite {
    /// A campaign to insert with its items; a campaign of the same review still open is a
    /// [`crate::StoreError::Conflict`].
    pub start: Option<Campaign>,
    /// Items decided: each replaces a stored item that is still pending, else conflict.
    pub decisions: Vec<ReviewItem>,
    /// `(campaign id, at)`: closes a campaign still open, else conflict.
    pub close: Option<(String, Time)>,
    /// Bindings taken away (one already suspended stays as it was).
    pub suspend: Vec<Suspension>,
    /// `(subject, role)` no longer suspended.
    pub lift: Vec<(String, String)>,
    /// Grants revoked by the decisions (a grant already revoked is a conflict).
    pub revocations: Vec<Revocation>,
    pub events: Vec<NewEvent>,
}
