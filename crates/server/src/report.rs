//! Reports over the audit log: `GET /v1/reports/usage`, the evidence for narrowing roles, and
//! `GET /v1/reports/overview`, what approvers and auditors look at first.

pub mod overview;
pub mod usage;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wicket_core::{Power, time};
use wicket_engine::EngineError;
use wicket_store::{AuditFilter, GrantFilter};

use crate::auth::Caller;
use crate::body::QueryParams;
use crate::error::ApiResult;
use crate::openapi::errors::ErrorBody;
use crate::openapi::formats;
use crate::routes::audit::export::{optional_time_or_age, time_or_age};
use wicket_engine::app::{App, now};

use self::overview::{Overview, OverviewReport};
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
    let until = optional_time_or_age("until", q.until.as_deref(), at)?;
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

/// Days an overview covers at most.
pub const MAX_DAYS: i64 = 366;

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// How many UTC days, today included (default 30, at most 366).
    days: Option<String>,
}

/// `GET /v1/reports/overview?days=30`: requests, grants, decision times, roles and anomalies.
#[utoipa::path(
    get,
    path = "/v1/reports/overview",
    operation_id = "overview_report",
    tag = "audit",
    summary = "overview of requests, grants, decisions and anomalies",
    description = "Needs `wicket:audit.read`, or to approve some step of some policy. Per UTC day: requests created, grants live, anomalies flagged; the time from request to decision (median, p90); the most requested roles; anomalies by rule.",
    params(OverviewQuery),
    responses(
        (status = 200, description = "the overview", body = OverviewReport),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "neither an auditor nor an approver: `missing_power`", body = ErrorBody),
    )
)]
pub async fn overview(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<OverviewQuery>,
) -> ApiResult<Json<OverviewReport>> {
    may_see_overview(&app, &caller.user)?;
    let days = match q.days.as_deref() {
        None => 30,
        Some(text) => match text.parse::<i64>() {
            Ok(d) if (1..=MAX_DAYS).contains(&d) => d,
            _ => {
                return Err(crate::error::ApiError::bad_request(
                    "invalid_query",
                    format!("`days` must be a whole number from 1 to {MAX_DAYS}; got `{text}`"),
                ));
            }
        },
    };
    Ok(Json(overview_of(&app, days).await?))
}

/// Approvers and holders of `wicket:audit.read` see the overview.
pub fn may_see_overview(app: &App, user: &str) -> Result<(), EngineError> {
    if wicket_core::workflow::approves_anywhere(&app.config, user) {
        return Ok(());
    }
    app.require_power(user, Power::AuditRead).map_err(|e| {
        EngineError::forbidden(
            "missing_power",
            format!("{e}; approvers of some policy see the overview too"),
        )
    })
}

/// The overview of the last `days` UTC days, today included.
pub async fn overview_of(app: &App, days: i64) -> Result<OverviewReport, wicket_store::StoreError> {
    let until = now();
    let first = until.date_naive() - chrono::Duration::days(days - 1);
    let since = first.and_hms_opt(0, 0, 0).map_or(until, |t| t.and_utc());
    let mut report = Overview::new(since, until);
    // Grants that began before the window and lived into it.
    for g in app.store.live_grants(since).await? {
        report.grant_before(&g);
    }
    let revoked = app
        .store
        .list_grants(&GrantFilter {
            revoked_live_at: Some(since),
            limit: Some(wicket_store::filter::MAX_LIMIT),
            ..GrantFilter::default()
        })
        .await?;
    for g in revoked
        .iter()
        .filter(|g| g.revoked_at.is_some_and(|r| r > since))
    {
        report.grant_before(g);
    }
    let mut filter = AuditFilter {
        since: Some(since),
        until: Some(until),
        limit: Some(PAGE),
        ..AuditFilter::default()
    };
    loop {
        let page = app.store.list_events(&filter).await?;
        for e in &page {
            report.observe(e);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => filter.after = Some(last.seq),
            _ => break,
        }
    }
    let live_now = app.store.live_grants(until).await?.len() as u64;
    Ok(report.finish(live_now))
}
