//! The background sweeps: expiring overdue requests, recording grant activations and expiries.
//!
//! Each sweep is one transaction that claims its due rows with `FOR UPDATE SKIP LOCKED`,
//! flips them and appends their events. However many servers sweep at once, a row is claimed
//! by one of them, and once committed it is no longer due: each is recorded exactly once.

use sqlx::PgConnection;
use wicket_core::time::truncate;
use wicket_core::workflow::{self, RequestWrite, SYSTEM, grant_moment};
use wicket_core::{Grant, Request, Time};

use super::grants::Due;
use super::{PgStore, chain, grants, requests};
use crate::StoreError;
use crate::ids::SweepIds;

/// Marks up to `limit` overdue pending requests expired, one `request.expired` event each.
pub(super) async fn expire_requests(
    store: &PgStore,
    now: Time,
    limit: i64,
) -> Result<Vec<Request>, StoreError> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let mut tx = store.begin().await?;
    let expired = expire_due(&mut tx, truncate(now), limit).await?;
    tx.commit().await?;
    Ok(expired)
}

async fn expire_due(
    conn: &mut PgConnection,
    now: Time,
    limit: i64,
) -> Result<Vec<Request>, StoreError> {
    let due = requests::claim_due(&mut *conn, now, limit).await?;
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
            // Locked by the claim: the version cannot have moved.
            requests::update(&mut *conn, &request, expected_version).await?;
            expired.push(request);
        }
        events.extend(changes.events);
    }
    chain::append(conn, events).await?;
    Ok(expired)
}

/// Records the `due` event for up to `limit` grants whose moment came by `now`.
pub(super) async fn record(
    store: &PgStore,
    due: Due,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let mut tx = store.begin().await?;
    let recorded = record_due(&mut tx, due, truncate(now), limit).await?;
    tx.commit().await?;
    Ok(recorded)
}

async fn record_due(
    conn: &mut PgConnection,
    due: Due,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    let found = grants::claim_due(&mut *conn, due, now, limit).await?;
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
