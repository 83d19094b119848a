//! Access requests: create, list, show, approve, deny, cancel.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wicket_core::workflow::{MAX_TEXT, NewRequest};
use wicket_core::{Power, Request, RequestState, Verdict};
use wicket_store::RequestFilter;

use crate::auth::Caller;
use crate::body::{JsonBody, OptionalJsonBody, PathParams, QueryParams};
use crate::error::{ApiError, ApiResult};
use crate::openapi::errors::ErrorBody;
use crate::openapi::{formats, requests as schema};
use crate::paging::Limit;
use crate::params;
use crate::view::{GrantView, Items, RequestView};
use wicket_engine::access::{reviewable_by, visible_to};
use wicket_engine::app::{App, now};
use wicket_engine::ops;

/// A review's or a cancellation's optional comment.
#[derive(Default, Deserialize, ToSchema)]
#[schema(as = Comment)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[schema(value_type = Option<formats::Note>)]
    comment: Option<String>,
}

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only requests in this state.
    #[param(value_type = Option<schema::RequestState>)]
    state: Option<String>,
    /// Only my own requests.
    mine: Option<bool>,
    /// Only pending requests I may review now (overrides `state`).
    reviewable: Option<bool>,
    /// Only this user's requests (another user's take `wicket:requests.read`).
    #[param(value_type = Option<formats::Text>)]
    requester: Option<String>,
    /// At most this many, newest first (default 1000, all there are up to the cap).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<Limit>,
}

/// The id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RequestPath {
    /// A request id.
    #[param(value_type = formats::Id)]
    id: String,
}

/// A cancellation's comment is held to the limit of a review's. Core checks a review's comment
/// (`workflow::review`) but not a cancellation's; until it does, the server checks it here.
fn within_limit(comment: Option<&str>) -> ApiResult<()> {
    if comment.is_some_and(|c| c.len() > MAX_TEXT) {
        return Err(ApiError::bad_request(
            "comment_too_long",
            format!("comment is longer than {MAX_TEXT} bytes"),
        ));
    }
    Ok(())
}

/// The request with its grants (for an extension, the grant it extends) and its policy's
/// step count.
pub async fn view(app: &App, request: Request) -> ApiResult<RequestView> {
    let now = now();
    let grants = match &request.extends {
        Some(id) => app.store.get_grant(id).await?.into_iter().collect(),
        None => app.grants_of_request(&request.id).await?,
    };
    let grants = grants.into_iter().map(|g| GrantView::new(g, now)).collect();
    let steps = app
        .config
        .policy(&request.policy)
        .map_or(0, |p| p.steps_for(request.extends.is_some()).len());
    Ok(RequestView {
        request,
        steps,
        grants,
        duplicate_of: None,
    })
}

#[utoipa::path(
    post,
    path = "/v1/requests",
    operation_id = "create_request",
    tag = "requests",
    summary = "request roles (or an action on a resource)",
    request_body = schema::NewRequest,
    responses(
        (status = 201, description = "the new request (approved at once when its policy has no steps or it is break-glass)", body = schema::Request),
        (status = 400, description = "a bad value: `invalid_action`, `invalid_resource`, `invalid_duration`, `invalid_start_at`, `nothing_requested`, `ambiguous_request`, `incomplete_request`, `too_many_roles`, `duplicate_role`, `reason_too_long`, `ticket_too_long`", body = ErrorBody),
        (status = 403, description = "the caller is not a configured user: `unknown_user`", body = ErrorBody),
        (status = 409, description = "a concurrent change: `conflict`; a role held standing: `already_held`; a grant of the role already covering the window asked for: `already_granted` (the message names the grant); an action on a resource already allowed: `already_allowed`", body = ErrorBody),
        (status = 422, description = "against policy: `unknown_role`, `unknown_policy`, `not_a_requester`, `role_not_offered`, `no_policy`, `nothing_requestable`, `unknown_action`, `denied_by_guardrail`, `duration_exceeds_max`, `reason_required`, `ticket_required`, `ticket_invalid`, `start_at_in_past`, `start_at_too_far`, `break_glass_not_allowed`", body = ErrorBody),
    )
)]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<NewRequest>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    // The API takes durations and times as its spec writes them; core reads the values.
    if let Some(d) = &body.duration {
        params::duration(d).map_err(|e| ApiError::bad_request("invalid_duration", e))?;
    }
    if let Some(t) = &body.start_at {
        params::time(t).map_err(|e| ApiError::bad_request("invalid_start_at", e))?;
    }
    let request = ops::create_request(&app, &caller.user, &body).await?;
    let duplicate_of = ops::pending_twin(&app, &request).await?;
    let mut shown = view(&app, request).await?;
    shown.duplicate_of = duplicate_of;
    Ok((StatusCode::CREATED, Json(shown)))
}

