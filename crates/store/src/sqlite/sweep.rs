//! The background sweeps: expiring overdue requests, recording grant activations and expiries.
//!
//! Each sweep is one write transaction that selects the due rows, flips them and appends their
//! events; since writers take turns, two processes sweeping at once record each row once.

use sqlx::SqliteConnection;
use wicket_core::audit::EventBuilder;
use wicket_core::time::{self, truncate};
use wicket_core::{Grant, NewEvent, Request, RequestState, Time};

use super::grants::Due;
use super::{SqliteStore, chain, codec, grants, ids, requests};
use crate::StoreError;

/// The actor of wicket's own background work.
const SYSTEM: &str = "wicket";

fn user_subject(user: &str) -> String {
    format!("user:{user}")
}

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
        events.push(
            EventBuilder::new(ids::event_id(), now, SYSTEM, "request.expired")
                .subject(user_subject(&request.requester))
                .request(&request.id)
                .detail("reason", "not decided within the request ttl")
                .build(),
        );
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

fn grant_event(grant: &Grant, kind: &str, now: Time) -> NewEvent {
    EventBuilder::new(ids::event_id(), now, SYSTEM, kind)
        .subject(user_subject(&grant.user))
        .request(&grant.request_id)
        .grant(&grant.id)
        .detail("role", grant.role.clone())
        .detail("starts_at", time::format(grant.starts_at))
        .detail("expires_at", time::format(grant.expires_at))
        .build()
}
