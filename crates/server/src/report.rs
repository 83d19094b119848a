//! Reports over the audit log: `GET /v1/reports/usage`, the evidence for narrowing roles.

pub mod usage;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wicket_core::{Power, time};
use wicket_store::AuditFilter;

use crate::auth::Caller;
use crate::body::QueryParams;
use crate::error::ApiResult;
use crate::openapi::errors::ErrorBody;
use crate::openapi::formats;
use crate::routes::audit::export::time_or_age;
use wicket_engine::app::{App, now};

use self::usage::{RoleUsage, Usage};

/// Events read per page.
const PAGE: i64 = 1000;

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// The window's start: RFC 3339, or an age like `30d` (the default).
    #[param(value_type = Option<formats::TimeOrAge>)]
    since: Option<String>,
    /// The window's end (now when left out).
    #[param(value_type = Option<formats::TimeOrAge>)]
    until: Option<String>,
}

/// The least-privilege usage report of a window.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageReport {
    #[schema(value_type = formats::Time)]
    since: String,
    #[schema(value_type = formats::Time)]
    until: String,
    /// Audit events read.
    events: u64,
    /// Per role: grants, uses, each permission's uses, the concrete actions exercised.
    roles: Vec<RoleUsage>,
    /// Roles granted in the window but never used.
    never_used: Vec<String>,
}

/// `GET /v1/reports/usage?since=30d`: per role, permissions granted against those exercised.
#[utoipa::path(
    get,
    path = "/v1/reports/usage",
    operation_id = "usage_report",
    tag = "audit",
    summary = "least-privilege usage report",
    description = "Needs `wicket:audit.read`. Per role: grants, uses, each permission's uses, the concrete actions exercised; and the roles granted but never used.",
    params(UsageQuery),
    responses(
        (status = 200, description = "the report", body = UsageReport),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "without `wicket:audit.read`: `missing_power`", body = ErrorBody),
    )
)]
pub async fn usage(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<UsageQuery>,
) -> ApiResult<Json<UsageReport>> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let at = now();
    let since = time_or_age("since", q.since.as_deref().unwrap_or("30d"), at)?;
    let until = q
        .until
        .as_deref()
        .map(|t| time_or_age("until", t, at))
        .transpose()?;
    let mut report = Usage::default();
    let mut filter = AuditFilter {
        since: Some(since),
        until,
        limit: Some(PAGE),
        ..AuditFilter::default()
    };
    loop {
        let page = app.store.list_events(&filter).await?;
        for e in &page {
            // A grant activated before the window but used in it: its role from the store.
            if let Some((grant, _, _)) = Usage::use_of(e)
                && !report.knows(grant)
                && let Some(g) = app.store.get_grant(grant).await?
            {
                report.grant(&g.id, &g.role);
            }
            report.observe(&app.config, e);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => filter.after = Some(last.seq),
            _ => break,
        }
    }
    let events = report.events;
    let (roles, never_used) = report.finish(&app.config);
    Ok(Json(UsageReport {
        since: time::format(since),
        until: time::format(until.unwrap_or(at)),
        events,
        roles,
        never_used,
    }))
}