#[utoipa::path(
    get,
    path = "/v1/requests",
    operation_id = "list_requests",
    tag = "requests",
    summary = "list requests",
    description = "Newest first; those the caller may see (their own, those they review, all with `wicket:requests.read`).",
    params(ListQuery),
    responses(
        (status = 200, description = "the requests", body = crate::view::Items<schema::Request>),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "another requester's without `wicket:requests.read`: `missing_power`", body = ErrorBody),
    )
)]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Items<RequestView>>> {
    let state = params::query(q.state.as_deref(), RequestState::parse)?;
    let all_power = app.has_power(&caller.user, Power::RequestsRead);
    let requester = if q.mine == Some(true) {
        Some(caller.user.clone())
    } else if let Some(r) = q.requester {
        if r != caller.user && !all_power {
            app.require_power(&caller.user, Power::RequestsRead)?;
        }
        Some(r)
    } else {
        None
    };
    let reviewable = q.reviewable == Some(true);
    let filter = RequestFilter {
        state: if reviewable {
            Some(RequestState::Pending)
        } else {
            state
        },
        requester,
        limit: q.limit.map(Limit::get),
    };
    let requests = app.store.list_requests(&filter).await?;
    let mut items = Vec::new();
    for r in requests {
        let keep = if reviewable {
            reviewable_by(&app, &r, &caller.user, now())
        } else {
            // The same rule as showing one request: listing never hides what `show` reveals.
            all_power || visible_to(&app, &r, &caller.user)
        };
        if keep {
            items.push(view(&app, r).await?);
        }
    }
    Ok(Json(Items { items }))
}

#[utoipa::path(
    get,
    path = "/v1/requests/{id}",
    operation_id = "show_request",
    tag = "requests",
    summary = "one request with its reviews and grants",
    params(RequestPath),
    responses(
        (status = 200, description = "the request", body = schema::Request),
        (status = 403, description = "not the caller's to see: `not_visible`", body = ErrorBody),
        (status = 404, description = "`unknown_request`", body = ErrorBody),
    )
)]
pub async fn show(
    State(app): State<App>,
    caller: Caller,
    PathParams(RequestPath { id }): PathParams<RequestPath>,
) -> ApiResult<Json<RequestView>> {
    let request =
        app.store.get_request(&id).await?.ok_or_else(|| {
            ApiError::not_found("unknown_request", format!("unknown request `{id}`"))
        })?;
    if !visible_to(&app, &request, &caller.user) {
        return Err(ApiError::forbidden(
            "not_visible",
            format!(
                "`{}` may not see request `{id}`; that takes `{}`",
                caller.user,
                Power::RequestsRead
            ),
        ));
    }
    Ok(Json(view(&app, request).await?))
}

async fn review(
    app: App,
    caller: Caller,
    id: String,
    verdict: Verdict,
    comment: Option<String>,
) -> ApiResult<Json<RequestView>> {
    let request = ops::review_request(&app, &caller.user, &id, verdict, comment).await?;
    Ok(Json(view(&app, request).await?))
}

#[utoipa::path(
    post,
    path = "/v1/requests/{id}/approve",
    operation_id = "approve_request",
    tag = "requests",
    summary = "approve the current step (the last approval approves the request)",
    params(RequestPath),
    request_body = Option<CommentBody>,
    responses(
        (status = 200, description = "the request after the review", body = schema::Request),
        (status = 400, description = "a bad value: `comment_too_long`", body = ErrorBody),
        (status = 403, description = "not the caller's to review: `self_review`, `not_an_approver`", body = ErrorBody),
        (status = 404, description = "`unknown_request`", body = ErrorBody),
        (status = 409, description = "not pending, or reviewed already: `request_decided`, `request_expired`, `already_reviewed`, `policy_removed`, `conflict`", body = ErrorBody),
    )
)]
pub async fn approve(
    State(app): State<App>,
    caller: Caller,
    PathParams(RequestPath { id }): PathParams<RequestPath>,
    OptionalJsonBody(body): OptionalJsonBody<CommentBody>,
) -> ApiResult<Json<RequestView>> {
    review(app, caller, id, Verdict::Approve, body.comment).await
}

#[utoipa::path(
    post,
    path = "/v1/requests/{id}/deny",
    operation_id = "deny_request",
    tag = "requests",
    summary = "deny the request (one denial from a current approver decides)",
    params(RequestPath),
    request_body = Option<CommentBody>,
    responses(
        (status = 200, description = "the request after the review", body = schema::Request),
        (status = 400, description = "a bad value: `comment_too_long`", body = ErrorBody),
        (status = 403, description = "not the caller's to review: `self_review`, `not_an_approver`", body = ErrorBody),
        (status = 404, description = "`unknown_request`", body = ErrorBody),
        (status = 409, description = "not pending, or reviewed already: `request_decided`, `request_expired`, `already_reviewed`, `policy_removed`, `conflict`", body = ErrorBody),
    )
)]
pub async fn deny(
    State(app): State<App>,
    caller: Caller,
    PathParams(RequestPath { id }): PathParams<RequestPath>,
    OptionalJsonBody(body): OptionalJsonBody<CommentBody>,
) -> ApiResult<Json<RequestView>> {
    review(app, caller, id, Verdict::Deny, body.comment).await
}

#[utoipa::path(
    post,
    path = "/v1/requests/{id}/cancel",
    operation_id = "cancel_request",
    tag = "requests",
    summary = "cancel my pending request",
    params(RequestPath),
    request_body = Option<CommentBody>,
    responses(
        (status = 200, description = "the cancelled request", body = schema::Request),
        (status = 400, description = "a bad value: `comment_too_long`", body = ErrorBody),
        (status = 403, description = "not the caller's request: `not_the_requester`, `not_visible`", body = ErrorBody),
        (status = 404, description = "`unknown_request`", body = ErrorBody),
        (status = 409, description = "not pending: `request_decided`, `request_expired`, `conflict`", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(app): State<App>,
    caller: Caller,
    PathParams(RequestPath { id }): PathParams<RequestPath>,
    OptionalJsonBody(body): OptionalJsonBody<CommentBody>,
) -> ApiResult<Json<RequestView>> {
    within_limit(body.comment.as_deref())?;
    let request = ops::cancel_request(&app, &caller.user, &id, body.comment).await?;
    Ok(Json(view(&app, request).await?))
}
