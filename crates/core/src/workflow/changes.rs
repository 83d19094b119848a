//! The write set of one transition: everything a store must apply in one transaction.

use crate::model::{Anomaly, Grant, NewEvent, Request, Review, TokenRecord};
use crate::time::Time;

/// How the transition touches a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestWrite {
    /// A new request (its `reviews` are written from [`Changes::reviews`]).
    Insert(Request),
    /// The request as it is after the transition, written only if the stored version is still
    /// `expected_version`; otherwise the store reports a conflict and writes nothing.
    Update {
        request: Request,
        expected_version: i64,
    },
}

/// A new grant, and whether its `grant.activated` event is part of this write set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGrant {
    pub grant: Grant,
    pub activation_recorded: bool,
}

/// Revokes a grant that is not revoked yet (a store reports a conflict otherwise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub grant_id: String,
    pub at: Time,
    pub by: String,
    pub reason: String,
}

/// Moves the end of a grant that is not revoked and still ends at `previous_expires_at` (a
/// store reports a conflict otherwise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// The grant as it is after the extension.
    pub grant: Grant,
    pub previous_expires_at: Time,
}

/// Everything one state change writes, together with its audit events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub request: Option<RequestWrite>,
    pub reviews: Vec<Review>,
    pub grants: Vec<NewGrant>,
    pub revocation: Option<Revocation>,
    pub extension: Option<Extension>,
    pub anomalies: Vec<Anomaly>,
    pub tokens: Vec<TokenRecord>,
    /// Token ids to mark revoked at the given time.
    pub token_revocations: Vec<(String, Time)>,
    pub events: Vec<NewEvent>,
}

impl Changes {
    /// The request as it stands after this change, if the change touches one.
    pub fn request(&self) -> Option<&Request> {
        match &self.request {
            Some(RequestWrite::Insert(r)) | Some(RequestWrite::Update { request: r, .. }) => {
                Some(r)
            }
            None => None,
        }
    }
}
