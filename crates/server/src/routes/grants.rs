//! Grants: list, show, revoke (or release one's own), extend one's own.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wicket_core::{Grant, GrantStatus, Power};
use wicket_store::GrantFilter;

use crate::auth::Caller;
use crate::body::{JsonBody, OptionalJsonBody, PathParams, QueryParams};
use crate::error::{ApiError, ApiResult};
use crate::openapi::errors::ErrorBody;
use crate::openapi::{formats, grants as schema};
use crate::paging::Limit;
use crate::view::{GrantView, Items, RequestView};
use wicket_core::workflow::NewExtension;
use wicket_engine::app::{App, now};
use wicket_engine::ops;

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only grants with this status now.
    #[param(value_type = Option<schema::GrantStatus>)]
    status: Option<String>,
    /// Only this user's grants (another user's take `wicket:requests.read`).
    #[param(value_type = Option<formats::UserRef>)]
    subject: Option<String>,
    /// Only the grants of this request.
    #[param(value_type = Option<formats::Id>)]
    request_id: Option<String>,
    /// At most this many, newest first (default 1000, all there are up to the cap).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<Limit>,
}

/// Why a grant is revoked: required to revoke another user's, optional to release one's own.
#[derive(Default, Deserialize, ToSchema)]
#[schema(as = Revoke)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    #[schema(value_type = Option<formats::Note>)]
    reason: Option<String>,
}

/// The id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GrantPath {
    /// A grant id.
    #[param(value_type = formats::Id)]
    id: String,
}

fn sees_all(app: &App, user: &str) -> bool {
    app.has_power(user, Power::RequestsRead) || app.has_power(user, Power::GrantsRevoke)
}

/// Own grants by default; everyone's (or another subject's) with `wicket:requests.read` or
/// `wicket:grants.revoke`.
#[utoipa::path(
    get,
    path = "/v1/grants",
    operation_id = "list_grants",
    tag = "grants",
    summary = "list grants",
    description = "Newest first. The caller's own by default; everyone's with `wicket:requests.read` or `wicket:grants.revoke`.",
    params(ListQuery),
    responses(
        (status = 200, description = "the grants", body = crate::view::Items<schema::Grant>),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "another user's without `wicket:requests.read`: `missing_power`", body = ErrorBody),
    )
)]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Items<GrantView>>> {
    let status = crate::params::query(q.status.as_deref(), GrantStatus::parse)?;
    let all = sees_all(&app, &caller.user);
    if let Some(id) = &q.request_id {
        crate::params::id("request_id", id)
            .map_err(|e| ApiError::bad_request("invalid_query", e))?;
    }
    let user = caller.whose(
        &app,
        q.subject.as_deref(),
        all,
        Power::RequestsRead,
        "grants",
    )?;
    let now = now();
    let live = matches!(status, Some(GrantStatus::Active | GrantStatus::Scheduled));
    let filter = GrantFilter {
        user,
        request_id: q.request_id,
        live_at: live.then_some(now),
        limit: q.limit.map(Limit::get),
        ..GrantFilter::default()
    };
    let items = app
        .store
        .list_grants(&filter)
        .await?
        .into_iter()
        .filter(|g| status.is_none_or(|s| g.status(now) == s))
        .map(|g| GrantView::new(g, now))
        .collect();
    Ok(Json(Items { items }))
}

async fn load(app: &App, caller: &Caller, id: &str) -> ApiResult<Grant> {
    let grant = app
        .store
        .get_grant(id)
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_grant", format!("unknown grant `{id}`")))?;
    if grant.user != caller.user && !sees_all(app, &caller.user) {
        return Err(ApiError::forbidden(
            "not_visible",
            format!(
                "`{}` may not see grant `{id}`; that takes `{}`",
                caller.user,
                Power::RequestsRead
            ),
        ));
    }
    Ok(grant)
}

#[utoipa::path(
    get,
    path = "/v1/grants/{id}",
    operation_id = "show_grant",
    tag = "grants",
    summary = "one grant",
    params(GrantPath),
    responses(
        (status = 200, description = "the grant", body = schema::Grant),
        (status = 403, description = "not the caller's to see: `not_visible`", body = ErrorBody),
        (status = 404, description = "`unknown_grant`", body = ErrorBody),
    )
)]
pub async fn show(
    State(app): State<App>,
    caller: Caller,
    PathParams(GrantPath { id }): PathParams<GrantPath>,
) -> ApiResult<Json<GrantView>> {
    let grant = load(&app, &caller, &id).await?;
    Ok(Json(GrantView::new(grant, now())))
}

#[utoipa::path(
    post,
    path = "/v1/grants/{id}/revoke",
    operation_id = "revoke_grant",
    tag = "grants",
    summary = "revoke a grant (or release my own)",
    params(GrantPath),
    request_body = Option<RevokeBody>,
    responses(
        (status = 200, description = "the revoked grant", body = schema::Grant),
        (status = 400, description = "a bad value: `reason_too_long`", body = ErrorBody),
        (status = 403, description = "another user's grant without `wicket:grants.revoke`: `missing_power`, `not_visible`", body = ErrorBody),
        (status = 404, description = "`unknown_grant`", body = ErrorBody),
        (status = 409, description = "already over: `grant_revoked`, `grant_expired`, `conflict`", body = ErrorBody),
        (status = 422, description = "another user's grant without a reason: `reason_required`", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    PathParams(GrantPath { id }): PathParams<GrantPath>,
    OptionalJsonBody(body): OptionalJsonBody<RevokeBody>,
) -> ApiResult<Json<GrantView>> {
    let grant = ops::revoke_grant(&app, &caller.user, &id, body.reason).await?;
    Ok(Json(GrantView::new(grant, now())))
}

#[utoipa::path(
    post,
    path = "/v1/grants/{id}/extend",
    operation_id = "extend_grant",
    tag = "grants",
    summary = "ask to extend my live grant",
    description = "An extension request under the grant's policy: its `extend_steps` (or its `steps`) decide; approved at once when they are empty. Once approved the grant keeps its id and its `expires_at` moves by `by`; the whole window never exceeds the policy's `max_extended`.",
    params(GrantPath),
    request_body = schema::NewExtension,
    responses(
        (status = 201, description = "the extension request (approved at once when the policy's extension has no steps)", body = crate::openapi::requests::Request),
        (status = 400, description = "a bad value: `missing_by`, `invalid_duration`, `reason_too_long`, `invalid_body`", body = ErrorBody),
        (status = 403, description = "not the caller's grant: `not_the_holder`", body = ErrorBody),
        (status = 404, description = "`unknown_grant`", body = ErrorBody),
        (status = 409, description = "no longer live: `grant_expired`, `grant_revoked`; changed meanwhile: `grant_changed`", body = ErrorBody),
        (status = 422, description = "against policy: `extension_exceeds_max` (names `max_extended`), `reason_required`, `not_a_requester`", body = ErrorBody),
    )
)]
pub async fn extend(
    State(app): State<App>,
    caller: Caller,
    PathParams(GrantPath { id }): PathParams<GrantPath>,
    JsonBody(body): JsonBody<NewExtension>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    if let Some(by) = &body.by {
        crate::params::duration(by).map_err(|e| ApiError::bad_request("invalid_duration", e))?;
    }
    let request = ops::extend_grant(&app, &caller.user, &id, &body).await?;
    let shown = super::requests::view(&app, request).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}
