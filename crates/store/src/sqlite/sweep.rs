//! The background sweeps: expiring overdue requests, recording grant activations and expiries.
//!
//! Each sweep is one write transaction that selects the due rows, flips them and appends their
//! events; since writers take turns, two processes sweeping at once record each row once.

use sqlx::SqliteConnection;
use wicket_core::time::truncate;
use wicket_core::workflow::{self, RequestWrite, SYSTEM, grant_moment};
use wicket_core::{Grant, Request, Time};

use super::grants::Due;
use super::{SqliteStore, chain, codec, grants, requests};
use crate::StoreError;
use crate::ids::SweepIds;

/// Marks up to `limit` overdue pending requests expired, one `request.expired` event each.
pub(super) async fn expire_requests(
    store: &SqliteStore,
    now: Time,
    limit: i64,
) -> Result<Vec<Request>, StoreError> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let mut tx = store.begin_write().await?;
    let result = expire_due(tx.conn(), truncate(now), limit).await;
    tx.finish(result).await
}

async fn expire_due(
    conn: &mut SqliteConnection,
    now: Time,
    limit: i64,
) -> Result<Vec<Request>, StoreError> {
    let due = requests::due(&mut *conn, codec::millis(now), limit).await?;
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
            requests::update(&mut *conn, &request, expected_version).await?;
            expired.push(request);
        }
        events.extend(changes.events);
    }
    chain::append(conn, events).await?;
    Ok(expired)
}

/// Records `grant.activated` for up to `limit` grants that started by `now`.
pub(super) async fn record_activations(
    store: &SqliteStore,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    record(store, Due::Activation, now, limit).await
}

/// Records `grant.expired` for up to `limit` unrevoked grants that ended by `now`.
pub(super) async fn record_expiries(
    store: &SqliteStore,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    record(store, Due::Expiry, now, limit).await
}

async fn record(
    store: &SqliteStore,
    due: Due,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let mut tx = store.begin_write().await?;
    let result = record_due(tx.conn(), due, truncate(now), limit).await;
    tx.finish(result).await
}

async fn record_due(
    conn: &mut SqliteConnection,
    due: Due,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    let found = grants::due(&mut *conn, due, codec::millis(now), limit).await?;
    let mut events = Vec::with_capacity(found.len());
    for grant in &found {
        grants::mark(&mut *conn, due, &grant.id).await?;
        events.push(grant_moment(
            grant,
            due.moment(),
            SYSTEM,
            now,
            &mut SweepIds,
        ));
    }
    chain::append(conn, events).await?;
    Ok(found)
}
