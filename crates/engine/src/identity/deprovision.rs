//! Ending everything a person holds when the identity provider deactivates or deletes them:
//! their grants are revoked (which closes their gateway sessions, on every server, as any
//! revocation does), their tokens revoked (which ends their web sessions and CLI sign-ins),
//! their pending requests cancelled, and this server's web sessions of theirs ended.
//!
//! Before any of this, the directory write itself has already taken them out of decisions and
//! made every server refuse their tokens (see [`crate::App::knows_user`]); this makes it last.

use wicket_core::RequestState;
use wicket_core::workflow;
use wicket_store::{GrantFilter, RequestFilter, StoreError};

use super::directory::ACTOR;
use crate::admin::revoke_changes;
use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::RandomIds;
use crate::ops::revoke_as;

/// Rounds of listing and ending, bounding the work should grants keep appearing.
const ROUNDS: usize = 10;

/// Ends what `user` holds; `why` is recorded with each revocation and cancellation.
pub async fn deprovision(app: &App, user: &str, why: &str) -> EngineResult<()> {
    app.sessions.end_user(user);
    for _ in 0..ROUNDS {
        let grants = app
            .store
            .list_grants(&GrantFilter {
                user: Some(user.to_string()),
                live_at: Some(now()),
                ..Default::default()
            })
            .await?;
        if grants.is_empty() {
            break;
        }
        for grant in grants {
            match revoke_as(app, ACTOR, grant, Some(why.to_string())).await {
                Ok(_) => {}
                // Revoked meanwhile by someone else: what was wanted.
                Err(EngineError::Refused(e)) if e.kind == wicket_core::ErrorKind::Conflict => {}
                Err(EngineError::Store(StoreError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let tokens = app.store.live_tokens(Some(user)).await?;
    if !tokens.is_empty() {
        let at = now();
        let mut changes = workflow::Changes::default();
        for t in &tokens {
            let c = revoke_changes(t, ACTOR, at, &mut RandomIds);
            changes.token_revocations.extend(c.token_revocations);
            changes.events.extend(c.events);
        }
        app.commit(changes).await?;
        for t in &tokens {
            app.tokens.evict(&t.id);
        }
    }
    let pending = app
        .store
        .list_requests(&RequestFilter {
            state: Some(RequestState::Pending),
            requester: Some(user.to_string()),
            ..Default::default()
        })
        .await?;
    for request in pending {
        let comment = Some(format!("{why}; cancelled by `{ACTOR}`"));
        let cancelled = app
            .transition(&request.id, |r, _, at, ids| {
                // Cancelled on the requester's behalf: the event names who did it.
                let mut changes = workflow::cancel(r, &r.requester, comment.clone(), at, ids)?;
                for e in &mut changes.events {
                    e.actor = ACTOR.to_string();
                }
                Ok(changes)
            })
            .await;
        match cancelled {
            Ok(_) => {}
            // Decided, expired or cancelled meanwhile: no longer pending either way.
            Err(EngineError::Refused(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
