//! The background sweeps: expiring overdue requests, recording grant activations and expiries.
//!
//! Each sweep is one write transaction that selects the due rows, flips them and appends their
//! events; since writers take turns, two processes sweeping at once record each row once.

use sqlx::SqliteConnection;
use wicket_core::time::truncate;
use wicket_core::{Grant, Request, RequestState, Time};

use super::grants::Due;
use super::{SqliteStore, chain, codec, grants, requests};
use crate::StoreError;
use crate::events::{grant_event, request_expired};

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
    let mut due = requests::due(&mut *conn, codec::millis(now), limit).await?;
    let mut events = Vec::with_capacity(due.len());
    for request in &mut due {
        let expected_version = request.version;
        request.state = RequestState::Expired;
        request.decided_at = Some(now);
        request.version += 1;
        requests::update(&mut *conn, request, expected_version).await?;
        events.push(request_expired(request, now));
    }
    chain::append(conn, events).await?;
    Ok(due)
}

/// Records `grant.activated` for up to `limit` grants that started by `now`.
pub(super) async fn record_activations(
    store: &SqliteStore,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    record(store, Due::Activation, "grant.activated", now, limit).await
}

/// Records `grant.expired` for up to `limit` unrevoked grants that ended by `now`.
pub(super) async fn record_expiries(
    store: &SqliteStore,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    record(store, Due::Expiry, "grant.expired", now, limit).await
}

async fn record(
    store: &SqliteStore,
    due: Due,
    kind: &str,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let mut tx = store.begin_write().await?;
    let result = record_due(tx.conn(), due, kind, truncate(now), limit).await;
    tx.finish(result).await
}

async fn record_due(
    conn: &mut SqliteConnection,
    due: Due,
    kind: &str,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    let found = grants::due(&mut *conn, due, codec::millis(now), limit).await?;
    let mut events = Vec::with_capacity(found.len());
    for grant in &found {
        grants::mark(&mut *conn, due, &grant.id).await?;
        events.push(grant_event(grant, kind, now));
    }
    chain::append(conn, events).await?;
    Ok(found)
}
