//! What wicket records of a grant's own moments: its activation (at approval, or when a
//! scheduled grant starts) and its expiry on time. The approval and the background sweeps of
//! every store write these same events.

use crate::audit::{EventBuilder, EventKind};
use crate::model::{Grant, NewEvent};
use crate::time::{self, Time};

use super::{IdSource, user_subject};

/// A moment in a grant's life that a sweep records once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// The grant's window began.
    Activation,
    /// The grant's window ended without a revocation.
    Expiry,
}

impl Moment {
    /// The kind of the event that records it.
    pub fn kind(self) -> EventKind {
        match self {
            Moment::Activation => EventKind::GrantActivated,
            Moment::Expiry => EventKind::GrantExpired,
        }
    }
}

/// The event that records `moment` of `grant`, written by `actor` at `now`.
pub fn grant_moment(
    grant: &Grant,
    moment: Moment,
    actor: &str,
    now: Time,
    ids: &mut dyn IdSource,
) -> NewEvent {
    EventBuilder::new(ids.next_id("ev"), now, actor, moment.kind())
        .subject(user_subject(&grant.user))
        .request(&grant.request_id)
        .grant(&grant.id)
        .detail("role", grant.role.clone())
        .detail("starts_at", time::format(grant.starts_at))
        .detail("expires_at", time::format(grant.expires_at))
        .build()
}
