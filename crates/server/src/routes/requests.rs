//! Access requests: create, list, show, approve, deny, cancel.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use wicket_core::workflow::NewRequest;
use wicket_core::{Power, Request, RequestState, Verdict};
use wicket_store::RequestFilter;

use crate::auth::Caller;
use crate::body::{JsonBody, OptionalJsonBody, QueryParams};
use crate::error::{ApiError, ApiResult};
use crate::view::{GrantView, Items, RequestView};
use wicket_engine::access::{reviewable_by, visible_to};
use wicket_engine::app::{App, now};
use wicket_engine::ops;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    comment: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    mine: Option<bool>,
    reviewable: Option<bool>,
    requester: Option<String>,
    limit: Option<i64>,
}

/// The request with its grants and its policy's step count.
pub async fn view(app: &App, request: Request) -> ApiResult<RequestView> {
    let now = now();
    let grants = app
        .grants_of_request(&request.id)
        .await?
        .into_iter()
        .map(|g| GrantView::new(g, now))
        .collect();
    let steps = app
        .config
        .policy(&request.policy)
        .map_or(0, |p| p.steps.len());
    Ok(RequestView {
        request,
        steps,
        grants,
    })
}

pub async fn create(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<NewRequest>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let request = ops::create_request(&app, &caller.user, &body).await?;
    Ok((StatusCode::CREATED, Json(view(&app, request).await?)))
}

pub async fn list(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Items<RequestView>>> {
    let state = q
        .state
        .as_deref()
        .map(RequestState::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_query", e))?;
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
        limit: q.limit,
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

pub async fn show(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
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

pub async fn approve(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<CommentBody>,
) -> ApiResult<Json<RequestView>> {
    review(app, caller, id, Verdict::Approve, body.comment).await
}

pub async fn deny(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<CommentBody>,
) -> ApiResult<Json<RequestView>> {
    review(app, caller, id, Verdict::Deny, body.comment).await
}

pub async fn cancel(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<CommentBody>,
) -> ApiResult<Json<RequestView>> {
    let request = ops::cancel_request(&app, &caller.user, &id, body.comment).await?;
    Ok(Json(view(&app, request).await?))
}
