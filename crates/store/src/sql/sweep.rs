//! The background sweeps: expiring overdue requests, recording grant activations and expiries.
//!
//! Each sweep is one write transaction that claims its due rows, flips them and appends their
//! events. In SQLite writers take turns; in PostgreSQL each row is claimed by one server
//! (`FOR UPDATE SKIP LOCKED`) and, once committed, is no longer due. Either way, however many
//! servers sweep at once, each row is recorded exactly once.

use wicket_core::time::truncate;
use wicket_core::workflow::{self, RequestWrite, SYSTEM, grant_moment};
use wicket_core::{Grant, Request, Time};

use super::grants::{self, Due};
use super::{Conn, Work, chain, requests};
use crate::StoreError;
use crate::ids::SweepIds;

/// Marks up to `limit` overdue pending requests expired, one `request.expired` event each.
pub(crate) struct ExpireRequests {
    pub(crate) now: Time,
    pub(crate) limit: i64,
}

impl Work for ExpireRequests {
    type Done = Vec<Request>;

    fn nothing_to_do(&self) -> Option<Vec<Request>> {
        (self.limit <= 0).then(Vec::new)
    }

    async fn run<C: Conn>(self, conn: &mut C) -> Result<Vec<Request>, StoreError> {
        let now = truncate(self.now);
        let due = requests::due(&mut *conn, now, self.limit).await?;
        let mut expired = Vec::with_capacity(due.len());
        let mut events = Vec::with_capacity(due.len());
        // Core decides; the sweep persists what it decided.
        for request in &due {
            let Some(changes) = workflow::expire(request, now, &mut SweepIds) else {
                continue;
            };
            if let Some(RequestWrite::Update {
                request,
                expected_version,
            }) = changes.request
            {
                // Claimed: the version cannot have moved.
                requests::update(&mut *conn, &request, expected_version).await?;
                expired.push(request);
            }
            events.extend(changes.events);
        }
        chain::append(conn, events).await?;
        Ok(expired)
    }
}

/// Records the `due` event for up to `limit` grants whose moment came by `now`.
pub(crate) struct RecordDue {
    pub(crate) due: Due,
    pub(crate) now: Time,
    pub(crate) limit: i64,
}

impl Work for RecordDue {
    type Done = Vec<Grant>;

    fn nothing_to_do(&self) -> Option<Vec<Grant>> {
        (self.limit <= 0).then(Vec::new)
    }

    async fn run<C: Conn>(self, conn: &mut C) -> Result<Vec<Grant>, StoreError> {
        let RecordDue { due, now, limit } = self;
        let now = truncate(now);
        let found = grants::due(&mut *conn, due, now, limit).await?;
        if found.is_empty() {
            return Ok(found);
        }
        let ids: Vec<&str> = found.iter().map(|g| g.id.as_str()).collect();
        grants::mark(&mut *conn, due, &ids).await?;
        let events = found
            .iter()
            .map(|g| grant_moment(g, due.moment(), SYSTEM, now, &mut SweepIds))
            .collect();
        chain::append(conn, events).await?;
        Ok(found)
    }
}
