//! Applying one transition's [`Changes`] inside one write transaction, events included.

use wicket_core::AuditEvent;
use wicket_core::workflow::{Changes, RequestWrite};

use super::{Conn, Work, anomalies, chain, grants, requests, tokens};
use crate::StoreError;

impl Work for Changes {
    type Done = Vec<AuditEvent>;

    /// Writes everything in the changes; the first conflict or error returns, and the
    /// caller's transaction rolls it all back.
    ///
    /// Rows first, the audit chain last: see the invariant on PostgreSQL's `lock_chain`.
    async fn run<C: Conn>(self, conn: &mut C) -> Result<Vec<AuditEvent>, StoreError> {
        // Taken apart field by field, so that a field added to `Changes` cannot be silently
        // skipped.
        let Changes {
            request,
            reviews,
            grants: new_grants,
            revocation,
            extension,
            anomalies: new_anomalies,
            tokens: new_tokens,
            token_revocations,
            events,
        } = self;
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
        if let Some(extension) = &extension {
            grants::extend(&mut *conn, extension).await?;
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
}
