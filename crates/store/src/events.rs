//! The audit events a store writes on its own, for the sweeps: the same on every backend.

use wicket_core::audit::EventBuilder;
use wicket_core::time;
use wicket_core::{Grant, NewEvent, Request, Time};

use crate::ids;

/// The actor of wicket's own background work.
pub(crate) const SYSTEM: &str = "wicket";

fn user_subject(user: &str) -> String {
    format!("user:{user}")
}

/// `request.expired` for a request not decided within its ttl.
pub(crate) fn request_expired(request: &Request, now: Time) -> NewEvent {
    EventBuilder::new(ids::event_id(), now, SYSTEM, "request.expired")
        .subject(user_subject(&request.requester))
        .request(&request.id)
        .detail("reason", "not decided within the request ttl")
        .build()
}

/// `grant.activated` or `grant.expired` (`kind`) for `grant`, recorded at `now`.
pub(crate) fn grant_event(grant: &Grant, kind: &str, now: Time) -> NewEvent {
    EventBuilder::new(ids::event_id(), now, SYSTEM, kind)
        .subject(user_subject(&grant.user))
        .request(&grant.request_id)
        .grant(&grant.id)
        .detail("role", grant.role.clone())
        .detail("starts_at", time::format(grant.starts_at))
        .detail("expires_at", time::format(grant.expires_at))
        .build()
}
