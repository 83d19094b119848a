//! The state changes every front door makes (create, review, cancel, revoke): each calls the
//! core rule, commits its write set with the audit events, and counts it. The JSON API, the
//! web UI and the monitor call these and nothing else to change state.

use wicket_core::workflow::{self, NewRequest};
use wicket_core::{ErrorKind, Grant, Power, Request, Verdict};
use wicket_store::StoreError;

use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::RandomIds;

/// Creates a request for `user` (approved at once when its policy has no steps).
pub async fn create_request(app: &App, user: &str, input: &NewRequest) -> EngineResult<Request> {
    let changes = {
        let index = app.index();
        workflow::create(&index, user, input, now(), &mut RandomIds)?
    };
    let request = changes.request().cloned().ok_or_else(|| {
        EngineError::Internal("a created request is missing from its changes".into())
    })?;
    app.commit(changes).await?;
    app.metrics.request_created();
    let request = crate::oncall::settle(app, request).await;
    announce(app, &request);
    Ok(request)
}

/// Posts a pending request to its policy's Slack channel, without waiting for Slack.
fn announce(app: &App, request: &Request) {
    let has_channel = app
        .config
        .policy(&request.policy)
        .is_some_and(|p| p.slack_channel.is_some());
    if app.config.slack.is_some()
        && has_channel
        && request.state == wicket_core::RequestState::Pending
    {
        let (app, request) = (app.clone(), request.clone());
        tokio::spawn(async move { crate::slack::announce(&app, &request).await });
    }
}

/// Asks to extend grant `id` of `user` (approved at once when the policy's extension has no
/// steps). Returns the extension request.
pub async fn extend_grant(
    app: &App,
    user: &str,
    id: &str,
    input: &workflow::NewExtension,
) -> EngineResult<Request> {
    let grant =
        app.store.get_grant(id).await?.ok_or_else(|| {
            EngineError::not_found("unknown_grant", format!("unknown grant `{id}`"))
        })?;
    let origin = app
        .store
        .get_request(&grant.request_id)
        .await?
        .ok_or_else(|| {
            EngineError::Internal(format!(
                "request `{}` of grant `{id}` is missing",
                grant.request_id
            ))
        })?;
    let changes = {
        let index = app.index();
        workflow::extend(
            index.config(),
            &grant,
            &origin,
            user,
            input,
            now(),
            &mut RandomIds,
        )?
    };
    let request = changes.request().cloned().ok_or_else(|| {
        EngineError::Internal("an extension request is missing from its changes".into())
    })?;
    let extended = changes.extension.is_some();
    match app.commit(changes).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(EngineError::conflict(
                "grant_changed",
                format!(
                    "grant `{id}` was revoked or extended meanwhile; nothing was changed, try again"
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    app.metrics.extension_requested();
    let request = crate::oncall::settle(app, request).await;
    announce(app, &request);
    if extended || request.state == wicket_core::RequestState::Approved {
        app.metrics.grant_extended();
    }
    Ok(request)
}

/// An older pending request of the same requester for the same roles as `request`, if any.
pub async fn pending_twin(app: &App, request: &Request) -> EngineResult<Option<String>> {
    if request.state != wicket_core::RequestState::Pending {
        return Ok(None);
    }
    let mut roles = request.roles.clone();
    roles.sort();
    let pending = app
        .store
        .list_requests(&wicket_store::RequestFilter {
            state: Some(wicket_core::RequestState::Pending),
            requester: Some(request.requester.clone()),
            limit: Some(100),
        })
        .await?;
    Ok(pending
        .into_iter()
        .filter(|r| r.id != request.id)
        .find(|r| {
            let mut theirs = r.roles.clone();
            theirs.sort();
            theirs == roles
        })
        .map(|r| r.id))
}

/// Records `reviewer`'s verdict on the current step of request `id`.
pub async fn review_request(
    app: &App,
    reviewer: &str,
    id: &str,
    verdict: Verdict,
    comment: Option<String>,
) -> EngineResult<Request> {
    let config = app.config.clone();
    let request = app
        .transition(id, |r, grant, now, ids| {
            let comment = comment.clone();
            workflow::review_with(&config, r, grant, reviewer, verdict, comment, now, ids)
        })
        .await?;
    app.metrics.review();
    // A human approval may bring the request to a step approved by being on call.
    let request = crate::oncall::settle(app, request).await;
    if request.extends.is_some() && request.state == wicket_core::RequestState::Approved {
        app.metrics.grant_extended();
    }
    Ok(request)
}

/// Cancels pending request `id`; only its requester may.
pub async fn cancel_request(
    app: &App,
    user: &str,
    id: &str,
    comment: Option<String>,
) -> EngineResult<Request> {
    app.transition(id, |r, _, now, ids| {
        workflow::cancel(r, user, comment.clone(), now, ids)
    })
    .await
}

/// Revokes grant `id` at once: the holder releases their own, others need
/// `wicket:grants.revoke`. Returns the grant as stored afterwards.
pub async fn revoke_grant(
    app: &App,
    user: &str,
    id: &str,
    reason: Option<String>,
) -> EngineResult<Grant> {
    let grant =
        app.store.get_grant(id).await?.ok_or_else(|| {
            EngineError::not_found("unknown_grant", format!("unknown grant `{id}`"))
        })?;
    // Core decides who may revoke; the engine only says whether the power is held.
    let may_revoke_others = app.has_power(user, Power::GrantsRevoke);
    match revoke_with(app, user, grant, may_revoke_others, reason).await {
        // The refusal names the role the caller could request for the power.
        Err(EngineError::Refused(e)) if e.kind == ErrorKind::Forbidden => {
            app.require_power(user, Power::GrantsRevoke)?;
            Err(EngineError::Refused(e))
        }
        other => other,
    }
}

/// Revokes `grant` for `actor` with no permission check: for wicket's own work (the monitor's
/// `revoke = true` rules), and for callers that checked already.
pub async fn revoke_as(
    app: &App,
    actor: &str,
    grant: Grant,
    reason: Option<String>,
) -> EngineResult<Grant> {
    revoke_with(app, actor, grant, true, reason).await
}

async fn revoke_with(
    app: &App,
    actor: &str,
    grant: Grant,
    may_revoke_others: bool,
    reason: Option<String>,
) -> EngineResult<Grant> {
    let id = grant.id.clone();
    let id = id.as_str();
    let changes = workflow::revoke(
        &grant,
        actor,
        may_revoke_others,
        reason,
        now(),
        &mut RandomIds,
    )?;
    match app.commit(changes).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(EngineError::conflict(
                "grant_revoked",
                format!("grant `{id}` is already revoked"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    app.metrics.revocation();
    app.store
        .get_grant(id)
        .await?
        .ok_or_else(|| EngineError::Internal(format!("revoked grant `{id}` is missing")))
}
