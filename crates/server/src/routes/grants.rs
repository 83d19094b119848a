//! Grants: list, show, revoke (or release one's own).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use wicket_core::{Grant, GrantStatus, Power, Subject};
use wicket_store::GrantFilter;

use crate::auth::Caller;
use crate::body::{OptionalJsonBody, QueryParams};
use crate::error::{ApiError, ApiResult};
use crate::view::{GrantView, Items};
use wicket_engine::app::{App, now};
use wicket_engine::ops;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    subject: Option<String>,
    request_id: Option<String>,
    limit: Option<i64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    reason: Option<String>,
}

fn sees_all(app: &App, user: &str) -> bool {
    app.has_power(user, Power::RequestsRead) || app.has_power(user, Power::GrantsRevoke)
}

/// Own grants by default; everyone's (or another subject's) with `wicket:requests.read` or
/// `wicket:grants.revoke`.
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Items<GrantView>>> {
    let status = q
        .status
        .as_deref()
        .map(GrantStatus::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_query", e))?;
    let all = sees_all(&app, &caller.user);
    let user = match q.subject.as_deref() {
        None if all => None,
        None => Some(caller.user.clone()),
        Some(s) => {
            let u = match Subject::parse(s) {
                Ok(Subject::User(u)) => u,
                Ok(Subject::Group(_)) => {
                    return Err(ApiError::bad_request(
                        "invalid_query",
                        "grants belong to users; give `user:NAME`",
                    ));
                }
                Err(_) if !s.contains(':') => s.to_string(),
                Err(e) => return Err(ApiError::bad_request("invalid_query", e)),
            };
            if u != caller.user && !all {
                app.require_power(&caller.user, Power::RequestsRead)?;
            }
            Some(u)
        }
    };
    let now = now();
    let live = matches!(status, Some(GrantStatus::Active | GrantStatus::Scheduled));
    let filter = GrantFilter {
        user,
        request_id: q.request_id,
        live_at: live.then_some(now),
        limit: q.limit,
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

pub async fn show(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantView>> {
    let grant = load(&app, &caller, &id).await?;
    Ok(Json(GrantView::new(grant, now())))
}

pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<RevokeBody>,
) -> ApiResult<Json<GrantView>> {
    let grant = ops::revoke_grant(&app, &caller.user, &id, body.reason).await?;
    Ok(Json(GrantView::new(grant, now())))
}
