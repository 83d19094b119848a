//! Access reviews: the campaigns a caller may see, starting one now, a reviewer's decision on
//! one item, and a campaign's report in JSON or CSV.

pub(crate) mod report;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wicket_core::review::{Campaign, ItemVerdict, ReviewItem};
use wicket_engine::app::App;
use wicket_engine::reviews;

use crate::auth::Caller;
use crate::body::{OptionalJsonBody, PathParams, QueryParams};
use crate::error::ApiResult;
use crate::openapi::errors::ErrorBody;
use crate::openapi::{formats, reviews as schema};
use crate::view::Items;

/// A comment on a decision (optional).
#[derive(Default, Deserialize, ToSchema)]
#[schema(as = ReviewDecision)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[schema(value_type = Option<formats::Note>)]
    comment: Option<String>,
}

/// The review named in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ReviewPath {
    /// A `[[reviews]]` name.
    name: String,
}

/// The campaign in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CampaignPath {
    /// A campaign id.
    #[param(value_type = formats::Id)]
    campaign: String,
}

/// The campaign and item in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ItemPath {
    /// A campaign id.
    #[param(value_type = formats::Id)]
    campaign: String,
    /// An item id of that campaign.
    #[param(value_type = formats::Id)]
    id: String,
}

#[utoipa::path(
    get,
    path = "/v1/reviews",
    operation_id = "list_reviews",
    tag = "reviews",
    summary = "access review campaigns",
    description = "Newest first. Every campaign, whole, with `wicket:reviews.manage` or `wicket:audit.read`; otherwise the campaigns with an item the caller reviews, with only those items.",
    responses(
        (status = 200, description = "the campaigns", body = Items<schema::Campaign>),
    )
)]
pub async fn list(State(app): State<App>, caller: Caller) -> ApiResult<Json<Items<Campaign>>> {
    let items = reviews::visible(&app, &caller.user).await?;
    Ok(Json(Items { items }))
}

#[utoipa::path(
    post,
    path = "/v1/reviews/{name}/start",
    operation_id = "start_review",
    tag = "reviews",
    summary = "start a campaign of a review now",
    description = "Snapshots the standing bindings and grants in the review's scope as of now. Takes `wicket:reviews.manage`.",
    params(ReviewPath),
    responses(
        (status = 201, description = "the new campaign", body = schema::Campaign),
        (status = 403, description = "without `wicket:reviews.manage`: `missing_power`", body = ErrorBody),
        (status = 404, description = "`unknown_review`", body = ErrorBody),
        (status = 409, description = "a campaign of it is still open: `campaign_open`", body = ErrorBody),
    )
)]
pub async fn start(
    State(app): State<App>,
    caller: Caller,
    PathParams(ReviewPath { name }): PathParams<ReviewPath>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    let campaign = reviews::start(&app, &caller.user, &name).await?;
    Ok((StatusCode::CREATED, Json(campaign)))
}

async fn decide(
    app: App,
    caller: Caller,
    path: ItemPath,
    verdict: ItemVerdict,
    body: DecisionBody,
) -> ApiResult<Json<ReviewItem>> {
    crate::params::id("campaign", &path.campaign)
        .map_err(|e| crate::error::ApiError::bad_request("invalid_path", e))?;
    let item = reviews::decide(
        &app,
        &caller.user,
        &path.campaign,
        &path.id,
        verdict,
        body.comment,
    )
    .await?;
    Ok(Json(item))
}

#[utoipa::path(
    post,
    path = "/v1/reviews/{campaign}/items/{id}/certify",
    operation_id = "certify_review_item",
    tag = "reviews",
    summary = "keep one item of a campaign",
    params(ItemPath),
    request_body = Option<DecisionBody>,
    responses(
        (status = 200, description = "the item as decided", body = schema::ReviewItem),
        (status = 400, description = "a bad value: `comment_too_long`", body = ErrorBody),
        (status = 403, description = "not the caller's to decide: `not_a_reviewer`, `own_access`", body = ErrorBody),
        (status = 404, description = "`unknown_campaign`, `unknown_item`", body = ErrorBody),
        (status = 409, description = "past the deadline: `review_closed`; decided already: `already_decided`", body = ErrorBody),
    )
)]
pub async fn certify(
    State(app): State<App>,
    caller: Caller,
    PathParams(path): PathParams<ItemPath>,
    OptionalJsonBody(body): OptionalJsonBody<DecisionBody>,
) -> ApiResult<Json<ReviewItem>> {
    decide(app, caller, path, ItemVerdict::Certify, body).await
}

#[utoipa::path(
    post,
    path = "/v1/reviews/{campaign}/items/{id}/revoke",
    operation_id = "revoke_review_item",
    tag = "reviews",
    summary = "take one item of a campaign away",
    description = "A standing binding is suspended: it gives nothing until the configuration drops it. A grant is revoked.",
    params(ItemPath),
    request_body = Option<DecisionBody>,
    responses(
        (status = 200, description = "the item as decided", body = schema::ReviewItem),
        (status = 400, description = "a bad value: `comment_too_long`", body = ErrorBody),
        (status = 403, description = "not the caller's to decide: `not_a_reviewer`, `own_access`", body = ErrorBody),
        (status = 404, description = "`unknown_campaign`, `unknown_item`", body = ErrorBody),
        (status = 409, description = "past the deadline: `review_closed`; decided already: `already_decided`", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    PathParams(path): PathParams<ItemPath>,
    OptionalJsonBody(body): OptionalJsonBody<DecisionBody>,
) -> ApiResult<Json<ReviewItem>> {
    decide(app, caller, path, ItemVerdict::Revoke, body).await
}

/// How a report is written.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// The campaign with its items.
    #[default]
    Json,
    /// One row per item (`text/csv`).
    Csv,
}

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `json` (the default) or `csv`.
    #[param(value_type = Option<ReportFormat>)]
    format: Option<ReportFormat>,
}

#[utoipa::path(
    get,
    path = "/v1/reviews/{campaign}/report",
    operation_id = "review_report",
    tag = "reviews",
    summary = "a campaign's report: every item, its reviewer, decision, time and comment",
    description = "JSON (the campaign with its items) or CSV (`format=csv`: one row per item). Takes `wicket:reviews.manage` or `wicket:audit.read`.",
    params(CampaignPath, ReportQuery),
    responses(
        (status = 200, description = "the campaign with every item (`format=json`), or one CSV row per item (`format=csv`)", content(
            (schema::Campaign = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "without the power: `missing_power`", body = ErrorBody),
        (status = 404, description = "`unknown_campaign`", body = ErrorBody),
    )
)]
pub async fn report(
    State(app): State<App>,
    caller: Caller,
    PathParams(CampaignPath { campaign }): PathParams<CampaignPath>,
    QueryParams(q): QueryParams<ReportQuery>,
) -> ApiResult<Response> {
    let campaign = reviews::report(&app, &caller.user, &campaign).await?;
    Ok(match q.format.unwrap_or_default() {
        ReportFormat::Json => Json(campaign).into_response(),
        ReportFormat::Csv => report::csv(&campaign),
    })
}
