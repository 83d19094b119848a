//! Applying one transition's [`Changes`] in one write transaction, events included.

use sqlx::SqliteConnection;
use wicket_core::AuditEvent;
use wicket_core::workflow::{Changes, RequestWrite};

use super::{SqliteStore, anomalies, chain, grants, requests, tokens};
use crate::StoreError;

/// Writes everything in `changes` or nothing: the first conflict or error rolls it all back.
pub(super) async fn commit(
    store: &SqliteStore,
    changes: Changes,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut tx = store.begin_write().await?;
    let result = apply(tx.conn(), changes).await;
    tx.finish(result).await
}

async fn apply(
    conn: &mut SqliteConnection,
    changes: Changes,
) -> Result<Vec<AuditEvent>, StoreError> {
    // Taken apart field by field, so that a field added to `Changes` cannot be silently skipped.
    let Changes {
        request,
        reviews,
        grants: new_grants,
        revocation,
        anomalies: new_anomalies,
        tokens: new_tokens,
        token_revocations,
        events,
    } = changes;
    match &request {
        Some(RequestWrite::Insert(r)) => requests::insert(&mut *conn, r).await?,
        Some(RequestWrite::Update {
            request,
            expected_version,
        }) => {
            requests::update(&mut *conn, request, *expected_version).await?;
        }
        None => {}
    }
    for review in &reviews {
        requests::insert_review(&mut *conn, review).await?;
    }
    for grant in &new_grants {
        grants::insert(&mut *conn, grant).await?;
    }
    if let Some(revocation) = &revocation {
        grants::revoke(&mut *conn, revocation).await?;
    }
    for anomaly in &new_anomalies {
        anomalies::insert(&mut *conn, anomaly).await?;
    }
    for token in &new_tokens {
        tokens::insert(&mut *conn, token).await?;
    }
    for (id, at) in &token_revocations {
        tokens::revoke(&mut *conn, id, *at).await?;
    }
    chain::append(conn, events).await
}
